"""Every metric on small hand-made verdict sets, with the expected numbers worked out by hand."""

import pytest

from vgpt_dagster.errors import ValidationError
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.judge import Verdict
from vgpt_dagster.judging.metrics import compute_metrics

REAL = dict(objects_must_use=("APTH",))
FAKE = dict(objects_must_refuse=("Invoice",))
CASES = [
    Case("r1", "main", "sql_generation", "sql", "q1", **REAL),
    Case("r2", "main", "sql_generation", "sql", "q2", **REAL),
    Case("r3", "main", "schema_knowledge", "describe", "q3", **REAL),
    Case("r4", "probe", "probe", "existence", "q4", **REAL),
    Case("f1", "main", "hallucination", "describe", "q5", **FAKE),
    Case("f2", "holdout", "hallucination", "sql", "q6", **FAKE),
    Case("f3", "holdout", "hallucination", "existence", "q7", **FAKE),
]
SQL_OK = {"sql_count": 1, "parsed": True, "schema_valid": True, "nolock": True, "joins_total": 1, "joins_complete": 1}
SQL_BAD = {
    "sql_count": 1,
    "parsed": True,
    "schema_valid": True,
    "nolock": False,
    "joins_total": 2,
    "joins_complete": 1,
    "sql_wrong": True,
}
SQL_FAKE = {
    "sql_count": 1,
    "parsed": True,
    "schema_valid": False,
    "nolock": True,
    "joins_total": 0,
    "joins_complete": 0,
    "sql_wrong": True,
}
VERDICTS = [
    Verdict("r1", "correct_answer", "pass", details=SQL_OK),
    Verdict("r2", "wrong_answer", "fail", ("missing_nolock",), SQL_BAD),
    Verdict("r3", "false_rejection", "fail", ("denies APTH",)),
    Verdict("r4", "correct_answer", "pass"),
    Verdict("f1", "correct_refusal", "pass"),
    Verdict("f2", "hallucinated_answer", "fail", ("SQL on Invoice",), SQL_FAKE),
    Verdict("f3", "unclear", "fail", ("neither",)),
]


@pytest.fixture(scope="module")
def m():
    return compute_metrics(VERDICTS, CASES, (0, 1, 10))


def test_pass_rates(m):
    assert m["n"] == 7 and m["passed"] == 3
    assert m["pass_rate"] == pytest.approx(3 / 7, abs=1e-6)
    assert m["pass_rate_by_category"] == {
        "hallucination": 1.0,
        "holdout": 0.0,
        "probe": 1.0,
        "schema_knowledge": 0.0,
        "sql_generation": 0.5,
    }


def test_headline_rates(m):
    assert m["false_rejection_rate"] == 0.25  # 1 of 4 real-object cases
    assert m["invented_name_hallucination_rate"] == pytest.approx(1 / 3, abs=1e-6)  # 1 of 3 fake cases
    assert m["hallucination_rate"] == pytest.approx(1 / 7, abs=1e-6)  # 1 of 7 cases, an object hallucination
    assert (m["object_hallucination_rate"], m["column_hallucination_rate"]) == (m["hallucination_rate"], 0.0)
    assert m["holdout_hallucination_rate"] == 0.5  # 1 of 2 held-out fake cases


def test_sql_rates(m):
    assert m["sql_responses"] == 3
    assert m["sql_parse_rate"] == 1.0
    assert m["schema_valid_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert m["nolock_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert m["join_key_correctness"] == pytest.approx(2 / 3, abs=1e-6)  # (1 + 1 + 0) complete of (1 + 2 + 0)


def test_reliability(m):
    # 3 passes (+1 each); r2 wrong SQL and f2 hallucination (-c each); r3 needless refusal and f3 unclear (0)
    assert m["reliability"] == {
        "0": pytest.approx(3 / 7, abs=1e-6),
        "1": pytest.approx(1 / 7, abs=1e-6),
        "10": pytest.approx(-17 / 7, abs=1e-6),
    }
    assert m["behaviors"]["false_rejection"] == 1


def test_empty_denominators_are_none_not_zero():
    m = compute_metrics([Verdict("r4", "correct_answer", "pass")], CASES, (1,))
    assert m["invented_name_hallucination_rate"] is None and m["sql_parse_rate"] is None
    assert m["false_rejection_rate"] == 0.0 and m["hallucination_rate"] == 0.0


def test_invented_columns_on_real_tables_count_in_the_hallucination_rate():
    """Issue 10: object and column hallucination reported apart, both inside the hallucination rate."""
    col = {**SQL_FAKE, "hallucination": "column"}
    vs = [
        Verdict("r1", "hallucinated_answer", "fail", ("SQL uses InvNum",), col),
        Verdict("r2", "correct_answer", "pass", details=SQL_OK),
        Verdict("f2", "hallucinated_answer", "fail", ("SQL on Invoice",), {**SQL_FAKE, "hallucination": "object"}),
        Verdict("f3", "correct_refusal", "pass"),
    ]
    m = compute_metrics(vs, CASES, (1,))
    assert (m["object_hallucination_rate"], m["column_hallucination_rate"]) == (0.25, 0.25)
    assert m["hallucination_rate"] == 0.5  # both kinds count
    assert m["invented_name_hallucination_rate"] == 0.5  # f2 of (f2, f3); r1 is about a real table
    assert m["false_rejection_rate"] == 0.0


def test_unknown_case_id_is_an_error():
    with pytest.raises(ValidationError, match="unknown case ids"):
        compute_metrics([Verdict("nope", "unclear", "fail")], CASES, (1,))
