"""Facts stated in prose, checked against the real catalog (judging.facts)."""

import pytest

from vgpt_dagster.judging.facts import check_facts, named_objects
from vgpt_dagster.judging.question import classify_question


def _wrong(question, answer, catalog):
    return [f.message for f in check_facts(classify_question(question, catalog), answer, catalog) if not f.ok]


@pytest.mark.parametrize(
    ("question", "answer", "wrong"),
    [
        ("What is the primary key of JCJM?", "JCJM is keyed by JCCo and Job; KeyID is a surrogate, not the key.", 0),
        ("What is the primary key of JCJM?", "JCCo, KeyID", 1),
        ("What is the primary key of JCCM?", "JCCo, Contract, Item", 1),  # Item is a JCCI column, not a JCCM key
        ("What data type is the Vendor column in APTH?", "bVendor", 0),  # the UDT
        ("What data type is the Vendor column in APTH?", "an int", 0),  # its base type
        ("What type is the Description column in APTH?", "varchar(60)", 1),  # bDesc is varchar(30)
        ("What is the company column of APVM?", "APVM has no company column; it is keyed by VendorGroup.", 0),
        ("What is the company column of APVM?", "APCo", 1),
        ("What is the company column of ARTH?", "ARTH uses CustGroup as its company column.", 1),
        ("Is bAPTH a view of APTH?", "bAPTH is the base table of APTH.", 0),
        ("Is bAPTH a view of APTH?", "Yes, bAPTH is a view of APTH.", 1),
        ("List all tables in the AP module", "APTH, APTL, APVM, APTD", 0),
        ("List all tables in the AP module", "APTH, APTL, APVM and ARCM", 1),  # ARCM is an AR object
        ("How do I join APTH and APVM?", "Join on APTH.VendorID = APVM.VendorID.", 2),  # VendorID is on neither
    ],
)
def test_prose_facts(question, answer, wrong, full_catalog):
    assert len(_wrong(question, answer, full_catalog)) == wrong, _wrong(question, answer, full_catalog)


def test_invented_names_in_a_module_list_are_object_hallucinations(full_catalog):
    intent = classify_question("List all tables in the AP module", full_catalog)
    facts = check_facts(intent, "APTH, APTL, APInvoices, APVendorMaster", full_catalog)
    invented = [f.message for f in facts if f.hallucination == "object"]
    assert len(invented) == 2 and "APInvoices" in invented[0] and "APVendorMaster" in invented[1]


def test_named_objects_flags_case_only_spellings(full_catalog):
    real, variants, fake = named_objects("Use Apth or APTL, not APInvoice.", full_catalog)
    assert (real, variants, fake) == (["APTL"], [("Apth", "APTH")], ["APInvoice"])
