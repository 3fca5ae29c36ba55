"""What a question asks, read from the question alone, against the real embedded catalog."""

import pytest

from vgpt_dagster.judging.question import QUESTION_KINDS, classify_question

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
    # "a SELECT of ..." is prose about SQL, not inline SQL: the object and the company are still read
    (
        "I want a SELECT of the number of PMWX records per ImportId for company 1.",
        "write_sql",
        [("PMWX", "PMWX")],
        None,
        1,
    ),
    # a quoted value after a comparison is a literal, not an invented object
    ("Write a query for the APVC rows where Complied = 'Y' for company 3.", "write_sql", [("APVC", "APVC")], None, 3),
    # view names that start lower-case (vrv*, ptv*) are objects; their columns named in the question are not
    (
        "Write a query for the 20 most recent vrvPRPayPeriod records by PREndDate for company 3.",
        "write_sql",
        [("vrvPRPayPeriod", "vrvPRPayPeriod")],
        None,
        3,
    ),
    # a column list before "from X": SMStandardTask is a column of SMStandardTaskLabor here (and a table elsewhere)
    (
        "Query SMCo, SMStandardTask, Seq, Craft and more from SMStandardTaskLabor for company 3.",
        "write_sql",
        [("SMStandardTaskLabor", "SMStandardTaskLabor")],
        None,
        3,
    ),
    # a column named Datatype does not make the question a data-type question
    (
        "Please write T-SQL returning Datatype, Qualifier, Instance, SecurityGroup and more from DDDSPurge.",
        "write_sql",
        [("DDDSPurge", "DDDSPurge")],
        None,
        None,
    ),
]


@pytest.mark.parametrize(("question", "kind", "objects", "module", "company"), CASES, ids=[c[0] for c in CASES])
def test_intent_from_the_question_alone(question, kind, objects, module, company, full_catalog):
    i = classify_question(question, full_catalog)
    assert i.kind in QUESTION_KINDS
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


def test_sql_request_without_the_company_asked_for_fails(full_catalog):
    """The KTO undesirable shape that used to pass: prose 'a SELECT of' hid the request and its company."""
    from vgpt_dagster.judging.free import judge_free

    q = "I want a SELECT of the number of PMWX records per ImportId for company 1."
    sql = "SELECT ImportId, COUNT(*) AS RecordCount\nFROM PMWX WITH (NOLOCK)\n{where}GROUP BY ImportId"
    without = judge_free(q, f"```sql\n{sql.format(where='')}\n```", full_catalog)
    with_co = judge_free(q, f"```sql\n{sql.format(where='WHERE PMCo = 1' + chr(10))}\n```", full_catalog)
    other_co = judge_free(q, f"```sql\n{sql.format(where='WHERE PMCo = 2' + chr(10))}\n```", full_catalog)
    assert (without.passed, with_co.passed, other_co.passed) == (False, True, False)


def test_a_company_column_name_running_into_digits_is_not_a_company(full_catalog):
    """'EMCo1 = 114' filters a column; the company asked for is the one named as such (found by the DPO
    ablation's v2-style arm, whose judge-agreement audit failed a correct chosen answer on it)."""
    reading = classify_question("Write a query for the PRUP rows where EMCo1 = 114 for company 3.", full_catalog)
    assert reading.company == 3
    assert classify_question("rows where APCo = 2", full_catalog).company == 2
    assert classify_question("APCo=5 vendors", full_catalog).company == 5
    assert classify_question("EMCo1 = 114 rows of PRUP", full_catalog).company is None
