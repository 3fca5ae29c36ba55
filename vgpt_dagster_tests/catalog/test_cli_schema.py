"""`vgpt schema show` / `vgpt schema list`: exit codes, text and stable JSON."""

import json

import pytest

from vgpt_dagster.cli import main

SHOW_KEYS = [
    "query",
    "found",
    "name",
    "exact_spelling",
    "note",
    "kind",
    "base_table",
    "views",
    "module",
    "label",
    "description",
    "business_key",
    "company_column",
    "keys",
    "foreign_keys",
    "columns",
]
COLUMN_KEYS = ["name", "ordinal", "data_type", "base_type", "type_sql", "base_type_sql", "nullable", "is_identity"]


@pytest.fixture
def small(fixture_dir):
    return ["--schema", str(fixture_dir / "vista_small")]


def test_show_view_text(capsys, small):
    assert main(["schema", "show", "APTL", *small]) == 0
    out = capsys.readouterr().out
    assert out.startswith("APTL: AP Transaction Lines")
    assert "view over table bAPTL" in out
    assert "module:         AP" in out
    assert "business key:   APCo, Mth, APTrans, APLine" in out
    assert "company column: APCo" in out
    assert "APCo" in out and "bCompany (tinyint) NOT NULL" in out
    assert "KeyID" in out and "IDENTITY" in out


def test_show_table_names_its_view(capsys, small):
    assert main(["schema", "show", "bGLAC", *small]) == 0
    out = capsys.readouterr().out
    assert "table; query it through view GLAC" in out
    assert "business key:   GLCo, GLAcct" in out
    assert "foreign key:    bGLAC: GLCo -> bGLCO.GLCo (FK_bGLAC_bGLCO_GLCo)" in out


def test_show_case_mismatch_says_exact_spelling(capsys, small):
    assert main(["schema", "show", "aptl", *small]) == 0
    out = capsys.readouterr().out
    assert out.startswith("APTL: ")
    assert "note: 'aptl' is spelled 'APTL' in Vista. The database collation is binary" in out


def test_show_unknown_exits_1_with_suggestions(capsys, small):
    assert main(["schema", "show", "APHeader", *small]) == 1
    assert "'APHeader' is not a table or view in the Vista catalog. Did you mean 'APTH'" in capsys.readouterr().out


def test_show_json_is_stable(capsys, small):
    assert main(["schema", "show", "APTH", "--json", *small]) == 0
    d = json.loads(capsys.readouterr().out)
    assert list(d) == SHOW_KEYS
    assert list(d["columns"][0]) == COLUMN_KEYS
    assert d["business_key"] == ["APCo", "Mth", "APTrans"]
    assert (d["kind"], d["base_table"], d["module"], d["company_column"]) == ("view", "bAPTH", "AP", "APCo")
    assert {"name": "biAPTH", "kind": "UNIQUE CLUSTERED INDEX", "columns": ["APCo", "Mth", "APTrans"]} in d["keys"]
    assert d["columns"][0] == {
        "name": "APCo",
        "ordinal": 1,
        "data_type": "bCompany",
        "base_type": "tinyint",
        "type_sql": "bCompany",
        "base_type_sql": "tinyint",
        "nullable": False,
        "is_identity": False,
    }


def test_show_json_unknown(capsys, small):
    assert main(["schema", "show", "Invoice", "--json", *small]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["found"] is False and d["suggestions"][:2] == ["APTH", "APTL"]


def test_show_default_schema_is_the_embedded_catalog(capsys):
    assert main(["schema", "show", "SMWorkOrder", "--json"]) == 0  # not in the fixture
    assert json.loads(capsys.readouterr().out)["module"] == "SM"


def test_show_from_information_schema_csv(capsys, fixture_dir):
    assert main(["schema", "show", "APTL", "--schema", str(fixture_dir / "information_schema_small.csv")]) == 0
    out = capsys.readouterr().out
    assert "view over table bAPTL" in out and "business key:   (none declared)" in out


def test_bad_schema_path_exits_2(capsys, tmp_path):
    assert main(["schema", "show", "APTL", "--schema", str(tmp_path)]) == 2
    assert "no columns.json" in capsys.readouterr().err


def test_list_module_text_and_json(capsys, small):
    assert main(["schema", "list", "--module", "ap", *small]) == 0
    out = capsys.readouterr().out
    assert "APTL" in out and "bAPTL" in out and "ARTH" not in out and out.rstrip().endswith("10 objects")
    assert main(["schema", "list", "--module", "GL", "--kind", "view", "--json", *small]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["GLAC", "GLCO"]
    assert list(rows[0]) == ["name", "kind", "base_table", "module", "columns"]


def test_list_unknown_module_exits_2(capsys, small):
    assert main(["schema", "list", "--module", "APP", *small]) == 2
    assert "module 'APP' is not in the catalog. Did you mean 'AP'?" in capsys.readouterr().err
