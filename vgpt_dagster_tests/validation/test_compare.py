"""Comparison deltas and regressions, and the promotion gate, on hand-made reports."""

import pytest

from vgpt_dagster.errors import ValidationError
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.judge import Verdict
from vgpt_dagster.judging.metrics import compute_metrics
from vgpt_dagster.validation.compare import compare_reports, promotion_decision
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.report import ValidationReport

CASES = [
    Case("real", "main", "schema_knowledge", "describe", "Describe APTL", objects_must_use=("APTL",)),
    Case("fake", "main", "hallucination", "describe", "Describe Invoice", objects_must_refuse=("Invoice",)),
]


def _report(label, real_behavior, fake_behavior, version="v1"):
    vs = (
        Verdict("real", real_behavior, "pass" if real_behavior == "correct_answer" else "fail", ("r",)),
        Verdict("fake", fake_behavior, "pass" if fake_behavior == "correct_refusal" else "fail", ("f",)),
    )
    return ValidationReport(label, {"adapter_dir": label}, version, compute_metrics(vs, CASES, (0, 1, 10)), vs)


def test_dpo_newly_refusing_a_real_table_is_a_regression():
    cmp = compare_reports(
        {
            "sft": _report("sft", "correct_answer", "hallucinated_answer"),
            "dpo_v3": _report("dpo_v3", "false_rejection", "correct_refusal"),
        }
    )
    assert cmp.deltas["sft->dpo_v3"]["false_rejection_rate"] == 1.0
    assert cmp.deltas["sft->dpo_v3"]["invented_name_hallucination_rate"] == -1.0
    assert cmp.deltas["sft->dpo_v3"]["hallucination_rate"] == -0.5  # 1 of the 2 cases
    assert [r["case_id"] for r in cmp.regressions["sft->dpo_v3"]] == ["real"]
    assert "Real objects newly refused: 1" in cmp.markdown


def test_reports_on_different_suites_are_refused():
    with pytest.raises(ValidationError, match="different eval suites"):
        compare_reports(
            {
                "a": _report("a", "correct_answer", "correct_refusal"),
                "b": _report("b", "correct_answer", "correct_refusal", version="v2"),
            }
        )


def test_promotion_gate():
    cfg = ValidationConfig()
    good = _report("kto", "correct_answer", "correct_refusal")
    assert promotion_decision(good, cfg, "pretrained")[:2] == (True, "ERROR")
    bad = _report("dpo", "false_rejection", "correct_refusal")
    passed, severity, evidence = promotion_decision(bad, cfg, "tiny")
    assert (passed, severity, evidence["false_rejection_rate"]) == (False, "WARN", 1.0)


def test_promotion_gate_fails_a_model_that_answers_nothing_usable():
    """All-unclear answers have no false rejection and no hallucination, yet must not pass the gate."""
    cfg = ValidationConfig()
    silent = _report("base", "unclear", "unclear")
    assert silent.metrics["false_rejection_rate"] == 0.0 and silent.metrics["hallucination_rate"] == 0.0
    passed, severity, evidence = promotion_decision(silent, cfg, "pretrained")
    assert (passed, severity, evidence["pass_rate"], evidence["min_pass_rate"]) == (False, "ERROR", 0.0, 0.85)
