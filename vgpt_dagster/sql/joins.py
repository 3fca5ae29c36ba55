"""Extract the joins between catalog objects and compare their ON equalities with the catalog's join keys.

For each JOIN whose table is a catalog object, the column equalities in its ON clause (or, for old
comma joins, in WHERE) are grouped by the other source they reach. Each catalog-to-catalog pair becomes
a :class:`JoinInfo` whose ``required`` pairs come from ``Catalog.join_keys``; a JOIN with no equality
to any other source is compared against the first table of the FROM clause.

Examples:
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> from vgpt_dagster.sql.lookup import catalog_memo
    >>> from vgpt_dagster.sql.parse import parse_statements
    >>> from vgpt_dagster.sql.scope import walk_statement
    >>> names = ("APCo", "Mth", "APTrans", "APLine")
    >>> cols = [{"ObjectName": o, "ColumnName": c} for o in ("APTH", "APTL") for c in names]
    >>> keys = [{"ObjectName": o, "KeyName": f"bi{o}", "KeyType": "UNIQUE CLUSTERED INDEX", "Columns": k}
    ...         for o, k in (("APTH", ["APCo", "Mth", "APTrans"]), ("APTL", ["APCo", "Mth", "APTrans", "APLine"]))]
    >>> cat = Catalog.from_records(None, cols, keys)
    >>> memo = catalog_memo(cat)
    >>> sql = "SELECT 1 FROM APTH h JOIN APTL l ON l.APCo = h.APCo AND l.APTrans = h.APTrans"
    >>> stmts, _ = parse_statements(sql)
    >>> found = find_joins(walk_statement(stmts[0], sql, memo), memo)
    >>> [(j.info.left, j.info.right, j.info.complete, j.info.missing) for j in found]
    [('APTH', 'APTL', False, (('Mth', 'Mth'),))]
"""

from dataclasses import dataclass, replace

from sqlglot import exp

from vgpt_dagster.sql.columns import bind_column
from vgpt_dagster.sql.findings import JoinInfo
from vgpt_dagster.sql.lookup import CatalogMemo
from vgpt_dagster.sql.scope import ColumnUse, Scope, Source, StatementInfo


@dataclass(frozen=True, eq=False)
class FoundJoin:
    """A :class:`JoinInfo` with where it was written (the joined table's position)."""

    info: JoinInfo
    left: Source
    right: Source


def _equalities(cond: exp.Expression | None) -> list[exp.EQ]:
    if cond is None:
        return []
    prune = (exp.Subquery, exp.Select, exp.Or)  # an OR'd equality is not a join key
    walk = cond.walk(bfs=False, prune=lambda n: isinstance(n, prune) and n is not cond)  # DFS: written order
    return [n for n in walk if isinstance(n, exp.EQ)]


def _source_of(col: exp.Expression, scope: Scope) -> tuple[Source | None, str | None]:
    if not isinstance(col, exp.Column) or isinstance(col.this, exp.Star):
        return None, None
    b = bind_column(ColumnUse(col, col.name, col.table or None, scope, None, None))
    if b.source is None or b.status in ("unknown", "unbound", "ambiguous"):
        return None, None
    return b.source, (b.exact or col.name)


def _scope_joins(scope: Scope, memo: CatalogMemo) -> list[FoundJoin]:
    node = scope.node
    joins = node.args.get("joins") or []
    if not joins or not scope.sources:
        return []
    by_node = {id(s.node): s for s in scope.sources}
    first = scope.sources[0]
    found: list[FoundJoin] = []
    where = node.args.get("where")
    for j in joins:
        right = by_node.get(id(j.this))
        if right is None or right.kind != "catalog":
            continue
        kind = " ".join(p for p in (j.side, j.kind) if p) or ("APPLY" if isinstance(j.this, exp.Lateral) else "")
        cond = j.args.get("on")
        if cond is None and not j.kind and not j.side:
            cond, kind = (where.this if where is not None else None), "COMMA"
        pairs: dict[int, tuple[Source, list[tuple[str, str]]]] = {}
        for eq in _equalities(cond):
            a, a_col = _source_of(eq.this, scope)
            b, b_col = _source_of(eq.expression, scope)
            if a is None or b is None or a is b:
                continue
            if b is right:
                a, a_col, b, b_col = b, b_col, a, a_col
            if a is not right or b.kind != "catalog":
                continue
            pairs.setdefault(id(b), (b, []))[1].append((b_col, a_col))
        if not pairs and first is not right and first.kind == "catalog":
            pairs[id(first)] = (first, [])
        for left, on_pairs in pairs.values():
            required = memo.join_keys(left.obj.name, right.obj.name)
            info = JoinInfo(left.obj.name, right.obj.name, kind or "JOIN", tuple(on_pairs), required, None)
            complete = (not info.missing) if required else None
            found.append(FoundJoin(replace(info, complete=complete), left, right))
    return found


def find_joins(info: StatementInfo, memo: CatalogMemo) -> list[FoundJoin]:
    """Every join between two catalog objects in a statement, with its key completeness."""
    out: list[FoundJoin] = []
    for scope in info.scopes:
        out.extend(_scope_joins(scope, memo))
    return out
