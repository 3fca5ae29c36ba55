"""Each arm's model: taken as it is, the pipeline's own adapter when the arm changes nothing, or trained.

Folders: an arm's changed data goes to ``data/experiments/<experiment>/<arm>/`` and its adapter to
``saves/<profile>/experiments/<experiment>/<arm>/``; the pipeline's datasets and adapters are never written.
"""

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.errors import DatasetError, MissingUpstreamError
from vgpt_dagster.experiments.spec import Arm
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.stages import stage as stage_def

log = logging.getLogger(__name__)

Progress = Callable[[dict], None] | None


@dataclass(frozen=True)
class ArmModel:
    """What one arm answers with: ``adapter`` (None with ``served``: the model ``vgpt serve`` picks)."""

    adapter: Path | None
    served: bool = False
    facts: dict[str, Any] = field(default_factory=dict)  # where it came from, how it was trained, its data


def arm_data_dir(paths: ProjectPaths, experiment: str, arm: str) -> Path:
    return paths.data / "experiments" / experiment / arm


def arm_adapter_dir(paths: ProjectPaths, profile: str, experiment: str, arm: str) -> Path:
    return paths.profile_dir(profile) / "experiments" / experiment / arm


def shares_to_targets(total: int, shares: Mapping[str, float]) -> dict[str, int]:
    """``total`` pairs split by ``shares`` (rounded; the last category takes the remainder).

    >>> shares_to_targets(2600, {"fake_table_rejection": 0.83, "nolock_style": 0.17})
    {'fake_table_rejection': 2158, 'nolock_style': 442}
    """
    out, names = {}, list(shares)
    for name in names[:-1]:
        out[name] = round(total * shares[name])
    out[names[-1]] = total - sum(out.values())
    return out


def _build_dpo_shares(paths: ProjectPaths, experiment: str, arm: Arm, catalog: Catalog) -> dict:
    """The DPO set rebuilt with the pipeline's total in ``arm.data.dpo_shares``, audited like the pipeline's."""
    from vgpt_dagster.datasets.build import build_dpo_artifact  # noqa: PLC0415
    from vgpt_dagster.datasets.config import load_datasets_config  # noqa: PLC0415

    cfg = load_datasets_config(paths.configs / "datasets.yaml")
    cfg = cfg.model_copy(update={"schema_context": arm.data.schema_context})
    targets = shares_to_targets(sum(cfg.dpo_targets().values()), arm.data.dpo_shares or {})
    res = build_dpo_artifact(
        catalog,
        cfg,
        paths,
        targets=targets,
        out_dir=arm_data_dir(paths, experiment, arm.name),
        experiment=experiment,
        arm=arm.name,
        dpo_shares=dict(arm.data.dpo_shares or {}),
        accepted_failed_audits=list(arm.data.accept_failed_audits),
        purpose=f"experiment {experiment}, arm {arm.name}; never used by the pipeline",
    )
    failed = [a.name for a in res.audits if not a.passed and a.severity == "ERROR"]
    refused = sorted(set(failed) - set(arm.data.accept_failed_audits))
    if refused:
        raise DatasetError(
            f"experiment {experiment}, arm {arm.name}: its DPO set fails blocking audits it does not accept "
            f"({', '.join(refused)}); add them to data.accept_failed_audits only if the arm means to fail them."
        )
    counts = dict(
        sorted(json.loads((Path(res.outputs["train"]).parent / "manifest.json").read_text())["category_counts"].items())
    )
    return {"rows": res.rows, "category_counts": counts, "failed_audits": failed}


def _build_with_context(paths: ProjectPaths, experiment: str, arm: Arm, catalog: Catalog, recipe) -> dict:
    """The rows ``recipe`` samples from the pipeline's set of the arm's stage, prompts with the retrieved block."""
    import polars as pl  # noqa: PLC0415

    from vgpt_dagster.artifacts import read_manifest  # noqa: PLC0415
    from vgpt_dagster.datasets.config import load_datasets_config  # noqa: PLC0415
    from vgpt_dagster.datasets.io import read_frame, require_audited, write_dataset  # noqa: PLC0415
    from vgpt_dagster.datasets.schema_block import add_schema_context  # noqa: PLC0415
    from vgpt_dagster.training.data import sample_rows  # noqa: PLC0415

    st = stage_def(arm.train)
    src = paths.dataset_dir(st.dataset)
    consumer = f"experiment {experiment}, arm {arm.name}"
    require_audited(src, st.dataset, consumer)
    source = read_manifest(src)
    cfg = load_datasets_config(paths.configs / "datasets.yaml")
    stratify = "label" if st.trainer == "kto" else None
    parts = []
    for split, cap in (("train", recipe.max_train_samples), ("eval", recipe.max_eval_samples)):
        path = src / f"{split}.parquet"
        if path.is_file():
            df = sample_rows(read_frame(path, ("instruction", "input", "prompt"), consumer), cap, recipe.seed, stratify)
            parts.append(df.with_columns(pl.lit(split).alias("split")))
    df = add_schema_context(pl.concat(parts), catalog, cfg.schema_context_top_k)
    out = write_dataset(
        df,
        arm_data_dir(paths, experiment, arm.name),
        config_hash=source.get("config_hash", ""),
        seed=recipe.seed,
        kind=st.dataset,
        schema_context="retrieved",
        schema_context_top_k=cfg.schema_context_top_k,
        audits_passed=source.get("audits_passed"),
        failed_audits=source.get("failed_audits", []),
        derived_from=f"{src} (the rows its {arm.train} recipe samples; audited there, only the prompt differs)",
        purpose=f"experiment {experiment}, arm {arm.name}; never used by the pipeline",
    )
    return {"rows": out.rows, "schema_context_top_k": cfg.schema_context_top_k}


def build_arm_data(paths: ProjectPaths, experiment: str, arm: Arm, catalog: Catalog, recipe) -> tuple[Path, dict]:
    """The arm's training folder and what it holds (the pipeline's own folder when the arm changes nothing)."""
    if not arm.data.changed:
        return paths.dataset_dir(stage_def(arm.train).dataset), {"source": "the pipeline's dataset"}
    if arm.data.dpo_shares is not None:
        facts = _build_dpo_shares(paths, experiment, arm, catalog)
    else:
        facts = _build_with_context(paths, experiment, arm, catalog, recipe)
    return arm_data_dir(paths, experiment, arm.name), facts


def pipeline_adapter_is_stale(paths: ProjectPaths, profile: str, stage: str, recipe=None) -> str | None:
    """Why the pipeline's ``stage`` adapter cannot stand for an arm that trains the same stage on the same data
    with the same recipe, or None when it can: its saved recipe is ``recipe`` and its dataset is unchanged."""
    import yaml  # noqa: PLC0415

    from vgpt_dagster.artifacts import sha256_files  # noqa: PLC0415
    from vgpt_dagster.config import config_to_dict  # noqa: PLC0415

    adapter = paths.stage_dir(profile, stage)
    manifest = adapter / "manifest.json"
    if not manifest.is_file():
        return f"{manifest} does not exist"
    if recipe is not None:
        saved = yaml.safe_load((adapter / "recipe.yaml").read_text()) if (adapter / "recipe.yaml").is_file() else {}
        now = config_to_dict(recipe)
        changed = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
        if changed:
            return f"its recipe differs from the current one in {', '.join(changed)}"
    trained_on = json.loads(manifest.read_text()).get("data_versions", {})
    kind = stage_def(stage).dataset
    src = paths.dataset_dir(kind)
    for name in ("train", "eval"):
        key, f = f"{kind}/{name}.parquet", src / f"{name}.parquet"
        if f.is_file() and trained_on.get(key) != sha256_files([f]):
            return f"{f} changed since the pipeline's {stage} adapter was trained"
    return None


def training_facts(adapter: Path, res=None) -> dict:
    """Steps, losses, speed and rows of a trained adapter (``res``: the StageResult, else its metrics.json)."""
    m = json.loads((adapter / "metrics.json").read_text()) if res is None else res.metadata()
    keep = ("steps", "train_loss_first", "train_loss_last", "eval_loss", "tokens_per_second", "wall_time_s")
    facts = {k: m.get(k) for k in keep}
    for k in ("train_loss_first", "train_loss_last", "eval_loss"):
        facts[k] = None if facts[k] is None else round(facts[k], 4)
    return {**facts, "rows_train": m.get("rows_train", (m.get("rows") or {}).get("train"))}


def _use(paths: ProjectPaths, profile: str, arm: Arm) -> ArmModel:
    if arm.use == "served":
        return ArmModel(None, served=True, facts={"source": "the model vgpt serve answers with"})
    adapter = paths.stage_dir(profile, arm.use)
    if not (adapter / "adapter_model.safetensors").is_file():
        raise MissingUpstreamError(
            f"arm {arm.name}", [str(adapter / "adapter_model.safetensors")], f"*{arm.use}_adapter"
        )
    return ArmModel(adapter, facts={"source": f"the pipeline's {arm.use} adapter", "adapter": str(adapter)})


def prepare_arm(
    paths: ProjectPaths,
    experiment: str,
    arm: Arm,
    profile,
    catalog: Catalog,
    *,
    overrides: Mapping[str, Any] | None = None,
    device: Mapping[str, Any] | None = None,
    progress: Progress = None,
) -> ArmModel:
    """The arm's model, trained when needed (``overrides``: the run's ``--set`` keys, on top of the arm's)."""
    if arm.use is not None:
        return _use(paths, profile.name, arm)
    from vgpt_dagster.training.api import train_stage  # noqa: PLC0415
    from vgpt_dagster.training.recipe import load_recipe  # noqa: PLC0415

    keys = {**arm.recipe, **dict(overrides or {})}
    recipe = load_recipe(arm.train, paths, profile, keys)
    data_dir, data_facts = build_arm_data(paths, experiment, arm, catalog, recipe)
    why = "its data differs" if arm.data.changed else None
    why = why or (f"recipe keys {keys} change the recipe" if keys else None)
    why = why or pipeline_adapter_is_stale(paths, profile.name, arm.train, recipe)
    if why is None:
        adapter = paths.stage_dir(profile.name, arm.train)
        facts = {"source": f"the pipeline's {arm.train} adapter (same recipe and data)", **training_facts(adapter)}
        return ArmModel(adapter, facts={**facts, "adapter": str(adapter), "data": data_facts})
    log.info("experiment %s: training arm %s (%s)", experiment, arm.name, why)
    out = arm_adapter_dir(paths, profile.name, experiment, arm.name)
    res = train_stage(
        arm.train,
        paths=paths,
        profile_name=profile.name,
        overrides=keys,
        device=device,
        progress=progress,
        dataset_dir=data_dir,
        out_dir=out,
        accept_failed_audits=arm.data.accept_failed_audits,
    )
    facts = {"source": f"trained here: {why}", **training_facts(out, res), "cutoff_len": recipe.cutoff_len}
    return ArmModel(out, facts={**facts, "adapter": str(out), "data": data_facts})
