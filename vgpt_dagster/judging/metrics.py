"""Checkpoint metrics from verdicts: pass rates, hallucination and false-rejection rates, SQL quality, reliability.

Definitions (denominators in brackets; a rate with an empty denominator is None, never 0):

* ``pass_rate`` [all cases], ``pass_rate_by_category`` [cases of the category; held-out and probes are
  their own categories ``holdout`` and ``probe``];
* ``hallucination_rate``: answers that treat an invented name as real [all cases]; it is the sum of
  ``object_hallucination_rate`` (an invented table/view used, described or affirmed) and
  ``column_hallucination_rate`` (an invented column, e.g. ``SELECT InvNum ... FROM APTH``) [all cases];
* ``invented_name_hallucination_rate``: hallucinated answers [cases about invented names] (what the seeds
  measured; the promotion gate uses it);
* ``false_rejection_rate``: false rejections [cases about real objects] — the headline number, target 0;
* ``sql_parse_rate`` / ``schema_valid_rate`` / ``nolock_rate`` [responses that contain SQL];
* ``join_key_correctness``: complete joins [joins between objects whose key the catalog knows];
* ``reliability[c]``: TrustSQL-style mean score, +1 for a passing answer or refusal, 0 for a needless
  refusal or an abstention, -c for a hallucination or wrong SQL.

Examples:
    >>> from vgpt_dagster.judging.judge import Verdict
    >>> from vgpt_dagster.judging.cases import Case
    >>> cases = [Case("a", "main", "join", "join", "q"), Case("b", "main", "join", "join", "q")]
    >>> vs = [Verdict("a", "correct_answer", "pass"), Verdict("b", "wrong_answer", "fail", details={"sql_wrong": True})]
    >>> m = compute_metrics(vs, cases, (0, 1, 10))
    >>> m["pass_rate"], m["reliability"]["10"]
    (0.5, -4.5)
"""

from collections.abc import Sequence
from typing import Any

from vgpt_dagster.errors import ValidationError
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.judge import Verdict


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


def score(verdict: Verdict, c: float) -> float:
    """TrustSQL score of one verdict for penalty ``c``."""
    if verdict.passed:
        return 1.0
    if verdict.behavior in ("hallucinated_answer", "wrong_answer") or verdict.details.get("sql_wrong"):
        return -float(c)
    return 0.0


def hallucination_kind(verdict: Verdict) -> str:
    """``object`` or ``column`` for a hallucinated answer (verdicts from before the split count as object)."""
    return "column" if verdict.details.get("hallucination") == "column" else "object"


def group_of(case: Case) -> str:
    return case.category if case.part == "main" else case.part


def compute_metrics(verdicts: Sequence[Verdict], cases: Sequence[Case], penalties: Sequence[float]) -> dict[str, Any]:
    """All metrics of one checkpoint; ``cases`` must cover every verdict's ``case_id``."""
    by_id = {c.id: c for c in cases}
    missing = [v.case_id for v in verdicts if v.case_id not in by_id]
    if missing:
        raise ValidationError(f"verdicts for unknown case ids {missing[:5]}: the report and the suite do not match.")
    n = len(verdicts)
    groups: dict[str, list[Verdict]] = {}
    for v in verdicts:
        groups.setdefault(group_of(by_id[v.case_id]), []).append(v)
    fake = [v for v in verdicts if by_id[v.case_id].expects_refusal]
    real = [v for v in verdicts if not by_id[v.case_id].expects_refusal]
    with_sql = [v for v in verdicts if v.details.get("sql_count")]
    joins_total = sum(v.details.get("joins_total", 0) for v in with_sql)
    kinds = {"object": 0, "column": 0}
    for v in verdicts:
        if v.behavior == "hallucinated_answer":
            kinds[hallucination_kind(v)] += 1
    behaviors: dict[str, int] = {}
    for v in verdicts:
        behaviors[v.behavior] = behaviors.get(v.behavior, 0) + 1
    return {
        "n": n,
        "passed": sum(v.passed for v in verdicts),
        "pass_rate": _rate(sum(v.passed for v in verdicts), n),
        "pass_rate_by_category": {g: _rate(sum(v.passed for v in vs), len(vs)) for g, vs in sorted(groups.items())},
        "n_by_category": {g: len(vs) for g, vs in sorted(groups.items())},
        "hallucination_rate": _rate(kinds["object"] + kinds["column"], n),
        "object_hallucination_rate": _rate(kinds["object"], n),
        "column_hallucination_rate": _rate(kinds["column"], n),
        "invented_name_hallucination_rate": _rate(sum(v.behavior == "hallucinated_answer" for v in fake), len(fake)),
        "false_rejection_rate": _rate(sum(v.behavior == "false_rejection" for v in real), len(real)),
        "holdout_hallucination_rate": _rate(
            sum(v.behavior == "hallucinated_answer" for v in fake if by_id[v.case_id].part == "holdout"),
            sum(1 for v in fake if by_id[v.case_id].part == "holdout"),
        ),
        "sql_responses": len(with_sql),
        "sql_parse_rate": _rate(sum(bool(v.details.get("parsed")) for v in with_sql), len(with_sql)),
        "schema_valid_rate": _rate(sum(bool(v.details.get("schema_valid")) for v in with_sql), len(with_sql)),
        "nolock_rate": _rate(sum(bool(v.details.get("nolock")) for v in with_sql), len(with_sql)),
        "join_key_correctness": _rate(sum(v.details.get("joins_complete", 0) for v in with_sql), joins_total),
        "behaviors": dict(sorted(behaviors.items())),
        "reliability": {_fmt(c): (round(sum(score(v, c) for v in verdicts) / n, 6) if n else None) for c in penalties},
    }


def _fmt(c: float) -> str:
    """Penalty as a JSON key: 10.0 -> "10"."""
    return str(int(c)) if float(c).is_integer() else str(c)


def judge_summary(judged: Sequence[str], labels: Sequence[str | None] = ()) -> dict[str, Any]:
    """Behaviour counts of judged answers and, where people labelled them, the confusion matrix and agreement.

    ``judged[i]`` is the judge's behaviour of answer i, ``labels[i]`` the human one (None = unlabelled).
    ``confusion[human][judge]`` counts labelled answers; ``agreement`` is the share whose behaviours match.

    Examples:
        >>> s = judge_summary(["correct_refusal", "unclear", "correct_answer"], ["correct_refusal"] * 2 + [None])
        >>> s["counts"]["correct_refusal"], s["labelled"], s["agreement"], s["confusion"]["correct_refusal"]["unclear"]
        (1, 2, 0.5, 1)
    """
    from vgpt_dagster.judging.judge import BEHAVIORS  # noqa: PLC0415 - BEHAVIORS lives with the judge

    counts = {b: sum(j == b for j in judged) for b in BEHAVIORS}
    pairs = [(h, j) for h, j in zip(labels, judged, strict=False) if h]
    confusion = {h: {j: 0 for j in BEHAVIORS} for h in BEHAVIORS}
    for h, j in pairs:
        confusion[h][j] += 1
    return {
        "n": len(judged),
        "counts": counts,
        "labelled": len(pairs),
        "agreement": _rate(sum(h == j for h, j in pairs), len(pairs)),
        "confusion": confusion if pairs else None,
    }


def format_judge_summary(summary: dict[str, Any]) -> str:
    """Plain-text tables of :func:`judge_summary` for the terminal (rows: people, columns: judge)."""
    lines = [f"{summary['n']} answer(s) judged", "", "behaviour            count"]
    lines += [f"{b:<20} {c:>5}" for b, c in summary["counts"].items()]
    if summary["confusion"] is None:
        lines += ["", "no 'behavior' labels in the file: add them to see the confusion matrix and agreement"]
        return "\n".join(lines) + "\n"
    short = {b: "".join(w[0] for w in b.split("_")).upper() for b in summary["counts"]}
    header = "human \\ judge        " + " ".join(f"{short[b]:>4}" for b in summary["counts"])
    lines += ["", header]
    for h, row in summary["confusion"].items():
        lines.append(f"{h:<20} " + " ".join(f"{row[j]:>4}" for j in summary["counts"]))
    lines.append("(" + ", ".join(f"{v} = {k}" for k, v in short.items()) + ")")
    agreement = summary["agreement"]
    lines += ["", f"agreement: {agreement:.1%} of {summary['labelled']} labelled answer(s)"]
    return "\n".join(lines) + "\n"


def percent(x: float | None) -> str:
    """A rate as ``12.3%`` (``n/a`` when there is none): the one format of every rate table.

    >>> percent(0.1234), percent(None)
    ('12.3%', 'n/a')
    """
    return "n/a" if x is None else f"{100 * x:.1f}%"
