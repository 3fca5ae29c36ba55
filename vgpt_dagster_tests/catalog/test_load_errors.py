"""Every bad-input case is a CatalogError naming file, position/record, field and the fix (or a warning)."""

import gzip
import json
import logging
import shutil
from pathlib import Path

import pytest

from vgpt_dagster.catalog.load import load_catalog
from vgpt_dagster.errors import CatalogError


@pytest.fixture
def export(tmp_path, fixture_dir) -> Path:
    return Path(shutil.copytree(fixture_dir / "vista_small", tmp_path / "export"))


def _rewrite(path: Path, edit) -> None:
    rows = json.loads(path.read_text())
    edit(rows)
    path.write_text(json.dumps(rows))


def test_missing_path():
    with pytest.raises(CatalogError, match=r"nowhere: schema input not found\. Point --schema"):
        load_catalog(Path("/nowhere"))


def test_missing_columns_json(export):
    (export / "columns.json").unlink()
    with pytest.raises(
        CatalogError, match=r"export: no columns\.json \(or columns\.json\.gz\) found; it is the one required"
    ):
        load_catalog(export)


def test_not_a_schema_file(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(CatalogError, match=r"notes\.txt: not a schema input"):
        load_catalog(tmp_path / "notes.txt")


def test_malformed_json_reports_line_and_column(export):
    text = (export / "columns.json").read_text().splitlines()
    text[3] = text[3].replace('","ColumnName"', '" "ColumnName"', 1)  # drop a comma on line 4
    (export / "columns.json").write_text("\n".join(text))
    with pytest.raises(
        CatalogError, match=r"columns\.json: line 4, column \d+: not valid JSON \(Expecting ',' delimiter\)"
    ):
        load_catalog(export)


def test_malformed_gzip_json_names_the_file(export):
    (export / "keys.json").unlink()
    (export / "keys.json.gz").write_bytes(gzip.compress(b'[\n{"ObjectName": "bAPTH",\n'))
    with pytest.raises(CatalogError, match=r"keys\.json\.gz: line 3, column 1: not valid JSON"):
        load_catalog(export)


def test_truncated_gzip_is_a_catalog_error(export):
    (export / "keys.json").unlink()
    (export / "keys.json.gz").write_bytes(gzip.compress(b"[]")[:-6])
    with pytest.raises(CatalogError, match=r"keys\.json\.gz: cannot read the file"):
        load_catalog(export)


def test_record_missing_required_field_reports_index_and_field(export):
    _rewrite(export / "columns.json", lambda rows: rows[5].pop("ColumnName"))
    with pytest.raises(
        CatalogError, match=r"columns\.json: record 5 \(bAPHD\): required field 'ColumnName' is missing"
    ):
        load_catalog(export)


def test_tables_record_without_name(export):
    _rewrite(export / "tables.json", lambda rows: rows[2].pop("name"))
    with pytest.raises(CatalogError, match=r"tables\.json: record 2: required field 'name' \(or 'TABLE_NAME'\)"):
        load_catalog(export)


def test_key_record_missing_columns(export):
    _rewrite(export / "keys.json", lambda rows: rows[0].pop("Columns"))
    with pytest.raises(CatalogError, match=r"keys\.json: record 0 \(\w+\): required field 'Columns' is missing"):
        load_catalog(export)


@pytest.mark.parametrize(
    ("stem", "index", "field", "value", "message"),
    [
        (
            "columns",
            3,
            "OrdinalPosition",
            "4",
            r"record 3 \(bAPHD\.APLine\): field 'OrdinalPosition' must be an integer or null, got '4'",
        ),
        ("columns", 0, "ObjectName", 7, r"record 0: field 'ObjectName' must be a string, got 7"),
        (
            "columns",
            1,
            "IsNullable",
            "maybe",
            r"record 1 \(bAPHD\.Mth\): field 'IsNullable' must be \"True\"/\"False\"",
        ),
        ("columns", 2, "MaxLength", True, r"field 'MaxLength' must be an integer or null, got True"),
        ("keys", 0, "Columns", "APCo", r"keys\.json: record 0 \(\w+\): field 'Columns' must be a list, got 'APCo'"),
        ("keys", 0, "Columns", [], r"field 'Columns' must be a non-empty list of column names"),
        (
            "tables",
            0,
            "type",
            "PROCEDURE",
            r"tables\.json: record 0 \(\w+\): field 'type' must be TABLE, VIEW or BASE TABLE",
        ),
        ("foreign_keys", 0, "ChildColumns", ["GLCo", "GLAcct"], r"ParentColumns has 1 columns but ChildColumns has 2"),
    ],
)
def test_wrong_field_type(export, stem, index, field, value, message):
    def edit(rows):
        rows[index][field] = value

    _rewrite(export / f"{stem}.json", edit)
    with pytest.raises(CatalogError, match=message):
        load_catalog(export)


def test_record_that_is_not_an_object(export):
    _rewrite(export / "foreign_keys.json", lambda rows: rows.append(["bGLAC"]))
    with pytest.raises(
        CatalogError, match=r"foreign_keys\.json: record 2 is a list, expected an object with fields ParentTable"
    ):
        load_catalog(export)


def test_top_level_not_a_list(export):
    (export / "keys.json").write_text('{"ObjectName": "bAPTH"}')
    with pytest.raises(
        CatalogError, match=r"keys\.json: expected a JSON list of records at the top level, got an object"
    ):
        load_catalog(export)


def test_udt_types_wrong_shape(export):
    (export / "udt_types.json").write_text('[{"bCompany": "tinyint"}]')
    with pytest.raises(CatalogError, match=r"udt_types\.json: expected one JSON object keyed by type name"):
        load_catalog(export)
    (export / "udt_types.json").write_text('{"bCompany": {"MaxLength": null}}')
    with pytest.raises(
        CatalogError, match=r"udt_types\.json: record 0 \(bCompany\): required field 'BaseType' is missing"
    ):
        load_catalog(export)


def test_empty_catalog(export):
    (export / "columns.json").write_text("[]")
    with pytest.raises(CatalogError, match=r"columns\.json: holds no column records, so the catalog would be empty"):
        load_catalog(export)


def test_several_tables_lists_is_ambiguous(export):
    (export / "tables.json").rename(export / "vista_tables.json")
    shutil.copy(export / "vista_tables.json", export / "old_tables.json")
    with pytest.raises(CatalogError, match=r"several tables lists \(old_tables\.json, vista_tables\.json\); keep one"):
        load_catalog(export)


def test_duplicate_columns_warn_with_counts_and_keep_first(export, caplog):
    def edit(rows):
        first = next(r for r in rows if r["ObjectName"] == "APTH" and r["ColumnName"] == "APCo")
        rows.append({**first, "DataType": "int", "BaseType": "int"})
        rows.append({**first, "DataType": "int", "BaseType": "int"})
        rows.append({**next(r for r in rows if r["ObjectName"] == "bGLAC"), "OrdinalPosition": 999})

    _rewrite(export / "columns.json", edit)
    with caplog.at_level(logging.WARNING, logger="vgpt_dagster.catalog.load"):
        cat = load_catalog(export)
    assert len(cat.warnings) == 1
    assert "3 duplicate column record(s) in 2 object(s), e.g. APTH.APCo (records" in cat.warnings[0]
    assert "kept the first of each" in cat.warnings[0]
    assert cat.warnings[0] in caplog.text
    assert cat.column("APTH", "APCo").data_type == "bCompany"  # the first record won
    assert [c.name for c in cat.columns("APTH")].count("APCo") == 1


def test_csv_missing_required_header(tmp_path):
    p = tmp_path / "cols.csv"
    p.write_text("\ufeffTABLE_NAME,COLUMN,DATA_TYPE\nAPTH,APCo,tinyint\n", encoding="utf-8")
    with pytest.raises(
        CatalogError, match=r"cols\.csv: line 1: the header has no COLUMN_NAME column\. Did you mean 'COLUMN'\?"
    ):
        load_catalog(p)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("APTH,APCo,x,tinyint,YES", r"line 3: ORDINAL_POSITION must be a whole number or NULL, got 'x'"),
        ("APTH,APCo,1,tinyint,maybe", r"line 3: IS_NULLABLE must be YES or NO, got 'maybe'"),
        ("APTH,NULL,1,tinyint,YES", r"line 3: COLUMN_NAME is empty"),
        ("APTH,APCo,1", r"line 3: 3 cells but the header has 5"),
    ],
)
def test_csv_bad_rows_name_the_line(tmp_path, row, message):
    p = tmp_path / "cols.csv"
    p.write_text(
        f"TABLE_NAME,COLUMN_NAME,ORDINAL_POSITION,DATA_TYPE,IS_NULLABLE\nAPTH,Mth,2,smalldatetime,NO\n{row}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match=message):
        load_catalog(p)


def test_csv_with_header_only_is_empty(tmp_path):
    p = tmp_path / "cols.csv"
    p.write_text("TABLE_NAME,COLUMN_NAME,DATA_TYPE\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"cols\.csv: holds no column records"):
        load_catalog(p)


def test_non_utf8_file(tmp_path):
    p = tmp_path / "cols.csv"
    p.write_bytes("TABLE_NAME,COLUMN_NAME,DATA_TYPE\nAPTH,Desc\xe9,varchar\n".encode("latin-1"))
    with pytest.raises(CatalogError, match=r"cols\.csv: byte \d+ is not UTF-8.*Save the CSV as UTF-8"):
        load_catalog(p)


def test_store_with_wrong_format_marker(tmp_path, small_catalog):
    from vgpt_dagster.catalog.store import write_catalog

    write_catalog(small_catalog, tmp_path / "store")
    (tmp_path / "store" / "manifest.json").write_text('{"format": "something-else"}')
    with pytest.raises(CatalogError, match=r"manifest\.json: not a catalog store \(format 'something-else'"):
        load_catalog(tmp_path / "store")


def test_observed_joins_optional_file_loads_and_round_trips(export, tmp_path):
    from vgpt_dagster.catalog.store import read_catalog, write_catalog

    row = {"left": "bAPTH", "right": "bAPVM", "on": [["Vendor", "Vendor"], ["VendorGroup", "VendorGroup"]], "uses": 30}
    (export / "observed_joins.json").write_text(json.dumps([row]))
    cat = load_catalog(export)
    assert cat.join_evidence("APTH", "APVM").kind == "observed"
    write_catalog(cat, tmp_path / "store")
    assert read_catalog(tmp_path / "store").join_keys("APTH", "APVM") == cat.join_keys("APTH", "APVM")


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"on": [["APCo"]]}, r"record 0 \(bAPTH-bAPVM\): field 'on' must be a non-empty list of \[left_column"),
        ({"uses": 0}, r"field 'uses' must be at least 1"),
        ({"uses": "many"}, r"field 'uses' must be an integer, got 'many'"),
    ],
)
def test_bad_observed_joins_name_record_and_field(export, bad, match):
    row = {"left": "bAPTH", "right": "bAPVM", "on": [["Vendor", "Vendor"]], "uses": 3} | bad
    (export / "observed_joins.json").write_text(json.dumps([row]))
    with pytest.raises(CatalogError, match=r"observed_joins\.json: record 0.*" if "uses" in bad else match):
        load_catalog(export)
    with pytest.raises(CatalogError, match=match):
        load_catalog(export)
