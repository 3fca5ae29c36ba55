"""analyze(): the Analysis fields (statements, tables, joins, company filter) on hand-written Vista SQL."""

import pytest

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.errors import SqlAnalysisError
from vgpt_dagster.sql.analyze import analyze
from vgpt_dagster.sql.findings import JoinInfo, TableRef
from vgpt_dagster.sql.parse import parse_script

FULL_JOIN = (
    "SELECT h.Vendor, l.GrossAmt FROM APTH h WITH (NOLOCK) "
    "JOIN APTL l WITH (NOLOCK) ON l.APCo = h.APCo AND l.Mth = h.Mth AND l.APTrans = h.APTrans WHERE h.APCo = @APCo"
)


def test_unknown_table_that_sqlglot_accepts(full_catalog):
    a = analyze("SELECT * FROM Invoice", full_catalog)
    assert a.parsed and not a.ok
    assert a.rules() == {"unknown_object"}
    assert a.tables == (TableRef("Invoice", None, None, False, "unknown"),)
    assert "Did you mean" in a.findings[0].message and "APTH" in a.findings[0].message


def test_complete_join_passes_and_is_described(full_catalog):
    a = analyze(FULL_JOIN, full_catalog)
    assert a.ok, a.findings
    (j,) = a.joins
    assert j == JoinInfo(
        "APTH", "APTL", "JOIN",
        (("APCo", "APCo"), ("Mth", "Mth"), ("APTrans", "APTrans")),
        (("APCo", "APCo"), ("Mth", "Mth"), ("APTrans", "APTrans")),
        True,
    )  # fmt: skip
    assert [(t.name, t.alias, t.nolock, t.kind) for t in a.tables] == [
        ("APTH", "h", True, "catalog"),
        ("APTL", "l", True, "catalog"),
    ]
    assert a.company_filter is True and a.catalog_objects == ("APTH", "APTL")


def test_join_missing_mth_names_the_column(full_catalog):
    a = analyze(FULL_JOIN.replace("AND l.Mth = h.Mth ", ""), full_catalog)
    (j,) = a.joins
    assert j.complete is False and j.missing == (("Mth", "Mth"),)
    (f,) = a.errors
    assert f.rule == "incomplete_join" and "Mth" in f.message and "l.Mth = h.Mth" in f.message


def test_missing_nolock_on_one_of_two_tables(full_catalog):
    a = analyze(FULL_JOIN.replace("APTL l WITH (NOLOCK)", "APTL l"), full_catalog)
    assert [(f.rule, f.object) for f in a.findings] == [("missing_nolock", "APTL")]
    assert [t.nolock for t in a.tables] == [True, False]


def test_no_company_filter(full_catalog):
    a = analyze("SELECT Vendor FROM APTH WITH (NOLOCK) WHERE Vendor = 5", full_catalog)
    assert a.company_filter is False and a.rules() == {"missing_company_filter"}
    assert analyze("SELECT Vendor FROM APTH WITH (NOLOCK) WHERE Vendor = 5", full_catalog,
                   require_company_filter=False).ok  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("UPDATE APTH SET Description = 'x' WHERE APCo = 1", "UPDATE"),
        ("DELETE FROM APTH WHERE APCo = 1", "DELETE"),
        ("EXEC dbo.bspAPHBPost 1", "EXEC"),
        ("DROP TABLE APTL", "DROP"),
        ("INSERT INTO APVM (VendorGroup, Vendor) VALUES (1, 1)", "INSERT"),
    ],
)
def test_writes_are_flagged_and_allowed_on_request(full_catalog, sql, kind):
    a = analyze(sql, full_catalog)
    assert a.statements == (kind,)
    assert "not_select" in a.rules() and not a.ok
    assert "not_select" not in analyze(sql, full_catalog, require_select=False).rules()


@pytest.mark.parametrize(
    "text",
    ["", "   \n", "Show me the unpaid AP invoices", "I'm sorry, I can't do that.", "SELECT (((", "WITH x AS (",
     "SELECT * FROM APTH WHERE", "```sql", "/* unterminated", "'", "GO", ";;;"],
)  # fmt: skip
def test_non_sql_gives_parse_error_without_raising(full_catalog, text):
    a = analyze(text, full_catalog)
    assert not a.parsed and not a.ok
    assert "parse_error" in a.rules()


def test_parse_error_has_a_position():
    stmts, err = parse_script("SELECT h.Vendor\nFROM APTH h\nWHERE AND")
    assert stmts == [] and (err.line, err.col) == (3, 7) and "AND" in err.message


def test_lower_case_object_is_a_case_error(full_catalog):
    a = analyze("SELECT * FROM apth WITH (NOLOCK) WHERE APCo = 1", full_catalog)
    (f,) = a.errors
    assert f.rule == "object_case" and "APTH" in f.message and "binary" in f.message
    assert a.tables[0].resolved == "APTH"


def test_real_names_that_look_invented(full_catalog):
    a = analyze("SELECT d.HoldCode FROM APHD d WITH (NOLOCK) WHERE d.APCo = 1", full_catalog)
    assert a.ok and a.catalog_objects == ("APHD",)
    assert analyze("SELECT c.HQCo FROM Companies c WITH (NOLOCK)", full_catalog).ok


def test_constructs_are_classified(full_catalog):
    sql = """
    DECLARE @APCo bCompany = 1
    DECLARE @v TABLE (Vendor int)
    ;WITH inv AS (SELECT APCo, Vendor FROM APTH WITH (NOLOCK) WHERE APCo = @APCo)
    SELECT i.Vendor, x.n, ROW_NUMBER() OVER (ORDER BY i.Vendor) AS rn
    FROM inv i
    CROSS APPLY (SELECT COUNT(*) AS n FROM #lines t WHERE t.Vendor = i.Vendor) x
    OUTER APPLY dbo.vfVendorInfo(i.Vendor) f
    JOIN @v v ON v.Vendor = i.Vendor
    UNION
    SELECT Vendor, 0, 0 FROM [dbo].[APTH] WITH (NOLOCK) WHERE APCo = @APCo
    """
    a = analyze(sql, full_catalog)
    assert a.ok, a.findings
    assert a.statements == ("DECLARE", "DECLARE", "SELECT")
    kinds = {(t.name, t.kind) for t in a.tables}
    assert {("inv", "cte"), ("#lines", "temp"), ("@v", "table_variable"), ("APTH", "catalog")} <= kinds
    assert a.extra["ctes"] == ["inv"]
    assert a.catalog_objects == ("APTH",)


def test_to_dict_is_json_ready(full_catalog):
    import json

    d = analyze(FULL_JOIN.replace("AND l.Mth = h.Mth ", ""), full_catalog).to_dict()
    again = json.loads(json.dumps(d))
    assert again["ok"] is False and again["error_count"] == 1
    assert again["joins"][0]["required"][1] == ["Mth", "Mth"]
    assert again["findings"][0]["rule"] == "incomplete_join"


def test_small_catalog_from_records():
    cat = Catalog.from_records(None, [{"ObjectName": "JCJM", "ColumnName": c} for c in ("JCCo", "Job", "Description")])
    a = analyze("SELECT j.Job, j.Descr FROM JCJM j WITH (NOLOCK) WHERE j.JCCo = 1", cat)
    assert [(f.rule, f.column) for f in a.findings] == [("unknown_column", "Descr")]
    assert "Did you mean 'Description'?" in a.findings[0].message


def test_findings_are_ordered_by_position(full_catalog):
    a = analyze("SELECT h.vendor, h.Nope FROM APTH h WHERE h.APCo = 1", full_catalog)
    positions = [(f.line, f.col) for f in a.findings]
    assert positions == sorted(positions) and len(positions) == 3


def test_non_string_input_is_a_programming_error(full_catalog):
    with pytest.raises(SqlAnalysisError, match="needs the SQL text as a str, got bytes"):
        analyze(b"SELECT 1", full_catalog)


def test_fragments_of_real_sql_get_a_consistent_analysis(full_catalog):
    """Any cut of real SQL gets an answer, never an exception: unparseable text is a parse_error finding,
    every finding names a known rule and severity at a position inside the text, ``ok`` agrees with the
    findings, and the same text always gets the same analysis."""
    import random

    from vgpt_dagster.sql import findings as F

    rules = {v for k, v in vars(F).items() if k.isupper() and isinstance(v, str)} - {F.ERROR, F.WARNING, F.INFO}
    rng = random.Random(7)
    pieces = [
        FULL_JOIN,
        "DECLARE @t TABLE (a int) INSERT INTO @t SELECT 1 IF 1=1 BEGIN SELECT a FROM @t END",
        "MERGE INTO APTH t USING APTL s ON t.APCo = s.APCo WHEN MATCHED THEN UPDATE SET t.Description = 'x';",
    ]
    outcomes = set()
    for _ in range(300):
        text = rng.choice(pieces)
        a, b = sorted(rng.sample(range(len(text) + 1), 2))
        frag = text[a:b]
        r = analyze(frag, full_catalog)
        for f in r.findings:
            assert f.rule in rules and f.severity in (F.ERROR, F.WARNING, F.INFO), (frag, f)
            assert f.line is None or 1 <= f.line <= frag.count("\n") + 1, (frag, f)
        assert r.ok == (r.parsed and not any(f.severity == F.ERROR for f in r.findings)), frag
        if not r.parsed:
            assert F.PARSE_ERROR in r.rules(), frag
        assert analyze(frag, full_catalog).to_dict() == r.to_dict(), frag
        outcomes.add("ok" if r.ok else "parse_error" if F.PARSE_ERROR in r.rules() else "finding")
    assert outcomes == {"ok", "parse_error", "finding"}  # the cuts reach every kind of outcome
