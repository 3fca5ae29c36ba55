"""`vgpt sql check`: output format, exit codes and the --json shape."""

import json

import pytest

from vgpt_dagster.cli import main

OK_SQL = "SELECT h.Vendor FROM APTH h WITH (NOLOCK) WHERE h.APCo = @APCo"


def test_clean_query_exits_0(capsys):
    assert main(["sql", "check", OK_SQL]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK;") and "APTH" in out


def test_findings_are_printed_with_position_and_exit_1(capsys):
    assert main(["sql", "check", "SELECT * FROM Invoice WITH (NOLOCK)"]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Line 1, Col 15: [error] unknown_object: 'Invoice' is not a table or view")


def test_file_and_options(tmp_path, capsys):
    f = tmp_path / "q.sql"
    f.write_text("\ufeffUPDATE APTH SET Description = 'x'", encoding="utf-8")  # BOM from a Windows editor
    assert main(["sql", "check", "-f", str(f)]) == 1
    assert "not_select" in capsys.readouterr().out
    assert main(["sql", "check", "-f", str(f), "--allow-writes", "--no-company-filter"]) == 0


def test_json_shape(capsys):
    assert main(["sql", "check", "--json", "SELECT Vendor FROM APTH WITH (NOLOCK)"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert set(d) == {"sql", "parsed", "statements", "tables", "joins", "findings", "company_filter", "extra", "ok",
                      "error_count", "report"}  # fmt: skip
    assert (d["report"]["found"], d["report"]["analysed"], d["report"]["data"]) == (1, 1, 1)
    assert d["report"]["objects"] == {"catalog": ["APTH"]}
    assert d["findings"][0] == {
        "rule": "missing_company_filter", "severity": "error", "line": 1, "col": 1, "object": "APTH", "column": None,
        "message": d["findings"][0]["message"],
    }  # fmt: skip
    assert d["tables"] == [{"name": "APTH", "resolved": "APTH", "alias": None, "nolock": True, "kind": "catalog"}]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sql", "check"], "no SQL given"),
        (["sql", "check", "SELECT 1", "-f", "x.sql"], "not both"),
        (["sql", "check", "-f", "/no/such/file.sql"], "no such file"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_schema_path_exits_2(capsys, tmp_path):
    assert main(["sql", "check", OK_SQL, "--schema", str(tmp_path / "missing")]) == 2
    assert "error:" in capsys.readouterr().err
