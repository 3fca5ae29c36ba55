"""Fail-fast on bad adapters and an end-to-end validation of a tiny trained adapter (real PEFT on the CPU)."""

import json
from pathlib import Path

import pytest

from vgpt_dagster.errors import ValidationError
from vgpt_dagster.judging.cases import Case, Suite
from vgpt_dagster.validation.compare import compare_reports, promotion_decision, write_comparison
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.report import read_report, write_report
from vgpt_dagster.validation.runner import run_validation

CALIBRATION = Path(__file__).parents[1] / "judging" / "calibration.jsonl"
CFG = ValidationConfig(generation={"max_new_tokens": 12, "batch_size": 8})


def _suite() -> Suite:
    cases, seen = [], set()
    for line in CALIBRATION.read_text().splitlines():
        c = Case.from_dict(json.loads(line)["case"])
        if c.question not in seen:
            seen.add(c.question)
            cases.append(c)
    return Suite(tuple(cases))


@pytest.fixture(scope="module")
def sft_adapter(tmp_path_factory, micro_profile):
    """Micro base model + a 4-step SFT LoRA (seconds on the CPU)."""
    from vgpt_dagster.runtime.device import DeviceRequest, plan_device
    from vgpt_dagster.training.recipe import load_recipe
    from vgpt_dagster.training.run import run_stage
    from vgpt_dagster.training.tiny import build_tiny_model
    from vgpt_dagster_tests.support.projects import FAST, make_root
    from vgpt_dagster_tests.support.synthetic import corpus, write_datasets

    paths = make_root(tmp_path_factory.mktemp("valroot"))
    write_datasets(paths)
    build_tiny_model(corpus(), paths.base_model_dir("micro"), micro_profile, seed=0)
    recipe = load_recipe("sft", paths, None, {**FAST, "max_steps": 4, "save_steps": 4, "eval_steps": 4})
    result = run_stage(
        "sft", paths=paths, profile=micro_profile, recipe=recipe, device_plan=plan_device(DeviceRequest(device="cpu"))
    )
    return paths, result.out_dir


@pytest.fixture(scope="session")
def micro_profile():
    from vgpt_dagster.runtime.profiles import ModelProfile
    from vgpt_dagster_tests.support.projects import MICRO

    return ModelProfile(name="micro", kind="tiny", tiny=MICRO)


def test_missing_adapter_is_an_error_not_a_fallback(tmp_path, full_catalog, micro_profile):
    from vgpt_dagster.paths import ProjectPaths

    with pytest.raises(ValidationError, match="does not exist.*never falls back"):
        run_validation(
            ProjectPaths(tmp_path),
            micro_profile,
            tmp_path / "no_such_adapter",
            _suite(),
            full_catalog,
            CFG,
            "validation_sft",
        )


def test_corrupt_adapter_is_an_error(tmp_path, full_catalog, micro_profile):
    from vgpt_dagster.paths import ProjectPaths

    bad = tmp_path / "adapter"
    bad.mkdir()
    (bad / "adapter_config.json").write_text("{}")
    (bad / "adapter_model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValidationError, match="not a readable safetensors file"):
        run_validation(ProjectPaths(tmp_path), micro_profile, bad, _suite(), full_catalog, CFG, "validation_sft")


def test_end_to_end_tiny_adapter(sft_adapter, full_catalog, micro_profile, tmp_path):
    paths, adapter = sft_adapter
    suite = _suite()
    report = run_validation(paths, micro_profile, adapter, suite, full_catalog, CFG, "validation_sft")
    assert len(report.verdicts) == len(suite.cases) == report.metrics["n"]
    assert set(report.checkpoint["adapter_files"]) >= {"adapter_config.json", "adapter_model.safetensors"}
    assert report.checkpoint["base_model_sha256"]
    assert all(len(h) == 64 for h in report.checkpoint["adapter_files"].values())
    base = run_validation(paths, micro_profile, None, suite, full_catalog, CFG, "validation_base")
    assert base.checkpoint["adapter_dir"] is None
    js, md = write_report(report, tmp_path, "validation_sft")
    assert read_report(js).metrics == report.metrics and "false-rejection rate" in md.read_text()
    cmp = compare_reports({"base": base, "sft": read_report(js)})
    assert "base->sft" in cmp.deltas and "| pass_rate |" in cmp.markdown
    out = write_comparison(cmp, tmp_path)
    assert out["png"].read_bytes()[:4] == b"\x89PNG"
    passed, severity, evidence = promotion_decision(report, CFG, "tiny")
    assert severity == "WARN" and evidence["max_false_rejection_rate"] == 0.0
    assert passed == (
        evidence["false_rejection_rate"] == 0.0
        and evidence["invented_name_hallucination_rate"] <= 0.15
        and evidence["pass_rate"] >= evidence["min_pass_rate"]
    )
