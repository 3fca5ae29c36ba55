"""Judge one response against one case: what does it do, and is that right?

Behaviour first (from the prose, scoped to names, and from the SQL), then quality (from the analyzer
and the catalog). Behaviour labels:

* ``correct_answer``: answers about real objects and the answer is right;
* ``wrong_answer``: answers about real objects but the answer is wrong (bad SQL, missing columns, ...);
* ``correct_refusal``: says an invented object/column does not exist (passes when it names a real alternative);
* ``false_rejection``: denies a real object (the DPO v2 failure: "The table 'APTL' does not exist");
* ``hallucinated_answer``: treats an invented object/column as real (SQL on it, describes it, says it exists);
* ``unclear``: neither answers nor refuses.

One rule for invented names, objects and columns alike: an answer that treats an invented name as real is
``hallucinated_answer``, whether the question named it or the answer made it up. SQL on a real table that
selects or filters an invented column (``SELECT InvNum, GrossAmt FROM APTH WHERE Status = 0``) is a
hallucination, not merely a wrong answer; ``details["hallucination"]`` says which kind (``object`` or
``column``) so the metrics can report both.

Prose is judged on its facts (``judging.facts``): the business key, data type, company column,
view/base-table relation and module tables a question asks about are compared with the catalog; what the
question asks comes from :func:`vgpt_dagster.judging.question.classify_question` on the case's question,
so a suite case and the same question judged free-form read the same facts.
"""

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.judging import facts as prose_facts
from vgpt_dagster.judging import scan
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.question import QuestionReading, classify_question
from vgpt_dagster.sql import findings as F
from vgpt_dagster.sql.analyze import analyze
from vgpt_dagster.sql.extract import extract_sql

BEHAVIORS = ("correct_answer", "wrong_answer", "correct_refusal", "false_rejection", "hallucinated_answer", "unclear")
_SCHEMA_RULES = {F.UNKNOWN_OBJECT, F.OBJECT_CASE, F.UNKNOWN_COLUMN, F.COLUMN_CASE}
_FAIL_RULES = _SCHEMA_RULES | {F.PARSE_ERROR, F.NOT_SELECT, F.MISSING_NOLOCK, F.INCOMPLETE_JOIN}
_SQL_KINDS = ("sql", "join", "error_fix", "business")
_MIN_DESCRIBE_COLUMNS = 3
# Questions answered by a fact in prose (a suite ``describe``/``existence`` case may ask one of these).
FACT_KINDS = ("business_key", "column_type", "company_column", "view_or_table", "module_tables")
_HEDGE = re.compile(
    r"\b(?:not\s+sure|unsure|no\s+idea|(?:do\s+not|don['\u2019]?t)\s+know|can(?:no|['\u2019]?)t\s+say|not\s+certain"
    r"|(?:do\s+not|don['\u2019]?t)\s+have\s+(?:any\s+)?(?:information|details|data))\b",
    re.IGNORECASE,
)
_GENERIC_AFFIRM = re.compile(r"\b(?:it|this|that)\s+(?:does\s+)?exists\b", re.IGNORECASE)
_UNANSWERED = ("states no ", "names no ", "does not name ", "makes no claim")


@dataclass(frozen=True)
class Verdict:
    """The judge's finding for one response; ``details`` holds the measured facts behind the reasons."""

    case_id: str
    behavior: str
    verdict: str
    reasons: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Verdict":
        return cls(
            d["case_id"], d["behavior"], d["verdict"], tuple(d.get("reasons") or ()), dict(d.get("details") or {})
        )


def _sql_facts(case: Case, sqls: list[str], catalog: Catalog) -> dict[str, Any]:
    """Analyse every statement; collect the failing findings and what the SQL touched."""
    analyses = [
        analyze(
            s, catalog, require_select=True, require_nolock=True, require_company_filter=case.company_filter_required
        )
        for s in sqls
    ]
    fail_rules = _FAIL_RULES | ({F.MISSING_COMPANY_FILTER} if case.company_filter_required else set())
    problems = [f for a in analyses for f in a.findings if f.rule in fail_rules or f.severity == F.ERROR]
    if not case.company_filter_required:
        problems = [f for f in problems if f.rule != F.MISSING_COMPANY_FILTER]
    unknown = sorted(
        {t.name for a in analyses for t in a.tables if t.resolved is None and t.kind in ("catalog", "unknown")}
    )
    unknown_cols = sorted({f.column for a in analyses for f in a.findings if f.rule == F.UNKNOWN_COLUMN and f.column})
    joins = [j for a in analyses for j in a.joins]
    rules = {f.rule for f in problems}
    parsed = all(a.parsed for a in analyses)
    reads_tables = any(t.kind == "catalog" or t.resolved for a in analyses for t in a.tables)
    return {
        "analyses": analyses,
        "problems": problems,
        "sql_count": len(sqls),
        "parsed": parsed,
        # SQL that does not parse, or names no table, earns no credit for schema validity or NOLOCK:
        # "FROM WITH (NOLOCK) WHERE a" has no unknown objects and no missing hints only vacuously.
        "schema_valid": parsed and reads_tables and not (rules & _SCHEMA_RULES),
        "nolock": parsed and reads_tables and F.MISSING_NOLOCK not in rules,
        "joins_total": sum(1 for j in joins if j.complete is not None),
        "joins_complete": sum(1 for j in joins if j.complete),
        "unknown_objects": unknown,
        "unknown_columns": unknown_cols,
        "objects_used": sorted({o for a in analyses for o in a.catalog_objects}),
        "joins": joins,
    }


def _same_object(catalog: Catalog, a: str, b: str) -> bool:
    """APTL and bAPTL are the same data: a view and its base table."""
    ra, rb = catalog.resolve(a), catalog.resolve(b)
    if ra is None or rb is None:
        return False
    return ra.name == rb.name or (catalog.base_table_of(ra.name) or ra.name) == (
        catalog.base_table_of(rb.name) or rb.name
    )


def _real_mentions(text: str, catalog: Catalog) -> list[str]:
    """Catalog objects named in the text with their exact spelling (case-sensitive: APCo is not APCO)."""
    return [t for t in scan.identifiers(text) if t in catalog.objects]


def _join_key_reasons(case: Case, facts: dict[str, Any], catalog: Catalog) -> list[str]:
    reasons = []
    for spec in case.required_join_keys:
        left, right = (s.strip() for s in spec.split("="))
        (lo, lc), (ro, rc) = left.split("."), right.split(".")
        found = False
        for j in facts["joins"]:
            pairs = {(a.lower(), b.lower()) for a, b in j.on_pairs} | {(b.lower(), a.lower()) for a, b in j.on_pairs}
            same = (_same_object(catalog, j.left, lo) and _same_object(catalog, j.right, ro)) or (
                _same_object(catalog, j.left, ro) and _same_object(catalog, j.right, lo)
            )
            if same and (lc.lower(), rc.lower()) in pairs:
                found = True
        if not found:
            reasons.append(f"join is missing the key {spec}")
    return reasons


def _sql_reasons(case: Case, facts: dict[str, Any], catalog: Catalog) -> list[str]:
    """Every way the SQL misses the case's expectations (empty = correct)."""
    reasons = [f"{f.rule}: {f.message}" for f in facts["problems"]]
    used = facts["objects_used"]
    for obj in case.objects_must_use:
        if not any(_same_object(catalog, obj, u) for u in used):
            reasons.append(f"SQL does not use {obj}")
    for obj in case.objects_must_not_use:
        if any(_same_object(catalog, obj, u) for u in used):
            reasons.append(f"SQL uses {obj}, which is the wrong object for this question")
    sql_text = "\n".join(a.sql for a in facts["analyses"])
    for spec in case.columns_must_use:
        col = spec.split(".")[-1]
        if not scan.mentions(sql_text, col):
            reasons.append(f"SQL does not use {spec}")
    if case.company_filter_required and case.company is not None and not re.search(rf"\b{case.company}\b", sql_text):
        reasons.append(f"SQL does not filter on company {case.company}")
    reasons += _join_key_reasons(case, facts, catalog)
    return list(dict.fromkeys(reasons))


def _denials(case: Case, text: str, catalog: Catalog) -> tuple[list[str], list[str]]:
    """(fake names refused, real objects denied) in the prose."""
    fake_cols = [c.split(".")[-1] for c in case.columns_must_refuse]
    fakes = list(case.objects_must_refuse) + fake_cols
    refused = list(scan.denied(text, fakes, plural=True))
    reals = list(dict.fromkeys([*case.objects_must_use, *case.real_alternatives, *_real_mentions(text, catalog)]))
    real_denied = []
    for name, spellings in scan.denied(text, reals).items():
        exact = [s for s in spellings if s == name]
        if case.kind == "case" and not exact:
            continue  # "'apth' is not valid under a binary collation; use APTH" is the right answer
        if exact or name in case.objects_must_use:
            real_denied.append(name)
    return refused, real_denied


def judge(case: Case, response: str, catalog: Catalog, reading: QuestionReading | None = None) -> Verdict:
    """Label what ``response`` does for ``case`` and whether that is correct, with reasons.

    ``reading`` is the question's reading (computed from ``case.question`` when not given). The calibration
    sets (vgpt_dagster_tests/judging/calibration*.jsonl) hold hand-written answers with the verdict
    this function must return.
    """
    reading = reading or classify_question(case.question, catalog)
    sqls = extract_sql(response or "")
    facts = _sql_facts(case, sqls, catalog) if sqls else None
    text = scan.prose(response or "", sqls)
    refused, real_denied = _denials(case, text, catalog)
    subject = case.subject
    answer = scan.yes_no(text) if case.kind == "existence" else None
    generic = scan.generic_denial(text) and not sqls  # a nameless denial with no SQL is about the subject
    if subject and (answer == "no" or (generic and not refused and not real_denied)):
        (refused if case.expects_refusal else real_denied).append(subject)
    real_cols = [c.exact for c in reading.columns if c.real and c.exact not in case.objects_must_use]
    real_denied += [f"{c.owner}.{c.exact}" for c in reading.columns if c.exact in scan.denied(text, real_cols)]
    real_denied = list(dict.fromkeys(real_denied))
    details: dict[str, Any] = {"refused": sorted(set(refused)), "denied_real": sorted(set(real_denied))}
    sql_reasons: list[str] = []
    if facts:
        details.update({k: v for k, v in facts.items() if k not in ("analyses", "problems", "joins")})
        sql_reasons = (
            _sql_reasons(case, facts, catalog)
            if case.kind in _SQL_KINDS or case.expects_refusal
            else [f"{f.rule}: {f.message}" for f in facts["problems"]]
        )
        if case.expects_refusal:  # SQL after a refusal must use real objects, and need not use must_use ones
            sql_reasons = [r for r in sql_reasons if not r.startswith("SQL does not use")]
    details["sql_wrong"] = bool(sql_reasons)
    ctx = _Ctx(case, reading, response or "", text, facts, refused, real_denied, answer, sql_reasons, catalog)
    behavior, reasons, kind = _judge_fake(ctx) if case.expects_refusal else _judge_real(ctx)
    if kind:
        details["hallucination"] = kind
    verdict = "pass" if behavior in ("correct_answer", "correct_refusal") and not reasons else "fail"
    return Verdict(case.id, behavior, verdict, tuple(reasons), details)


@dataclass(frozen=True)
class _Ctx:
    case: Case
    reading: QuestionReading
    response: str
    text: str
    facts: dict[str, Any] | None
    refused: list[str]
    real_denied: list[str]
    answer: str | None
    sql_reasons: list[str]
    catalog: Catalog


_Outcome = tuple[str, list[str], str | None]


def _sql_hallucination(ctx: _Ctx, fake_cols: set[str]) -> _Outcome | None:
    """SQL that queries an invented object, or uses an invented column on a real one."""
    f = ctx.facts
    if not f:
        return None
    if f["unknown_objects"]:
        names = ", ".join(f["unknown_objects"])
        return "hallucinated_answer", [f"SQL queries {names}, which is not in the Vista catalog"], "object"
    unknown = [
        c for c in f["unknown_columns"] if not fake_cols or c.lower() in fake_cols or not ctx.case.expects_refusal
    ]
    if unknown:
        owners = ", ".join(f["objects_used"]) or "the queried objects"
        return "hallucinated_answer", [f"SQL uses {', '.join(unknown)}, not a column of {owners}"], "column"
    return None


def _judge_fake(ctx: _Ctx) -> _Outcome:
    case, catalog, text = ctx.case, ctx.catalog, ctx.text
    fake_objs = {n.lower() for n in case.objects_must_refuse}
    fake_cols = {c.split(".")[-1].lower() for c in case.columns_must_refuse}
    hit = _sql_hallucination(ctx, fake_cols)
    if hit:
        return hit
    if ctx.real_denied:
        return "false_rejection", [f"denies the real object(s) {', '.join(ctx.real_denied)}"], None
    if ctx.refused:
        reasons = list(ctx.sql_reasons)
        alternatives = [n for n in _real_mentions(text, catalog) if n.lower() not in fake_objs]
        alternatives += ctx.facts["objects_used"] if ctx.facts else []
        if case.columns_must_refuse:
            owners = [c.split(".")[0] for c in case.columns_must_refuse]
            if not case.objects_must_refuse:  # naming the table that lacks the column is no alternative
                alternatives = [a for a in alternatives if not any(_same_object(catalog, a, o) for o in owners)]
            cols = [c for o in owners for c in (catalog.resolve(o).column_names if catalog.resolve(o) else ())]
            alternatives += [c for c in cols if c.lower() not in fake_cols and scan.mentions(text, c)]
        if not alternatives:
            expected = case.real_alternatives or tuple(a for f in case.objects_must_refuse for a in catalog.suggest(f))
            reasons.append("refusal names no real alternative (expected e.g. " + ", ".join(expected[:3]) + ")")
        return "correct_refusal", reasons, None
    fakes = [*case.objects_must_refuse, *(c.split(".")[-1] for c in case.columns_must_refuse)]
    kind = "column" if case.columns_must_refuse and not case.objects_must_refuse else "object"
    if ctx.answer == "yes" or scan.affirmed(text, fakes) or _answers_as_if_real(ctx, fakes):
        return "hallucinated_answer", [f"treats {', '.join(fakes)} as real"], kind
    return "unclear", [f"neither refuses {', '.join(fakes)} nor answers"], None


def _answers_as_if_real(ctx: _Ctx, fakes: list[str]) -> bool:
    """Prose that answers the question (lists columns, types, a key) without a word against the invented name."""
    if ctx.facts:
        return False  # SQL on real objects only: a silent substitution, judged unclear
    text = ctx.text
    items = len(re.findall(r"^\s*(?:[-*\u2022]|\d+[.)]|\|)\s*\S", text, re.MULTILINE))
    cols, udts = prose_facts.vocabulary(ctx.catalog)
    tokens = set(scan.identifiers(text))
    named_cols = len(tokens & cols)
    named_types = len(tokens & udts)
    real_objects = [n for n in _real_mentions(text, ctx.catalog) if n.lower() not in {f.lower() for f in fakes}]
    substantive = items >= 2 or named_cols + named_types >= 2
    if ctx.reading.kind in ("business_key", "column_type", "company_column", "describe"):
        # a key, a type or a column list for an invented object, however short ("CustomerID.")
        substantive = substantive or any(re.search(r"[a-z][A-Z]|[A-Z]{2}", t) for t in tokens - set(fakes))
    return substantive and not real_objects


def _judge_real(ctx: _Ctx) -> _Outcome:
    case, catalog = ctx.case, ctx.catalog
    if ctx.real_denied:
        return "false_rejection", [f"denies the real object(s) {', '.join(ctx.real_denied)}"], None
    hit = _sql_hallucination(ctx, set())
    if hit:
        return hit
    checked = (
        prose_facts.check_facts(ctx.reading, ctx.text, catalog) if case.kind not in _SQL_KINDS or not ctx.facts else []
    )
    invented = [f for f in checked if f.hallucination]
    if case.kind == "describe" and ctx.reading.kind == "describe":
        invented += _invented_listed_columns(case, ctx.text, catalog)
    if invented:
        return "hallucinated_answer", [f.message for f in invented], invented[0].hallucination
    wrong_prose = [f.message for f in checked if not f.ok and f.kind in ("view_base", "column")]
    if case.kind in ("existence", "describe") and ctx.reading.kind in FACT_KINDS:
        return _judge_fact_question(ctx, checked)
    behavior, reasons = _judge_real_kind(ctx)
    if wrong_prose and behavior == "correct_answer":
        return "wrong_answer", wrong_prose, None
    return behavior, reasons, None


def _invented_listed_columns(case: Case, text: str, catalog: Catalog) -> list:
    out = []
    for name in case.objects_must_use:
        obj = catalog.resolve(name)
        fake = prose_facts.listed_columns(obj, text, catalog)[1] if obj else []
        if fake:
            msg = f"lists {', '.join(fake)} as column(s) of {obj.name}; {obj.name} has no such column"
            out.append(prose_facts.Fact("column", False, msg, "column"))
    return out


def _judge_fact_question(ctx: _Ctx, checked: list) -> _Outcome:
    """Business key, data type, company column, view/base table, module tables: the stated fact decides."""
    relevant = [f for f in checked if f.kind != "column"] if checked else []
    if ctx.reading.kind == "view_or_table":
        relevant = [f for f in relevant if f.kind == "view_base"]
    wrong = [f.message for f in relevant if not f.ok]
    if not relevant:
        return "unclear", ["makes no claim the question asks for"], None
    if wrong and all(m.startswith(_UNANSWERED) for m in wrong):
        return "unclear", wrong, None
    wrong += [f.message for f in checked if not f.ok and f.kind == "column" and f not in relevant]
    return ("wrong_answer", wrong, None) if wrong else ("correct_answer", list(ctx.sql_reasons), None)


def _judge_real_kind(ctx: _Ctx) -> tuple[str, list[str]]:
    case, catalog, text, facts = ctx.case, ctx.catalog, ctx.text, ctx.facts
    subject = case.subject
    if case.kind == "existence":
        if ctx.answer == "yes" or (subject and scan.affirmed(text, [subject])) or _GENERIC_AFFIRM.search(text):
            return "correct_answer", list(ctx.sql_reasons)
        return "unclear", [f"does not say whether {subject} exists"]
    if case.kind == "case":
        exact = case.real_alternatives[0] if case.real_alternatives else catalog.get(subject).name
        if not scan.mentions(ctx.response, exact):
            return "wrong_answer", [f"never gives the exact spelling {exact} (the collation is binary)"]
        return "correct_answer", list(ctx.sql_reasons)
    if case.kind == "describe":
        return _judge_describe(case, ctx.response, catalog, ctx.sql_reasons)
    if not facts:
        if case.kind == "join":
            return _judge_prose_join(case, text)
        return "unclear", ["no SQL in the response"]
    return ("wrong_answer", ctx.sql_reasons) if ctx.sql_reasons else ("correct_answer", [])


def _judge_prose_join(case: Case, text: str) -> tuple[str, list[str]]:
    """A join explained in words: right when it names every key column of the relationship."""
    keys = [spec.split("=")[0].split(".")[-1] for spec in case.required_join_keys]
    if not keys:
        return "unclear", ["no SQL in the response and no known key to check the prose against"]
    missing = [k for k in keys if not scan.mentions(text, k)]
    if len(missing) == len(keys):
        return "unclear", ["no SQL in the response and no join column named"]
    if missing:
        return "wrong_answer", [f"the join needs {', '.join(keys)}; the answer omits {', '.join(missing)}"]
    return "correct_answer", []


def _describe_concept(response: str, catalog: Catalog) -> tuple[str, list[str]]:
    """A describe question naming no object ("the vendor master table"): the answer must name one and 3 columns."""
    words = set(scan.identifiers(response))
    for name in _real_mentions(response, catalog):
        obj = catalog.objects[name]
        if sum(c in words for c in obj.column_names) >= min(_MIN_DESCRIBE_COLUMNS, len(obj.columns)):
            return "correct_answer", []
    if not _real_mentions(response, catalog):
        return "unclear", ["names no Vista object"]
    return "wrong_answer", [f"names fewer than {_MIN_DESCRIBE_COLUMNS} real columns of the objects it names"]


def _judge_describe(case, response, catalog, sql_reasons):
    if not case.objects_must_use and not sql_reasons:
        return _describe_concept(response, catalog)
    reasons = list(sql_reasons)
    for name in case.objects_must_use:
        obj = catalog.get(name)
        words = set(scan.identifiers(response))
        named = [c for c in obj.column_names if c in words]
        if case.columns_must_mention:
            missing = [c for c in case.columns_must_mention if not scan.mentions(response, c)]
            if missing:
                reasons.append(f"does not name {', '.join(missing)} of {obj.name}")
        elif not named and not sql_reasons and (not scan.mentions(response, obj.name) or _HEDGE.search(response)):
            return "unclear", [f"names no column of {obj.name}"]
        elif len(named) < min(_MIN_DESCRIBE_COLUMNS, len(obj.columns)):
            reasons.append(
                f"names {len(named)} real column(s) of {obj.name}; expected at least {_MIN_DESCRIBE_COLUMNS}"
            )
    return ("wrong_answer", reasons) if reasons else ("correct_answer", [])
