"""The analyzer on procedural T-SQL written in Vista's style (fixtures/procedural/*.sql).

Each fixture marks the first line of every data statement with ``-- @data KIND`` and a statement that must
not parse with ``-- @bad``; the markers are written by hand, so the tests compare the analyzer against the
author's reading of the file, not against its own output.
"""

import json
import re
from pathlib import Path

import pytest

from vgpt_dagster.cli import main
from vgpt_dagster.sql.analyze import analyze

PROCS = Path(__file__).resolve().parent / "fixtures" / "procedural"
FILES = sorted(PROCS.glob("*.sql"))
_MARK = re.compile(r"--\s*@data\s+(\w+)")
_FALSE_ALARMS = {"unknown_object", "unknown_column", "object_case", "column_case"}


def _marked(text: str) -> tuple[list[tuple[int, int, str]], list[int]]:
    data, bad = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        m = _MARK.search(line)
        if m:
            data.append((n, len(line) - len(line.lstrip()) + 1, m.group(1)))
        if "-- @bad" in line:
            bad.append(n)
    return data, bad


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.fixture(scope="module")
def analyses(full_catalog):
    return {p.name: analyze(p.read_text(), full_catalog, require_select=False) for p in FILES}


def test_fixture_set_covers_the_brief():
    names = {p.name for p in FILES}
    assert {"bspAPVendorInvTotals.sql", "vtAPVMi.sql", "vrvAPColumnInfo.sql", "vfAPOpenInvoices.sql"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_data_statement_found_at_its_line(path, analyses):
    text = path.read_text()
    want, bad = _marked(text)
    a = analyses[path.name]
    got = [(s.line, s.col, s.kind) for s in a.report.statements]
    assert got == want, "\n".join(f"{s.line}:{s.col} {s.kind} {s.objects}" for s in a.report.statements)
    assert [u["line"] for u in a.report.unparseable] == bad
    assert a.report.analysed == a.report.found - len(bad)
    false_alarms = [f for f in a.findings if f.rule in _FALSE_ALARMS]
    assert not false_alarms, false_alarms


def test_one_bad_statement_is_isolated(analyses):
    a = analyses["bspAPOneBadStatement.sql"]
    assert [f.rule for f in a.findings] == ["parse_error"]
    (u,) = a.report.unparseable
    assert (u["line"], u["col"], u["module"]) == (9, 1, "dbo.bspAPOneBadStatement")
    assert u["error_line"] == 9 and "near '='" in u["reason"]
    kinds = [s.kind for s in a.report.statements]
    assert kinds == ["SELECT", "UPDATE"]  # the statements before and after it are analysed


def test_procedure_modules_and_control_flow(analyses):
    a = analyses["bspAPVendorInvTotals.sql"]
    assert [(m["kind"], m["name"], m["line"]) for m in a.report.modules] == [
        ("PROCEDURE", "dbo.bspAPVendorInvTotals", 5)
    ]
    for kind in ("LABEL", "GOTO", "DECLARE CURSOR", "OPEN", "FETCH", "CLOSE", "DEALLOCATE", "RETURN", "GRANT"):
        assert kind in a.statements, kind
    assert a.report.objects["temp"] == ("#APTotals",)
    assert "table_variable" not in a.report.objects  # exec (@sql) is dynamic text, not a table


def test_cursor_query_is_checked_and_reads_feeding_writes_are_not(analyses):
    text = (PROCS / "bspAPVendorInvTotals.sql").read_text()
    a = analyses["bspAPVendorInvTotals.sql"]
    nolock = [(f.line, f.object) for f in a.findings if f.rule == "missing_nolock"]
    assert nolock == [(_line_of(text, "from dbo.APTH h"), "APTH")]  # the cursor query; DELETE ... JOIN is not


def test_trigger_pseudo_tables_and_company_pinned_through_inserted(analyses, full_catalog):
    a = analyses["vtAPVMi.sql"]
    assert set(a.report.objects["pseudo"]) == {"inserted", "deleted"}
    assert [m["table"] for m in a.report.modules] == ["dbo.APVM", "dbo.bAPTH"]
    assert "missing_company_filter" not in a.rules()  # c.APCo = i.APCo pins bAPCO to the changed rows
    outside = analyze("SELECT i.Name FROM inserted i", full_catalog, require_nolock=False)
    assert outside.rules() == {"unknown_object"}  # outside a trigger, `inserted` is nothing SQL Server knows


def test_view_over_the_system_catalog(analyses):
    a = analyses["vrvAPColumnInfo.sql"]
    assert set(a.report.objects) == {"system"}
    assert {"sysobjects", "syscolumns", "systypes", "sys.objects", "INFORMATION_SCHEMA.COLUMNS"} <= set(
        a.report.objects["system"]
    )
    assert a.ok


def test_not_select_reports_each_module_once(full_catalog):
    a = analyze((PROCS / "bspAPVendorInvTotals.sql").read_text(), full_catalog)
    flagged = [(f.line, f.message.split(":")[0]) for f in a.findings if f.rule == "not_select"]
    assert flagged == [
        (5, "CREATE PROCEDURE defines dbo.bspAPVendorInvTotals"),
        (_line_of(a.sql, "GRANT EXECUTE"), "GRANT is an administrative command"),
    ]


def test_inline_function_body_is_the_returned_query(analyses):
    a = analyses["vfAPOpenInvoices.sql"]
    first = a.report.statements[0]
    assert (first.module, first.objects) == ("dbo.vfAPOpenInvoices", ("APTH", "APTD"))
    assert a.ok and a.company_filter is True


def test_cli_file_report_text_and_json(capsys):
    path = str(PROCS / "bspAPOneBadStatement.sql")
    assert main(["sql", "check", "--allow-writes", "-f", path]) == 1
    out = capsys.readouterr().out
    assert "statements: 9 found, 8 analysed (2 reading or writing rows), 1 unparseable" in out
    assert "unparseable at Line 9, Col 1:" in out and "module: CREATE PROCEDURE dbo.bspAPOneBadStatement" in out
    assert main(["sql", "check", "--allow-writes", "--json", "-f", path]) == 1
    report = json.loads(capsys.readouterr().out)["report"]
    assert (report["found"], report["analysed"], len(report["unparseable"])) == (9, 8, 1)
    assert [s["kind"] for s in report["statements"]] == ["SELECT", "UPDATE"]
    assert main(["sql", "check", "-f", str(PROCS / "bspAPVendorInvTotals.sql")]) == 1
    summary = capsys.readouterr().out.splitlines()[-4]  # a long procedure: kinds are counted, not listed
    assert "CREATE PROCEDURE x1" in summary and "LABEL x1" in summary and "GOTO x3" in summary


def test_sql_corpus_mines_selects_inside_modules(full_catalog):
    from vgpt_dagster.datasets.corpus import mine_sql_corpus_files

    examples, skipped, files = mine_sql_corpus_files(PROCS, full_catalog)
    by_proc = {r["procedure"]: r for r in examples.to_dicts()}
    assert set(by_proc) == {"dbo.bspAPVendorInvTotals", "dbo.vfAPOpenInvoices"}  # the cursor query, the TVF body
    cursor_sql = by_proc["dbo.bspAPVendorInvTotals"]["sqls"][0]
    assert cursor_sql.startswith("select h.APTrans, h.InvTotal") and "from dbo.APTH h WITH (NOLOCK)" in cursor_sql
    assert "procedure dbo.bspAPVendorInvTotals" in by_proc["dbo.bspAPVendorInvTotals"]["instruction"]
    reasons = {(r["procedure"], r["reason"].split(":")[0]) for r in skipped.to_dicts()}
    assert ("dbo.bspAPOneBadStatement", "parse_error") in reasons
    assert any(p == "dbo.vrvAPColumnInfo" and r.startswith("reads no Vista table") for p, r in reasons)
    counts = {r["file"]: r for r in files.to_dicts()}
    proc = counts["bspAPVendorInvTotals.sql"]
    assert (proc["selects"], proc["mined"], proc["unparseable"]) == (1, 1, 0)
    assert proc["assignments"] == 1  # select @msg = v.Name from APVM ...: sets a variable, returns no rows
    assert counts["bspAPOneBadStatement.sql"]["unparseable"] == 1


@pytest.mark.parametrize(
    ("sql", "objects"),
    [
        # DELETE without FROM: the target is a table, its columns are checked against it
        ("CREATE PROCEDURE dbo.p (@co bCompany) AS\ndelete bAPTH where APCo = @co and Mth = null",
         {"catalog": ("bAPTH",)}),
        # #t.col qualifies with the temp table's own name
        ("CREATE PROCEDURE dbo.p AS\nselect #w.APCo, h.Vendor from #w join APTH h with (nolock) on h.APCo = #w.APCo",
         {"temp": ("#w",), "catalog": ("APTH",)}),
        # a table the script creates is not unknown later on; another database's table is not Vista's
        ("CREATE PROCEDURE dbo.p AS\nselect * into bud_bak from APTH with (nolock) where APCo = 1\n"
         "select count(*) from bud_bak\nselect x.a from Conv.dbo.PROBLEMS x\ndrop table bud_bak",
         {"catalog": ("APTH",), "created": ("bud_bak",), "external": ("PROBLEMS",)}),
        # a table-valued function is referenced by its name; UPDATE ... FROM (derived) a JOIN (derived) b
        ("CREATE PROCEDURE dbo.p (@co bCompany) AS\nupdate #e set Hrs = 1 from (select APCo from #e) a\n"
         "join (select APCo from #e) b on a.APCo = b.APCo join dbo.vfAPX(@co) on vfAPX.APCo = a.APCo",
         {"temp": ("#e",), "derived": None, "function": ("vfAPX",)}),
        # DELETE t FROM deleted WHERE deleted.k = t.k: the target is a source of the query, not an unknown alias
        ("CREATE TRIGGER dbo.btAPTHd ON dbo.bAPTH FOR DELETE AS\n"
         "delete bAPTD from deleted where deleted.APCo = bAPTD.APCo and deleted.Mth = bAPTD.Mth\n"
         "delete from bAPTL from deleted d where bAPTL.APCo = d.APCo and bAPTL.APTrans = d.APTrans",
         {"catalog": ("bAPTD", "bAPTL"), "pseudo": ("deleted",)}),
    ],
    ids=["delete-without-from", "temp-qualifier", "created-and-external", "function-and-derived-joins",
         "delete-target-joins-implicitly"],
)  # fmt: skip
def test_real_code_constructs_bind_without_false_findings(full_catalog, sql, objects):
    a = analyze(sql, full_catalog, require_select=False)
    assert not a.rules() & (_FALSE_ALARMS | {"parse_error"}), [f.message for f in a.findings]
    for kind, names in objects.items():
        if names is not None:
            assert a.report.objects[kind] == names, a.report.objects


def test_three_part_names_outside_modules_stay_unknown(full_catalog):
    a = analyze("SELECT x.a FROM Other.dbo.Invoice x", full_catalog, require_nolock=False)
    assert a.rules() == {"unknown_object"}  # a query (a model's answer) may not invent databases


def test_sql_corpus_artifact_writes_per_file_counts(full_catalog, tmp_path):
    import polars as pl

    from vgpt_dagster.datasets.build import build_sql_corpus_artifact
    from vgpt_dagster.datasets.config import load_datasets_config
    from vgpt_dagster.paths import ProjectPaths

    cfg = load_datasets_config(ProjectPaths.from_env().configs / "datasets.yaml").model_copy(
        update={"user_sql_dir": PROCS}
    )
    result = build_sql_corpus_artifact(full_catalog, cfg, ProjectPaths(tmp_path))
    files = pl.read_parquet(tmp_path / "data" / "datasets" / "sql_corpus" / "files.parquet")
    assert sorted(files["file"].to_list()) == sorted(p.name for p in FILES)
    assert files["mined"].sum() == pl.read_parquet(result.outputs["examples"]).height == result.rows["examples"] == 2
    assert result.rows["files"] == len(FILES) and "| bspAPVendorInvTotals.sql |" in result.metadata["files"]


@pytest.mark.parametrize(
    "sql",
    ["fetch bcAPTH into @a, @b", "fetch next from bcAPTH into @a", "raiserror 50001 @msg", "close global bc",
     "deallocate @cur", "return (@rcode)", "print 'Done: ' + @msg", "throw;", "waitfor delay '00:00:05'"],
)  # fmt: skip
def test_control_statements_in_their_t_sql_shapes(sql, full_catalog):
    a = analyze(f"CREATE PROCEDURE dbo.p AS\n{sql}", full_catalog, require_select=False)
    assert a.ok and a.report.analysed == a.report.found == 2, [f.message for f in a.findings]
