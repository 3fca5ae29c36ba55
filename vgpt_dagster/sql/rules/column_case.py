"""``column_case``: a column spelled with the wrong case (``h.apco``); Vista's collation is binary.

Examples:
    >>> from vgpt_dagster.sql.analyze import analyze
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": "APCo"}])
    >>> [f.message for f in analyze("SELECT h.apco FROM APTH h", cat).findings if f.rule == "column_case"]
    ["'h.apco' is spelled 'APCo' in APTH. The database collation is binary (case-sensitive), so write 'APCo'."]
"""

from vgpt_dagster.sql.findings import COLUMN_CASE, ERROR, Finding
from vgpt_dagster.sql.rule_inputs import RuleInputs


def check(ctx: RuleInputs) -> list[Finding]:
    findings: list[Finding] = []
    for b in ctx.bindings:
        if b.status != "case" or b.source is None or b.source.obj is None:
            continue
        use = b.use
        written = f"{use.qualifier}.{use.name}" if use.qualifier else use.name
        msg = (
            f"'{written}' is spelled '{b.exact}' in {b.source.obj.name}. The database collation is binary "
            f"(case-sensitive), so write '{b.exact}'."
        )
        findings.append(Finding(COLUMN_CASE, ERROR, msg, use.line, use.col, object=b.source.obj.name, column=use.name))
    return findings
