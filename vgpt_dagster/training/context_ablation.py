"""``schema_context: none`` vs ``retrieved``: SFT with and without serving's schema block in the prompt, compared
where it matters - answering the suite with and without retrieval.

Two SFT adapters from the same base, recipe and rows; only the prompt differs:

* ``none``: the question alone. The pipeline's own ``sft`` adapter when it was trained with this recipe on the
  current SFT set (no ``--set`` overrides, data hashes equal), else trained again under
  ``saves/<profile>/ablation/sft_none/``.
* ``retrieved``: the rows the SFT stage samples from ``data/datasets/sft`` (same seed and caps), each prompt
  re-rendered with the retrieved block before the question (:func:`datasets.context.add_schema_context`, what a
  ``schema_context: retrieved`` build writes), saved as ``data/ablation/sft_retrieved/`` and trained under
  ``saves/<profile>/ablation/sft_retrieved/``. Its ``cutoff_len`` is raised to :data:`CONTEXT_CUTOFF_LEN`
  (the block adds ~300 tokens; a cutoff fitted to bare questions would cut the answers off).

Each adapter then answers the cases validation judges for the profile twice through the serving engine
(``serving.effect``): the question alone, and with the retrieved block (no guard, no catalog answers, so the
rows show the model). Report: ``data/reports/context_ablation.{json,md,png}``::

    result = run_context_ablation(paths, profile_name=None, device={"device": "cpu"})
"""

import gc
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vgpt_dagster.artifacts import write_figure_atomic, write_json_atomic, write_text_atomic
from vgpt_dagster.errors import MissingUpstreamError
from vgpt_dagster.paths import ProjectPaths

log = logging.getLogger(__name__)

ARMS = ("none", "retrieved")  # the datasets config's schema_context values, in table order
MODES = ("model", "model+retrieval")  # serving.effect modes: the question alone / with the retrieved block
MODE_LABELS = {"model": "question alone", "model+retrieval": "+ retrieved block"}
CONTEXT_CUTOFF_LEN = 1024
REPORT_NAME = "context_ablation"


def arm_dataset_dir(paths: ProjectPaths, arm: str) -> Path:
    return paths.dataset_dir("sft") if arm == "none" else paths.data / "ablation" / f"sft_{arm}"


def arm_adapter_dir(paths: ProjectPaths, profile: str, arm: str) -> Path:
    return paths.profile_dir(profile) / "ablation" / f"sft_{arm}"


def build_retrieved_sft_rows(paths: ProjectPaths, catalog, recipe) -> dict:
    """The SFT rows ``recipe`` trains on (seeded sample of each split), prompts with the retrieved block."""
    import polars as pl  # noqa: PLC0415

    from vgpt_dagster.artifacts import read_manifest  # noqa: PLC0415
    from vgpt_dagster.datasets.config import load_datasets_config  # noqa: PLC0415
    from vgpt_dagster.datasets.context import add_schema_context  # noqa: PLC0415
    from vgpt_dagster.datasets.io import read_frame, require_audited, write_dataset  # noqa: PLC0415
    from vgpt_dagster.training.data import sample_rows  # noqa: PLC0415

    src = arm_dataset_dir(paths, "none")
    require_audited(src, "sft", "the schema-context ablation")
    source = read_manifest(src)
    cfg = load_datasets_config(paths.configs / "datasets.yaml")
    parts = []
    for split, cap in (("train", recipe.max_train_samples), ("eval", recipe.max_eval_samples)):
        path = src / f"{split}.parquet"
        if path.is_file():
            df = sample_rows(
                read_frame(path, ("instruction", "input", "prompt"), "the schema-context ablation"), cap, recipe.seed
            )
            parts.append(df.with_columns(pl.lit(split).alias("split")))
    df = add_schema_context(pl.concat(parts), catalog, cfg.schema_context_top_k)
    out = write_dataset(
        df,
        arm_dataset_dir(paths, "retrieved"),
        config_hash=source.get("config_hash", ""),
        seed=recipe.seed,
        kind="sft",
        schema_context="retrieved",
        schema_context_top_k=cfg.schema_context_top_k,
        audits_passed=source.get("audits_passed"),
        failed_audits=source.get("failed_audits", []),
        derived_from=f"{src} (the rows its SFT recipe samples; audited there, only the prompt differs)",
        purpose="schema-context ablation arm; never used by the default pipeline",
    )
    return {"rows": out.rows, "schema_context_top_k": cfg.schema_context_top_k}


def _pipeline_adapter_is_current(
    paths: ProjectPaths, profile: str, overrides: Mapping[str, Any] | None, recipe=None
) -> str | None:
    """Why the pipeline's SFT adapter cannot stand for the ``none`` arm, or None when it can: no overrides, its
    saved recipe is ``recipe`` (the one the other arm trains with) and the SFT set is the one it trained on."""
    import json  # noqa: PLC0415

    import yaml  # noqa: PLC0415

    from vgpt_dagster.artifacts import sha256_files  # noqa: PLC0415
    from vgpt_dagster.config import config_to_dict  # noqa: PLC0415

    if overrides:
        return f"overrides {dict(overrides)} change the recipe"
    adapter = paths.stage_dir(profile, "sft")
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
    src = arm_dataset_dir(paths, "none")
    for name in ("train", "eval"):
        key, f = f"sft/{name}.parquet", src / f"{name}.parquet"
        if f.is_file() and trained_on.get(key) != sha256_files([f]):
            return f"{f} changed since the pipeline's SFT adapter was trained"
    return None


def ablation_markdown(result: dict) -> str:
    """One row per (training context, serving prompt), rates in %, and each arm's training facts."""
    from vgpt_dagster.validation.report import percent as pct  # noqa: PLC0415

    lines = [
        "| SFT prompts | asked with | pass | hallucination | false rejection | SQL answers | schema-valid SQL |",
        "|---|---|---|---|---|---|---|",
    ]
    for arm in ARMS:
        for r in result["arms"][arm]["effect"]["rows"]:
            lines.append(
                f"| {arm} | {MODE_LABELS[r['mode']]} | {pct(r['pass_rate'])} | {pct(r['hallucination_rate'])} | "
                f"{pct(r['false_rejection_rate'])} | {r['sql_responses']} | {pct(r['schema_valid_rate'])} |"
            )
    lines += ["", f"Cases judged: {result['cases']} (the same for every row). Training, same recipe and rows:"]
    for arm in ARMS:
        t = result["arms"][arm]["training"]
        lines.append(
            f"- {arm}: {t['steps']} steps on {t['rows_train']} rows, loss {t['train_loss_first']} -> "
            f"{t['train_loss_last']}, eval loss {t['eval_loss']}, {t['tokens_per_second']} tokens/s, "
            f"{t['wall_time_s']} s, cutoff_len {t['cutoff_len']} ({t['source']})"
        )
    return "\n".join(lines) + "\n"


def plot_ablation(result: dict, path: Path) -> Path:
    """Grouped bars: pass and hallucination for each (training context, serving prompt)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    cells = [(a, r) for a in ARMS for r in result["arms"][a]["effect"]["rows"]]
    labels = [f"trained {a}\n{MODE_LABELS[r['mode']]}" for a, r in cells]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    width = 0.38
    for i, (metric, label) in enumerate((("pass_rate", "pass"), ("hallucination_rate", "hallucination"))):
        vals = [100 * (r.get(metric) or 0) for _, r in cells]
        ax.bar([x + (i - 0.5) * width for x in range(len(cells))], vals, width, label=label)
    ax.set_xticks(range(len(cells)), labels, fontsize=8)
    ax.set_ylabel("% of cases")
    ax.set_title("SFT prompts without / with the retrieved schema block")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return write_figure_atomic(fig, path)


def _training_facts(adapter: Path, res, cutoff_len: int, source: str) -> dict:
    import json  # noqa: PLC0415

    m = json.loads((adapter / "metrics.json").read_text()) if res is None else res.metadata()
    keep = ("steps", "train_loss_first", "train_loss_last", "eval_loss", "tokens_per_second", "wall_time_s")
    facts = {k: m.get(k) for k in keep}
    for k in ("train_loss_first", "train_loss_last", "eval_loss"):
        facts[k] = None if facts[k] is None else round(facts[k], 4)
    rows = m.get("rows_train", (m.get("rows") or {}).get("train"))
    return {**facts, "rows_train": rows, "cutoff_len": cutoff_len, "source": source, "adapter": str(adapter)}


def _measure_progress(progress: Callable[[dict], None] | None, arm: str) -> Callable[[str], None] | None:
    if progress is None:
        return None
    return lambda text: progress({"event": "measure", "stage": f"sft_{arm}", "reason": text})


def run_context_ablation(
    paths: ProjectPaths,
    *,
    profile_name: str | None = None,
    device: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Build the retrieved arm's rows, train what is missing, measure both arms both ways; write the report."""
    from vgpt_dagster.catalog.store import read_catalog  # noqa: PLC0415
    from vgpt_dagster.config import load_config  # noqa: PLC0415
    from vgpt_dagster.serving.effect import measure_model_effect  # noqa: PLC0415
    from vgpt_dagster.training.api import train_stage  # noqa: PLC0415
    from vgpt_dagster.training.profiles import default_profile_name, load_profile  # noqa: PLC0415
    from vgpt_dagster.training.recipe import load_recipe  # noqa: PLC0415
    from vgpt_dagster.validation.cases import read_suite  # noqa: PLC0415
    from vgpt_dagster.validation.config import ValidationConfig  # noqa: PLC0415

    t0 = time.time()
    profile = load_profile(profile_name or default_profile_name(), paths)
    vcfg = load_config(paths.configs / "validation.yaml", ValidationConfig)
    suite_path = paths.validation_dir / vcfg.suite_file
    src = arm_dataset_dir(paths, "none")
    need = [src / "train.parquet", suite_path, paths.catalog_dir / "manifest.json"]
    if not all(p.is_file() for p in need):
        raise MissingUpstreamError(
            "the schema-context ablation", [str(p) for p in need if not p.is_file()], "*sft_dataset eval_suite"
        )
    catalog, suite = read_catalog(paths.catalog_dir), read_suite(suite_path)
    recipe = load_recipe("sft", paths, profile, dict(overrides or {}))
    built = build_retrieved_sft_rows(paths, catalog, recipe)
    cutoffs = {"none": recipe.cutoff_len, "retrieved": max(recipe.cutoff_len, CONTEXT_CUTOFF_LEN)}
    if overrides and "cutoff_len" in overrides:
        cutoffs["retrieved"] = recipe.cutoff_len

    arms: dict[str, dict] = {}
    for arm in ARMS:
        adapter, res = arm_adapter_dir(paths, profile.name, arm), None
        why = _pipeline_adapter_is_current(paths, profile.name, overrides, recipe) if arm == "none" else "a new arm"
        if why is None:
            adapter, source = paths.stage_dir(profile.name, "sft"), "the pipeline's sft adapter"
        else:
            log.info("schema-context ablation: training the %s arm (%s)", arm, why)
            res = train_stage(
                "sft",
                paths=paths,
                profile_name=profile.name,
                overrides={**dict(overrides or {}), "cutoff_len": cutoffs[arm]},
                device=device,
                progress=progress,
                dataset_dir=arm_dataset_dir(paths, arm),
                out_dir=adapter,
            )
            source = f"trained here: {why}"
        arms[arm] = {"training": _training_facts(adapter, res, cutoffs[arm], source)}
        line = _measure_progress(progress, arm)
        arms[arm]["effect"] = measure_model_effect(paths, profile.name, suite, catalog, adapter, MODES, line)
        gc.collect()  # one loaded model at a time

    result = {
        "profile": profile.name,
        "cases": arms["none"]["effect"]["cases"],
        "suite_version": arms["none"]["effect"]["suite_version"],
        "retrieved_rows": built["rows"],
        "schema_context_top_k": built["schema_context_top_k"],
        "arms": arms,
        "wall_time_s": round(time.time() - t0, 1),
    }
    md = ablation_markdown(result)
    chart = plot_ablation(result, paths.reports_dir / f"{REPORT_NAME}.png")
    write_json_atomic(paths.reports_dir / f"{REPORT_NAME}.json", result)
    title = "# Schema-context ablation: SFT prompts without / with the retrieved block\n\n"
    write_text_atomic(paths.reports_dir / f"{REPORT_NAME}.md", title + md)
    return {**result, "markdown": md, "chart": str(chart)}
