"""Question intent read from the question alone, against the real embedded catalog."""

import pytest

from vgpt_dagster.validation.intent import INTENT_KINDS, classify_question

CASES = [
    # question, kind, [(text, exact)], module, company
    ("How do I join Invoice and Customer?", "join", [("Invoice", None), ("Customer", None)], None, None),
    ("Is Orders a real Vista table?", "exists", [("Orders", None)], None, None),
    ("List all tables in the AP module", "module_tables", [], "AP", None),
    ("Which tables belong to Accounts Payable?", "module_tables", [], "AP", None),
    ("What data type is the Vendor column in APTH?", "column_type", [("APTH", "APTH")], None, None),
    ("What is the primary key of JCJM?", "business_key", [("JCJM", "JCJM")], None, None),
    ("List the key columns in bAPVendor", "business_key", [("bAPVendor", None)], None, None),
    ("Write SQL to get all unpaid AP invoices for company 1", "business_question", [], "AP", 1),
    ("Is bAPTH a view of APTH?", "view_or_table", [("bAPTH", "bAPTH"), ("APTH", "APTH")], None, None),
    ("Is APTL a view or a base table?", "view_or_table", [("APTL", "APTL")], None, None),
    ("Which column holds the company in JCJM?", "company_column", [("JCJM", "JCJM")], None, None),
    ("Does apth exist in Vista?", "exists", [("apth", "APTH")], None, None),
    ("Is APTH a table or view in Vista?", "exists", [("APTH", "APTH")], None, None),
    ("Describe the APTL table structure", "describe", [("APTL", "APTL")], None, None),
    ("What columns are in the Invoice table?", "describe", [("Invoice", None)], None, None),
    ("Write a query joining APTH to APVM for company 2.", "join", [("APTH", "APTH"), ("APVM", "APVM")], None, 2),
    ("Fix this query: SELECT * FROM APTH WHERE APCo = 1", "fix_sql", [("APTH", "APTH")], None, 1),
    ("Can you query the Vendors table for company 1?", "write_sql", [("Vendors", None)], None, 1),
    ("How many open jobs does company 5 have?", "business_question", [], None, 5),
    ("Thanks, that helps!", "other", [], None, None),
]


@pytest.mark.parametrize(("question", "kind", "objects", "module", "company"), CASES, ids=[c[0] for c in CASES])
def test_intent_from_the_question_alone(question, kind, objects, module, company, full_catalog):
    i = classify_question(question, full_catalog)
    assert i.kind in INTENT_KINDS
    assert (i.kind, [(o.text, o.exact) for o in i.objects], i.module, i.company) == (kind, objects, module, company)


def test_columns_are_named_with_their_owner_and_real_or_invented(full_catalog):
    i = classify_question("Write SQL to select CustomerName from ARCM for company 1.", full_catalog)
    assert [(c.text, c.owner, c.real) for c in i.columns] == [("CustomerName", "ARCM", False)]
    assert [c.qualified for c in i.fake_columns] == ["ARCM.CustomerName"]
    i = classify_question("What data type is the vendor column in APTH?", full_catalog)
    (col,) = i.columns
    assert (col.exact, col.case_only) == ("Vendor", True)


def test_case_only_spelling_is_flagged(full_catalog):
    (o,) = classify_question("Describe apth", full_catalog).objects
    assert (o.real, o.exact_spelling, o.case_only) == (True, False, True)
    (o,) = classify_question("Describe APTH", full_catalog).objects
    assert (o.exact_spelling, o.case_only) == (True, False)
