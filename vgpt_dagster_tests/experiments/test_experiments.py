"""Experiments without training: what a YAML may say, what a run refuses, when the pipeline's adapter stands for
an arm, and the one report format (whole runs: defs/test_runs.py and serving/test_promoted.py)."""

import json

import polars as pl
import pytest
import yaml

from vgpt_dagster.artifacts import sha256_files
from vgpt_dagster.errors import ConfigError, MissingUpstreamError
from vgpt_dagster.experiments.arms import pipeline_adapter_is_stale
from vgpt_dagster.experiments.report import experiment_markdown
from vgpt_dagster.experiments.runner import run_experiment, upstream_assets
from vgpt_dagster.experiments.spec import build_experiment, experiment_names, load_experiment
from vgpt_dagster_tests.support.projects import make_project

GOOD = {"title": "t", "arms": [{"name": "a", "use": "sft"}], "measure": {"how": "validation", "metrics": ["pass_rate"]}}


def _with(**changes):
    return {**GOOD, **changes}


def test_every_shipped_experiment_loads(tmp_path):
    paths = make_project(tmp_path / "p")
    names = experiment_names(paths)
    assert {"dpo_ablation", "context_ablation", "serving_effect"} <= set(names)
    for name in names:
        spec = load_experiment(paths, name)
        assert spec.arms and spec.measure.metrics and "eval_suite" in upstream_assets(spec)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _with(arms=[{"name": "a", "use": "sft", "trian": "sft"}]),
            r"unknown key 'arms.0.trian'. Did you mean 'train'",
        ),
        (_with(arms=[{"name": "a", "use": "sft", "train": "sft"}]), "exactly one of 'use'"),
        (_with(arms=[{"name": "a"}]), "exactly one of 'use'"),
        (_with(arms=[{"name": "a", "use": "nope"}]), "use must be 'served' or a stage"),
        (
            _with(arms=[{"name": "a", "train": "kto", "data": {"dpo_shares": {"x": 1.0}}}]),
            "applies to .train: dpo_v3. only",
        ),
        (_with(arms=[{"name": "a", "train": "dpo_v3", "data": {"dpo_shares": {"x": 0.5}}}]), "sum to 1"),
        (_with(arms=[{"name": "a", "use": "sft", "recipe": {"max_steps": 2}}]), "need 'train'"),
        (_with(arms=[{"name": "a", "use": "sft"}, {"name": "a", "use": "kto"}]), "arm names repeat"),
        (_with(arms=[{"name": "Bad-Name", "use": "sft"}]), "arms.0.name"),
        (_with(compare_to="z"), "compare_to 'z' is not an arm"),
        (_with(measure={"how": "validation", "modes": ["hybrid"], "metrics": ["pass_rate"]}), "modes apply to"),
        (_with(measure={"how": "serving", "modes": ["guard"], "metrics": ["pass_rate"]}), "measure.modes.0"),
        (_with(measure={"how": "serving", "metrics": []}), "measure.metrics"),
        (_with(arms=[]), "at least one arm"),
        (_with(measure={"how": "validation", "metrics": ["pass_rate"], "limit": 5}), "limit and batch_size apply"),
        (_with(measure={"how": "serving", "metrics": ["pass_rate"], "limit": 0}), "measure.limit"),
    ],
)
def test_a_wrong_experiment_names_the_file_and_the_key(data, message):
    with pytest.raises(ConfigError, match=message) as err:
        build_experiment(data, "configs/experiments/x.yaml")
    assert str(err.value).startswith("configs/experiments/x.yaml")


def test_a_metric_the_measurement_does_not_report_is_refused_before_anything_runs(tmp_path):
    from vgpt_dagster.experiments.measure import metric_names

    assert {"pass_rate", "nolock_rate", "holdout_hallucination_rate"} <= metric_names("validation")
    assert {"pass_rate", "reasked", "catalog_answers"} <= metric_names("serving")
    assert "reasked" not in metric_names("validation") and "pass_rate_by_category" not in metric_names("serving")
    paths = make_project(tmp_path / "p")
    for name in experiment_names(paths):  # every shipped experiment names only what it measures
        spec = load_experiment(paths, name)
        assert set(spec.measure.metrics) | set(spec.measure.chart) <= metric_names(spec.measure.how), name
    (paths.configs / "experiments" / "typo.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "t",
                "arms": [{"name": "a", "use": "sft"}],
                "measure": {"how": "validation", "metrics": ["pass_rte"]},
            }
        )
    )
    with pytest.raises(ConfigError, match=r"typo.yaml: measure.metrics \['pass_rte'\] are not measured"):
        run_experiment(paths, "typo", profile_name="tiny")  # nothing is built: refused before the inputs


def test_unknown_experiment_lists_the_ones_there(tmp_path):
    paths = make_project(tmp_path / "p")
    with pytest.raises(
        ConfigError,
        match=r"no experiment 'dpo_ablaton'.*Did you mean.*'dpo_ablation'.*Experiments: context_ablation, dpo_ablation",
    ):
        load_experiment(paths, "dpo_ablaton")


def test_a_new_experiment_is_a_yaml_file(tmp_path):
    paths = make_project(tmp_path / "p")
    (paths.configs / "experiments" / "kto_vs_dpo.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "KTO vs DPO",
                "compare_to": "dpo",
                "arms": [{"name": "dpo", "use": "dpo_v3"}, {"name": "kto", "use": "kto"}],
                "measure": {"how": "validation", "metrics": ["pass_rate", "false_rejection_rate"]},
            }
        )
    )
    assert "kto_vs_dpo" in experiment_names(paths)
    assert upstream_assets(load_experiment(paths, "kto_vs_dpo")) == [
        "vista_schema",
        "eval_suite",
        "dpo_v3_adapter",
        "kto_adapter",
    ]
    with pytest.raises(MissingUpstreamError) as err:  # nothing built yet: the adapters and suite are named
        run_experiment(paths, "kto_vs_dpo", profile_name="tiny")
    assert "saves/tiny/dpo_v3/adapter_model.safetensors" in str(err.value) and "*kto_adapter" in err.value.selection


def test_without_the_sft_set_it_names_the_missing_files_and_the_selection(tmp_path):
    paths = make_project(tmp_path / "p")
    with pytest.raises(MissingUpstreamError) as err:
        run_experiment(paths, "context_ablation", profile_name="tiny")
    msg = str(err.value)
    assert "experiment context_ablation" in msg and "sft/train.parquet" in msg and "eval_suite.json" in msg
    assert err.value.selection == "*eval_suite,*sft_dataset,*sft_adapter"


def test_pipeline_adapter_stands_for_an_unchanged_arm_only_when_recipe_and_data_are_current(tmp_path):
    paths = make_project(tmp_path / "p")
    data = paths.dataset_dir("sft")
    data.mkdir(parents=True)
    for split in ("train", "eval"):
        pl.DataFrame({"instruction": [f"{split} q"]}).write_parquet(data / f"{split}.parquet")
    adapter = paths.stage_dir("tiny", "sft")
    assert "does not exist" in pipeline_adapter_is_stale(paths, "tiny", "sft")

    adapter.mkdir(parents=True)
    versions = {f"sft/{s}.parquet": sha256_files([data / f"{s}.parquet"]) for s in ("train", "eval")}
    (adapter / "manifest.json").write_text(json.dumps({"data_versions": versions}))
    assert pipeline_adapter_is_stale(paths, "tiny", "sft") is None

    from vgpt_dagster.config import config_to_dict
    from vgpt_dagster.runtime.profiles import load_profile
    from vgpt_dagster.training.recipe import load_recipe

    recipe = load_recipe("sft", paths, load_profile("tiny", paths), {})
    assert pipeline_adapter_is_stale(paths, "tiny", "sft", recipe).startswith("its recipe differs")  # no yaml
    (adapter / "recipe.yaml").write_text(yaml.safe_dump({**config_to_dict(recipe), "learning_rate": 0.1}))
    assert pipeline_adapter_is_stale(paths, "tiny", "sft", recipe) == (
        "its recipe differs from the current one in learning_rate"
    )
    (adapter / "recipe.yaml").write_text(yaml.safe_dump(config_to_dict(recipe)))
    assert pipeline_adapter_is_stale(paths, "tiny", "sft", recipe) is None

    pl.DataFrame({"instruction": ["rebuilt"]}).write_parquet(data / "eval.parquet")
    assert "eval.parquet changed" in pipeline_adapter_is_stale(paths, "tiny", "sft")


def test_the_report_table_has_a_row_per_arm_and_mode_with_its_case_count():
    result = {
        "title": "t",
        "modes": ["model", "hybrid"],
        "metrics": ["pass_rate", "reasked"],
        "cases": 7,
        "compare_to": "a",
        "arms": {
            "a": {"label": "arm a", "model": {"source": "the pipeline's sft adapter"}},
            "b": {"label": "arm b", "model": {"source": "trained here", "steps": 4, "rows_train": 16}},
        },
        "rows": [
            {"arm": "a", "mode": "model", "n": 7, "pass_rate": 0.5, "reasked": 0},
            {"arm": "a", "mode": "hybrid", "n": 7, "pass_rate": None, "reasked": 2},
            {"arm": "b", "mode": "model", "n": 7, "pass_rate": 0.25, "reasked": 1},
        ],
        "regressions": {"b": {"model": {"real_refused": [{"case_id": "x", "objects": ["APTL"]}], "fake_accepted": []}}},
    }
    md = experiment_markdown(result)
    assert "| arm | asked with | pass_rate | reasked |" in md
    assert "| arm a | question alone | 50.0% | 0 |" in md and "| arm a | hybrid (vgpt serve) | - | 2 |" in md
    assert "Cases judged: 7" in md and "4 steps on 16 rows" in md
    assert (
        "**arm b vs arm a** (question alone) - real objects now refused: APTL; invented names now accepted: none" in md
    )


def test_the_cli_lists_shows_and_refuses_like_the_asset(tmp_path, monkeypatch, capsys):
    from vgpt_dagster.cli import main

    paths = make_project(tmp_path / "p")
    monkeypatch.setenv("VGPT_ROOT", str(paths.root))
    assert main(["experiment", "list"]) == 0
    out = capsys.readouterr().out
    assert "dpo_ablation: DPO ablation: v3 vs v2-style (3 arms, measured by validation)" in out
    assert main(["experiment", "show", "context_ablation"]) == 0
    assert "schema_context: retrieved" in capsys.readouterr().out
    assert main(["experiment", "run"]) == 2
    assert "needs a name: one of context_ablation, dpo_ablation, serving_effect" in capsys.readouterr().err
    assert main(["experiment", "run", "context_ablation", "--profile", "tiny"]) == 2
    err = capsys.readouterr().err
    assert "experiment context_ablation needs files" in err and "sft/train.parquet" in err and "*sft_dataset" in err
