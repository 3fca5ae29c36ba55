"""Which weights are served: promoted when a gate passed, else the newest adapter said so, or a clear refusal."""

import json
import shutil

import dagster as dg
import pytest

from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.judge import Verdict
from vgpt_dagster.judging.metrics import compute_metrics
from vgpt_dagster.serving.promoted import ServingError, select_served_model
from vgpt_dagster.validation.report import ValidationReport, write_report

pytestmark = pytest.mark.slow  # uses the micro model + LoRA fixture (about 40 s to build once)

CASES = [
    Case("r", "main", "join", "join", "q"),
    Case("f", "main", "hallucination", "existence", "q", objects_must_refuse=("X",)),
]


def _write_report(paths, stage: str, passing: bool) -> None:
    real = "correct_answer" if passing else "false_rejection"
    fake = "correct_refusal" if passing else "hallucinated_answer"
    vs = [Verdict("r", real, "pass" if passing else "fail"), Verdict("f", fake, "pass" if passing else "fail")]
    adapter = str(paths.stage_dir("micro", stage))
    report = ValidationReport(
        stage, {"adapter_dir": adapter, "profile": "micro"}, "v1", compute_metrics(vs, CASES, (0, 1, 10)), tuple(vs)
    )
    write_report(report, paths.reports_dir, f"validation_{stage}")


@pytest.fixture
def root(served_root, tmp_path):
    """A copy of the served root (its reports folder is changed per test)."""
    from vgpt_dagster.paths import ProjectPaths

    dst = tmp_path / "root"
    shutil.copytree(served_root.root, dst, ignore=shutil.ignore_patterns("*.work"))
    return ProjectPaths(dst)


def test_without_reports_the_newest_adapter_is_served_and_said_so(root):
    served = select_served_model(root, "micro")
    assert served.status == "fallback" and served.stage == "sft"
    assert "no validation report" in served.reason and "NOT PROMOTED" in served.reason
    with pytest.raises(ServingError, match="--require-promoted: no validation report"):
        select_served_model(root, "micro", require_promoted=True)


def test_a_passing_gate_promotes_and_a_failing_one_does_not(root):
    _write_report(root, "sft", passing=False)
    served = select_served_model(root, "micro")
    assert served.status == "fallback" and "no adapter passed its promotion gate" in served.reason
    assert served.gate["pass_rate"] == 0.0
    _write_report(root, "sft", passing=True)
    served = select_served_model(root, "micro", require_promoted=True)
    assert served.status == "promoted" and served.stage == "sft" and served.gate["pass_rate"] == 1.0


def test_missing_or_broken_adapter_is_an_error(root):
    with pytest.raises(ServingError, match="does not exist"):
        select_served_model(root, "micro", adapter=root.root / "saves" / "nope")
    (root.stage_dir("micro", "sft") / "adapter_model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ServingError, match="not a readable safetensors"):
        select_served_model(root, "micro", adapter="saves/micro/sft")


def test_promoted_model_asset_writes_the_serving_manifest(root):
    from vgpt_dagster.catalog.load import load_default_catalog
    from vgpt_dagster.catalog.store import write_catalog
    from vgpt_dagster.defs.resources import ModelSelection, VgptPaths
    from vgpt_dagster.defs.serving import promoted_model

    write_catalog(load_default_catalog(paths=root), root.catalog_dir)
    _write_report(root, "sft", passing=True)
    result = dg.materialize(
        [promoted_model], resources={"paths": VgptPaths(root=str(root.root)), "model": ModelSelection(profile="micro")}
    )
    assert result.success
    manifest = json.loads((root.data / "serving" / "promoted_model.json").read_text())
    assert manifest["status"] == "promoted" and manifest["stage"] == "sft"
    assert manifest["adapter_dir"] == str(root.stage_dir("micro", "sft")) and len(manifest["catalog_hash"]) == 64
    assert manifest["gate"]["pass_rate"] == 1.0 and manifest["base_model"].endswith("base")
    meta = result.asset_materializations_for_node("promoted_model")[0].metadata
    assert meta["status"].value == "promoted"


def test_serving_effect_experiment_asset_measures_every_mode(root):
    """configs/experiments/serving_effect.yaml through the experiment asset factory, on the micro model."""
    import yaml

    from vgpt_dagster.catalog.load import load_default_catalog
    from vgpt_dagster.catalog.store import write_catalog
    from vgpt_dagster.defs.experiments import experiment_asset
    from vgpt_dagster.defs.resources import GpuResource, ModelSelection, VgptPaths
    from vgpt_dagster.experiments.spec import SERVING_MODES, load_experiment
    from vgpt_dagster.judging.cases import Suite, write_suite
    from vgpt_dagster_tests.retrieval.test_schema import CALIBRATION

    serving_effect = experiment_asset("serving_effect", load_experiment(root, "serving_effect"))
    resources = {
        "paths": VgptPaths(root=str(root.root)),
        "model": ModelSelection(profile="micro"),
        "gpu": GpuResource(),
    }

    write_catalog(load_default_catalog(paths=root), root.catalog_dir)
    lines = CALIBRATION.read_text().splitlines()
    cases = {c.question: c for c in (Case.from_dict(json.loads(line)["case"]) for line in lines)}
    write_suite(Suite(tuple(cases.values())), root.validation_dir / "eval_suite.json")
    cfg_path = root.configs / "experiments" / "serving_effect.yaml"  # read by every run, not only at load
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["measure"].update(limit=6, batch_size=6)
    cfg_path.write_text(yaml.safe_dump(cfg))
    result = dg.materialize([serving_effect], resources=resources)
    assert result.success
    report = json.loads((root.reports_dir / "serving_effect.json").read_text())
    assert [r["mode"] for r in report["rows"]] == list(SERVING_MODES) and all(r["n"] == 6 for r in report["rows"])
    rows = {r["mode"]: r for r in report["rows"]}
    assert rows["model"]["reasked"] == 0 and rows["model"]["catalog_answers"] == 0
    assert rows["hybrid"]["catalog_answers"] > 0  # schema questions answered from the catalog
    for mode, verdicts in report["verdicts"]["served"].items():  # every case's verdict is kept, adds up to the row
        assert [v["case_id"] for v in verdicts] == [c.id for c in list(cases.values())[:6]]
        assert sum(v["passed"] for v in verdicts) / 6 == pytest.approx(rows[mode]["pass_rate"], abs=1e-4)
    meta = result.asset_materializations_for_node("serving_effect")[0].metadata
    assert meta["served/hybrid/pass_rate"].value == rows["hybrid"]["pass_rate"]
    assert report["arms"]["served"]["answered_by"]["profile"] == "micro"
    assert report["extra"]["served"]["judged_subset"] is None  # micro is not a subset profile: the (limited) suite
    assert "| served model | hybrid (vgpt serve) |" in meta["table"].value and "recall" in meta["table"].value

    # A CPU-sized profile is measured on the cases validation judges for it, not on the whole suite
    vpath = root.configs / "validation.yaml"
    vcfg = yaml.safe_load(vpath.read_text())
    cats = sorted({c.category for c in cases.values() if c.part == "main"})
    vcfg["subset"] = {"profiles": ["micro"], "per_category": {cats[0]: 1}}
    vpath.write_text(yaml.safe_dump(vcfg))
    cfg["measure"].update(limit=None, batch_size=8)
    cfg_path.write_text(yaml.safe_dump(cfg))
    result = dg.materialize([serving_effect], resources=resources)
    report = json.loads((root.reports_dir / "serving_effect.json").read_text())
    expected = 1 + sum(c.part != "main" for c in cases.values())
    assert report["extra"]["served"]["judged_subset"]["cases"] == expected == report["rows"][0]["n"] < len(cases)
