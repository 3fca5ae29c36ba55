"""The judge agrees with every hand-written calibration response (the seeds' examples among them)."""

import json
from pathlib import Path

import pytest

from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.free import infer_case, judge_free
from vgpt_dagster.judging.judge import BEHAVIORS, judge

CALIBRATION = [json.loads(line) for line in (Path(__file__).parent / "calibration.jsonl").read_text().splitlines()]


def test_calibration_set_covers_every_behaviour():
    assert len(CALIBRATION) >= 30
    assert {x["behavior"] for x in CALIBRATION} == set(BEHAVIORS)
    assert {x["case"]["kind"] for x in CALIBRATION} >= {
        "existence",
        "describe",
        "sql",
        "join",
        "error_fix",
        "business",
        "case",
    }


@pytest.mark.parametrize("item", CALIBRATION, ids=[x["case"]["id"] for x in CALIBRATION])
def test_judge_matches_calibration(item, full_catalog):
    v = judge(Case.from_dict(item["case"]), item["response"], full_catalog)
    assert (v.behavior, v.verdict) == (item["behavior"], item["verdict"]), (item["note"], v.reasons)
    assert v.verdict == "pass" or v.reasons  # a failure always says why


@pytest.mark.parametrize("item", CALIBRATION, ids=[x["case"]["id"] for x in CALIBRATION])
def test_free_judge_infers_the_same_expectation(item, full_catalog):
    v = judge_free(item["case"]["question"], item["response"], full_catalog)
    assert (v.behavior, v.verdict) == (item["behavior"], item["verdict"]), (item["note"], v.reasons)


def test_refusal_is_scoped_to_the_object(full_catalog):
    case = Case(
        "x",
        "main",
        "hallucination",
        "sql",
        "Query the Invoice table",
        objects_must_refuse=("Invoice",),
        real_alternatives=("APTH",),
    )
    ok = "Invoice does not exist. ```sql\nSELECT APCo FROM APTH WITH (NOLOCK)\n```"
    assert judge(case, ok, full_catalog).behavior == "correct_refusal"
    bad = "APTH does not exist. ```sql\nSELECT APCo FROM APTH WITH (NOLOCK)\n```"
    assert judge(case, bad, full_catalog).behavior == "false_rejection"


def test_aphd_and_companies_are_real_in_free_mode(full_catalog):
    assert infer_case("Does APHD exist in Vista?", full_catalog).objects_must_use == ("APHD",)
    assert infer_case("Does Companies exist in Vista?", full_catalog).expected_exists is True
    assert infer_case("Does apth exist in Vista?", full_catalog).kind == "case"


def test_unparseable_sql_earns_no_schema_or_nolock_credit(full_catalog):
    """Seen from the untrained tiny model: SQL-shaped noise must not count as schema-valid or NOLOCK-compliant."""
    case = Case(
        "s",
        "main",
        "sql_generation",
        "sql",
        "List AP invoices for company 1",
        objects_must_use=("APTH",),
        sql_expected=True,
    )
    noise = "FROM WITH (NOLOCK)\nWHERE a WITH (NOLOCK)\nWHERE = 1\nSELECT TOP 100 a a a = a = a a a a = a"
    d = judge(case, noise, full_catalog).details
    assert d["sql_count"] >= 1 and (d["parsed"], d["schema_valid"], d["nolock"]) == (False, False, False)
    good = "```sql\nSELECT APCo, Mth, APTrans FROM APTH WITH (NOLOCK) WHERE APCo = 1\n```"
    d = judge(case, good, full_catalog).details
    assert (d["parsed"], d["schema_valid"], d["nolock"]) == (True, True, True)
