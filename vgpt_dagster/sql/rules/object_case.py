"""``object_case``: an object spelled with the wrong case (``apth``); Vista's collation is binary.

Examples:
    >>> from vgpt_dagster.sql.analyze import analyze
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": "APCo"}])
    >>> [f.message for f in analyze("SELECT * FROM apth", cat).findings if f.rule == "object_case"]
    ["'apth' is spelled 'APTH' in Vista. The database collation is binary (case-sensitive), so write 'APTH'."]
"""

from vgpt_dagster.sql.findings import ERROR, OBJECT_CASE, Finding
from vgpt_dagster.sql.rule_inputs import RuleInputs


def check(ctx: RuleInputs) -> list[Finding]:
    findings: list[Finding] = []
    for info in ctx.statements:
        for src in info.refs:
            if src.kind == "catalog" and src.obj.name != src.name:
                msg = ctx.memo.lookup(src.name).message()
                findings.append(Finding(OBJECT_CASE, ERROR, msg, src.line, src.col, object=src.name))
    return findings
