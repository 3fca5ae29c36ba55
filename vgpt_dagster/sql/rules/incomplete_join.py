"""``incomplete_join``: a JOIN between two catalog objects that misses columns of their composite key.

Vista keys are composite (APTH -> APTL joins on APCo, Mth, APTrans); joining on part of the key
multiplies rows across months or companies without any error. The key required is the one the generators
teach: ``Catalog.join_evidence`` (declared FK, Viewpoint's observed joins, header/detail key extension, master
lookup); two objects without evidence (a shared ``Seq`` only) require nothing.

Examples:
    >>> from vgpt_dagster.sql.analyze import analyze
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> names = ("APCo", "Mth", "APTrans", "APLine")
    >>> cols = [{"ObjectName": o, "ColumnName": c} for o in ("APTH", "APTL") for c in names]
    >>> keys = [{"ObjectName": o, "KeyName": f"bi{o}", "KeyType": "UNIQUE CLUSTERED INDEX", "Columns": k}
    ...         for o, k in (("APTH", ["APCo", "Mth", "APTrans"]), ("APTL", ["APCo", "Mth", "APTrans", "APLine"]))]
    >>> cat = Catalog.from_records(None, cols, keys)
    >>> sql = "SELECT 1 FROM APTH h JOIN APTL l ON l.APCo = h.APCo AND l.APTrans = h.APTrans"
    >>> [f.message for f in analyze(sql, cat).findings if f.rule == "incomplete_join"]
    ['JOIN APTL l misses Mth of the APTH-APTL key (APCo, Mth, APTrans): add l.Mth = h.Mth.']
"""

from vgpt_dagster.sql.findings import ERROR, INCOMPLETE_JOIN, Finding
from vgpt_dagster.sql.rule_inputs import RuleInputs


def check(ctx: RuleInputs) -> list[Finding]:
    findings: list[Finding] = []
    for fj in ctx.joins:
        info = fj.info
        if info.complete is not False:
            continue
        lq, rq = fj.left.alias or fj.left.name, fj.right.alias or fj.right.name
        missing = info.missing
        cols = ", ".join(b for _, b in missing)
        key = ", ".join(a for a, _ in info.required)
        add = " AND ".join(f"{rq}.{b} = {lq}.{a}" for a, b in missing)
        ref = f"{fj.right.name} {fj.right.alias}" if fj.right.alias else fj.right.name
        msg = f"JOIN {ref} misses {cols} of the {info.left}-{info.right} key ({key}): add {add}."
        findings.append(Finding(INCOMPLETE_JOIN, ERROR, msg, fj.right.line, fj.right.col, object=info.right))
    return findings
