"""Training assets: ``base_model`` and the LoRA stages ``sft_adapter`` -> ``dpo_v3_adapter`` -> ``kto_adapter``.

Each adapter stage runs ``python -m vgpt_dagster.training.pipes_entry`` (or ``accelerate launch -m ...``)
as a Dagster Pipes subprocess: logs and metrics stream back, and a CUDA crash or OOM kills only the
subprocess. Before launching, the run worker checks what a user can get wrong (recipe keys, missing
upstream files, a failed dataset audit, ``device: cuda`` without a GPU) so those fail with a clear
message instead of a subprocess exit code.
"""

from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from vgpt_dagster.config import build_config
from vgpt_dagster.defs.metadata import md_image, to_metadata
from vgpt_dagster.defs.resources import GpuResource, ModelSelection, VgptPaths
from vgpt_dagster.defs.versions import code_version, data_version
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.device import DeviceRequest, launch_command, launch_env, plan_device
from vgpt_dagster.runtime.profiles import load_profile
from vgpt_dagster.runtime.stages import STAGES
from vgpt_dagster.training.api import build_base_model
from vgpt_dagster.training.data import DATASET_KIND
from vgpt_dagster.training.recipe import load_recipe
from vgpt_dagster.training.run import INIT_STAGE, check_inputs

TRAINING_CODE = code_version("training.api", "training.pipes_entry")


class StageRunConfig(dg.Config):
    """Per-run changes to a stage recipe (validated against the recipe's keys)."""

    overrides: dict[str, Any] = Field(
        default={},
        description="Stage recipe keys to override for this run, e.g. {learning_rate: 2.0e-4, max_steps: 50}.",
    )


@dg.asset(
    group_name="training",
    deps=["sft_dataset"],
    kinds={"pytorch"},
    code_version=TRAINING_CODE,
    description="The base model of the run's profile. tiny: a smoke-scale Qwen2 built locally (BPE tokenizer "
    "trained on the SFT corpus, random init with a fixed seed, then a short full-parameter pretraining pass on the "
    "same corpus); real profiles (qwen2.5-7b-lora, ...) must find their weights on disk and say where they looked.",
)
def base_model(context: dg.AssetExecutionContext, paths: VgptPaths, model: ModelSelection) -> dg.MaterializeResult:
    p = paths.get()
    info = build_base_model(p, model.profile)
    context.log.info(f"base model for profile '{model.profile}': {info}")
    folder = Path(info.get("path") or p.base_model_dir(model.profile))
    files = sorted(f for f in folder.iterdir() if f.suffix in (".json", ".safetensors")) if folder.is_dir() else []
    meta = {"profile": model.profile, **info}
    if (folder / "loss_curve.png").is_file():
        meta["pretraining_loss_curve"] = md_image(folder / "loss_curve.png", "pretraining loss")
    return dg.MaterializeResult(
        metadata=to_metadata(meta),
        data_version=data_version(files) if files else None,
    )


def train_adapter(
    context: dg.AssetExecutionContext,
    stage: str,
    config: StageRunConfig,
    paths: ProjectPaths,
    profile_name: str,
    gpu: GpuResource,
    pipes: dg.PipesSubprocessClient,
) -> dg.MaterializeResult:
    """Pre-flight in the run worker, then the stage in a Pipes subprocess; returns its materialization."""
    profile = load_profile(profile_name, paths)
    recipe = load_recipe(stage, paths, profile, dict(config.overrides))  # a bad key fails here, not later
    init_dir = paths.stage_dir(profile.name, INIT_STAGE[stage]) if INIT_STAGE[stage] else None
    check_inputs(stage, paths, profile, paths.dataset_dir(DATASET_KIND[stage]), init_dir, recipe=recipe)
    request = gpu.request_dict()
    plan = plan_device(
        build_config(DeviceRequest, request, "resource 'gpu'"), cpu_probe=profile.cpu_bf16_probe, profile=profile
    )
    context.log.info(f"{stage}: device plan {plan.describe()}")
    extras = {
        "stage": stage,
        "profile": profile.name,
        "overrides": dict(config.overrides),
        "device": request,
        "root": str(paths.root),
    }
    invocation = pipes.run(context=context, command=launch_command(plan), extras=extras, env=launch_env(plan))
    result = invocation.get_materialize_result()
    meta = dict(result.metadata or {})
    curve = paths.stage_dir(profile.name, stage) / "loss_curve.png"
    if curve.is_file():
        meta["loss_curve"] = dg.MetadataValue.md(md_image(curve, f"{stage} loss"))
    meta["device_plan"] = dg.MetadataValue.json(plan.describe())
    return dg.MaterializeResult(metadata=meta, data_version=result.data_version)


def _adapter_asset(stage: str, upstream: str) -> dg.AssetsDefinition:
    dataset = f"{DATASET_KIND[stage]}_dataset"

    @dg.asset(
        name=f"{stage}_adapter",
        deps=[upstream, dataset],
        group_name="training",
        pool="gpu",
        kinds={"pytorch"},
        code_version=TRAINING_CODE,
        description=f"LoRA {stage} stage on {dataset}, continuing from {upstream}; saved to saves/<profile>/{stage}/.",
    )
    def _asset(
        context: dg.AssetExecutionContext,
        config: StageRunConfig,
        paths: VgptPaths,
        model: ModelSelection,
        gpu: GpuResource,
        pipes_subprocess_client: dg.PipesSubprocessClient,
    ) -> dg.MaterializeResult:
        return train_adapter(context, stage, config, paths.get(), model.profile, gpu, pipes_subprocess_client)

    return _asset


# one asset per stage of runtime.stages.STAGES, each after its parent stage's adapter (the first after base_model);
# defs/__init__.py adds them, so a new stage needs no edit here
ADAPTER_ASSETS = {s.name: _adapter_asset(s.name, f"{s.parent}_adapter" if s.parent else "base_model") for s in STAGES}
