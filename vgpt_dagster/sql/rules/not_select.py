"""``not_select``: a question that asks for data must be answered by SELECT statements only.

INSERT/UPDATE/DELETE/MERGE/DROP/TRUNCATE/CREATE/ALTER/SELECT INTO on a database object, EXEC of a
procedure and administrative commands (GRANT, DBCC, ...) are errors. Work on temp tables (``#t``) and
table variables (``@t``) is scratch space, not a change to Vista, so it is allowed, as are DECLARE/SET.

Code objects: ``CREATE/ALTER PROCEDURE|FUNCTION|TRIGGER|VIEW`` is reported once, at its header; the
statements of its body are the module's own work (a procedure is there to change data) and are not
reported one by one. ``--allow-writes`` (``require_select=False``) checks a procedure file without it.

Examples:
    >>> from vgpt_dagster.sql.analyze import analyze
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": "APCo"}])
    >>> [f.message for f in analyze("DELETE FROM APTH WHERE APCo = 1", cat).findings if f.rule == "not_select"]
    ['DELETE changes APTH: a request for data must be answered with SELECT only.']
"""

from sqlglot import exp

from vgpt_dagster.sql.findings import ERROR, NOT_SELECT, Finding
from vgpt_dagster.sql.rule_inputs import RuleInputs
from vgpt_dagster.sql.scope import StatementInfo, statement_kind, write_target_tables

_SCRATCH = frozenset({"temp", "table_variable"})
_ADMIN_COMMANDS = frozenset(
    {"GRANT", "REVOKE", "DENY", "BACKUP", "RESTORE", "DBCC", "KILL", "SHUTDOWN", "RECONFIGURE", "BULK"}
)
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Drop, exp.TruncateTable, exp.Create, exp.Alter)


def _targets(node: exp.Expression, info: StatementInfo) -> list[tuple[str, str, int | None, int | None]]:
    """(name, kind, line, col) of the objects a write statement changes."""
    by_node = {id(s.node): s for s in info.refs}
    scope = next((s for s in info.scopes if s.node is node), None)
    out = []
    for t in write_target_tables(node):
        if not isinstance(t, exp.Table):
            out.append((t.sql("tsql")[:60], "object", info.line, info.col))
            continue
        src = by_node.get(id(t)) or (scope.by_key.get(t.name.lower()) if scope else None)
        if src is None:
            out.append((t.name, "unknown", info.line, info.col))
        else:
            out.append((src.obj.name if src.obj else src.name, src.kind, src.line, src.col))
    return out or [("an object", "unknown", info.line, info.col)]


def _command_finding(node: exp.Expression, info: StatementInfo) -> list[Finding]:
    kw = statement_kind(node)
    if kw == "EXEC":  # EXEC (@sql + @where): dynamic SQL sqlglot cannot read
        msg = "EXEC runs dynamic SQL: a request for data must be answered with SELECT only."
        return [Finding(NOT_SELECT, ERROR, msg, info.line, info.col)]
    if kw in _ADMIN_COMMANDS:
        msg = f"{kw} is an administrative command: a request for data must be answered with SELECT only."
        return [Finding(NOT_SELECT, ERROR, msg, info.line, info.col)]
    return []


def _node_findings(node: exp.Expression, info: StatementInfo) -> list[Finding]:
    if isinstance(node, exp.Execute):
        proc = node.this.sql("tsql") if isinstance(node.this, exp.Expression) else "a procedure"
        msg = f"EXEC runs {proc}: a request for data must be answered with SELECT only."
        return [Finding(NOT_SELECT, ERROR, msg, info.line, info.col, object=proc)]
    if isinstance(node, (exp.Command, exp.Grant, exp.Revoke)):
        return _command_finding(node, info)
    if not isinstance(node, (exp.Merge, exp.Into)) and node.find_ancestor(exp.Merge):
        return []  # the MERGE itself is reported
    kind = "SELECT INTO" if isinstance(node, exp.Into) else statement_kind(node)
    findings = []
    for name, target_kind, line, col in _targets(node, info):
        if target_kind in _SCRATCH:
            continue
        msg = f"{kind} changes {name}: a request for data must be answered with SELECT only."
        findings.append(Finding(NOT_SELECT, ERROR, msg, line or info.line, col or info.col, object=name))
    return findings


def check(ctx: RuleInputs) -> list[Finding]:
    if not ctx.require_select:
        return []
    findings: list[Finding] = []
    for info in ctx.statements:
        if info.role == "header":
            m = info.module
            msg = f"{info.kind} defines {m.name}: a request for data must be answered with SELECT only."
            findings.append(Finding(NOT_SELECT, ERROR, msg, info.line, info.col, object=m.name))
            continue
        if info.in_module_body:
            continue
        for node in info.find_all(*_WRITES, exp.Execute, exp.Into, exp.Command, exp.Grant, exp.Revoke):
            findings.extend(_node_findings(node, info))
    return findings
