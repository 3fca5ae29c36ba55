"""Bind each column use to the source that provides it (alias.col, or an unqualified name in scope).

Statuses: ``ok``; ``case`` (exists, other spelling: an error under Vista's binary collation);
``unknown`` (the bound source has no such column); ``unbound`` (alias not defined in scope);
``ambiguous`` (unqualified, two catalog sources have it); ``skip`` (a source whose columns we cannot
know: temp table, table variable, function, unknown object, ``SELECT *`` derived table).

Examples:
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> from vgpt_dagster.sql.lookup import catalog_memo
    >>> from vgpt_dagster.sql.parse import parse_statements
    >>> from vgpt_dagster.sql.scope import walk_statement
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": c} for c in ("APCo", "Mth")])
    >>> stmts, _ = parse_statements("SELECT h.apco, h.Nope, Mth AS m FROM APTH h ORDER BY m")
    >>> info = walk_statement(stmts[0], "", catalog_memo(cat))
    >>> [(b.use.name, b.status, b.exact) for b in bind_columns(info)]
    [('apco', 'case', 'APCo'), ('Nope', 'unknown', None), ('Mth', 'ok', 'Mth'), ('m', 'ok', None)]
"""

from dataclasses import dataclass

from vgpt_dagster.sql.scope import OPAQUE_KINDS, ColumnUse, Source, StatementInfo

_OUTPUT_PSEUDO_TABLES = frozenset({"inserted", "deleted"})


@dataclass(frozen=True, eq=False)
class Binding:
    """Where a column use points: its source (when bound), status and the exact catalog spelling."""

    use: ColumnUse
    status: str
    source: Source | None = None
    exact: str | None = None
    candidates: tuple[Source, ...] = ()


def _check(use: ColumnUse, src: Source) -> Binding:
    if src.kind == "catalog":
        col = src.obj.column(use.name)
        if col is None:
            return Binding(use, "unknown", src)
        return Binding(use, "ok" if col.name == use.name else "case", src, col.name)
    if src.outputs is not None:
        return Binding(use, "ok" if use.name.lower() in src.outputs else "unknown", src)
    return Binding(use, "skip", src)


def _provides(src: Source, name: str) -> bool:
    if src.kind == "catalog":
        return src.obj.column(name) is not None
    return src.outputs is not None and name.lower() in src.outputs


def bind_column(use: ColumnUse) -> Binding:
    """Bind one column use (see the module docstring for the statuses)."""
    if use.qualifier:
        key = use.qualifier.lower()
        src = use.scope.find(key)
        if src is not None:
            return _check(use, src)
        if key in _OUTPUT_PSEUDO_TABLES:
            return Binding(use, "skip")
        return Binding(use, "unbound")
    lowered = use.name.lower()
    scope = use.scope
    while scope is not None:
        hits = [s for s in scope.sources if _provides(s, use.name)]
        if hits:
            b = _check(use, hits[0])
            if len(hits) > 1:
                return Binding(use, "ambiguous", hits[0], b.exact, tuple(hits))
            return b
        if any(s.kind in OPAQUE_KINDS or (s.kind in ("cte", "derived") and s.outputs is None) for s in scope.sources):
            return Binding(use, "skip")
        scope = scope.parent
    if lowered in use.scope.output_aliases:
        return Binding(use, "ok")  # ORDER BY an output alias
    return Binding(use, "unknown")


def bind_columns(info: StatementInfo) -> list[Binding]:
    """Bindings of every column use in a statement, in the order they were found."""
    return [bind_column(u) for u in info.columns]
