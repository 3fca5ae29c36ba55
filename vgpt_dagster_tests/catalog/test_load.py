"""Loading every supported input format: JSON export (plain, gzip, BOM, variants), INFORMATION_SCHEMA CSV, store."""

import gzip
import json
import shutil
from pathlib import Path

import pytest

from vgpt_dagster.catalog.load import (
    CatalogConfig,
    detect_input,
    load_catalog,
    load_default_catalog,
    resolve_schema_path,
)
from vgpt_dagster.catalog.store import input_files, module_table_markdown, read_catalog, write_catalog
from vgpt_dagster.paths import ProjectPaths


@pytest.fixture
def export(tmp_path, fixture_dir) -> Path:
    """A writable copy of the fixture export."""
    return Path(shutil.copytree(fixture_dir / "vista_small", tmp_path / "export"))


def _columns_signature(cat):
    return {
        (o.name, c.name): (c.data_type, c.base_type, c.nullable, c.ordinal, c.max_length, c.precision, c.scale)
        for o in cat.objects.values()
        for c in o.columns
    }


def test_fixture_export_loads_objects_keys_and_fks(small_catalog):
    s = small_catalog.summary()
    assert (s["objects"], s["tables"], s["views"], s["foreign_keys"]) == (27, 13, 14, 2)
    assert s["columns"] > 1000
    assert small_catalog.warnings == ()
    assert small_catalog.objects["APTL"].base_table == "bAPTL"


def test_gzipped_files_load_the_same(export, small_catalog):
    for p in list(export.glob("*.json")):
        p.with_name(p.name + ".gz").write_bytes(gzip.compress(p.read_bytes()))
        p.unlink()
    cat = load_catalog(export)
    assert cat.summary() == small_catalog.summary()
    assert cat.business_key("APTL") == ("APCo", "Mth", "APTrans", "APLine")


def test_utf8_bom_accepted_in_every_json_file(export, small_catalog):
    for p in export.glob("*.json"):
        p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert load_catalog(export).summary() == small_catalog.summary()


def test_only_columns_json_is_required(export):
    for stem in ("tables", "keys", "clustered_indexes", "foreign_keys", "udt_types"):
        (export / f"{stem}.json").unlink()
    cat = load_catalog(export)
    assert cat.objects["APTL"].kind == "view"  # from ObjectType in columns.json
    assert cat.objects["bAPTL"].kind == "table"
    assert cat.business_key("bAPTL") == ()  # no keys.json: no key claimed
    assert cat.column("APTH", "APCo").base_type == "tinyint"  # BaseType column still resolves UDTs


def test_udt_types_resolve_base_type_when_columns_lack_it(export):
    rows = json.loads((export / "columns.json").read_text())
    for r in rows:
        r.pop("BaseType")
    (export / "columns.json").write_text(json.dumps(rows))
    cat = load_catalog(export)
    assert cat.column("APTL", "APCo").data_type == "bCompany"
    assert cat.column("APTL", "APCo").base_type == "tinyint"


def test_tables_list_variants_table_name_key_and_file_name(export):
    rows = json.loads((export / "tables.json").read_text())
    renamed = [{"TABLE_NAME": r["name"], "TABLE_TYPE": r["type"], "extra_field": 1} for r in rows]
    (export / "tables.json").unlink()
    (export / "vista_tables.json").write_text(json.dumps(renamed))
    found = detect_input(export)
    assert found.format == "export" and found.files["tables"].name == "vista_tables.json"
    cat = load_catalog(export)
    assert cat.objects["APTH"].kind == "view" and cat.objects["bAPTH"].kind == "table"


def test_information_schema_csv_matches_export_columns(fixture_dir, small_catalog):
    csv_cat = load_catalog(fixture_dir / "information_schema_small.csv")
    assert (fixture_dir / "information_schema_small.csv").read_bytes()[:3] == b"\xef\xbb\xbf"  # fixture has a BOM
    assert set(csv_cat.objects) == set(small_catalog.objects)
    a, b = _columns_signature(small_catalog), _columns_signature(csv_cat)
    diffs = {k for k in a if a[k] != b[k]}
    assert diffs == {("Companies", "HQCo")}  # untyped in the export, typed by a live server
    assert csv_cat.column("APTL", "APCo").data_type == "bCompany"  # DOMAIN_NAME kept as the declared type
    assert csv_cat.column("APTH", "InvTotal").type_sql == "bDollar"
    assert csv_cat.column("APTH", "InvTotal").base_type_sql == "numeric(12,2)"
    assert csv_cat.objects["APTL"].kind == "view" and csv_cat.objects["APTL"].base_table == "bAPTL"
    assert csv_cat.objects["bAPTL"].kind == "table"
    assert csv_cat.objects["Companies"].kind == "view"
    assert csv_cat.join_keys("APTH", "APTL") == ()  # the CSV carries no keys


def test_csv_in_a_folder_with_keys_json_beside_it(tmp_path, fixture_dir):
    shutil.copy(fixture_dir / "information_schema_small.csv", tmp_path / "columns_export.csv")
    shutil.copy(fixture_dir / "vista_small" / "keys.json", tmp_path / "keys.json")
    found = detect_input(tmp_path)
    assert found.format == "information_schema" and set(found.files) == {"columns", "keys"}
    cat = load_catalog(tmp_path)
    assert cat.business_key("APTL") == ("APCo", "Mth", "APTrans", "APLine")
    assert cat.join_keys("APTH", "APTL") == (("APCo", "APCo"), ("Mth", "Mth"), ("APTrans", "APTrans"))


def test_csv_semicolon_delimiter_empty_nulls_and_table_type(tmp_path):
    p = tmp_path / "cols.csv"
    p.write_text(
        "TABLE_NAME;COLUMN_NAME;ORDINAL_POSITION;IS_NULLABLE;DATA_TYPE;CHARACTER_MAXIMUM_LENGTH;TABLE_TYPE\n"
        "JCChangeOrders;JCCo;1;YES;smallint;;BASE TABLE\n"
        "JCChangeOrders;Job;2;NO;varchar;50;BASE TABLE\n",
        encoding="utf-8",
    )
    cat = load_catalog(p)
    obj = cat.objects["JCChangeOrders"]
    assert obj.kind == "table"  # TABLE_TYPE beats the naming rule (which would say view)
    assert [c.type_sql for c in obj.columns] == ["smallint", "varchar(50)"]
    assert [c.nullable for c in obj.columns] == [True, False]


def test_store_round_trip_and_manifest(tmp_path, small_catalog, fixture_dir):
    out = tmp_path / "catalog"
    manifest = write_catalog(small_catalog, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "columns.parquet",
        "foreign_keys.parquet",
        "keys.parquet",
        "manifest.json",
        "objects.parquet",
        "observed_joins.parquet",
    ]
    assert manifest["counts"] == small_catalog.summary()
    assert {Path(f["path"]).name for f in manifest["input_files"]} >= {"columns.json", "keys.json", "tables.json"}
    assert len(manifest["content_hash"]) == 64
    back = load_catalog(out)  # auto-detected as a store
    assert detect_input(out).format == "store"
    assert back.objects == small_catalog.objects
    assert back.foreign_keys == small_catalog.foreign_keys
    assert read_catalog(out).business_key("GLAC") == ("GLCo", "GLAcct")


def test_store_content_hash_changes_with_input(tmp_path, export):
    h1 = write_catalog(load_catalog(export), tmp_path / "a")["content_hash"]
    (export / "udt_types.json").write_text((export / "udt_types.json").read_text() + "\n")
    h2 = write_catalog(load_catalog(export), tmp_path / "b")["content_hash"]
    assert h1 != h2


def test_input_files_lists_what_a_load_reads(fixture_dir):
    names = [p.name for p in input_files(fixture_dir / "vista_small")]
    assert names == sorted(
        ["clustered_indexes.json", "columns.json", "foreign_keys.json", "keys.json", "tables.json", "udt_types.json"]
    )
    assert input_files(fixture_dir / "information_schema_small.csv") == [fixture_dir / "information_schema_small.csv"]


def test_module_table_markdown(small_catalog, full_catalog):
    md = module_table_markdown(small_catalog)
    lines = md.splitlines()
    assert lines[0] == "| module | tables | views | columns | company column |"
    ap = next(line for line in lines if line.startswith("| AP |"))
    assert ap.startswith("| AP | 5 | 5 |") and ap.endswith("| APCo |")
    assert lines[-1].startswith("| (none) | 0 | 1 |")  # Companies has no module
    assert "| JC |" in module_table_markdown(full_catalog)


def test_catalog_config_and_schema_path_resolution(tmp_path, fixture_dir):
    paths = ProjectPaths(tmp_path)
    assert resolve_schema_path(CatalogConfig(), paths) == paths.embedded_schema
    assert resolve_schema_path(CatalogConfig(schema_path="exports/vista"), paths) == tmp_path / "exports/vista"
    assert resolve_schema_path(CatalogConfig(schema_path=str(fixture_dir)), paths) == fixture_dir
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "catalog.yaml").write_text(f"schema_path: {fixture_dir / 'vista_small'}\n")
    assert len(load_default_catalog(paths=paths)) == 27


def test_shipped_catalog_yaml_is_valid():
    from vgpt_dagster.config import load_config

    paths = ProjectPaths.from_env()
    cfg = load_config(paths.configs / "catalog.yaml", CatalogConfig)
    assert resolve_schema_path(cfg, paths) == paths.embedded_schema
