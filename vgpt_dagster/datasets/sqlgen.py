"""Convention-following T-SQL built from the catalog: NOLOCK on every table, company filter, full join keys.

Everything here is text assembly over real catalog names (rendered by ``vgpt_dagster.sql.render``), so the
SQL is right by construction; the analyzer still checks every statement (``sqlcheck``) before it goes into a
dataset.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vgpt_dagster.catalog.model import Catalog, CatalogObject, Column
from vgpt_dagster.sql.render import IDENT, display_columns, ident

NUMERIC = frozenset({"numeric", "decimal", "money", "float", "smallmoney", "real"})
INTEGER = frozenset({"int", "smallint", "tinyint", "bigint"})
DATES = frozenset({"smalldatetime", "datetime", "date", "datetime2"})
STRINGS = frozenset({"varchar", "char", "nvarchar", "nchar"})


def literal(col: Column, i: int = 0) -> str | None:
    """A literal of the column's type for a filter on ``col`` (``i`` varies the value), or None.

    Numbers for numeric columns, ISO dates for date columns, 'Y'/'N' for bYN flags, 0/1 for bit. The
    metadata holds no code lists, so a string column gets a parameter named after it (``@PayMethod``) rather
    than an invented value such as 'REC1'. None for types a filter literal makes no sense on (GUIDs, binary).

    Examples:
        >>> literal(Column("InvDate", "bDate", "smalldatetime")), literal(Column("PayMethod", "char", "char"))
        ("'2023-01-01'", '@PayMethod')
        >>> literal(Column("UniqueAttchID", "uniqueidentifier", "uniqueidentifier")) is None
        True
    """
    t = (col.base_type or "").lower()
    if col.name.endswith("Co") and t in INTEGER:
        return str(1 + i % 3)
    if t in INTEGER:
        return str(100 + 7 * i)
    if t in NUMERIC:
        return f"{1000 + 250 * i}.00"
    if t in DATES:
        return f"'{2023 + i % 3}-{1 + i % 12:02d}-01'"
    if t == "bit":
        return str(i % 2)
    if t == "char" and col.data_type == "bYN":
        return "'Y'" if i % 2 == 0 else "'N'"
    if t in STRINGS and IDENT.match(col.name):
        return f"@{col.name}"
    return None


def company_as_parameter(sql: str, column: str | None) -> str:
    """``APCo = 1`` -> ``APCo = @APCo``: for a question that names no company, the answer must not invent one.

    Examples:
        >>> company_as_parameter("SELECT 1 FROM APTH a WITH (NOLOCK) WHERE a.APCo = 2", "APCo")
        'SELECT 1 FROM APTH a WITH (NOLOCK) WHERE a.APCo = @APCo'
    """
    if not column:
        return sql
    return re.sub(rf"(?<![\w@])((?:\w+\.)?{re.escape(column)}) = \d+\b", rf"\1 = @{column}", sql)


# Numeric columns that add up (money, hours, units); rates, percentages and factors never do.
_ADDITIVE_TYPES = frozenset({"bDollar", "money", "bHrs", "bUnits", "smallmoney"})
_ADDITIVE_NAME = re.compile(
    r"(Amt|Amount|Total|Cost|Hours|Hrs|Units|Qty|Quantity|Loads|Tax|Earnings|Gross|Net|Paid|Due|Retg|Balance)"
)
_NOT_ADDITIVE = re.compile(r"Rate|Pct|Percent|Factor|Ratio|Price|(Seq|ID|Id|UM)$")


def is_additive(col: Column) -> bool:
    """True for money, hours and units columns: the ones a SUM means something for (never SUM(DiscRate)).

    Examples:
        >>> is_additive(Column("InvTotal", "bDollar", "numeric")), is_additive(Column("DiscRate", "bPct", "numeric"))
        (True, False)
    """
    t = (col.base_type or "").lower()
    if _NOT_ADDITIVE.search(col.name) or t not in NUMERIC | INTEGER:
        return False
    named = bool(_ADDITIVE_NAME.search(col.name))
    return named if t in INTEGER else (col.data_type in _ADDITIVE_TYPES or named)  # integers: counts like Loads


@dataclass(frozen=True, eq=False)  # identity hash: facts are cached per object
class ObjectFacts:
    """What the generators need to know about one queryable object, computed once."""

    obj: CatalogObject
    label: str
    company: str | None
    key: tuple[str, ...]
    numeric: tuple[str, ...]
    dates: tuple[str, ...]
    texts: tuple[str, ...]
    amounts: tuple[str, ...] = ()  # numeric columns that add up (money, hours, units): what SUM may use
    labelled: bool = False  # the label comes from the export or the vocabulary (not described from columns)

    @property
    def name(self) -> str:
        return self.obj.name

    def company_where(self, alias: str | None = None, i: int = 0) -> list[str]:
        if not self.company:
            return []
        col = f"{alias}.{ident(self.company)}" if alias else ident(self.company)
        return [f"{col} = {1 + i % 3}"]

    def display_columns(self, n: int = 6) -> list[str]:
        """Key columns first, then descriptive ones: what a person would SELECT."""
        return display_columns(self.obj, [*self.key, *self.texts[:2], *self.dates[:1], *self.numeric[:2]], n)[:n]


def object_facts(catalog: Catalog) -> list[ObjectFacts]:
    """Facts of every object users query: views, and tables that have no view over them (sorted by name)."""
    out = []
    for name in sorted(catalog.objects):
        obj = catalog.objects[name]
        if not obj.columns or (obj.kind == "table" and catalog.views_of(name)):
            continue
        if not IDENT.match(name):
            continue
        by_type: dict[str, list[str]] = {"n": [], "d": [], "t": []}
        for c in obj.columns:
            t = (c.base_type or "").lower()
            if c.name == "KeyID" or c.name.endswith("Co"):
                continue
            if t in NUMERIC:
                by_type["n"].append(c.name)
            elif t in DATES:
                by_type["d"].append(c.name)
            elif t in STRINGS and c.name not in ("Notes",):
                by_type["t"].append(c.name)
        out.append(
            ObjectFacts(
                obj=obj,
                label=catalog.label(name),
                company=catalog.company_column(name),
                key=tuple(k for k in catalog.business_key(name) if obj.column(k)),
                numeric=tuple(by_type["n"]),
                dates=tuple(by_type["d"]),
                texts=tuple(by_type["t"]),
                amounts=tuple(c for c in by_type["n"] if is_additive(obj.column(c))),
                labelled=catalog.label(name) != catalog.described_label(obj),
            )
        )
    return out


def join_candidates(catalog: Catalog, facts: Sequence[ObjectFacts], per_object: int = 3) -> list[tuple[str, str]]:
    """(header, detail) pairs that join on a composite key: the detail has every key column of the header.

    Candidates come from the same module (Vista's header/detail pattern) plus declared foreign keys,
    and each is confirmed with ``catalog.join_keys``; cost is linear in objects x module size.
    """
    by_module: dict[str, list[ObjectFacts]] = {}
    for f in facts:
        by_module.setdefault(f.obj.module or "", []).append(f)
    out: list[tuple[str, str]] = []
    for f in facts:
        if len(f.key) < 2:
            continue
        found = 0
        for g in by_module.get(f.obj.module or "", ()):
            if g.name == f.name or not all(g.obj.column(k) for k in f.key):
                continue
            pairs = catalog.join_keys(f.name, g.name)
            if len(pairs) >= 2:
                out.append((f.name, g.name))
                found += 1
                if found >= per_object:
                    break
    return out
