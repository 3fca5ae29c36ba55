"""``missing_nolock``: every catalog table or view a query reads needs ``WITH (NOLOCK)`` (Vista convention).

The old ``APTH (NOLOCK)`` form and ``READUNCOMMITTED`` count; targets of writes are not reads.

Inside a procedure, function or trigger body, the tables an INSERT ... SELECT, UPDATE ... FROM, DELETE ...
JOIN or MERGE reads are not flagged: they feed a write in the module's transaction, where a dirty read
would write wrong rows. Every SELECT (result sets, ``SELECT @var = ...``, cursor queries, conditions)
still needs NOLOCK.

Examples:
    >>> from vgpt_dagster.sql.analyze import analyze
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cat = Catalog.from_records(None, [{"ObjectName": "APTH", "ColumnName": "APCo"}])
    >>> a = analyze("SELECT * FROM APTH h WHERE h.APCo = 1", cat)
    >>> [f.message for f in a.findings if f.rule == "missing_nolock"]
    ['APTH h is read without WITH (NOLOCK); write APTH h WITH (NOLOCK).']
"""

from vgpt_dagster.sql.findings import ERROR, MISSING_NOLOCK, Finding
from vgpt_dagster.sql.rule_inputs import RuleInputs

_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})


def check(ctx: RuleInputs) -> list[Finding]:
    if not ctx.require_nolock:
        return []
    findings: list[Finding] = []
    for info in ctx.statements:
        if info.in_module_body and info.kind in _WRITES:
            continue
        for src in info.refs:
            if src.kind == "catalog" and not src.write and not src.nolock:
                ref = f"{src.name} {src.alias}" if src.alias else src.name
                msg = f"{ref} is read without WITH (NOLOCK); write {ref} WITH (NOLOCK)."
                findings.append(Finding(MISSING_NOLOCK, ERROR, msg, src.line, src.col, object=src.obj.name))
    return findings
