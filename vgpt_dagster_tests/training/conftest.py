"""Session fixtures: a really tiny Qwen2 (hidden 32, 2 layers, vocab ~512) and tiny datasets in tmp folders."""

import pytest

from vgpt_dagster.runtime.device import DeviceRequest, plan_device
from vgpt_dagster.runtime.profiles import ModelProfile
from vgpt_dagster_tests.support.projects import FAST, MICRO, make_root
from vgpt_dagster_tests.support.synthetic import corpus, write_datasets


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
