"""Per-catalog memo of the lookups the analyzer repeats for every query (resolve, lookup, company column, join keys).

``Catalog`` answers each question correctly but recomputes it; an analyzer checking thousands of
generated queries asks the same few hundred questions again and again, so answers are memoised per
catalog instance (kept while the catalog lives).

Examples:
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": "APCo"}])
    >>> memo = catalog_memo(cat)
    >>> memo.resolve("apth").name, memo.resolve("Invoice"), catalog_memo(cat) is memo
    ('APTH', None, True)
"""

import weakref

from vgpt_dagster.catalog.model import Catalog, CatalogObject, Lookup

_MEMOS: dict[int, tuple[weakref.ref, "CatalogMemo"]] = {}


class CatalogMemo:
    """Memoised answers of one :class:`Catalog`."""

    def __init__(self, catalog: Catalog):
        self._catalog = weakref.ref(catalog)  # a strong reference would keep every catalog alive forever
        self._resolve: dict[str, CatalogObject | None] = {}
        self._company: dict[str, str | None] = {}
        self._joins: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
        self._lookups: dict[str, Lookup] = {}

    @property
    def catalog(self) -> Catalog:
        return self._catalog()

    def resolve(self, name: str) -> CatalogObject | None:
        try:
            return self._resolve[name]
        except KeyError:
            obj = self._resolve[name] = self.catalog.resolve(name)
            return obj

    def company_column(self, name: str) -> str | None:
        try:
            return self._company[name]
        except KeyError:
            col = self._company[name] = self.catalog.company_column(name)
            return col

    def join_keys(self, left: str, right: str) -> tuple[tuple[str, str], ...]:
        try:
            return self._joins[(left, right)]
        except KeyError:
            keys = self._joins[(left, right)] = self.catalog.join_keys(left, right)
            return keys

    def lookup(self, name: str) -> Lookup:
        """``Catalog.lookup`` (exact spelling, suggestions for unknown names: the slow part, hence memoised)."""
        try:
            return self._lookups[name]
        except KeyError:
            hit = self._lookups[name] = self.catalog.lookup(name)
            return hit


def catalog_memo(catalog: Catalog) -> CatalogMemo:
    """The memo of this catalog instance (created on first use, dropped with the catalog)."""
    key = id(catalog)
    hit = _MEMOS.get(key)
    if hit is not None and hit[0]() is catalog:
        return hit[1]
    memo = CatalogMemo(catalog)
    _MEMOS[key] = (weakref.ref(catalog, _forget(key)), memo)
    return memo


def _forget(key: int):
    def callback(ref: weakref.ref, memos: dict = _MEMOS) -> None:
        hit = memos.get(key)
        if hit is not None and hit[0] is ref:
            del memos[key]

    return callback
