"""Schema questions answered from the catalog alone, facts cited, invented names refused with did-you-mean."""

import pytest

from vgpt_dagster.judging.question import classify_question
from vgpt_dagster.serving.schema_answers import answer_schema_question
from vgpt_dagster.sql.extract import extract_sql


def _ask(q, cat):
    return answer_schema_question(classify_question(q, cat), cat)


def test_key_type_company_and_kind_come_from_the_catalog(full_catalog):
    cat = full_catalog
    key = _ask("What is the business key of APTL?", cat)
    assert key.facts[0]["value"] == list(cat.business_key("APTL"))
    typ = _ask("What data type is the Vendor column in APTH?", cat)
    assert typ.facts[0]["value"] == cat.column("APTH", "Vendor").type_sql
    co = _ask("Which column holds the company in JCJM?", cat)
    assert co.facts[0]["value"] == cat.company_column("JCJM")
    kind = _ask("Is APTH a view or a base table?", cat)
    assert cat.get("APTH").base_table in kind.text


def test_module_tables_are_real_views_of_the_module(full_catalog):
    a = _ask("List all tables in the AP module", full_catalog)
    assert a.objects and all(full_catalog.get(n).module == "AP" for n in a.objects)


@pytest.mark.parametrize(
    "q", ["Does Invoice exist?", "Describe the Invoice table", "What is the business key of the Invoices table?"]
)
def test_invented_object_gets_did_you_mean_and_no_sql(full_catalog, q):
    a = _ask(q, full_catalog)
    assert a is not None and "not a table or view" in a.text and not extract_sql(a.text)
    assert all(full_catalog.resolve(s) for s in a.facts[0]["suggestions"])


def test_wrong_case_is_corrected(full_catalog):
    a = _ask("Does apth exist?", full_catalog)
    assert "spelled 'APTH'" in a.text and a.objects == ["APTH"]


def test_sql_requests_are_not_schema_questions(full_catalog):
    assert _ask("Show unpaid AP invoices for company 1", full_catalog) is None
