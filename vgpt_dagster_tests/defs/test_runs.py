"""Real in-process Dagster runs on a smoke-scale project: audits as blocking checks, missing upstream files,
and the whole pipeline from the schema to the model comparison."""

import json

import dagster as dg
import polars as pl
import pytest

from vgpt_dagster.datasets.dataset_audits import AUDIT_NAMES
from vgpt_dagster.defs import build_definitions
from vgpt_dagster.defs.resources import VgptPaths
from vgpt_dagster_tests.support.asset_groups import ASSET_GROUPS
from vgpt_dagster_tests.support.projects import SMOKE_OVERRIDES, make_project

DATASETS = [*ASSET_GROUPS["catalog"], *ASSET_GROUPS["datasets"]]


def materialize(root, selection, raise_on_error=False):
    defs = build_definitions()
    resources = {**defs.resources, "paths": VgptPaths(root=str(root))}
    return dg.materialize(list(defs.assets), selection=selection, resources=resources, raise_on_error=raise_on_error)


def failure_messages(result) -> str:
    return "\n".join(ev.event_specific_data.error.to_string() for ev in result.all_events if ev.is_step_failure)


@pytest.fixture(scope="module")
def datasets_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("datasets") / "project"
    paths = make_project(root, SMOKE_OVERRIDES)
    return paths, materialize(root, DATASETS)


def test_dataset_run_reports_every_declared_audit_and_passes(datasets_run):
    paths, result = datasets_run
    assert result.success, failure_messages(result)
    evaluations: dict[str, set[str]] = {}
    for ev in result.get_asset_check_evaluations():
        evaluations.setdefault(ev.asset_key.to_user_string(), set()).add(ev.check_name)
        if ev.severity == dg.AssetCheckSeverity.ERROR:
            assert ev.passed, (ev.asset_key, ev.check_name, ev.metadata)
    for asset, names in AUDIT_NAMES.items():
        assert evaluations[asset] == set(names), asset
    manifest = json.loads((paths.dataset_dir("dpo_v3") / "manifest.json").read_text())
    assert manifest["audits_passed"] is True and manifest["failed_audits"] == []


def test_dataset_metadata_shows_category_mix_and_sample(datasets_run):
    _, result = datasets_run
    mats = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    meta = mats["dpo_v3_dataset"].materialization.metadata
    assert "real_table_acceptance" in meta["category_mix"].value
    assert "| category |" in meta["sample"].value
    assert mats["vista_schema"].materialization.metadata["objects"].value == 3374


def test_failed_blocking_audit_stops_downstream_and_training_refuses_it(tmp_path):
    # A rejection-share band the balanced DPO set cannot meet: the balance audit must fail and block KTO.
    root = tmp_path / "project"
    overrides = {**SMOKE_OVERRIDES, "datasets.yaml": {"scale": 0.01, "rejection_share_band": [0.9, 1.0]}}
    paths = make_project(root, overrides)
    result = materialize(root, DATASETS[:3] + ["dpo_v3_dataset", "kto_dataset"])
    failed = {
        (e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert ("dpo_v3_dataset", "dpo_rejection_balance") in failed
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert "dpo_v3_dataset" in materialized and "kto_dataset" not in materialized  # blocked, not run
    refused = materialize(root, ["dpo_v3_adapter"])
    assert not refused.success
    msg = failure_messages(refused)
    assert "dpo_rejection_balance" in msg and "refuses this data" in msg
    assert json.loads((paths.dataset_dir("dpo_v3") / "manifest.json").read_text())["audits_passed"] is False


def test_adapter_alone_without_upstream_files_names_them(tmp_path):
    root = tmp_path / "project"
    make_project(root, SMOKE_OVERRIDES)
    result = materialize(root, ["dpo_v3_adapter"])
    assert not result.success
    msg = failure_messages(result)
    assert "data/datasets/dpo_v3/train.parquet" in msg
    assert "saves/tiny/sft/adapter_model.safetensors" in msg
    assert "--select '*dpo_v3_adapter'" in msg


def test_datasets_alone_without_catalog_names_vista_schema(tmp_path):
    root = tmp_path / "project"
    make_project(root, SMOKE_OVERRIDES)
    result = materialize(root, ["fake_real_table_pairs"])
    assert not result.success
    assert "--select 'vista_schema'" in failure_messages(result)


def test_pairs_plus_selection_rebuilds_the_pairs_and_their_children(datasets_run):
    paths, _ = datasets_run  # upstream files exist from the module's dataset run
    result = materialize(paths.root, "fake_real_table_pairs+")
    assert result.success, failure_messages(result)
    done = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert {"fake_real_table_pairs", "fake_column_pairs", "sft_dataset", "dpo_v3_dataset", "kto_dataset"} <= done
    assert "llamafactory_export" not in done  # a grandchild: not selected by a single '+'


SMOKE_VALIDATION = {
    "validation.yaml": {
        "suite": {
            "schema_knowledge": 6,
            "sql_generation": 6,
            "hallucination": 6,
            "join": 4,
            "error_correction": 4,
            "business_logic": 4,
            "business": 4,
        },
        "holdout_size": 60,
        "probes": {"real": 4, "fake": 4},
        "generation": {"max_new_tokens": 24},
    }
}


@pytest.mark.slow
def test_whole_pipeline_from_schema_to_model_comparison(tmp_path):
    from vgpt_dagster.config import deep_merge

    root = tmp_path / "project"
    short_answers = {"serving.yaml": {"generation": {"max_new_tokens": 24}}}  # as validation's smoke budget
    paths = make_project(root, deep_merge(deep_merge(SMOKE_OVERRIDES, SMOKE_VALIDATION), short_answers))
    defs = build_definitions()
    job = defs.resolve_job_def("vgpt_pipeline")
    result = job.execute_in_process(resources={"paths": VgptPaths(root=str(root))}, raise_on_error=False)
    assert result.success, failure_messages(result)

    # every stage wrote a relocatable adapter, and every checkpoint was judged on the same suite
    for stage in ("sft", "dpo_v3", "kto"):
        cfg = json.loads((paths.stage_dir("tiny", stage) / "adapter_config.json").read_text())
        assert not cfg["base_model_name_or_path"].startswith("/")
    reports = {
        s: json.loads((paths.reports_dir / f"validation_{s}.json").read_text())
        for s in ("base", "sft", "dpo_v3", "kto")
    }
    assert len({r["suite_version"] for r in reports.values()}) == 1
    assert reports["kto"]["checkpoint"]["adapter_dir"].endswith("kto")
    comparison = (paths.reports_dir / "model_comparison.md").read_text()
    assert "false_rejection_rate" in comparison and "dpo_v3" in comparison

    # the promotion gate ran on every checkpoint, as a warning for the smoke-scale tiny profile
    gates = [e for e in result.get_asset_check_evaluations() if e.check_name == "promotion_gate"]
    assert len(gates) == 4 and all(e.severity == dg.AssetCheckSeverity.WARN for e in gates)
    mats = {m.asset_key.to_user_string(): m.materialization for m in result.get_asset_materialization_events()}
    assert mats["model_comparison"].metadata["chart"].value.startswith("![model comparison](data:image/png;base64,")
    assert mats["sft_adapter"].metadata["loss_curve"].value.startswith("![sft loss](data:image/png;base64,")
    assert "dpo_ablation" not in mats  # the ablation has its own job

    # the DPO ablation experiment (configs/experiments/dpo_ablation.yaml) through its own job: the SFT start, the
    # pipeline's DPO v3 adapter (same recipe, same data: reused) and a v2-style arm trained here, judged alike
    ablation = defs.resolve_job_def("dpo_ablation_job").execute_in_process(
        resources={"paths": VgptPaths(root=str(root))}, raise_on_error=False
    )
    assert ablation.success, failure_messages(ablation)
    meta = ablation.get_asset_materialization_events()[0].materialization.metadata
    assert meta["chart"].value.startswith("![DPO ablation: v3 vs v2-style](data:image/png;base64,")
    assert "| arm | false_rejection_rate |" in meta["table"].value and "| dpo v2_style |" in meta["table"].value
    abl = json.loads((paths.reports_dir / "dpo_ablation.json").read_text())
    v2_dir = paths.data / "experiments" / "dpo_ablation" / "v2_style"
    v2 = json.loads((v2_dir / "manifest.json").read_text())
    assert set(v2["category_counts"]) == {"fake_table_rejection", "nolock_style"}  # no acceptance pairs
    assert v2["failed_audits"] == ["dpo_rejection_balance"] == v2["accepted_failed_audits"]
    assert abl["cases"] == len(reports["sft"]["verdicts"]) and [r["arm"] for r in abl["rows"]] == [
        "sft",
        "v3",
        "v2_style",
    ]
    assert abl["arms"]["v3"]["model"]["source"].startswith("the pipeline's dpo_v3 adapter")
    assert (
        paths.profile_dir("tiny") / "experiments" / "dpo_ablation" / "v2_style" / "adapter_model.safetensors"
    ).is_file()
    assert set(abl["regressions"]) == {"v3", "v2_style"} and {r["n"] for r in abl["rows"]} == {abl["cases"]}

    # schema_context none vs retrieved: the pipeline's SFT adapter against one trained on the same rows with the
    # retrieved block, both asked with and without it, through its own job
    from vgpt_dagster.retrieval.schema import SCHEMA_HEADER

    context = defs.resolve_job_def("context_ablation_job").execute_in_process(
        resources={"paths": VgptPaths(root=str(root))}, raise_on_error=False
    )
    assert context.success, failure_messages(context)
    meta = context.get_asset_materialization_events()[0].materialization.metadata
    assert meta["chart"].value.startswith("![Schema-context ablation")
    assert "| retrieved | + retrieved block |" in meta["table"].value
    ctx = json.loads((paths.reports_dir / "context_ablation.json").read_text())
    none, retrieved = ctx["arms"]["none"]["model"], ctx["arms"]["retrieved"]["model"]
    assert none["source"].startswith("the pipeline's sft adapter")  # same recipe, same data: not retrained
    assert retrieved["adapter"].endswith("experiments/context_ablation/retrieved") and retrieved["steps"] == 4
    assert retrieved["cutoff_len"] == 1024  # the arm's recipe key
    assert [(r["arm"], r["mode"]) for r in ctx["rows"]] == [
        (a, m) for a in ("none", "retrieved") for m in ("model", "model+retrieval")
    ]
    assert {r["n"] for r in ctx["rows"]} == {ctx["cases"]}
    from vgpt_dagster.runtime.profiles import load_profile
    from vgpt_dagster.training.data import sample_rows
    from vgpt_dagster.training.recipe import load_recipe

    recipe = load_recipe("sft", paths, load_profile("tiny", paths), {})
    trained = sample_rows(
        pl.read_parquet(paths.dataset_dir("sft") / "train.parquet"), recipe.max_train_samples, recipe.seed
    )
    rows = pl.read_parquet(paths.data / "experiments" / "context_ablation" / "retrieved" / "train.parquet")
    assert rows.height == retrieved["data"]["rows"]["train"] and rows["id"].to_list() == trained["id"].to_list()
    assert all(p[-1]["content"].startswith(SCHEMA_HEADER) for p in rows["prompt"].to_list())

    # docs/results.md's generated block comes from these very reports (`make results`), with nothing typed in
    import subprocess
    import sys

    from vgpt_dagster.paths import PACKAGE_ROOT

    doc = root / "results.md"
    doc.write_text(
        "# Results\n\nhand-written\n<!-- results:begin (bench/results_tables.py) -->\nSTALE TABLES\n<!-- results:end -->\ntail\n"
    )
    script = [sys.executable, str(PACKAGE_ROOT / "bench" / "results_tables.py")]
    env = {"PATH": "/usr/bin:/bin", "VGPT_ROOT": str(root), "VGPT_PROFILE": "tiny"}
    subprocess.run([*script, "--write", str(doc)], env=env, check=True, capture_output=True, timeout=120)
    text = doc.read_text()
    assert text.startswith("# Results\n\nhand-written\n") and text.endswith("<!-- results:end -->\ntail\n")
    assert "STALE TABLES" not in text and "| false_rejection_rate |" in text and "| dpo v2_style |" in text
    assert f"{100 * reports['kto']['metrics']['pass_rate']:.1f}%" in text
    assert "Experiment `serving_effect` has not run (`vgpt experiment run serving_effect`)" in text
    assert "| none | question alone |" in text  # the context ablation's table
    bad = root / "nomarkers.md"
    bad.write_text("no block\n")
    out = subprocess.run([*script, "--write", str(bad)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "has no" in out.stderr and bad.read_text() == "no block\n"
