"""Guard repairs and refusals on the real embedded catalog."""

from vgpt_dagster.serving.guard import alternatives, reask_message, refusal_text, repair_sql
from vgpt_dagster.sql.analyze import analyze


def test_case_join_key_and_nolock_are_repaired(full_catalog):
    r = repair_sql("SELECT h.mth, l.APLine FROM apth h JOIN APTL l ON l.APCo = h.APCo WHERE h.APCo = 1", full_catalog)
    assert r.ok, r.after
    after = analyze(r.sql, full_catalog)
    assert after.ok and after.catalog_objects == ("APTH", "APTL")
    join = after.joins[0]
    assert join.complete and set(join.on_pairs) >= set(full_catalog.join_keys("APTH", "APTL"))
    assert {x.split(":")[0] for x in r.repairs} == {"object_case", "column_case", "incomplete_join", "missing_nolock"}
    assert {f.rule for f in r.before} >= {"object_case", "column_case", "incomplete_join", "missing_nolock"}


def test_company_filter_added_only_when_the_question_named_the_company(full_catalog):
    sql = "SELECT TOP 10 Vendor, InvTotal FROM APTH WITH (NOLOCK)"
    without = repair_sql(sql, full_catalog)
    assert not without.ok and "missing_company_filter" in {f.rule for f in without.after}
    with_company = repair_sql(sql, full_catalog, company=5)
    assert with_company.ok and "APCo = 5" in with_company.sql


def test_clean_sql_is_left_alone(full_catalog):
    sql = "SELECT Vendor FROM APTH WITH (NOLOCK) WHERE APCo = 1"
    r = repair_sql(sql, full_catalog)
    assert r.ok and r.sql == sql and r.repairs == []


def test_unknown_object_is_not_repaired_and_real_alternatives_are_named(full_catalog):
    r = repair_sql("SELECT InvoiceNo FROM Invoice WITH (NOLOCK)", full_catalog)
    assert not r.ok and r.needs_reask
    alts = alternatives(list(r.after), full_catalog)
    assert alts["Invoice"] == full_catalog.suggest("Invoice", 3)
    assert all(full_catalog.resolve(a) for a in alts["Invoice"])
    msg = reask_message([r], full_catalog, ["APTH", "APTL"])
    assert "Invoice" in msg and "Use only these objects: APTH, APTL." in msg
    refusal = refusal_text([r], full_catalog, ["APTH"])
    assert "could not write valid SQL" in refusal and "APTH" in refusal and "SELECT" not in refusal


def test_unknown_column_alternatives_are_real_columns(full_catalog):
    r = repair_sql("SELECT VendorName FROM APVM WITH (NOLOCK)", full_catalog)
    assert not r.ok
    ((name, cols),) = alternatives(list(r.after), full_catalog, r.objects).items()
    assert name == "APVM.VendorName" and cols and all(full_catalog.column("APVM", c) for c in cols)


def test_sql_that_reads_no_vista_object_is_not_an_answer(full_catalog):
    r = repair_sql("SELECT 1 AS answer", full_catalog)
    assert not r.ok and [f.rule for f in r.after if f.severity == "error"] == ["no_catalog_object"]
    assert "reads no Vista table or view" in refusal_text([r], full_catalog, ["APTH"])
