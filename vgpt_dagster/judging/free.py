"""Judge a (question, response) pair without a suite case: the expectation comes from the question.

:func:`vgpt_dagster.judging.question.classify_question` reads the question (kind, objects real or
invented, columns, module, company); :func:`infer_case` turns that into the same :class:`Case` fields a
suite case carries, and :func:`judge_free` judges with the same :func:`judge` (which reads the same
reading for its prose fact checks), so a question judged free-form gets the verdict its suite case gets.

Examples:
    >>> from vgpt_dagster.catalog.load import load_default_catalog
    >>> cat = load_default_catalog()
    >>> c = infer_case("How do I join Invoice and Customer?", cat)
    >>> c.kind, c.objects_must_refuse
    ('join', ('Invoice', 'Customer'))
    >>> judge_free("Is Orders a real Vista table?", "No, 'Orders' is not a real Vista table. See POHD.", cat).behavior
    'correct_refusal'
"""

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.judge import Verdict, judge
from vgpt_dagster.judging.question import QuestionReading, classify_question

# Intent kind -> suite case kind (fact questions are describe cases; the judge reads the fact from the reading).
_CASE_KIND = {
    "exists": "existence",
    "describe": "describe",
    "business_key": "describe",
    "column_type": "describe",
    "company_column": "describe",
    "view_or_table": "describe",
    "module_tables": "describe",
    "write_sql": "sql",
    "fix_sql": "error_fix",
    "join": "join",
    "business_question": "business",
    "other": "sql",
}
_SQL_INTENTS = ("write_sql", "fix_sql", "join", "business_question")


def _join_keys(reading: QuestionReading, catalog: Catalog) -> tuple[str, ...]:
    real = [o.exact for o in reading.real_objects]
    if reading.kind != "join" or len(real) < 2:
        return ()
    return tuple(f"{real[0]}.{a}={real[1]}.{b}" for a, b in catalog.join_keys(real[0], real[1]))


def infer_case(question: str, catalog: Catalog, case_id: str = "free", reading: QuestionReading | None = None) -> Case:
    """A Case whose expectations come from the question's reading and the catalog."""
    reading = reading or classify_question(question, catalog)
    kind = _CASE_KIND[reading.kind]
    real = [o.exact for o in reading.real_objects]
    fake = [o.text for o in reading.fake_objects]
    variants = [o for o in reading.case_variants]
    variant = variants[0].text if variants and not fake else ""
    if variant and reading.kind in ("exists", "describe", "other", "write_sql"):
        kind = "case"
    # A fake column the question asks for ("select CustomerName from ARCM", "does APTH have a Status column")
    fake_cols = (
        tuple(c.qualified for c in reading.fake_columns)
        if reading.kind in ("write_sql", "exists", "describe", "other")
        else ()
    )
    alternatives: tuple[str, ...] = ()  # suggestions for invented objects are computed by the judge when needed
    if fake_cols:
        owners = [catalog.resolve(c.owner) for c in reading.fake_columns]
        alternatives = tuple(
            dict.fromkeys(a for o, c in zip(owners, reading.fake_columns, strict=True) for a in _similar(o, c.text))
        )
    sql = reading.kind in _SQL_INTENTS and not fake and not fake_cols
    co = reading.company
    filtered = bool(sql and co is not None and real and catalog.company_column(real[0]))
    must_use = tuple(dict.fromkeys(real)) if not fake_cols else ()
    return Case(
        case_id,
        "main",
        "free",
        kind,
        question,
        objects_must_use=must_use,
        objects_must_refuse=tuple(fake),
        columns_must_refuse=fake_cols,
        real_alternatives=alternatives or (tuple(real) if not fake else ()),
        required_join_keys=_join_keys(reading, catalog) if not fake else (),
        sql_expected=sql,
        company_filter_required=filtered,
        company=co if filtered else None,
        expected_exists=(not fake and not fake_cols) if kind == "existence" else None,
        variant=variant if kind == "case" else "",
    )


def _similar(obj, col: str) -> list[str]:
    import difflib  # noqa: PLC0415

    return difflib.get_close_matches(col, list(obj.column_names), n=3, cutoff=0.4) if obj else []


def judge_free(question: str, response: str, catalog: Catalog, case_id: str = "free") -> Verdict:
    """Judge a response to any question: the expectation is inferred by :func:`infer_case`."""
    reading = classify_question(question, catalog)
    return judge(infer_case(question, catalog, case_id, reading), response, catalog, reading)
