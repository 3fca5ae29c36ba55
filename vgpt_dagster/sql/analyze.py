"""Analyze T-SQL against the Vista catalog: parse, walk, then run every rule in ``RULES`` order.

Examples:
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cols = [{"ObjectName": o, "ColumnName": c} for o in ("APTH", "APTL") for c in ("APCo", "Mth", "APTrans")]
    >>> cat = Catalog.from_records(None, cols)
    >>> a = analyze("SELECT h.Mth FROM APTH h WITH (NOLOCK) WHERE h.APCo = @APCo", cat)
    >>> a.ok, a.statements, a.company_filter, a.catalog_objects
    (True, ('SELECT',), True, ('APTH',))
    >>> sorted(analyze("SELECT * FROM Invoice", cat).rules())
    ['unknown_object']
    >>> analyze("Here are your invoices!", cat).rules()
    {'parse_error'}
"""

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.errors import SqlAnalysisError
from vgpt_dagster.sql.findings import Analysis, Finding, ScriptReport, StatementReport, TableRef
from vgpt_dagster.sql.lookup import catalog_memo
from vgpt_dagster.sql.parse import parse_all
from vgpt_dagster.sql.rule_inputs import RuleInputs
from vgpt_dagster.sql.rules import (
    ambiguous_column,
    column_case,
    incomplete_join,
    missing_company_filter,
    missing_nolock,
    not_select,
    object_case,
    unknown_column,
    unknown_object,
)
from vgpt_dagster.sql.scope import StatementInfo, walk_statement
from vgpt_dagster.sql.statements import ParsedScript

# Rules run in this order; findings are then sorted by position (stable, so rule order breaks ties).
RULES = (
    not_select,
    unknown_object,
    object_case,
    unknown_column,
    column_case,
    ambiguous_column,
    missing_nolock,
    incomplete_join,
    missing_company_filter,
)


def _position_key(f: Finding) -> tuple[int, int]:
    return (f.line if f.line is not None else 1 << 30, f.col if f.col is not None else 1 << 30)


def analyze(
    sql: str,
    catalog: Catalog,
    *,
    require_select: bool = True,
    require_nolock: bool = True,
    require_company_filter: bool = True,
) -> Analysis:
    """Check one statement or a whole script; bad SQL gives ``parse_error`` findings, never an exception.

    Args:
        require_select: flag statements that change data or run code (off for ``--allow-writes``).
        require_nolock: every catalog table read needs ``WITH (NOLOCK)``.
        require_company_filter: queries over company-keyed objects must pin the company column.
    """
    if not isinstance(sql, str):
        raise SqlAnalysisError(f"analyze() needs the SQL text as a str, got {type(sql).__name__}: {sql!r:.80}")
    memo = catalog_memo(catalog)
    parsed = parse_all(sql)
    infos = _known_created([walk_statement(s, sql, memo) for s in parsed.statements])
    ctx = RuleInputs(sql, catalog, memo, infos, require_select, require_nolock, require_company_filter)
    findings: list[Finding] = list(parsed.errors)
    for rule in RULES:
        findings.extend(rule.check(ctx))
    findings.sort(key=_position_key)
    known = [s for s in ctx.company_statuses if s is not None]
    tables = tuple(
        TableRef(s.name, s.obj.name if s.obj else None, s.alias, s.nolock, s.kind) for i in infos for s in i.refs
    )
    return Analysis(
        sql=sql,
        parsed=not parsed.errors,
        statements=tuple(i.kind for i in infos),
        tables=tables,
        joins=tuple(j.info for j in ctx.joins),
        findings=tuple(findings),
        company_filter=all(known) if known else None,
        extra={"ctes": sorted({s.name for i in infos for s in i.refs if s.kind == "cte"})},
        report=script_report(parsed, infos),
    )


def _known_created(infos: list[StatementInfo]) -> list[StatementInfo]:
    """A table the script creates (CREATE TABLE x, SELECT ... INTO x) is not unknown in its other statements."""
    created = {s.name.lower() for i in infos for s in i.refs if s.kind == "created"}
    for src in (s for i in infos for s in i.refs if s.kind == "unknown" and s.name.lower() in created):
        src.kind = "created"
    return infos


def _source_name(src) -> str:
    return src.obj.name if src.obj is not None else src.name


def script_report(parsed: ParsedScript, infos: list[StatementInfo]) -> ScriptReport:
    """Statements found / analysed / unparseable, modules and objects used (``Analysis.report``)."""
    objects: dict[str, dict[str, None]] = {}
    data: list[StatementReport] = []
    for info in infos:
        for src in info.refs:
            objects.setdefault(src.kind, {})[_source_name(src)] = None
        if info.refs:
            names = tuple(dict.fromkeys(_source_name(s) for s in info.refs))
            module = info.module.name if info.module else None
            data.append(StatementReport(info.line, info.col, info.kind, module, info.role, names))
    return ScriptReport(
        found=parsed.found,
        analysed=len(infos),
        data=len(data),
        unparseable=tuple(u.to_dict() for u in parsed.unparsed),
        modules=tuple(m.to_dict() for m in parsed.modules),
        objects={k: tuple(v) for k, v in sorted(objects.items())},
        statements=tuple(data),
    )
