"""The one report format of every experiment: ``data/reports/<experiment>.{json,md,png}``.

The JSON holds the rows (one per arm and mode, each with its case count), each arm's facts (where its model came
from, how it was trained, its data), each case's verdict per arm and mode, the regressions of every arm against
``compare_to``, what each arm's measurement adds (``extra``: the judged subset) and, for serving, the
retrieval recall@k of the oracle's objects. The Markdown is the table the asset shows and docs/results.md
quotes; the PNG puts the ``chart`` metrics side by side.
"""

from pathlib import Path
from typing import Any

from vgpt_dagster.artifacts import write_figure_atomic, write_json_atomic, write_text_atomic
from vgpt_dagster.judging.metrics import percent
from vgpt_dagster.paths import ProjectPaths

MODE_LABELS = {
    "model": "question alone",
    "model+retrieval": "+ retrieved block",
    "model+retrieval+guard": "+ retrieval + guard",
    "hybrid": "hybrid (vgpt serve)",
}


def regressions(before: list[dict], after: list[dict], cases: dict) -> dict[str, list[dict[str, Any]]]:
    """Cases that passed ``before`` and failed ``after``: real objects now refused, invented ones now accepted.

    >>> from types import SimpleNamespace as C
    >>> cases = {"a": C(objects_must_use=("APTL",), objects_must_refuse=())}
    >>> regressions([{"case_id": "a", "passed": True}], [{"case_id": "a", "passed": False,
    ...              "behavior": "false_rejection"}], cases)
    {'real_refused': [{'case_id': 'a', 'objects': ['APTL']}], 'fake_accepted': []}
    """
    was = {v["case_id"]: v for v in before}
    out: dict[str, list[dict[str, Any]]] = {"real_refused": [], "fake_accepted": []}
    for v in after:
        prev, case = was.get(v["case_id"]), cases.get(v["case_id"])
        if prev is None or case is None or not prev["passed"] or v["passed"]:
            continue
        if v["behavior"] == "false_rejection":
            out["real_refused"].append({"case_id": v["case_id"], "objects": list(case.objects_must_use)})
        elif v["behavior"] == "hallucinated_answer":
            out["fake_accepted"].append({"case_id": v["case_id"], "objects": list(case.objects_must_refuse)})
    return out


def cell(metric: str, value: Any) -> str:
    """Rates in %, counts as they are, a missing value as ``-``."""
    if value is None:
        return "-"
    return percent(value) if metric.endswith("_rate") or metric.startswith("recall") else str(value)


def row_label(result: dict, row: dict) -> str:
    label = result["arms"][row["arm"]]["label"]
    return f"{label} / {MODE_LABELS.get(row['mode'], row['mode'])}" if len(result["modes"]) > 1 else label


def experiment_markdown(result: dict) -> str:
    """The table (rows: arm x mode; columns: the experiment's metrics), the case count, each arm's facts and its
    regressions against ``compare_to``."""
    metrics = result["metrics"]
    multi = len(result["modes"]) > 1
    head = ["arm", *(["asked with"] if multi else []), *metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in result["rows"]:
        asked = [MODE_LABELS.get(r["mode"], r["mode"])] if multi else []
        cells = [result["arms"][r["arm"]]["label"], *asked, *(cell(m, r.get(m)) for m in metrics)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Cases judged: {result['cases']} (the same for every row). Arms:"]
    for arm in result["arms"].values():
        facts = arm["model"]
        bits = [facts.get("source", "")]
        served = arm.get("answered_by", {})
        if "status" in served:
            bits.append(f"answered by {served['status']}: {served.get('profile')}/{served.get('stage')}")
        if "steps" in facts:
            bits.append(
                f"{facts['steps']} steps on {facts.get('rows_train')} rows, loss {facts.get('train_loss_first')} -> "
                f"{facts.get('train_loss_last')}, eval loss {facts.get('eval_loss')}, "
                f"{facts.get('tokens_per_second')} tokens/s, {facts.get('wall_time_s')} s"
            )
        data = facts.get("data", {})
        if "category_counts" in data:
            bits.append(f"data categories {data['category_counts']}")
        lines.append(f"- {arm['label']}: " + "; ".join(b for b in bits if b))
    for name, by_mode in result.get("regressions", {}).items():
        base = result["arms"][result["compare_to"]]["label"]
        for mode, reg in by_mode.items():
            real = ", ".join(sorted({o for r in reg["real_refused"] for o in r["objects"]})) or "none"
            fake = ", ".join(sorted({o for r in reg["fake_accepted"] for o in r["objects"]})) or "none"
            asked = f" ({MODE_LABELS.get(mode, mode)})" if multi else ""
            lines += [
                "",
                f"**{result['arms'][name]['label']} vs {base}**{asked} - real objects now refused: {real}; "
                f"invented names now accepted: {fake}",
            ]
    recall = result.get("recall_at_k")
    if recall:
        rec = ", ".join(f"@{k}: {percent(v['recall'])}" for k, v in recall.items())
        lines += ["", f"Retrieval recall of the oracle's objects ({result['cases']} cases): {rec}."]
    return "\n".join(lines) + "\n"


def plot_experiment(result: dict, path: Path) -> Path:
    """Grouped bars: the ``chart`` metrics (in %) for every row."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows, chart = result["rows"], result["chart"]
    labels = [row_label(result, r).replace(" / ", "\n") for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(rows)), 3.6), dpi=100)
    width = 0.8 / max(len(chart), 1)
    for i, metric in enumerate(chart):
        vals = [100 * (r.get(metric) or 0) for r in rows]
        offset = (i - (len(chart) - 1) / 2) * width
        ax.bar([x + offset for x in range(len(rows))], vals, width, label=metric.replace("_", " "))
    ax.set_xticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel("% of cases")
    ax.set_title(result["title"])
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return write_figure_atomic(fig, path)


def write_experiment_report(paths: ProjectPaths, result: dict) -> dict[str, Path]:
    """JSON, Markdown and PNG of ``result`` under ``data/reports/``, each written atomically."""
    name = result["experiment"]
    md = f"# {result['title']}\n\n{experiment_markdown(result)}"
    return {
        "json": write_json_atomic(paths.reports_dir / f"{name}.json", result),
        "markdown": write_text_atomic(paths.reports_dir / f"{name}.md", md),
        "chart": plot_experiment(result, paths.reports_dir / f"{name}.png"),
    }
