"""``missing_company_filter``: a query over company-keyed objects must pin the company.

Vista holds many companies in the same tables; a query that reads APTH without ``APCo = @APCo``
(or ``IN (...)``/``BETWEEN``, against a literal, variable or parameter) in WHERE, ON or HAVING mixes
every company's rows.

Inside modules: a view's body is not checked (a view serves every company; its callers filter), and in a
trigger, equating the company column with the trigger's rows (``h.APCo = i.APCo`` with ``inserted i``)
pins it (those rows belong to the companies being changed). ``WHERE APCo = @apco`` with a procedure's
parameter is a company filter like any other.

Examples:
    >>> from vgpt_dagster.sql.analyze import analyze
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": "APCo"}])
    >>> analyze("SELECT * FROM APTH WITH (NOLOCK) WHERE APCo = @APCo", cat).company_filter
    True
    >>> [f.message for f in analyze("SELECT * FROM APTH WITH (NOLOCK)", cat).findings]
    ['The query reads APTH but never filters its company column (APCo): add e.g. WHERE APTH.APCo = @APCo.']

Whether a statement pins its company (``company_filter_status``) is computed once per statement in
:mod:`vgpt_dagster.sql.company` (the analyzer's ``company_filter`` flag uses it too); this rule reports it.
"""

from vgpt_dagster.sql.company import company_sources
from vgpt_dagster.sql.findings import ERROR, MISSING_COMPANY_FILTER, Finding
from vgpt_dagster.sql.rule_inputs import RuleInputs


def check(ctx: RuleInputs) -> list[Finding]:
    if not ctx.require_company_filter:
        return []
    findings: list[Finding] = []
    for info, status in zip(ctx.statements, ctx.company_statuses, strict=True):
        if status is not False:
            continue
        sources = company_sources(info, ctx.memo)
        objs = ", ".join(dict.fromkeys(s.obj.name for s, _ in sources))
        cols = ", ".join(dict.fromkeys(c for _, c in sources))
        src, col = sources[0]
        msg = (
            f"The query reads {objs} but never filters its company column ({cols}): "
            f"add e.g. WHERE {src.alias or src.name}.{col} = @{col}."
        )
        findings.append(Finding(MISSING_COMPANY_FILTER, ERROR, msg, info.line, info.col, object=src.obj.name))
    return findings
