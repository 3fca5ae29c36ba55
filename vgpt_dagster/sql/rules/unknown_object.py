"""``unknown_object``: a table or view that is not in the Vista catalog (with "did you mean").

sqlglot happily parses ``SELECT * FROM Invoice``; only the catalog knows that Vista has no such object.
CTE names, temp tables, table variables, functions and ``sys.``/``INFORMATION_SCHEMA.`` views are not
catalog objects and are never reported.

Examples:
    >>> from vgpt_dagster.sql.analyze import analyze
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": "APCo"}])
    >>> [f.message for f in analyze("SELECT * FROM APTHX", cat).findings if f.rule == "unknown_object"]
    ["'APTHX' is not a table or view in the Vista catalog. Did you mean 'APTH'?"]
"""

from vgpt_dagster.sql.findings import ERROR, UNKNOWN_OBJECT, Finding
from vgpt_dagster.sql.rule_inputs import RuleInputs


def check(ctx: RuleInputs) -> list[Finding]:
    findings: list[Finding] = []
    for info in ctx.statements:
        for src in info.refs:
            if src.kind == "unknown":
                msg = ctx.memo.lookup(src.name).message()
                findings.append(Finding(UNKNOWN_OBJECT, ERROR, msg, src.line, src.col, object=src.name))
    return findings
