"""Every file in configs/ loads and validates with the strict loader that reads it in production.

A shipped config can never be broken or ignored silently: a file no loader claims fails this test.
"""

import json
from pathlib import Path

import pytest

from vgpt_dagster.catalog.load import CatalogConfig
from vgpt_dagster.config import load_config
from vgpt_dagster.datasets.config import load_datasets_config
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.runtime.profiles import DEFAULT_PROFILE, available_profiles, load_profile
from vgpt_dagster.runtime.stages import STAGES
from vgpt_dagster.training.recipe import load_recipe
from vgpt_dagster.validation.config import load_validation_config

PATHS = ProjectPaths(PACKAGE_ROOT)
CONFIGS = PATHS.configs


def _profile(path: Path) -> None:
    profile = load_profile(path.stem, PATHS)
    for s in STAGES:  # every stage resolves with the profile's overrides, and profile keys reach the recipe
        recipe = load_recipe(s.name, PATHS, profile)
        for key, value in profile.stage_overrides(s.name).items():
            assert getattr(recipe, key) == value, f"{path}: {key} does not reach the {s.name} recipe"
    if profile.deepspeed:
        assert (CONFIGS / profile.deepspeed).is_file(), f"{path}: deepspeed file {profile.deepspeed} is missing"


def _stage_recipe(path: Path) -> None:
    (s,) = [s for s in STAGES if s.recipe_file == path.name]
    assert load_recipe(s.name, PATHS).stage == s.trainer


def _intents(path: Path) -> None:
    from vgpt_dagster.catalog.load import load_default_catalog
    from vgpt_dagster.datasets.intents.library import library_for

    cfg = load_datasets_config(CONFIGS / "datasets.yaml")
    library, _ = library_for(PATHS.root, cfg.intents_dir, load_default_catalog(paths=PATHS))
    assert library is not None


def _serving(path: Path) -> None:
    from vgpt_dagster.serving.config import load_serving_config

    load_serving_config(PATHS)


LOADERS = {
    "catalog.yaml": lambda p: load_config(p, CatalogConfig),
    "datasets.yaml": load_datasets_config,
    "validation.yaml": lambda p: load_validation_config(PATHS),
    "serving.yaml": _serving,
    "deepspeed_zero3.json": lambda p: json.loads(p.read_text()),
    "stage1_sft.yaml": _stage_recipe,
    "stage2_dpo_v3.yaml": _stage_recipe,
    "stage3_kto.yaml": _stage_recipe,
}


def _experiment(path: Path) -> None:
    from vgpt_dagster.experiments.runner import upstream_assets
    from vgpt_dagster.experiments.spec import load_experiment

    assert "eval_suite" in upstream_assets(load_experiment(PATHS, path.stem))


def _loader(rel: Path):
    if rel.parts[0] == "model_options":
        return _profile
    if rel.parts[0] == "experiments":
        return _experiment
    if rel.parts[0] == "intents":
        return _intents
    return LOADERS.get(str(rel))


SHIPPED = sorted(p.relative_to(CONFIGS) for p in CONFIGS.rglob("*") if p.is_file())


@pytest.mark.parametrize("rel", [r for r in SHIPPED if r.parts[0] != "intents"] + ["intents/"], ids=str)
def test_every_shipped_config_loads_with_its_strict_loader(rel):
    if rel == "intents/":  # one library load validates every intents file together
        _intents(CONFIGS / "intents")
        return
    loader = _loader(rel)
    assert loader is not None, f"configs/{rel} has no loader in this test: which code reads it?"
    loader(CONFIGS / rel)


def test_the_default_profile_ships():
    assert DEFAULT_PROFILE in available_profiles(PATHS)
