"""The Dagster code location: assets, groups, checks, pools, jobs and the nightly schedule."""

import datetime
import itertools

import dagster as dg
import pytest

from vgpt_dagster.datasets.dataset_audits import AUDIT_NAMES
from vgpt_dagster.defs import build_definitions
from vgpt_dagster.defs.validation import CHECKPOINTS
from vgpt_dagster.judging.cases import Suite
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.suite_rules import evaluate_suite_rules
from vgpt_dagster_tests.support.asset_groups import ASSET_GROUPS, ON_DEMAND

GROUPS = {group: set(names) for group, names in ASSET_GROUPS.items()}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions()


def _nodes(defs: dg.Definitions) -> dict[str, object]:
    graph = defs.resolve_asset_graph()
    return {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}


def test_every_asset_sits_in_its_group(defs):
    nodes = _nodes(defs)
    got: dict[str, set[str]] = {}
    for name, node in nodes.items():
        got.setdefault(node.group_name, set()).add(name)
    assert got == GROUPS


def test_lineage_follows_the_training_order(defs):
    nodes = _nodes(defs)

    def parents(name: str) -> set[str]:
        return {k.to_user_string() for k in nodes[name].parent_keys}

    assert {"base_model", "sft_dataset"} <= parents("sft_adapter")
    assert {"sft_adapter", "dpo_v3_dataset"} <= parents("dpo_v3_adapter")
    assert {"dpo_v3_adapter", "kto_dataset"} <= parents("kto_adapter")
    assert {"validation_base", "validation_sft", "validation_dpo_v3", "validation_kto"} == parents("model_comparison")
    assert "dpo_v3_dataset" in parents("kto_dataset")  # KTO excludes the DPO prompts


def test_gpu_work_shares_one_pool(defs):
    nodes = _nodes(defs)
    gpu = {n for n, node in nodes.items() if node.pools and "gpu" in node.pools}
    assert gpu == {
        "sft_adapter",
        "dpo_v3_adapter",
        "kto_adapter",
        *ON_DEMAND,  # every experiment
    } | {f"validation_{s}" for s in ("base", "sft", "dpo_v3", "kto")}


def test_every_dataset_audit_and_suite_rule_is_a_blocking_check(defs):
    graph = defs.resolve_asset_graph()
    checks: dict[str, set[str]] = {}
    blocking: dict[str, set[bool]] = {}
    for key in graph.asset_check_keys:
        asset = key.asset_key.to_user_string()
        checks.setdefault(asset, set()).add(key.name)
        blocking.setdefault(asset, set()).add(graph.get_check_spec(key).blocking)
    for asset, names in AUDIT_NAMES.items():
        assert checks[asset] == set(names) and blocking[asset] == {True}, asset
    # every rule the validation domain enforces on a suite is declared, and blocks what reads the suite
    rules = evaluate_suite_rules(Suite(()), {}, ValidationConfig()).rules
    assert checks["eval_suite"] == {r.name for r in rules} and blocking["eval_suite"] == {True}
    # one promotion gate per checkpoint, never blocking: a failed gate still lets the comparison run
    for stage in CHECKPOINTS:
        assert len(checks[f"validation_{stage}"]) == 1 and blocking[f"validation_{stage}"] == {False}, stage


def test_assets_carry_code_versions(defs):
    nodes = _nodes(defs)
    assert all(node.code_version for node in nodes.values())


def test_code_versions_follow_what_an_asset_runs(defs):
    """An adapter's code version covers the training code and what it imports, not the experiments; the
    sandbox's covers the sandbox builder in execution/."""
    from vgpt_dagster.defs.versions import source_closure

    training = {p.relative_to(PACKAGE_ROOT).as_posix() for p in source_closure("training.api", "training.pipes_entry")}
    assert "vgpt_dagster/training/run.py" in training and "vgpt_dagster/runtime/inference.py" in training
    assert not any(f.startswith(("vgpt_dagster/experiments/", "vgpt_dagster/serving/")) for f in training)
    sandbox = {p.relative_to(PACKAGE_ROOT).as_posix() for p in source_closure("execution.accuracy")}
    assert "vgpt_dagster/execution/sandbox.py" in sandbox and "vgpt_dagster/sql/parse.py" in sandbox
    nodes = _nodes(defs)
    adapters = {nodes[f"{s}_adapter"].code_version for s in ("sft", "dpo_v3", "kto")}
    experiments = {nodes[n].code_version for n in ON_DEMAND}
    assert len(adapters) == 1 and len(experiments) == 1 and adapters != experiments
    with pytest.raises(ValueError, match="no module vgpt_dagster.nope"):
        source_closure("nope")


def test_every_experiment_yaml_is_an_asset_with_its_own_job_and_derived_inputs(defs):
    from vgpt_dagster.experiments.runner import upstream_assets
    from vgpt_dagster.experiments.spec import experiment_names, load_experiment

    paths = ProjectPaths(PACKAGE_ROOT)
    nodes = _nodes(defs)
    assert set(experiment_names(paths)) == set(ON_DEMAND)
    for name in experiment_names(paths):
        parents = {k.to_user_string() for k in nodes[name].parent_keys}
        assert parents == set(upstream_assets(load_experiment(paths, name))), name
        job = defs.resolve_job_def(f"{name}_job")
        assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {name}
    assert {"sft_adapter", "dpo_v3_dataset", "eval_suite"} <= {
        k.to_user_string() for k in nodes["dpo_ablation"].parent_keys
    }
    assert "promoted_model" in {k.to_user_string() for k in nodes["serving_effect"].parent_keys}


def test_nightly_schedule_runs_revalidation_at_two(defs):
    """docs/architecture.md: the nightly revalidation fires at 02:00 UTC (whatever cron string says so)."""
    from dagster._utils.schedules import cron_string_iterator

    schedule = defs.resolve_schedule_def("nightly_revalidation_schedule")
    start = datetime.datetime(2026, 3, 28, 12, tzinfo=datetime.UTC).timestamp()  # spans a DST change in Europe
    ticks = cron_string_iterator(start, schedule.cron_schedule, schedule.execution_timezone)
    utc = [next(ticks).astimezone(datetime.UTC) for _ in range(4)]
    assert [(t.hour, t.minute) for t in utc] == [(2, 0)] * 4
    assert {b - a for a, b in itertools.pairwise(utc)} == {datetime.timedelta(days=1)}
    job = defs.resolve_job_def("nightly_revalidation")
    assert schedule.job_name == job.name
    targeted = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert targeted == {f"validation_{s}" for s in ("base", "sft", "dpo_v3", "kto")} | {"model_comparison"}
    with dg.build_schedule_context(scheduled_execution_time=None) as context:
        result = schedule.evaluate_tick(context)
    assert len(result.run_requests) == 1 and result.skip_message is None


def test_main_job_covers_everything(defs):
    job = defs.resolve_job_def("vgpt_pipeline")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == set().union(*GROUPS.values()) - set(
        ON_DEMAND
    )


def test_the_promotion_gate_description_names_every_threshold_the_code_applies(defs):
    """The check's UI text and docs/validation.md name each threshold of GateConfig (the pass-rate floor too)."""
    from vgpt_dagster.paths import PACKAGE_ROOT
    from vgpt_dagster.validation.config import GateConfig

    graph = defs.resolve_asset_graph()
    key = next(k for k in graph.asset_check_keys if k.name == "promotion_gate")
    description = graph.get_check_spec(key).description
    doc = (PACKAGE_ROOT / "docs" / "validation.md").read_text()
    thresholds = [f for f in GateConfig.model_fields if f.startswith(("max_", "min_"))]
    assert "min_pass_rate" in thresholds
    for field in thresholds:
        assert field in description and f"gate.{field}" in doc, field
