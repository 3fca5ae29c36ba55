"""The free-form judge agrees with a careful reader on >= 98% of 250+ realistic hand-written answers.

``calibration_realistic.jsonl`` holds answers written by hand in the styles real models use (prose,
markdown lists and tables, fenced and bare SQL, refusals in every wording, partial refusals), including
every example quoted in issue 10 and the seeds' quoted answers. Each line is only a question, a response
and the human label: no case metadata, exactly what `vgpt eval judge FILE` receives.
"""

import json
from collections import Counter
from pathlib import Path

from vgpt_dagster.judging.free import judge_free
from vgpt_dagster.judging.judge import BEHAVIORS
from vgpt_dagster.judging.question import QUESTION_KINDS, classify_question

ROWS = [
    json.loads(line)
    for line in (Path(__file__).parent / "calibration_realistic.jsonl").read_text(encoding="utf-8").splitlines()
]


def test_realistic_set_is_large_and_covers_every_behaviour_and_intent(full_catalog):
    assert len(ROWS) >= 250
    assert len({(r["question"], r["response"]) for r in ROWS}) == len(ROWS)  # no duplicates padding the count
    counts = Counter(r["behavior"] for r in ROWS)
    assert set(counts) == set(BEHAVIORS) and min(counts.values()) >= 10, counts
    kinds = {classify_question(r["question"], full_catalog).kind for r in ROWS}
    assert kinds >= set(QUESTION_KINDS) - {"other"}, set(QUESTION_KINDS) - kinds
    assert sum(r["class"] == "issue" for r in ROWS) >= 9 and sum(r["class"] == "seed" for r in ROWS) >= 5


def test_free_judge_agrees_with_people_on_98_percent(full_catalog):
    misses = []
    for r in ROWS:
        v = judge_free(r["question"], r["response"], full_catalog, case_id=r["id"])
        if (v.behavior, v.verdict) != (r["behavior"], r["verdict"]):
            misses.append(
                f"{r['id']} [{r['class']}] {r['question']!r}: want {r['behavior']}/{r['verdict']}, "
                f"got {v.behavior}/{v.verdict} {list(v.reasons)}\n    response: {r['response'][:160]!r}"
            )
        elif v.verdict == "fail":
            assert v.reasons, r["id"]  # a failure always says why
    for m in misses:
        print("MISS", m)
    agreement = 1 - len(misses) / len(ROWS)
    assert agreement >= 0.98, f"agreement {agreement:.3f} on {len(ROWS)} answers; misses:\n" + "\n".join(misses)


def test_every_issue_example_gets_the_careful_verdict(full_catalog):
    """Issue 10's quoted examples, through the path `vgpt eval judge` takes (no metadata)."""
    for r in (r for r in ROWS if r["class"] == "issue"):
        v = judge_free(r["question"], r["response"], full_catalog)
        assert (v.behavior, v.verdict) == (r["behavior"], r["verdict"]), (r["note"], v.reasons)


def test_column_and_object_hallucinations_are_told_apart(full_catalog):
    sql = (
        "SELECT APCo, Mth, APTrans, Vendor, InvNum, InvDate, GrossAmt\n"
        "FROM APTH WITH (NOLOCK)\nWHERE APCo = 1 AND Status = 0"
    )
    v = judge_free("Write SQL to get all unpaid AP invoices for company 1", sql, full_catalog)
    assert (v.behavior, v.details["hallucination"]) == ("hallucinated_answer", "column")
    assert {"InvNum", "GrossAmt", "Status"} <= set(v.details["unknown_columns"])
    v = judge_free("Query the APInvoice table", "```sql\nSELECT * FROM APInvoice WITH (NOLOCK)\n```", full_catalog)
    assert (v.behavior, v.details["hallucination"]) == ("hallucinated_answer", "object")
