"""A project root with a micro model (hidden 32) and a 4-step SFT LoRA, built once per session (seconds)."""

from pathlib import Path

import pytest
import yaml

from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster_tests.conftest import make_project

MICRO_PROFILE = "micro"


def build_micro_root(root: Path, max_new_tokens: int = 24) -> ProjectPaths:
    """configs + embedded schema under ``root``, profile ``micro`` configured and served, saves/micro/{base,sft}."""
    from vgpt_dagster.training.device import DeviceRequest, plan_device
    from vgpt_dagster.training.profiles import load_profile
    from vgpt_dagster.training.recipe import load_recipe
    from vgpt_dagster.training.run import run_stage
    from vgpt_dagster.training.tiny import build_tiny_model
    from vgpt_dagster_tests.training.conftest import FAST, MICRO
    from vgpt_dagster_tests.training.synthetic import corpus, write_datasets

    paths = make_project(root)
    profile_yaml = {"description": "micro test model", "kind": "tiny", "tiny": MICRO.model_dump(mode="json")}
    (paths.configs / "model_options" / f"{MICRO_PROFILE}.yaml").write_text(yaml.safe_dump(profile_yaml))
    serving = yaml.safe_load((paths.configs / "serving.yaml").read_text())
    serving.update(profile=MICRO_PROFILE, generation={"max_new_tokens": max_new_tokens})
    (paths.configs / "serving.yaml").write_text(yaml.safe_dump(serving))
    profile = load_profile(MICRO_PROFILE, paths)
    write_datasets(paths)
    build_tiny_model(corpus(), paths.base_model_dir(MICRO_PROFILE), profile, seed=0)
    recipe = load_recipe("sft", paths, None, {**FAST, "max_steps": 4, "save_steps": 4, "eval_steps": 4})
    run_stage("sft", paths=paths, profile=profile, recipe=recipe, device_plan=plan_device(DeviceRequest(device="cpu")))
    return paths


@pytest.fixture(scope="session")
def served_root(tmp_path_factory) -> ProjectPaths:
    return build_micro_root(tmp_path_factory.mktemp("serve") / "project")
