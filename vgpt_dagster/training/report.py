"""What a finished stage leaves next to its adapter: training log, metrics, loss curve, model card."""

import json
from pathlib import Path

from vgpt_dagster.artifacts import write_figure_atomic, write_jsonl_atomic, write_text_atomic

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
    return write_figure_atomic(fig, path)


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


def write_base_card(folder: Path, *, profile, facts: dict) -> Path:
    """README.md of the tiny base folder: what it is, its size, and its pretraining loss curve and speed."""
    pre = facts.get("pretraining")
    lines = [
        f"# {profile.name} base model (smoke-scale)",
        "",
        f"- {facts['kind']}: {facts['parameters']:,} parameters, vocab {facts['vocab_size']:,}, seed {facts['seed']}",
        f"- Tokenizer: byte-level BPE trained on {facts['corpus_texts']:,} SFT train texts (Qwen2 pre-tokenizer, ChatML)",
        "- **Smoke-scale model**: it proves the pipeline end to end; it is not a useful SQL model.",
        "",
        "## Pretraining",
        "",
    ]
    if not pre:
        lines.append("None (`pretrain_steps: 0`): random initialisation only.")
    else:
        lines += [
            f"Full-parameter next-token training on the SFT train text: {pre['steps']} steps x {pre['batch_size']} "
            f"windows x {pre['seq_len']} tokens = {pre['tokens']:,} tokens, peak lr {pre['lr']}, "
            f"{pre['tokens_per_second']} tokens/s, {pre['wall_time_s']} s.",
            "",
            f"Loss {pre['loss_first']} -> {pre['loss_last']}.",
            "",
            "| step | loss |",
            "|---|---|",
        ]
        lines += [f"| {s} | {v} |" for s, v in pre["loss_curve"]]
        lines += ["", "![pretraining loss](loss_curve.png)"]
    arch = ", ".join(f"{k} {v}" for k, v in facts["architecture"].items())
    lines += ["", "## Architecture and settings", "", arch, ""]
    return write_text_atomic(Path(folder) / "README.md", "\n".join(lines))
