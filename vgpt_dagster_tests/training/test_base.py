"""The tiny base build: tokenizer + random init + short full-parameter pretraining on the SFT text."""

import json

import pytest

from vgpt_dagster.artifacts import read_manifest
from vgpt_dagster.config import build_config
from vgpt_dagster.errors import ConfigError
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.runtime.profiles import ModelProfile, TinyArchitecture, load_profile
from vgpt_dagster.training.tiny import build_tiny_model
from vgpt_dagster_tests.support.projects import MICRO
from vgpt_dagster_tests.support.synthetic import corpus


def test_pretraining_lowers_the_loss_and_is_recorded(built):
    paths, facts = built
    pre = facts["pretraining"]
    assert pre["steps"] == MICRO.pretrain_steps and pre["tokens"] == 12 * 8 * 64
    assert pre["loss_last"] < pre["loss_first"] - 0.5, pre["loss_curve"]
    assert pre["loss_curve"][0][0] == 1 and pre["loss_curve"][-1][0] == MICRO.pretrain_steps
    assert pre["tokens_per_second"] > 0 and "pretraining on the SFT text" in facts["kind"]
    folder = paths.base_model_dir("micro")
    assert read_manifest(folder)["pretraining"]["loss_curve"] == pre["loss_curve"]
    card = (folder / "README.md").read_text()
    assert "## Pretraining" in card and f"Loss {pre['loss_first']} -> {pre['loss_last']}" in card
    assert (folder / "loss_curve.png").stat().st_size > 1000
    json.dumps(facts)  # the base_model asset turns these facts into metadata


def test_pretraining_is_seeded_and_can_be_switched_off(built, tmp_path):
    _, facts = built
    profile = ModelProfile(name="micro", kind="tiny", tiny=MICRO)
    again = build_tiny_model(corpus(), tmp_path / "again", profile, seed=0)
    assert again["weights_sha256"] == facts["weights_sha256"]  # fixed seed: the same weights
    off = ModelProfile(name="micro", kind="tiny", tiny=MICRO.model_copy(update={"pretrain_steps": 0}))
    raw = build_tiny_model(corpus(), tmp_path / "raw", off, seed=0)
    assert raw["pretraining"] is None and raw["kind"] == "tiny (smoke-scale, random init)"
    assert raw["weights_sha256"] != facts["weights_sha256"]
    assert "random initialisation only" in (tmp_path / "raw" / "README.md").read_text()


def test_tiny_profile_pretraining_settings_are_validated():
    tiny = load_profile("tiny", ProjectPaths(PACKAGE_ROOT)).tiny
    assert tiny.pretrain_steps > 0 and tiny.pretrain_seq_len <= tiny.max_position_embeddings
    with pytest.raises(ValueError, match="pretrain_seq_len .* exceeds max_position_embeddings"):
        TinyArchitecture(pretrain_seq_len=2048, max_position_embeddings=1024)
    with pytest.raises(ConfigError, match=r"unknown key 'tiny.pretrain_step'. Did you mean .*'pretrain_steps'"):
        build_config(ModelProfile, {"kind": "tiny", "tiny": {"pretrain_step": 5}}, "tiny.yaml")
