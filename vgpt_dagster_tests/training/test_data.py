"""KTO class balance: stratified sampling, auto weights from the sampled split, the pre-flight check in check_inputs."""

import polars as pl
import pytest

from vgpt_dagster.artifacts import write_parquet_atomic
from vgpt_dagster.errors import DatasetError, TrainingError
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.training.data import load_stage_data, read_kto_label_counts
from vgpt_dagster.training.kto_balance import resolve_kto_weights
from vgpt_dagster.training.recipe import load_recipe
from vgpt_dagster.training.run import check_inputs
from vgpt_dagster_tests.support.projects import FAST
from vgpt_dagster_tests.support.synthetic import kto_rows


def _kto_set(folder, n_good: int, n_bad: int) -> None:
    rows = kto_rows(2 * max(n_good, n_bad))
    good = [r for r in rows if r["label"]][:n_good]
    bad = [r for r in rows if not r["label"]][:n_bad]
    write_parquet_atomic(pl.DataFrame(good + bad), folder / "train.parquet")


def test_kto_subsampling_is_stratified_and_auto_weights_use_the_sampled_counts(built, tmp_path):
    paths, _ = built
    _kto_set(tmp_path, 60, 40)  # the real set's 60/40 split
    recipe = load_recipe("kto", paths, None, {**FAST, "max_train_samples": 16})
    data = load_stage_data("kto", tmp_path, recipe)
    assert data.label_counts == {"desirable": 10, "undesirable": 6}  # 60/40 kept (a plain head() drifts)
    assert sum(data.train["label"]) == 10 and len(data.train) == 16
    assert read_kto_label_counts(tmp_path / "train.parquet", recipe) == data.label_counts  # the cheap pre-flight
    labels = list(data.train["label"])
    assert labels != sorted(labels) and labels != sorted(labels, reverse=True)  # classes are mixed again
    w = resolve_kto_weights(recipe, data.label_counts["desirable"], data.label_counts["undesirable"], "kto")
    assert (w.desirable, w.undesirable, w.ratio) == (0.69, 1.0, 1.15)


def test_kto_with_one_class_after_sampling_is_a_clear_error(built, tmp_path):
    paths, _ = built
    _kto_set(tmp_path, 12, 0)
    with pytest.raises(DatasetError, match=r"(?s)train.parquet: KTO needs desirable .*12 desirable / 0 undesirable"):
        load_stage_data("kto", tmp_path, load_recipe("kto", paths, None, FAST))


def test_check_inputs_fails_on_a_bad_explicit_kto_weight_before_training(built, micro_profile, tmp_path):
    paths, _ = built
    kto_dir = ProjectPaths(tmp_path).dataset_dir("kto")
    _kto_set(kto_dir, 11, 5)
    bad = load_recipe("kto", paths, None, {**FAST, "kto_desirable_weight": 1.15})
    with pytest.raises(TrainingError, match=r"kto/train.parquet: weighted .*ratio is 2.53.*kto_desirable_weight: auto"):
        check_inputs("kto", paths, micro_profile, kto_dir, None, bad)
    # the Dagster parent's call (no recipe): stage YAML + profile, whose default weight is "auto" -> passes
    assert check_inputs("kto", paths, micro_profile, kto_dir, None) == paths.base_model_dir("micro")


def test_kto_eval_split_with_one_class_is_skipped_and_said(built, tmp_path, caplog):
    paths, _ = built
    _kto_set(tmp_path, 6, 4)
    good = [r for r in kto_rows(4) if r["label"]][:1]
    write_parquet_atomic(pl.DataFrame(good), tmp_path / "eval.parquet")  # one desirable row: no KTO eval loss
    with caplog.at_level("WARNING"):
        data = load_stage_data("kto", tmp_path, load_recipe("kto", paths, None, FAST))
    assert data.eval is None and data.rows["eval"] == 0
    assert "KTO eval skipped" in data.rows["eval_note"] and "early stopping is off" in caplog.text
    _kto_set(tmp_path, 6, 4)
    write_parquet_atomic(pl.DataFrame(kto_rows(8)), tmp_path / "eval.parquet")  # both labels: eval kept
    kept = load_stage_data("kto", tmp_path, load_recipe("kto", paths, None, FAST))
    assert kept.eval is not None and "eval_note" not in kept.rows
