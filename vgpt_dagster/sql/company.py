"""Which company columns a statement reads, and whether it pins them to values (the company filter).

Computed once per statement for :class:`~vgpt_dagster.sql.rule_inputs.RuleInputs` (``company_statuses``): the
``missing_company_filter`` rule reports it, and the analysis result's ``company_filter`` flag reads it.
A value is a literal, variable or parameter (``APCo = @APCo``, ``IN (...)``, ``BETWEEN``) in WHERE, ON or
HAVING; in a trigger, the company column of ``inserted``/``deleted`` rows pins it too; a view's body is never
checked (a view serves every company; its callers filter).
"""

from sqlglot import exp

from vgpt_dagster.sql.lookup import CatalogMemo
from vgpt_dagster.sql.scope import Source, StatementInfo

_VALUE_TYPES = (exp.Literal, exp.Parameter, exp.Placeholder, exp.Var, exp.Null)
_CLAUSES = (exp.Where, exp.Having, exp.Join)


def _is_value(node: exp.Expression | None) -> bool:
    while isinstance(node, (exp.Paren, exp.Cast, exp.Neg, exp.TryCast)):
        node = node.this
    return isinstance(node, _VALUE_TYPES)


def _in_filter_clause(node: exp.Expression) -> bool:
    p = node.parent
    while p is not None:
        if isinstance(p, _CLAUSES):
            return True
        if isinstance(p, (exp.Select, exp.Update, exp.Delete)):
            return False
        p = p.parent
    return False


def _pinned_by(other: exp.Expression, pseudo: frozenset[str]) -> bool:
    """A value, or a column of a trigger's ``inserted``/``deleted`` rows (their alias in ``pseudo``)."""
    if _is_value(other):
        return True
    return isinstance(other, exp.Column) and bool(other.table) and other.table.lower() in pseudo


def _constrained(node: exp.Expression, pseudo: frozenset[str] = frozenset()) -> exp.Column | None:
    """The column a predicate pins to values (``APCo = 1``, ``@APCo = h.APCo``, ``IN``, ``BETWEEN``)."""
    if isinstance(node, exp.EQ):
        for col, other in ((node.this, node.expression), (node.expression, node.this)):
            if isinstance(col, exp.Column) and _pinned_by(other, pseudo) and col.table.lower() not in pseudo:
                return col
    elif isinstance(node, exp.In) and isinstance(node.this, exp.Column) and not node.args.get("query"):
        if node.expressions and all(_is_value(e) for e in node.expressions):
            return node.this
    elif isinstance(node, exp.Between) and isinstance(node.this, exp.Column):
        if _is_value(node.args.get("low")) and _is_value(node.args.get("high")):
            return node.this
    return None


def company_sources(info: StatementInfo, memo: CatalogMemo) -> list[tuple[Source, str]]:
    """Catalog objects the statement reads that have a company column, with that column."""
    out = []
    for src in info.refs:
        if src.kind == "catalog" and not src.write:
            col = memo.company_column(src.obj.name)
            if col:
                out.append((src, col))
    return out


def company_filter_status(info: StatementInfo, memo: CatalogMemo) -> bool | None:
    """True when a company column is pinned, False when not, None when nothing company-keyed is read."""
    if info.in_module_body and info.module.kind == "VIEW":
        return None
    sources = company_sources(info, memo)
    if not sources:
        return None
    names = {col.lower() for _, col in sources}
    pseudo = frozenset(s.key for s in info.refs if s.kind == "pseudo")
    for node in info.find_all(exp.EQ, exp.In, exp.Between):
        col = _constrained(node, pseudo)
        if col is not None and col.name.lower() in names and _in_filter_clause(node):
            return True
    return False
