"""What a finished stage leaves next to its adapter: training log, metrics, loss curve, model card."""

import json
from pathlib import Path

from vgpt_dagster.artifacts import write_jsonl_atomic, write_text_atomic

LOSS_KEYS = ("loss", "eval_loss")


def write_training_log(folder: Path, log_history: list[dict]) -> Path:
    return write_jsonl_atomic(Path(folder) / "training_log.jsonl", log_history)


def plot_loss_curve(log_history: list[dict], path: Path, title: str) -> Path:
    """Train and eval loss against the optimizer step (matplotlib Agg, PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    for key, style in zip(LOSS_KEYS, ("-", "o--"), strict=True):
        pts = [(r["step"], r[key]) for r in log_history if key in r and "step" in r]
        if pts:
            ax.plot(*zip(*pts, strict=True), style, label=key.replace("_", " "))
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path


def write_model_card(
    folder: Path, *, stage: str, profile, base_ref: str, data_hashes: dict, recipe: dict, metrics: dict
) -> Path:
    """README.md: base model, data versions (content hashes), hyperparameters, final metrics."""
    lines = [
        f"# {profile.name} / {stage} adapter",
        "",
        f"- Base model: `{base_ref}` ({profile.description or profile.kind})",
        f"- Fine-tuning: {profile.finetuning_type}"
        + (f", quantization {profile.quantization}" if profile.quantization != "none" else ""),
        f"- Stage: {stage} (TRL {recipe.get('stage')})",
    ]
    if profile.kind == "tiny":
        lines.append("- **Smoke-scale model**: trained to prove the pipeline end to end, not to answer SQL questions.")
    lines += ["", "## Data versions", ""] + [f"- `{k}`: `{v}`" for k, v in data_hashes.items()]
    lines += ["", "## Hyperparameters (resolved recipe)", "", "```json", json.dumps(recipe, indent=2), "```"]
    lines += ["", "## Final metrics", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in metrics.items() if not isinstance(v, dict | list)]
    lines += ["", "![loss curve](loss_curve.png)", ""]
    return write_text_atomic(Path(folder) / "README.md", "\n".join(lines))
