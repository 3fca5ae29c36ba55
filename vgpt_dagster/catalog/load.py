"""Load a Vista schema into a :class:`Catalog` from any supported input, auto-detected.

Inputs (see docs/schema-input.md):

* ``export``: a folder in the original team's shape: ``columns.json`` (required), a tables list
  (``tables.json`` or any ``*tables*.json``), ``keys.json``, ``clustered_indexes.json``,
  ``foreign_keys.json``, ``udt_types.json``, ``observed_joins.json`` (join evidence); each file ``.json`` or
  ``.json.gz``.
* ``information_schema``: a SQL Server ``INFORMATION_SCHEMA.COLUMNS`` CSV, or a folder holding one
  (the folder may add keys.json / foreign_keys.json / udt_types.json beside it).
* ``store``: the Parquet folder :func:`vgpt_dagster.catalog.store.write_catalog` writes (fast path).

Bad input raises :class:`CatalogError` naming the file, position or record and field, and the fix.
Duplicate columns are a warning (``catalog.warnings``, also logged): the first one is kept.
"""

import logging
from pathlib import Path
from typing import Any

from vgpt_dagster.catalog import information_schema, records
from vgpt_dagster.catalog.inputs import detect_input
from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.catalog.store import read_catalog
from vgpt_dagster.config import StrictModel, load_config
from vgpt_dagster.errors import CatalogError
from vgpt_dagster.paths import ProjectPaths

log = logging.getLogger(__name__)


class CatalogConfig(StrictModel):
    """``configs/catalog.yaml``: where the Vista schema export lives.

    ``schema_path``: a folder export, an INFORMATION_SCHEMA.COLUMNS CSV or a catalog Parquet store;
    relative paths are relative to the project root; null = the embedded Vista 6.x export.
    """

    schema_path: str | None = None


def resolve_schema_path(cfg: CatalogConfig, paths: ProjectPaths) -> Path:
    """The schema input ``cfg`` names (relative to the project root), or the embedded export."""
    if cfg.schema_path is None:
        return paths.embedded_schema
    p = Path(cfg.schema_path).expanduser()
    return p if p.is_absolute() else paths.root / p


def load_default_catalog(schema: str | Path | None = None, paths: ProjectPaths | None = None) -> Catalog:
    """``schema`` when given, else ``configs/catalog.yaml``'s ``schema_path``, else the embedded export."""
    if schema is not None:
        return load_catalog(Path(schema))
    paths = paths or ProjectPaths.from_env()
    cfg_file = paths.configs / "catalog.yaml"
    cfg = load_config(cfg_file, CatalogConfig) if cfg_file.exists() else CatalogConfig()
    return load_catalog(resolve_schema_path(cfg, paths))


def load_catalog(path: Path) -> Catalog:
    """Load any supported schema input (auto-detected) into a :class:`Catalog`."""
    found = detect_input(Path(path))
    if found.format == "store":
        return read_catalog(found.path)
    files = found.files
    if found.format == "information_schema":
        objects, columns = information_schema.read_information_schema(files["columns"])
    else:
        columns = records.expect_list(records.read_json(files["columns"]), str(files["columns"]))
        records.check_records(columns, records.COLUMN_FIELDS, str(files["columns"]))
        objects = None
        if "tables" in files:
            raw = records.expect_list(records.read_json(files["tables"]), str(files["tables"]))
            objects = records.check_tables(raw, str(files["tables"]))
    if not columns:
        raise CatalogError(
            f"{files['columns']}: holds no column records, so the catalog would be empty. "
            "Export at least one table's columns."
        )
    keys = _read_list(files, "keys", records.KEY_FIELDS) + _read_list(files, "clustered_indexes", records.KEY_FIELDS)
    fks = _read_list(files, "foreign_keys", records.FK_FIELDS)
    observed = (
        records.check_observed_joins(
            records.expect_list(records.read_json(files["observed_joins"]), str(files["observed_joins"])),
            str(files["observed_joins"]),
        )
        if "observed_joins" in files
        else []
    )
    udt = (
        records.check_udt_types(records.read_json(files["udt_types"]), str(files["udt_types"]))
        if "udt_types" in files
        else {}
    )
    columns, warnings = _drop_duplicate_columns(columns, str(files["columns"]))
    if objects is not None:
        objects, more = _drop_duplicate_objects(objects, str(files.get("tables", files["columns"])))
        warnings += more
    for w in warnings:
        log.warning(w)
    return Catalog.from_records(
        objects=objects,
        columns=columns,
        keys=keys,
        foreign_keys=fks,
        udt_types=udt,
        source=str(found.path),
        warnings=warnings,
        observed_joins=observed,
    )


def _read_list(files: dict[str, Path], stem: str, spec: records.FieldSpec) -> list[dict[str, Any]]:
    if stem not in files:
        return []
    data = records.expect_list(records.read_json(files[stem]), str(files[stem]))
    records.check_records(data, spec, str(files[stem]))
    return data


def _drop_duplicate_columns(columns: list[dict[str, Any]], source: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Keep the first record of each (object, column); one warning with counts and examples."""
    seen: dict[tuple[str, str], int] = {}
    kept, dups = [], []
    for i, rec in enumerate(columns):
        key = (rec["ObjectName"], rec["ColumnName"])
        if key in seen:
            dups.append((key, seen[key], i))
        else:
            seen[key] = i
            kept.append(rec)
    if not dups:
        return columns, []
    objs = {k[0] for k, _, _ in dups}
    examples = ", ".join(f"{o}.{c} (records {a} and {b})" for (o, c), a, b in dups[:3])
    return kept, [
        f"{source}: {len(dups)} duplicate column record(s) in {len(objs)} object(s), e.g. {examples}; "
        "kept the first of each. Remove the repeats from the export to silence this warning."
    ]


def _drop_duplicate_objects(objects: list[dict[str, Any]], source: str) -> tuple[list[dict[str, Any]], list[str]]:
    seen: dict[str, int] = {}
    kept, dups = [], []
    for i, rec in enumerate(objects):
        if rec["name"] in seen:
            dups.append(f"{rec['name']} (records {seen[rec['name']]} and {i})")
        else:
            seen[rec["name"]] = i
            kept.append(rec)
    if not dups:
        return objects, []
    return kept, [
        f"{source}: {len(dups)} duplicate object record(s), e.g. {', '.join(dups[:3])}; kept the first of each."
    ]
