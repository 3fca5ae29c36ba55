"""``vista_schema``: the Vista schema catalog materialized under data/catalog/."""

import dagster as dg

from vgpt_dagster.catalog.load import CatalogConfig, load_catalog, resolve_schema_path
from vgpt_dagster.catalog.store import input_files, module_table_markdown, write_catalog
from vgpt_dagster.config import load_config
from vgpt_dagster.defs.metadata import to_metadata
from vgpt_dagster.defs.resources import VgptPaths
from vgpt_dagster.defs.versions import code_version, data_version


@dg.asset(group_name="catalog", kinds={"polars", "parquet"}, code_version=code_version("catalog.load", "catalog.store"))
def vista_schema(context: dg.AssetExecutionContext, paths: VgptPaths) -> dg.MaterializeResult:
    """Every Vista table and view with columns, types, keys and joins (from configs/catalog.yaml)."""
    p = paths.get()
    source = resolve_schema_path(load_config(p.configs / "catalog.yaml", CatalogConfig), p)
    catalog = load_catalog(source)
    for w in catalog.warnings:
        context.log.warning(w)
    written = write_catalog(catalog, p.catalog_dir)
    files = input_files(source)
    meta = {
        **catalog.summary(),
        "source": str(source),
        "input_files": [str(f) for f in files],
        "content_hash": written["content_hash"],
        "warnings": list(catalog.warnings) or None,
        "modules_table": module_table_markdown(catalog),
        "path": p.catalog_dir,
    }
    return dg.MaterializeResult(
        metadata=to_metadata(meta), data_version=data_version(sorted(p.catalog_dir.glob("*.parquet")))
    )
