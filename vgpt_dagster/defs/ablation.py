"""The ablation assets, outside the default job; each has its own job (jobs.py).

* ``dpo_ablation`` calls :func:`vgpt_dagster.training.ablation.run_dpo_ablation` (as ``vgpt train ablation``):
  DPO from the same SFT adapter on the v3 set and on the v2-style control mix, both judged on the same cases.
* ``context_ablation`` calls :func:`vgpt_dagster.training.context_ablation.run_context_ablation` (as
  ``vgpt train context-ablation``): SFT on the same rows without / with the retrieved schema block, each adapter
  asked with and without retrieval.
"""

import dagster as dg

from vgpt_dagster.defs.metadata import md_image, to_metadata
from vgpt_dagster.defs.resources import GpuResource, ModelSelection, VgptPaths
from vgpt_dagster.defs.training import StageRunConfig
from vgpt_dagster.defs.versions import code_version
from vgpt_dagster.training.ablation import run_dpo_ablation
from vgpt_dagster.training.api import format_progress
from vgpt_dagster.training.context_ablation import run_context_ablation


def _log_event(context: dg.AssetExecutionContext):
    """Every progress row in the run's log: fresh/resume, each logged training step, each finished measurement."""
    return lambda row: context.log.info(format_progress(row))


def _run(experiment, context, config: StageRunConfig, paths: VgptPaths, model: ModelSelection, gpu: GpuResource):
    """An ablation's domain function with the run's profile, device, ``--set`` overrides and log."""
    return experiment(
        paths.get(),
        profile_name=model.profile,
        device=gpu.request_dict(),
        overrides=dict(config.overrides),
        progress=_log_event(context),
    )


@dg.asset(
    group_name="ablation",
    deps=["sft_adapter", "dpo_v3_dataset", "eval_suite"],
    pool="gpu",
    kinds={"pytorch"},
    code_version=code_version("training", "validation"),
    description="DPO v2-vs-v3 ablation: DPO trained from the same SFT adapter on the balanced v3 set and on a "
    "v2-style mix (83% fake-table rejection, no real-table acceptance, the rest NOLOCK style), both judged on the "
    "same cases; false rejection and hallucination side by side (table + chart). Not part of vgpt_pipeline.",
)
def dpo_ablation(
    context: dg.AssetExecutionContext,
    config: StageRunConfig,
    paths: VgptPaths,
    model: ModelSelection,
    gpu: GpuResource,
) -> dg.MaterializeResult:
    res = _run(run_dpo_ablation, context, config, paths, model, gpu)
    meta = {
        "comparison": res["markdown"],
        "chart": dg.MetadataValue.md(md_image(res["chart"], "false rejection and hallucination per arm")),
        "profile": res["profile"],
        "cases_judged": res["cases"],
        "wall_time_s": res["wall_time_s"],
    }
    for arm, row in res["rows"].items():
        for k in ("false_rejection_rate", "hallucination_rate"):
            meta[f"{arm}_{k}"] = row.get(k)
    chart = meta.pop("chart")
    return dg.MaterializeResult(metadata={**to_metadata(meta), "chart": chart})


@dg.asset(
    group_name="ablation",
    deps=["sft_adapter", "sft_dataset", "eval_suite"],
    pool="gpu",
    kinds={"pytorch"},
    code_version=code_version("training", "serving", "validation", "datasets"),
    description="schema_context none vs retrieved: SFT on the same rows without and with the retrieved schema block "
    "in the prompt (the none arm is the pipeline's SFT adapter when its recipe and data are current), each adapter "
    "asked the judged cases with the question alone and with the block; pass / hallucination / false rejection "
    "(table + chart). Not part of vgpt_pipeline.",
)
def context_ablation(
    context: dg.AssetExecutionContext,
    config: StageRunConfig,
    paths: VgptPaths,
    model: ModelSelection,
    gpu: GpuResource,
) -> dg.MaterializeResult:
    res = _run(run_context_ablation, context, config, paths, model, gpu)
    meta = {"comparison": res["markdown"], "profile": res["profile"], "cases_judged": res["cases"]}
    meta["wall_time_s"] = res["wall_time_s"]
    for arm, facts in res["arms"].items():
        for row in facts["effect"]["rows"]:
            for k in ("pass_rate", "hallucination_rate", "false_rejection_rate"):
                meta[f"{arm}/{row['mode']}/{k}"] = row[k]
    chart = dg.MetadataValue.md(md_image(res["chart"], "pass and hallucination per arm and prompt"))
    return dg.MaterializeResult(metadata={**to_metadata(meta), "chart": chart})
