"""``ambiguous_column``: an unqualified column that two tables in scope both have (SQL Server error 209).

Examples:
    >>> from vgpt_dagster.sql.analyze import analyze
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cat = Catalog.from_records(None, [{"ObjectName": o, "ColumnName": "APCo"} for o in ("APTH", "APTL")])
    >>> sql = "SELECT APCo FROM APTH h JOIN APTL l ON l.APCo = h.APCo"
    >>> [f.message for f in analyze(sql, cat).findings if f.rule == "ambiguous_column"]
    ["'APCo' is ambiguous: it is a column of h (APTH) and l (APTL); qualify it, e.g. h.APCo."]

The column assigned by ``UPDATE t SET col = ...`` is always the target's, so it is never ambiguous.
"""

from sqlglot import exp

from vgpt_dagster.sql.findings import ERROR, UNQUALIFIED_AMBIGUOUS_COLUMN, Finding
from vgpt_dagster.sql.rule_inputs import RuleInputs


def _set_target(col: exp.Column) -> bool:
    eq = col.parent
    return isinstance(eq, exp.EQ) and eq.this is col and isinstance(eq.parent, exp.Update)


def check(ctx: RuleInputs) -> list[Finding]:
    findings: list[Finding] = []
    for b in ctx.bindings:
        if b.status != "ambiguous" or _set_target(b.use.node):
            continue
        names = [f"{s.alias or s.name} ({s.obj.name if s.obj else s.kind})" for s in b.candidates]
        first = b.candidates[0]
        msg = (
            f"'{b.use.name}' is ambiguous: it is a column of {', '.join(names[:-1])} and {names[-1]}; "
            f"qualify it, e.g. {first.alias or first.name}.{b.exact or b.use.name}."
        )
        findings.append(Finding(UNQUALIFIED_AMBIGUOUS_COLUMN, ERROR, msg, b.use.line, b.use.col, column=b.use.name))
    return findings
