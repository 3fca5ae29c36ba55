"""Vista schema catalog: which objects exist, their columns, keys, joins and modules (no Dagster)."""

from vgpt_dagster.catalog.model import Catalog, CatalogObject, Column, Lookup

__all__ = ["Catalog", "CatalogObject", "Column", "Lookup"]
