"""The schema-context ablation's rules that need no training: what it refuses, and when the pipeline's own SFT
adapter may stand for the ``none`` arm (the whole run is in defs/test_runs.py's pipeline test)."""

import json

import polars as pl
import pytest
import yaml

from vgpt_dagster.artifacts import sha256_files
from vgpt_dagster.errors import MissingUpstreamError
from vgpt_dagster.training.context_ablation import _pipeline_adapter_is_current, run_context_ablation
from vgpt_dagster_tests.conftest import make_project


def test_without_the_sft_set_it_names_the_missing_files_and_the_selection(tmp_path):
    paths = make_project(tmp_path / "p")
    with pytest.raises(MissingUpstreamError) as err:
        run_context_ablation(paths, profile_name="tiny")
    msg = str(err.value)
    assert "sft/train.parquet" in msg and "eval_suite.json" in msg and "*sft_dataset eval_suite" in msg


def test_pipeline_adapter_stands_for_the_none_arm_only_when_recipe_and_data_are_current(tmp_path):
    paths = make_project(tmp_path / "p")
    data = paths.dataset_dir("sft")
    data.mkdir(parents=True)
    for split in ("train", "eval"):
        pl.DataFrame({"instruction": [f"{split} q"]}).write_parquet(data / f"{split}.parquet")
    adapter = paths.stage_dir("tiny", "sft")
    assert "does not exist" in _pipeline_adapter_is_current(paths, "tiny", None)

    adapter.mkdir(parents=True)
    versions = {f"sft/{s}.parquet": sha256_files([data / f"{s}.parquet"]) for s in ("train", "eval")}
    (adapter / "manifest.json").write_text(json.dumps({"data_versions": versions}))
    assert _pipeline_adapter_is_current(paths, "tiny", None) is None
    assert "max_steps" in _pipeline_adapter_is_current(paths, "tiny", {"max_steps": 9})

    from vgpt_dagster.config import config_to_dict
    from vgpt_dagster.training.profiles import load_profile
    from vgpt_dagster.training.recipe import load_recipe

    recipe = load_recipe("sft", paths, load_profile("tiny", paths), {})
    assert _pipeline_adapter_is_current(paths, "tiny", None, recipe).startswith("its recipe differs")  # no yaml
    (adapter / "recipe.yaml").write_text(yaml.safe_dump({**config_to_dict(recipe), "learning_rate": 0.1}))
    assert _pipeline_adapter_is_current(paths, "tiny", None, recipe) == (
        "its recipe differs from the current one in learning_rate"
    )
    (adapter / "recipe.yaml").write_text(yaml.safe_dump(config_to_dict(recipe)))
    assert _pipeline_adapter_is_current(paths, "tiny", None, recipe) is None

    pl.DataFrame({"instruction": ["rebuilt"]}).write_parquet(data / "eval.parquet")
    assert "eval.parquet changed" in _pipeline_adapter_is_current(paths, "tiny", None)
