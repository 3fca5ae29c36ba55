"""add_nolock / format_sql: normalising user SQL into training conventions."""

import pytest

from vgpt_dagster.errors import SqlAnalysisError
from vgpt_dagster.sql.analyze import analyze
from vgpt_dagster.sql.rewrite import add_nolock, format_sql


def test_add_nolock_with_catalog_touches_only_catalog_tables(full_catalog):
    sql = (
        "WITH c AS (SELECT APCo FROM APTL WHERE APCo = 1)\n"
        "SELECT h.Vendor FROM [dbo].[APTH] AS [h] JOIN c ON c.APCo = h.APCo JOIN #t t ON t.x = h.Vendor\n"
        "JOIN Invoice i ON 1 = 1 WHERE h.APCo = 1 -- keep this comment"
    )
    out = add_nolock(sql, full_catalog)
    assert out == (
        "WITH c AS (SELECT APCo FROM APTL WITH (NOLOCK) WHERE APCo = 1)\n"
        "SELECT h.Vendor FROM [dbo].[APTH] AS [h] WITH (NOLOCK) JOIN c ON c.APCo = h.APCo JOIN #t t ON t.x = h.Vendor\n"
        "JOIN Invoice i ON 1 = 1 WHERE h.APCo = 1 -- keep this comment"
    )
    assert "missing_nolock" not in analyze(out, full_catalog).rules()


def test_add_nolock_leaves_write_targets_and_existing_hints():
    sql = "INSERT INTO #t SELECT Vendor FROM APTH (NOLOCK); UPDATE APVM SET Name = 'x' WHERE Vendor = 1"
    assert add_nolock(sql) == sql


def test_add_nolock_is_idempotent(full_catalog):
    once = add_nolock("SELECT * FROM APTH h, APTL", full_catalog)
    assert once == "SELECT * FROM APTH h WITH (NOLOCK), APTL WITH (NOLOCK)"
    assert add_nolock(once, full_catalog) == once


def test_format_sql_keeps_hints_and_statements():
    out = format_sql("declare @APCo int = 1\nselect h.Vendor from APTH h with (nolock) where h.APCo = @APCo")
    assert out.startswith("DECLARE @APCo")
    assert "FROM APTH AS h WITH (NOLOCK)" in out
    assert out.count("\n\n") == 1


@pytest.mark.parametrize("fn", [add_nolock, format_sql])
def test_unparseable_sql_is_an_error(fn):
    with pytest.raises(SqlAnalysisError, match=r"cannot parse the SQL \(Line 1, Col 13: .*WHERE"):
        fn("SELECT FROM WHERE")
