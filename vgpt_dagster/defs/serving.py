"""The serving asset: ``promoted_model``, the manifest ``vgpt serve`` and ``vgpt ask`` answer with.

What retrieval and the guard add is measured by the ``serving_effect`` experiment (configs/experiments/).
"""

import dagster as dg

from vgpt_dagster.defs.datasets import read_built_catalog
from vgpt_dagster.defs.metadata import to_metadata
from vgpt_dagster.defs.resources import ModelSelection, VgptPaths
from vgpt_dagster.defs.versions import code_version, data_version
from vgpt_dagster.runtime.stages import STAGES
from vgpt_dagster.serving.promoted import promote


@dg.asset(
    group_name="serving",
    deps=[*(f"validation_{s.name}" for s in STAGES), "vista_schema"],
    kinds={"json"},
    code_version=code_version("serving.promoted"),
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
