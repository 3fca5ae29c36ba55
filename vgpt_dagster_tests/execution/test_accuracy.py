"""Execution accuracy on the real suite and sandbox: the oracle matches itself, near misses are caught."""

import pytest

from vgpt_dagster.execution.accuracy import (
    evaluate_answers,
    execution_metrics,
    oracle_self_check,
)
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.judge import judge


def _case(suite, pred):
    return next(c for c in suite.cases if pred(c))


def _run(case, sql, catalog, boxes):
    return evaluate_answers([case], {case.id: f"```sql\n{sql}\n```"}, catalog, boxes)[case.id]


def test_every_oracle_query_executes_and_matches_itself_on_every_variant(suite, full_catalog, boxes):
    assert len(boxes.conns) == 3  # two seeds + the adversarial variant
    report = oracle_self_check(suite.cases, full_catalog, boxes)
    assert report["executable_cases"] >= 300
    assert report["broken_cases"] == []
    assert report["not_matching"] == [] and report["self_accuracy"] == 1.0


def test_wrong_status_filter_and_wrong_company_are_mismatches(suite, full_catalog, boxes):
    case = _case(suite, lambda c: "OpenYN = 'Y'" in c.filters)
    co = case.company
    right = f"SELECT APTrans, OpenYN, Mth, APCo, Vendor FROM APTH WITH (NOLOCK) WHERE APCo = {co} AND OpenYN = 'Y'"
    assert _run(case, right, full_catalog, boxes)["status"] == "match"  # other columns, other order: fine
    wrong_flag = right.replace("OpenYN = 'Y'", "OpenYN = 'N'")
    assert _run(case, wrong_flag, full_catalog, boxes)["status"] == "mismatch"
    other = next(c for c in (1, 2, 5, 10, 101) if c != co)
    wrong_co = right.replace(f"APCo = {co}", f"APCo = {other}")
    assert _run(case, wrong_co, full_catalog, boxes)["status"] == "mismatch"
    no_filter = f"SELECT APTrans, OpenYN, Mth, APCo FROM APTH WITH (NOLOCK) WHERE APCo = {co}"
    assert _run(case, no_filter, full_catalog, boxes)["status"] == "mismatch"
    empty = right.replace("AND OpenYN = 'Y'", "AND OpenYN = 'Y' AND 1 = 0")
    assert _run(case, empty, full_catalog, boxes)["reason"].startswith("row count")
    no_flag_column = right.replace("OpenYN, Mth", "Mth")  # the question's column is required
    assert _run(case, no_flag_column, full_catalog, boxes)["reason"].startswith("no column")


@pytest.mark.parametrize("dropped", ["APTrans", "Mth"])
def test_incomplete_join_keys_multiply_rows(full_catalog, boxes, dropped):
    case = Case(
        "j-1",
        "main",
        "join",
        "join",
        "Join AP headers to their lines for company 2",
        objects_must_use=("APTH", "APTL"),
        sql_expected=True,
        company_filter_required=True,
        company=2,
        required_join_keys=(
            "APTH.APCo=APTL.APCo",
            "APTH.Mth=APTL.Mth",
            "APTH.APTrans=APTL.APTrans",
        ),
    )
    full = ["a.APCo = b.APCo", "a.Mth = b.Mth", "a.APTrans = b.APTrans"]
    on = " AND ".join(k for k in full if dropped not in k)
    sql = (
        "SELECT a.APCo, a.Mth, a.APTrans, b.APLine FROM APTH a WITH (NOLOCK) "
        f"JOIN APTL b WITH (NOLOCK) ON {on} WHERE a.APCo = 2"
    )
    good = sql.replace(on, " AND ".join(full))
    assert _run(case, good, full_catalog, boxes)["status"] == "match"
    res = _run(case, sql, full_catalog, boxes)
    assert res["status"] == "mismatch" and res["reason"].startswith("row count")


def test_untranspilable_and_failing_sql_are_errors_not_crashes(suite, full_catalog, boxes):
    case = _case(suite, lambda c: c.kind == "sql" and c.sql_expected and not c.expects_refusal)
    responses = {case.id: "```sql\nSELEC TOP FROM WHERE\n```"}
    res = evaluate_answers([case], responses, full_catalog, boxes)[case.id]
    assert res["status"] == "transpile_error"
    bad_col = evaluate_answers([case], {case.id: "SELECT NoSuchColumn FROM APTH"}, full_catalog, boxes)[case.id]
    assert bad_col["status"] == "execution_error" and "NoSuchColumn" in bad_col["reason"]
    prose = evaluate_answers([case], {case.id: "I do not know."}, full_catalog, boxes)[case.id]
    assert prose["status"] == "no_sql"
    m = execution_metrics({case.id: res}, [case])
    assert m["execution_error_rate"] == 1.0 and m["execution_accuracy"] == 0.0


def test_metrics_count_static_passes_that_execution_shows_wrong(suite, full_catalog, boxes):
    case = _case(suite, lambda c: "OpenYN = 'Y'" in c.filters)
    wrong = f"SELECT APCo, Mth, APTrans, OpenYN FROM APTH WITH (NOLOCK) WHERE APCo = {case.company} AND OpenYN = 'N'"
    response = f"```sql\n{wrong}\n```"
    verdict = judge(case, response, full_catalog)
    results = evaluate_answers([case], {case.id: response}, full_catalog, boxes)
    m = execution_metrics(results, [case], [verdict])
    assert m["execution_accuracy_by_category"] == {case.category: 0.0}
    assert verdict.passed  # every static check passes on the near miss: only execution catches it
    assert m["static_pass_executed"] == 1 and m["static_pass_execution_wrong"] == 1
