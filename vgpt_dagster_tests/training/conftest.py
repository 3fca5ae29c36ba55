"""Session fixtures: a really tiny Qwen2 (hidden 32, 2 layers, vocab ~512) and tiny datasets in tmp folders."""

import shutil
from pathlib import Path

import pytest

from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.training.device import DeviceRequest, plan_device
from vgpt_dagster.training.profiles import ModelProfile, TinyArchitecture
from vgpt_dagster_tests.training.synthetic import corpus, write_datasets

MICRO = TinyArchitecture(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    intermediate_size=64,
    vocab_size=512,
    pretrain_steps=12,  # enough to see the loss fall; a second or two on this model
    pretrain_batch_size=8,
    pretrain_seq_len=64,
    pretrain_lr=1e-2,
)
# few, large steps: enough for a LoRA on a 30k-parameter model to change its outputs
FAST = dict(
    max_steps=6,
    save_steps=2,
    eval_steps=2,
    per_device_train_batch_size=4,
    per_device_eval_batch_size=8,
    gradient_accumulation_steps=1,
    dataloader_num_workers=0,
    cutoff_len=128,
    logging_steps=1,
    learning_rate=2e-2,
    lora_rank=4,
    lora_alpha=8,
    lora_dropout=0.0,
    warmup_ratio=0.0,
)


def make_root(tmp: Path) -> ProjectPaths:
    shutil.copytree(PACKAGE_ROOT / "configs", tmp / "configs")
    return ProjectPaths(tmp)


@pytest.fixture(scope="session")
def micro_profile() -> ModelProfile:
    return ModelProfile(name="micro", kind="tiny", tiny=MICRO)


@pytest.fixture(scope="session")
def cpu_plan():
    return plan_device(DeviceRequest(device="cpu"))


@pytest.fixture(scope="session")
def built(tmp_path_factory, micro_profile):
    """Root with datasets + base model (no adapters yet)."""
    from vgpt_dagster.training.tiny import build_tiny_model

    paths = make_root(tmp_path_factory.mktemp("root"))
    write_datasets(paths)
    facts = build_tiny_model(corpus(), paths.base_model_dir("micro"), micro_profile, seed=0)
    return paths, facts


@pytest.fixture(scope="session")
def trained(built, micro_profile, cpu_plan):
    """SFT -> DPO v3 -> KTO run once for the session; returns (paths, {stage: StageResult})."""
    from vgpt_dagster.training.recipe import load_recipe
    from vgpt_dagster.training.run import run_stage

    paths, _ = built
    results = {}
    for stage, extra in (("sft", dict(max_steps=16, save_steps=8, eval_steps=8)), ("dpo_v3", {}), ("kto", {})):
        recipe = load_recipe(stage, paths, None, {**FAST, **extra})
        results[stage] = run_stage(stage, paths=paths, profile=micro_profile, recipe=recipe, device_plan=cpu_plan)
    return paths, results
