"""The DPO v2-vs-v3 ablation: the same SFT adapter trained by DPO on the balanced v3 set and on a v2-style mix.

The original team's DPO v2 set (``vgpt2_v3_dpo_v2.json``) was ~83% fake-table rejection pairs with no
real-table acceptance pairs, and its model refused real tables. This experiment rebuilds that shape with the
same generators (``dpo_mix: v2_style`` of the datasets config) next to the v3 set, trains one DPO adapter on
each from the same SFT adapter with the same recipe, judges both on the same cases and puts false-rejection and
hallucination side by side (JSON, Markdown table, PNG chart under ``data/reports/``)::

    result = run_dpo_ablation(paths, profile_name=None, device={"device": "cpu"})

Adapters: ``saves/<profile>/ablation/dpo_<arm>/``; the v2-style set: ``data/ablation/dpo_v2_style/``.
"""

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vgpt_dagster.artifacts import write_figure_atomic, write_json_atomic, write_text_atomic
from vgpt_dagster.errors import MissingUpstreamError
from vgpt_dagster.paths import ProjectPaths

log = logging.getLogger(__name__)

ARMS = ("v3", "v2_style")  # the datasets config's dpo_mix values, in table order
METRICS = (
    "false_rejection_rate",
    "hallucination_rate",
    "holdout_hallucination_rate",
    "pass_rate",
    "sql_parse_rate",
    "nolock_rate",
)
REPORT_NAME = "dpo_ablation"


def ablation_dataset_dir(paths: ProjectPaths, arm: str) -> Path:
    """v3 trains on the pipeline's own ``dpo_v3`` set; the control arm on its own folder."""
    return paths.dataset_dir("dpo_v3") if arm == "v3" else paths.data / "ablation" / f"dpo_{arm}"


def ablation_adapter_dir(paths: ProjectPaths, profile: str, arm: str) -> Path:
    return paths.profile_dir(profile) / "ablation" / f"dpo_{arm}"


def build_v2_style_dataset(paths: ProjectPaths, catalog) -> dict:
    """The control set: the v3 generators with ``dpo_mix: v2_style`` (same total pairs), written like a dataset."""
    from vgpt_dagster.datasets.build import config_hash, read_pairs
    from vgpt_dagster.datasets.config import load_datasets_config
    from vgpt_dagster.datasets.dpo import build_dpo_dataset
    from vgpt_dagster.datasets.io import write_dataset

    cfg = load_datasets_config(paths.configs / "datasets.yaml").model_copy(update={"dpo_mix": "v2_style"})
    pairs = read_pairs(paths)
    df = build_dpo_dataset(catalog, pairs["fake_table_pairs"], pairs["fake_column_pairs"], cfg)
    out = write_dataset(
        df,
        ablation_dataset_dir(paths, "v2_style"),
        config_hash=config_hash(cfg),
        seed=cfg.seed,
        kind="dpo_v3",
        dpo_mix="v2_style",
        purpose="DPO ablation control (imbalanced on purpose); never used by the default pipeline",
    )
    counts = df["category"].value_counts().sort("category").to_dicts()
    return {"rows": out.rows, "category_counts": {c["category"]: c["count"] for c in counts}}


def object_flips(before, after, suite) -> dict[str, list[dict[str, Any]]]:
    """Cases that passed ``before`` and regressed ``after``: real objects now refused, invented ones now accepted."""
    cases = {c.id: c for c in suite.cases}
    was = {v.case_id: v for v in before.verdicts}
    out: dict[str, list[dict[str, Any]]] = {"real_refused": [], "fake_accepted": []}
    for v in after.verdicts:
        prev = was.get(v.case_id)
        if prev is None or not prev.passed or v.passed or v.case_id not in cases:
            continue
        case = cases[v.case_id]
        if v.behavior == "false_rejection":
            out["real_refused"].append({"case_id": v.case_id, "objects": list(case.objects_must_use)})
        elif v.behavior == "hallucinated_answer":
            out["fake_accepted"].append({"case_id": v.case_id, "objects": list(case.objects_must_refuse)})
    return out


def ablation_markdown(rows: dict[str, dict], flips: dict[str, dict], facts: dict) -> str:
    """The side-by-side table (rates in %) and the regressed objects of each arm against the SFT adapter."""

    def pct(v):
        return "-" if v is None else f"{100 * v:.1f}%"

    names = ["sft (start)"] + [f"dpo {a}" for a in ARMS]
    keys = ["sft", *ARMS]
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for m in METRICS:
        lines.append(f"| {m} | " + " | ".join(pct(rows.get(k, {}).get(m)) for k in keys) + " |")
    lines += ["", f"Cases judged: {facts.get('cases')} (the same for every checkpoint). DPO rows per arm: "]
    lines += [
        f"- {a}: {facts.get('train_rows', {}).get(a)} rows, categories {facts.get('mix', {}).get(a)}" for a in ARMS
    ]
    for arm in ARMS:
        f = flips.get(arm, {})
        real = ", ".join(sorted({o for r in f.get("real_refused", []) for o in r["objects"]})) or "none"
        fake = ", ".join(sorted({o for r in f.get("fake_accepted", []) for o in r["objects"]})) or "none"
        lines += ["", f"**dpo {arm} vs sft** - real objects now refused: {real}; invented names now accepted: {fake}"]
    return "\n".join(lines) + "\n"


def plot_ablation(rows: dict[str, dict], path: Path) -> Path:
    """Grouped bars: false rejection and hallucination for the SFT start and each DPO arm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys, labels = ["sft", *ARMS], ["sft (start)"] + [f"dpo {a}" for a in ARMS]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    width = 0.38
    for i, (metric, label) in enumerate(
        (("false_rejection_rate", "false rejection"), ("hallucination_rate", "hallucination"))
    ):
        vals = [100 * (rows.get(k, {}).get(metric) or 0) for k in keys]
        ax.bar([x + (i - 0.5) * width for x in range(len(keys))], vals, width, label=label)
    ax.set_xticks(range(len(keys)), labels)
    ax.set_ylabel("% of cases")
    ax.set_title("DPO ablation: v3 vs v2-style mix")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return write_figure_atomic(fig, path)


def _validate(paths, profile, adapter, suite, catalog, cfg, label):
    from vgpt_dagster.validation.runner import run_validation

    return run_validation(paths, profile, adapter, suite, catalog, cfg, label=label)


def run_dpo_ablation(
    paths: ProjectPaths,
    *,
    profile_name: str | None = None,
    device: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Build the control set, train DPO on both arms from the same SFT adapter, judge both; write the report."""
    from vgpt_dagster.catalog.store import read_catalog
    from vgpt_dagster.config import load_config
    from vgpt_dagster.training.api import train_stage
    from vgpt_dagster.training.profiles import default_profile_name, load_profile
    from vgpt_dagster.validation.cases import read_suite
    from vgpt_dagster.validation.config import ValidationConfig
    from vgpt_dagster.validation.report import write_report

    t0 = time.time()
    profile = load_profile(profile_name or default_profile_name(), paths)
    sft_dir = paths.stage_dir(profile.name, "sft")
    cfg = load_config(paths.configs / "validation.yaml", ValidationConfig)
    suite_path = paths.validation_dir / cfg.suite_file
    need = [p for p in (sft_dir / "adapter_model.safetensors", suite_path, paths.catalog_dir / "manifest.json")]
    if not all(p.is_file() for p in need):
        raise MissingUpstreamError("the DPO ablation", [str(p) for p in need if not p.is_file()], "*sft_adapter")
    catalog, suite = read_catalog(paths.catalog_dir), read_suite(suite_path)
    control = build_v2_style_dataset(paths, catalog)
    reports = {"sft": _validate(paths, profile, sft_dir, suite, catalog, cfg, "ablation_sft")}
    stages: dict[str, dict] = {}
    for arm in ARMS:
        out = ablation_adapter_dir(paths, profile.name, arm)
        res = train_stage(
            "dpo_v3",
            paths=paths,
            profile_name=profile.name,
            overrides=overrides,
            device=device,
            progress=progress,
            dataset_dir=ablation_dataset_dir(paths, arm),
            out_dir=out,
        )
        stages[arm] = {"steps": res.steps, "rows": res.rows, "wall_time_s": res.wall_time_s, "adapter": str(out)}
        reports[arm] = _validate(paths, profile, out, suite, catalog, cfg, f"ablation_dpo_{arm}")
    rows = {k: {m: r.metrics.get(m) for m in METRICS} for k, r in reports.items()}
    flips = {arm: object_flips(reports["sft"], reports[arm], suite) for arm in ARMS}
    facts = {
        "profile": profile.name,
        "cases": len(reports["sft"].verdicts),
        "train_rows": {a: stages[a]["rows"].get("train") for a in ARMS},
        "mix": {"v2_style": control["category_counts"], "v3": _mix(ablation_dataset_dir(paths, "v3"))},
    }
    paths.reports_dir.mkdir(parents=True, exist_ok=True)
    for name, rep in reports.items():
        write_report(rep, paths.reports_dir, f"ablation_{name}" if name == "sft" else f"ablation_dpo_{name}")
    md = ablation_markdown(rows, flips, facts)
    chart = plot_ablation(rows, paths.reports_dir / f"{REPORT_NAME}.png")
    result = {
        **facts,
        "rows": rows,
        "flips": flips,
        "stages": stages,
        "control_set": control,
        "wall_time_s": round(time.time() - t0, 1),
    }
    write_json_atomic(paths.reports_dir / f"{REPORT_NAME}.json", result)
    write_text_atomic(paths.reports_dir / f"{REPORT_NAME}.md", "# DPO ablation: v3 vs v2-style\n\n" + md)
    return {**result, "markdown": md, "chart": str(chart)}


def _mix(folder: Path) -> dict:
    from vgpt_dagster.artifacts import read_manifest

    return read_manifest(folder).get("category_counts", {}) if (folder / "manifest.json").is_file() else {}
