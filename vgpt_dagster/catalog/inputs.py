"""Which schema input a path is (``export``, ``information_schema`` or ``store``) and which files it holds.

The one place the formats are recognised: :mod:`vgpt_dagster.catalog.load` reads what this finds, and
:mod:`vgpt_dagster.catalog.store` lists the files a store was built from (``input_files``).
"""

from dataclasses import dataclass
from pathlib import Path

from vgpt_dagster.catalog import information_schema
from vgpt_dagster.errors import CatalogError

STORE_FORMAT = "vgpt-catalog/1"
_OPTIONAL_STEMS = ("keys", "clustered_indexes", "foreign_keys", "udt_types", "observed_joins")


@dataclass(frozen=True)
class SchemaInput:
    """What :func:`detect_input` found: the format and the files a load reads."""

    format: str  # "export" | "information_schema" | "store"
    path: Path
    files: dict[str, Path]  # role (columns, tables, keys, ...) -> file


def _find(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.json", f"{stem}.json.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _find_tables(folder: Path) -> Path | None:
    exact = _find(folder, "tables")
    if exact:
        return exact
    found = sorted(
        p for p in folder.iterdir() if p.is_file() and "tables" in p.name and p.name.endswith((".json", ".json.gz"))
    )
    if len(found) > 1:
        raise CatalogError(
            f"{folder}: several tables lists ({', '.join(p.name for p in found)}); keep one, or name it tables.json."
        )
    return found[0] if found else None


def detect_input(path: Path) -> SchemaInput:
    """Decide which format ``path`` is and list its files; raise :class:`CatalogError` when none fits."""
    path = Path(path)
    if not path.exists():
        raise CatalogError(
            f"{path}: schema input not found. Point --schema (or schema_path in configs/catalog.yaml) at an "
            "export folder, an INFORMATION_SCHEMA.COLUMNS .csv file or a catalog store folder."
        )
    if path.is_file():
        if path.name.endswith((".csv", ".csv.gz")):
            return SchemaInput("information_schema", path, {"columns": path})
        if path.name in ("columns.json", "columns.json.gz"):
            return detect_input(path.parent)
        raise CatalogError(
            f"{path}: not a schema input. Give the export folder (with columns.json), an "
            "INFORMATION_SCHEMA.COLUMNS .csv file, or a catalog store folder."
        )
    if (path / "manifest.json").is_file() and (path / "objects.parquet").is_file():
        files = {stem: path / f"{stem}.parquet" for stem in ("objects", "columns", "keys", "foreign_keys")}
        return SchemaInput("store", path, {"manifest": path / "manifest.json", **files})
    extra = {stem: p for stem in _OPTIONAL_STEMS if (p := _find(path, stem))}
    cols = _find(path, "columns")
    if cols is not None:
        tables = _find_tables(path)
        return SchemaInput("export", path, {"columns": cols, **({"tables": tables} if tables else {}), **extra})
    csvs = sorted(p for p in path.iterdir() if p.name.endswith((".csv", ".csv.gz")))
    csvs = [p for p in csvs if information_schema.is_information_schema_csv(p)]
    if len(csvs) == 1:
        return SchemaInput("information_schema", path, {"columns": csvs[0], **extra})
    if len(csvs) > 1:
        raise CatalogError(
            f"{path}: several INFORMATION_SCHEMA.COLUMNS CSV files ({', '.join(p.name for p in csvs)}); keep one."
        )
    raise CatalogError(
        f"{path}: no columns.json (or columns.json.gz) found; it is the one required file of a schema export. "
        "Add it, or point at an INFORMATION_SCHEMA.COLUMNS .csv export instead."
    )
