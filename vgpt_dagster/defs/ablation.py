"""The DPO v2-vs-v3 ablation asset (``dpo_ablation``), outside the default job; ``dpo_ablation_job`` (jobs.py) runs it.

It calls :func:`vgpt_dagster.training.ablation.run_dpo_ablation` (the same function as ``vgpt train ablation``):
DPO from the same SFT adapter on the v3 set and on the v2-style control mix, both judged on the same cases.
"""

import dagster as dg

from vgpt_dagster.defs.metadata import md_image, to_metadata
from vgpt_dagster.defs.resources import GpuResource, ModelSelection, VgptPaths
from vgpt_dagster.defs.training import StageRunConfig
from vgpt_dagster.defs.versions import code_version
from vgpt_dagster.training.ablation import run_dpo_ablation


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
    res = run_dpo_ablation(
        paths.get(),
        profile_name=model.profile,
        device=gpu.request_dict(),
        overrides=dict(config.overrides),
        progress=lambda row: context.log.info(str(row)) if "event" in row else None,
    )
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
