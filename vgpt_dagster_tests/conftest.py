"""Shared fixtures: the small fixture export and the full embedded Vista catalog (both loaded once)."""

import os
from pathlib import Path

# The tests train the smoke-scale `tiny` profile unless they choose another one explicitly (the project default,
# smollm2-135m, is exercised by training/test_smollm2.py). Set before any vgpt_dagster.defs import, so the
# `model` resource and every CLI subprocess (they inherit the environment) default to it too.
os.environ["VGPT_PROFILE"] = "tiny"

import pytest  # noqa: E402

from vgpt_dagster.catalog.load import load_catalog
from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def fixture_dir() -> Path:
    """``vgpt_dagster_tests/fixtures/`` (vista_small/, information_schema_small.csv, ...)."""
    return FIXTURES


@pytest.fixture(scope="session")
def small_catalog() -> Catalog:
    """27 objects cut from the real export (see fixtures/make_fixtures.py), with their keys and FKs."""
    return load_catalog(FIXTURES / "vista_small")


@pytest.fixture(scope="session")
def full_catalog() -> Catalog:
    """The embedded Vista 6.x export of this checkout (3,374 objects); loads in about half a second."""
    return load_catalog(ProjectPaths(PACKAGE_ROOT).embedded_schema)  # immune to tests that move VGPT_ROOT


# -- temporary project roots for Dagster runs -------------------------------------------------------
import shutil  # noqa: E402

import yaml  # noqa: E402

from vgpt_dagster.config import deep_merge  # noqa: E402

# Smoke-scale settings so a whole pipeline run takes a few minutes on 2 CPU cores: a very small
# dataset build, a ~100k-parameter model, a handful of steps per stage and a small validation suite.
SMOKE_OVERRIDES = {
    "datasets.yaml": {"scale": 0.01},
    "validation.yaml": {"sandbox": {"rows_per_table": 8, "seeds": [11]}},  # one seed + the adversarial variant
    "model_options/tiny.yaml": {
        "tiny": {
            "hidden_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "intermediate_size": 64,
            "vocab_size": 600,
            "max_position_embeddings": 512,
            "pretrain_steps": 5,
        },
        "recipe_defaults": {"cutoff_len": 192, "lora_rank": 4, "lora_alpha": 8, "max_eval_samples": 8},
        "stages": {
            "sft": {"max_steps": 4, "save_steps": 2, "eval_steps": 2},
            "dpo_v3": {"max_steps": 2, "save_steps": 1, "eval_steps": 1, "max_train_samples": 16},
            "kto": {"max_steps": 2, "save_steps": 1, "eval_steps": 1, "max_train_samples": 16},
        },
    },
}


def make_project(root: Path, overrides: dict | None = None) -> ProjectPaths:
    """A project root with this checkout's configs/ and embedded schema, YAML files merged with overrides."""
    src = ProjectPaths(PACKAGE_ROOT)
    shutil.copytree(src.configs, root / "configs")
    (root / "data" / "embedded").mkdir(parents=True)
    shutil.copytree(src.embedded_schema, root / "data" / "embedded" / src.embedded_schema.name)
    (root / "saves").mkdir()
    for rel, changes in (overrides or {}).items():
        f = root / "configs" / rel
        data = yaml.safe_load(f.read_text()) if f.exists() else {}
        f.write_text(yaml.safe_dump(deep_merge(data or {}, changes), sort_keys=False))
    return ProjectPaths(root)


@pytest.fixture
def smoke_project(tmp_path: Path) -> ProjectPaths:
    """A temporary project root at smoke scale (see SMOKE_OVERRIDES)."""
    return make_project(tmp_path / "project", SMOKE_OVERRIDES)
