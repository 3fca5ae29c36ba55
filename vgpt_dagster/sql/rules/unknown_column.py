"""``unknown_column``: a column its table does not have, or a qualifier (alias) that is not defined.

``alias.col`` is checked against the object the alias names; an unqualified column must exist in at
least one catalog object in scope. Columns of temp tables, table variables, functions and ``SELECT *``
derived tables cannot be known and are skipped; an output alias used in ORDER BY is not a column.

Examples:
    >>> from vgpt_dagster.sql.analyze import analyze
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": c} for c in ("APCo", "Vendor")])
    >>> [f.message for f in analyze("SELECT h.Vendr FROM APTH h", cat).findings if f.rule == "unknown_column"]
    ["'h.Vendr' is not a column of APTH. Did you mean 'Vendor'?"]
"""

from functools import lru_cache

from vgpt_dagster.errors import did_you_mean as _did_you_mean
from vgpt_dagster.sql.columns import Binding
from vgpt_dagster.sql.findings import ERROR, UNKNOWN_COLUMN, Finding
from vgpt_dagster.sql.rule_inputs import RuleInputs


@lru_cache(maxsize=8192)
def _dym(name: str | None, choices: tuple[str, ...]) -> str:
    return _did_you_mean(name, choices)


def did_you_mean(name: str | None, choices) -> str:
    """``errors.did_you_mean``, memoised: generated data repeats the same invented column on the same table."""
    return _dym(name, tuple(choices))


def _message(b: Binding) -> str:
    use = b.use
    written = f"{use.qualifier}.{use.name}" if use.qualifier else use.name
    if b.status == "unbound":
        known = sorted({s.alias or s.name for s in use.scope.sources})
        listed = f" (in scope: {', '.join(known)})" if known else ""
        hint = did_you_mean(use.qualifier, known)
        return f"'{written}': '{use.qualifier}' is not a table or alias of this query{listed}.{hint}"
    if b.source is not None:
        src = b.source
        if src.kind == "catalog":
            return f"'{written}' is not a column of {src.obj.name}.{did_you_mean(use.name, src.obj.column_names)}"
        return f"'{written}' is not a column of {src.kind} {src.name}.{did_you_mean(use.name, src.outputs or ())}"
    catalog_sources = [s for s in use.scope.sources if s.kind == "catalog"]
    if not catalog_sources:
        return f"'{written}' is not a column of any table in scope (the query has no FROM for it)."
    names = ", ".join(dict.fromkeys(s.obj.name for s in catalog_sources))
    cols = [c for s in catalog_sources for c in s.obj.column_names]
    return f"'{written}' is not a column of {names}.{did_you_mean(use.name, cols)}"


def check(ctx: RuleInputs) -> list[Finding]:
    return [
        Finding(
            UNKNOWN_COLUMN, ERROR, _message(b), b.use.line, b.use.col,
            object=b.source.obj.name if b.source is not None and b.source.obj else None, column=b.use.name,
        )
        for b in ctx.bindings
        if b.status in ("unknown", "unbound")
    ]  # fmt: skip
