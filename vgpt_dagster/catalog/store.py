"""The catalog's Parquet store (what the ``vista_schema`` asset materializes) and its metadata helpers.

Layout of a store folder::

    objects.parquet       name, kind, base_table, module, description
    columns.parquet       object, name, data_type, base_type, nullable, ordinal, max_length, precision, scale,
                          is_identity
    keys.parquet          object, name, kind, columns (list of str)
    foreign_keys.parquet  name, parent, parent_columns, child, child_columns
    observed_joins.parquet left, right, left_columns, right_columns, uses, objects (absent in older stores)
    manifest.json         format, source, input files with sha256, content_hash, counts, warnings

Each file is written atomically and ``manifest.json`` last, so a folder with a manifest is complete.
:func:`vgpt_dagster.catalog.load.load_catalog` recognises the folder and calls :func:`read_catalog`.
"""

from pathlib import Path
from typing import Any

import polars as pl

from vgpt_dagster.artifacts import read_manifest, sha256_file, sha256_files, write_manifest, write_parquet_atomic
from vgpt_dagster.catalog.evidence import ObservedJoin
from vgpt_dagster.catalog.inputs import STORE_FORMAT, detect_input
from vgpt_dagster.catalog.model import Catalog, CatalogObject, Column, ForeignKey, Key
from vgpt_dagster.errors import CatalogError

_SCHEMAS: dict[str, dict[str, Any]] = {
    "objects": {
        "name": pl.String,
        "kind": pl.String,
        "base_table": pl.String,
        "module": pl.String,
        "description": pl.String,
    },
    "columns": {
        "object": pl.String,
        "name": pl.String,
        "data_type": pl.String,
        "base_type": pl.String,
        "nullable": pl.Boolean,
        "ordinal": pl.Int32,
        "max_length": pl.Int64,
        "precision": pl.Int32,
        "scale": pl.Int32,
        "is_identity": pl.Boolean,
    },
    "keys": {"object": pl.String, "name": pl.String, "kind": pl.String, "columns": pl.List(pl.String)},
    "foreign_keys": {
        "name": pl.String,
        "parent": pl.String,
        "parent_columns": pl.List(pl.String),
        "child": pl.String,
        "child_columns": pl.List(pl.String),
    },
    "observed_joins": {
        "left": pl.String,
        "right": pl.String,
        "left_columns": pl.List(pl.String),
        "right_columns": pl.List(pl.String),
        "uses": pl.Int64,
        "objects": pl.Int64,
    },
}
_OPTIONAL_FRAMES = ("observed_joins",)


def input_files(path: Path) -> list[Path]:
    """The files :func:`load_catalog` reads for ``path`` (for manifests and content hashes)."""
    return sorted(set(detect_input(Path(path)).files.values()))


def _frames(catalog: Catalog) -> dict[str, pl.DataFrame]:
    objs = catalog.objects.values()
    rows_o = [(o.name, o.kind, o.base_table, o.module, o.description) for o in objs]
    rows_c = [
        (
            o.name,
            c.name,
            c.data_type,
            c.base_type,
            c.nullable,
            c.ordinal,
            c.max_length,
            c.precision,
            c.scale,
            c.is_identity,
        )
        for o in objs
        for c in o.columns
    ]
    rows_k = [(o.name, k.name, k.kind, list(k.columns)) for o in objs for k in o.keys]
    rows_f = [(f.name, f.parent, list(f.parent_columns), f.child, list(f.child_columns)) for f in catalog.foreign_keys]
    rows_j = [
        (j.left, j.right, [p for p, _ in j.on], [q for _, q in j.on], j.uses, j.objects) for j in catalog.observed_joins
    ]
    data = {"objects": rows_o, "columns": rows_c, "keys": rows_k, "foreign_keys": rows_f, "observed_joins": rows_j}
    return {n: pl.DataFrame(data[n], schema=_SCHEMAS[n], orient="row") for n in _SCHEMAS}


def write_catalog(catalog: Catalog, out_dir: Path) -> dict[str, Any]:
    """Write the four Parquet files and ``manifest.json`` into ``out_dir``; return the manifest fields."""
    out_dir = Path(out_dir)
    (out_dir / "manifest.json").unlink(missing_ok=True)  # an incomplete folder must not look complete
    for name, df in _frames(catalog).items():
        write_parquet_atomic(df, out_dir / f"{name}.parquet")
    inputs: list[Path] = []
    if catalog.source and Path(catalog.source).exists():
        inputs = input_files(Path(catalog.source))
    fields = {
        "format": STORE_FORMAT,
        "source": catalog.source,
        "input_files": [{"path": str(p), "sha256": sha256_file(p)} for p in inputs],
        "content_hash": sha256_files(inputs) if inputs else None,
        "counts": catalog.summary(),
        "warnings": list(catalog.warnings),
    }
    write_manifest(out_dir, **fields)
    return read_manifest(out_dir)


def read_catalog(folder: Path) -> Catalog:
    """Read a store written by :func:`write_catalog` (no validation needed: we wrote it)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest.get("format") != STORE_FORMAT:
        raise CatalogError(
            f"{folder / 'manifest.json'}: not a catalog store (format {manifest.get('format')!r}, expected "
            f"{STORE_FORMAT!r}). Rebuild it with "
            "`dagster asset materialize -m vgpt_dagster.definitions --select vista_schema`."
        )
    try:
        frames = {
            n: pl.read_parquet(folder / f"{n}.parquet")
            for n in _SCHEMAS
            if n not in _OPTIONAL_FRAMES or (folder / f"{n}.parquet").exists()
        }
    except (OSError, pl.exceptions.PolarsError) as err:
        raise CatalogError(f"{folder}: catalog store is damaged ({err}). Rebuild the vista_schema asset.") from None
    cols: dict[str, list[Column]] = {}
    for o, *rest in frames["columns"].iter_rows():
        cols.setdefault(o, []).append(Column(*rest))
    keys: dict[str, list[Key]] = {}
    for o, name, kind, kc in frames["keys"].iter_rows():
        keys.setdefault(o, []).append(Key(name, kind, tuple(kc)))
    objects = {
        name: CatalogObject(name, kind, tuple(cols.get(name, ())), base, module, desc, tuple(keys.get(name, ())))
        for name, kind, base, module, desc in frames["objects"].iter_rows()
    }
    fks = tuple(ForeignKey(n, p, tuple(pc), c, tuple(cc)) for n, p, pc, c, cc in frames["foreign_keys"].iter_rows())
    observed = tuple(
        ObservedJoin(a, b, tuple(zip(ac, bc, strict=True)), u, o)
        for a, b, ac, bc, u, o in (frames["observed_joins"].iter_rows() if "observed_joins" in frames else ())
    )
    return Catalog(
        objects,
        fks,
        source=manifest.get("source", str(folder)),
        warnings=tuple(manifest.get("warnings", ())),
        observed_joins=observed,
    )


def module_table_markdown(catalog: Catalog) -> str:
    """A Markdown table: module, tables, views, columns, company column (``-`` where none applies)."""
    stats: dict[str, list[int]] = {}
    has_co: dict[str, bool] = {}
    for o in catalog.objects.values():
        mod = o.module or "(none)"
        s = stats.setdefault(mod, [0, 0, 0])
        s[0 if o.kind == "table" else 1] += 1
        s[2] += len(o.columns)
        if o.module and not has_co.get(mod):
            has_co[mod] = o.column(catalog.module_company_column(o.module)) is not None
    lines = ["| module | tables | views | columns | company column |", "|---|---:|---:|---:|---|"]
    for mod in sorted(stats, key=lambda m: (m == "(none)", m)):
        t, v, c = stats[mod]
        co = catalog.module_company_column(mod) if has_co.get(mod) else "-"
        lines.append(f"| {mod} | {t} | {v} | {c} | {co} |")
    return "\n".join(lines)
