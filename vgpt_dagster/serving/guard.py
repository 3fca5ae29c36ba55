"""The SQL guard between the model and the user: analyze every statement, repair what is certain, re-ask once.

Deterministic repairs (each is certain from the catalog alone, and each is recorded):

* identifier case: ``apth`` -> ``APTH``, ``h.apco`` -> ``h.APCo`` (Vista's collation is binary);
* join keys: an ``ON`` clause missing columns of the composite key gets them from the catalog;
* company filter: when the question names the company ("for company 1") and the query does not pin it;
* ``WITH (NOLOCK)`` on every catalog table read without it (``sql.rewrite.add_nolock``).

SQL that parses but reads no Vista table or view (``SELECT * * *``) answers nothing: it is an error
(``no_catalog_object``) like the analyzer's.

What is not certain (unknown objects or columns, SQL that does not parse, any error left after the repairs)
is sent back to the model once (:func:`reask_message`) with the findings and the real alternatives. If the
answer still fails, :func:`refusal_text` says so plainly and names the real objects; the invalid SQL is not
passed on. The guard never executes SQL.

Examples:
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cols = [{"ObjectName": o, "ColumnName": c} for o in ("APTH", "APTL") for c in ("APCo", "Mth", "APTrans")]
    >>> keys = [{"ObjectName": "APTH", "KeyName": "biAPTH", "KeyType": "UNIQUE CLUSTERED INDEX",
    ...          "Columns": ["APCo", "Mth", "APTrans"]}]
    >>> cat = Catalog.from_records(None, cols, keys)
    >>> r = repair_sql("SELECT h.mth FROM apth h WHERE h.APCo = 1", cat)
    >>> print(r.sql)
    SELECT h.Mth FROM APTH h WITH (NOLOCK) WHERE h.APCo = 1
    >>> r.ok, sorted(x.split(':')[0] for x in r.repairs)
    (True, ['column_case', 'missing_nolock', 'object_case'])
"""

import difflib
import re
from dataclasses import asdict, dataclass, field

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.errors import SqlAnalysisError
from vgpt_dagster.sql import DIALECT
from vgpt_dagster.sql.analyze import analyze
from vgpt_dagster.sql.findings import (
    COLUMN_CASE,
    INCOMPLETE_JOIN,
    MISSING_COMPANY_FILTER,
    MISSING_NOLOCK,
    OBJECT_CASE,
    UNKNOWN_COLUMN,
    UNKNOWN_OBJECT,
    Analysis,
    Finding,
)
from vgpt_dagster.sql.parse import parse_statements
from vgpt_dagster.sql.rewrite import add_nolock

NO_CATALOG_OBJECT = "no_catalog_object"  # the guard's own finding: SQL that reads no Vista object answers nothing


def _finding_dict(f: Finding) -> dict:
    return {k: v for k, v in asdict(f).items() if v is not None}


@dataclass
class Repair:
    """One SQL statement block before and after the deterministic repairs."""

    original: str
    sql: str
    repairs: list[str] = field(default_factory=list)
    before: tuple[Finding, ...] = ()
    after: tuple[Finding, ...] = ()
    objects: tuple[str, ...] = ()  # catalog objects the repaired SQL reads

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.after)

    @property
    def needs_reask(self) -> bool:
        return not self.ok

    def to_dict(self) -> dict:
        return {
            "original": self.original,
            "sql": self.sql,
            "ok": self.ok,
            "repairs": list(self.repairs),
            "findings_before": [_finding_dict(f) for f in self.before],
            "findings_after": [_finding_dict(f) for f in self.after],
        }


def _word_sub(text: str, written: str, exact: str) -> str:
    return re.sub(rf"(?<![\w@#\[.]){re.escape(written)}(?![\w])", exact, text) if written != exact else text


def _fix_case(sql: str, analysis: Analysis, catalog: Catalog, repairs: list[str]) -> str:
    for f in analysis.findings:
        if f.rule == OBJECT_CASE and f.object:
            exact = catalog.resolve(f.object)
            if exact is not None:
                sql = _word_sub(sql, f.object, exact.name)
                repairs.append(f"object_case: {f.object} -> {exact.name}")
        elif f.rule == COLUMN_CASE and f.object and f.column:
            col = catalog.column(f.object, f.column)
            if col is not None:
                sql = re.sub(rf"(?<=\.){re.escape(f.column)}(?![\w])", col.name, sql)
                sql = _word_sub(sql, f.column, col.name)
                repairs.append(f"column_case: {f.column} -> {col.name}")
    return sql


def _qualifier_for(node) -> str:
    alias = node.alias
    return alias or node.name


def _complete_joins(sql: str, catalog: Catalog, repairs: list[str]) -> str:
    """Add the missing key columns to every ON clause of a join between two catalog objects."""
    from sqlglot import exp  # noqa: PLC0415

    stmts, err = parse_statements(sql)
    if err is not None:
        return sql
    changed = False
    for stmt in stmts:
        for select in stmt.node.find_all(exp.Select):
            tables = [select.args.get("from_") or select.args.get("from")]
            base = tables[0].this if tables[0] is not None else None
            if not isinstance(base, exp.Table):
                continue
            seen = [base]
            for join in select.args.get("joins") or ():
                right = join.this
                if not isinstance(right, exp.Table) or join.args.get("on") is None:
                    continue
                changed |= _complete_one(join, right, seen, catalog, repairs)
                seen.append(right)
    if not changed:
        return sql
    return ";\n".join(s.node.sql(dialect=DIALECT) for s in stmts)


def _pairs_in(on) -> set[tuple[str, str]]:
    from sqlglot import exp  # noqa: PLC0415

    out = set()
    for eq in on.find_all(exp.EQ):
        a, b = eq.this, eq.expression
        if isinstance(a, exp.Column) and isinstance(b, exp.Column):
            out.add((a.table.lower(), a.name.lower(), b.table.lower(), b.name.lower()))
            out.add((b.table.lower(), b.name.lower(), a.table.lower(), a.name.lower()))
    return out


def _complete_one(join, right, seen, catalog: Catalog, repairs: list[str]) -> bool:
    from sqlglot import exp  # noqa: PLC0415

    on = join.args["on"]
    used = _pairs_in(on)
    rq = _qualifier_for(right)
    for left in seen:
        pairs = catalog.join_keys(left.name, right.name)
        lq = _qualifier_for(left)
        linked = any((rq.lower(), r.lower(), lq.lower(), lcol.lower()) in used for lcol, r in pairs)
        if not pairs or not linked:
            continue
        missing = [(lcol, r) for lcol, r in pairs if (rq.lower(), r.lower(), lq.lower(), lcol.lower()) not in used]
        if not missing:
            return False
        added = [exp.EQ(this=exp.column(r, table=rq), expression=exp.column(lcol, table=lq)) for lcol, r in missing]
        join.set("on", exp.and_(on, *added))
        repairs.append(f"incomplete_join: {', '.join(f'{rq}.{r} = {lq}.{lcol}' for lcol, r in missing)}")
        return True
    return False


def _add_company(sql: str, analysis: Analysis, catalog: Catalog, company: int, repairs: list[str]) -> str:
    """Pin the company when the question named it and the query has one catalog table without a filter."""
    from sqlglot import exp  # noqa: PLC0415

    stmts, err = parse_statements(sql)
    if err is not None or len(stmts) != 1 or not isinstance(stmts[0].node, exp.Select):
        return sql
    node = stmts[0].node
    base = (node.args.get("from_") or node.args.get("from") or exp.From()).this
    if not isinstance(base, exp.Table) or catalog.resolve(base.name) is None:
        return sql
    col = catalog.company_column(base.name)
    if col is None:
        return sql
    node = node.where(exp.EQ(this=exp.column(col, table=_qualifier_for(base)), expression=exp.Literal.number(company)))
    repairs.append(f"missing_company_filter: {_qualifier_for(base)}.{col} = {company}")
    return node.sql(dialect=DIALECT)


def repair_sql(sql: str, catalog: Catalog, company: int | None = None) -> Repair:
    """Analyze one SQL block, apply the certain repairs, analyze again."""
    first = analyze(sql, catalog)
    repairs: list[str] = []
    text = sql
    rules = first.rules()
    if rules & {OBJECT_CASE, COLUMN_CASE}:
        text = _fix_case(text, first, catalog, repairs)
    if INCOMPLETE_JOIN in rules:
        text = _complete_joins(text, catalog, repairs)
    if company is not None and MISSING_COMPANY_FILTER in analyze(text, catalog).rules():
        text = _add_company(text, analyze(text, catalog), catalog, company, repairs)
    if MISSING_NOLOCK in analyze(text, catalog).rules():
        try:
            fixed = add_nolock(text, catalog)
        except SqlAnalysisError:
            fixed = text
        if fixed != text:
            repairs.append("missing_nolock: WITH (NOLOCK) added")
            text = fixed
    after = analyze(text, catalog) if repairs else first
    findings = after.findings
    if after.parsed and not after.catalog_objects and not after.errors:  # "SELECT * * *": parses, answers nothing
        findings = (*findings, Finding(NO_CATALOG_OBJECT, "error", "the SQL reads no Vista table or view"))
    return Repair(sql, text, repairs, first.findings, findings, after.catalog_objects)


def alternatives(findings: list[Finding], catalog: Catalog, objects: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Real names for every unknown object (did-you-mean) and unknown column (the object's closest columns).

    An unqualified unknown column is looked up on the query's only catalog object (``objects``) when there is one.
    """
    out: dict[str, list[str]] = {}
    for f in findings:
        if f.rule == UNKNOWN_OBJECT and f.object:
            out.setdefault(f.object, catalog.suggest(f.object, 3))
        elif f.rule == UNKNOWN_COLUMN and f.column:
            owner = f.object or (objects[0] if len(objects) == 1 else None)
            obj = catalog.resolve(owner) if owner else None
            names = list(obj.column_names) if obj else []
            close = difflib.get_close_matches(f.column, names, n=3, cutoff=0.4) or names[:3]
            out.setdefault(f"{obj.name}.{f.column}" if obj else f.column, close)
    return out


def _objects(repairs: list[Repair]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(o for r in repairs for o in r.objects))


def reask_message(failed: list[Repair], catalog: Catalog, retrieved: list[str]) -> str:
    """The one follow-up turn: what was wrong, the real alternatives, and the objects to use."""
    findings = [f for r in failed for f in r.after if f.severity == "error"]
    lines = ["Your SQL is not valid against the Vista catalog:"]
    lines += [f"- {f.message}" for f in findings[:8]]
    alts = alternatives(findings, catalog, _objects(failed))
    if alts:
        lines.append("Real alternatives:")
        lines += [f"- {name}: {', '.join(real) or '(none)'}" for name, real in alts.items()]
    if retrieved:
        lines.append(f"Use only these objects: {', '.join(retrieved)}.")
    lines.append("Answer again with corrected SQL.")
    return "\n".join(lines)


def refusal_text(failed: list[Repair], catalog: Catalog, retrieved: list[str]) -> str:
    """Said instead of passing invalid SQL on: what is wrong and which real objects exist."""
    findings = [f for r in failed for f in r.after if f.severity == "error"]
    problems = "; ".join(dict.fromkeys(f.message for f in findings[:5]))
    alts = alternatives(findings, catalog, _objects(failed))
    real = list(dict.fromkeys([*[a for v in alts.values() for a in v], *retrieved]))[:6]
    text = f"I could not write valid SQL for this against the Vista catalog ({problems})."
    if real:
        text += f" Real objects that may answer it: {', '.join(real)}."
    return text
