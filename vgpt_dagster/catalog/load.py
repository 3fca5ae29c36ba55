"""Read a Vista schema export into a :class:`Catalog` (minimal version; hardened by the catalog work)."""

import gzip
import json
from pathlib import Path

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.errors import CatalogError


def _read_json(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig") as fh:
        return json.load(fh)


def _find(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.json", f"{stem}.json.gz"):
        if (folder / name).exists():
            return folder / name
    return None


def load_catalog(path: Path) -> Catalog:
    """Load a metadata export folder (columns.json required; tables/keys/foreign_keys/udt_types enrich)."""
    folder = Path(path)
    cols = _find(folder, "columns")
    if cols is None:
        raise CatalogError(f"{folder}: no columns.json found; it is the one required file of a schema export.")
    opt = {stem: _find(folder, stem) for stem in ("tables", "keys", "clustered_indexes", "foreign_keys", "udt_types")}
    keys = (_read_json(opt["keys"]) if opt["keys"] else []) + (
        _read_json(opt["clustered_indexes"]) if opt["clustered_indexes"] else []
    )
    return Catalog.from_records(
        objects=_read_json(opt["tables"]) if opt["tables"] else None,
        columns=_read_json(cols),
        keys=keys,
        foreign_keys=_read_json(opt["foreign_keys"]) if opt["foreign_keys"] else [],
        udt_types=_read_json(opt["udt_types"]) if opt["udt_types"] else {},
        source=str(folder),
    )
