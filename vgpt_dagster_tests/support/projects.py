"""Temporary project roots and tiny models for tests and benchmarks (never imported by the product).

Nothing here changes the environment at import time: the tests' ``VGPT_PROFILE=tiny`` is set by
``vgpt_dagster_tests/conftest.py`` alone, so a benchmark importing this module measures the project default.
"""

import shutil
from pathlib import Path

import yaml

from vgpt_dagster.config import deep_merge
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.runtime.profiles import TinyArchitecture

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


MICRO_PROFILE = "micro"


def build_micro_root(root: Path, max_new_tokens: int = 24) -> ProjectPaths:
    """configs + embedded schema under ``root``, profile ``micro`` configured and served, saves/micro/{base,sft}."""
    from vgpt_dagster.runtime.device import DeviceRequest, plan_device
    from vgpt_dagster.runtime.profiles import load_profile
    from vgpt_dagster.training.recipe import load_recipe
    from vgpt_dagster.training.run import run_stage
    from vgpt_dagster.training.tiny import build_tiny_model
    from vgpt_dagster_tests.support.projects import FAST, MICRO
    from vgpt_dagster_tests.support.synthetic import corpus, write_datasets

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


# Smoke scale plus: no pretraining of the tiny base model (minutes on 2 cores; the ops tests prove the
# machinery, not the model) and a validation that judges a handful of short answers.
_EXTRA = {"validation.yaml": {"generation": {"max_new_tokens": 24, "limit": 8}}}
if "pretrain_steps" in TinyArchitecture.model_fields:
    _EXTRA["model_options/tiny.yaml"] = {"tiny": {"pretrain_steps": 0}}
OPS_OVERRIDES = deep_merge(SMOKE_OVERRIDES, _EXTRA)


def make_ops_project(root: Path, overrides: dict | None = None) -> ProjectPaths:
    """A smoke-scale project root for the ops tests (``OPS_OVERRIDES`` merged with ``overrides``)."""
    return make_project(root, deep_merge(OPS_OVERRIDES, overrides or {}))
