"""Serving assets: ``promoted_model`` (the serving manifest) and ``serving_effect`` (what retrieval and the
guard add, measured on the suite).

``serving_effect`` asks the cases validation judges four times (model alone, + retrieval, + guard, the whole
hybrid; on a CPU-sized profile the judged subset, else the whole suite): on the CPU that is many minutes, so it
is outside the ``vgpt_pipeline`` and nightly jobs and materialized on demand (UI, or
``dagster asset materialize -m vgpt_dagster.definitions --select serving_effect``).
"""

import dagster as dg

from vgpt_dagster.defs.datasets import read_built_catalog
from vgpt_dagster.defs.metadata import to_metadata
from vgpt_dagster.defs.resources import ModelSelection, VgptPaths
from vgpt_dagster.defs.versions import code_version, data_version
from vgpt_dagster.errors import MissingUpstreamError
from vgpt_dagster.serving.effect import effect_markdown, run_serving_effect
from vgpt_dagster.serving.promoted import promote

SERVING_CODE = code_version("serving", "validation", "sql")


@dg.asset(
    group_name="serving",
    deps=["validation_sft", "validation_dpo_v3", "validation_kto", "vista_schema"],
    kinds={"json"},
    code_version=SERVING_CODE,
    description="The adapter `vgpt serve` / `vgpt ask` answer with: the latest one whose promotion gate passed, "
    "else the newest adapter of the profile (status 'fallback', said so). Manifest: data/serving/promoted_model.json.",
)
def promoted_model(context: dg.AssetExecutionContext, paths: VgptPaths, model: ModelSelection) -> dg.MaterializeResult:
    p = paths.get()
    manifest, path = promote(p, model.profile, read_built_catalog(p))
    if manifest["status"] != "promoted":
        context.log.warning(manifest["reason"])
    meta = {
        k: manifest.get(k)
        for k in ("status", "profile", "stage", "adapter_dir", "adapter_sha256", "base_model", "catalog_hash", "reason")
    }
    meta["gate"] = "\n".join(f"- {k}: {v}" for k, v in manifest.get("gate", {}).items()) or None
    meta["manifest"] = path
    return dg.MaterializeResult(metadata=to_metadata(meta), data_version=data_version([path]))


@dg.asset(
    group_name="validation",
    deps=["promoted_model", "eval_suite"],
    kinds={"json"},
    pool="gpu",
    code_version=SERVING_CODE,
    description="Pass / hallucination / false-rejection rates of the served model alone, + retrieval, + guard, and "
    "the whole hybrid, on the cases validation judges for the profile; retrieval recall@k. "
    "Slow on the CPU: on demand, not in the default job.",
)
def serving_effect(context: dg.AssetExecutionContext, paths: VgptPaths, model: ModelSelection) -> dg.MaterializeResult:
    from vgpt_dagster.config import load_config  # noqa: PLC0415
    from vgpt_dagster.validation.cases import read_suite  # noqa: PLC0415
    from vgpt_dagster.validation.config import ValidationConfig  # noqa: PLC0415

    p = paths.get()
    suite_file = p.validation_dir / load_config(p.configs / "validation.yaml", ValidationConfig).suite_file
    if not suite_file.is_file():
        raise MissingUpstreamError("serving_effect", [str(suite_file)], "*eval_suite")
    suite, catalog = read_suite(suite_file), read_built_catalog(p)
    result, json_path, md_path = run_serving_effect(p, model.profile, suite, catalog, progress=context.log.info)
    rows = {r["mode"]: r for r in result["rows"]}
    meta = {"table": effect_markdown(result), "report": md_path, "report_json": json_path}
    for mode, r in rows.items():
        for k in ("pass_rate", "hallucination_rate", "false_rejection_rate"):
            meta[f"{mode}/{k}"] = r[k]
    return dg.MaterializeResult(metadata=to_metadata(meta), data_version=data_version([json_path]))
