"""Work folders, fingerprints and resume decisions for a training stage.

Checkpoints go to ``saves/<profile>/<stage>.work/checkpoint-N``. ``fingerprint.json`` there records what the
checkpoints were trained from (dataset files, resolved recipe, init adapter, base model). A rerun with the same
fingerprint resumes from the newest complete checkpoint; a different one wipes the work folder and starts fresh.
"""

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from vgpt_dagster.artifacts import sha256_file, sha256_files, sha256_json, write_json_atomic

log = logging.getLogger(__name__)


def hash_model_dir(folder: Path, full: bool = True) -> str:
    """Content hash of a model or adapter folder (weights + configs); ``full=False`` hashes sizes of the weights.

    Hashing 15 GB of 7B weights on every run is wasteful: for pretrained bases the config and the weight
    files' names and sizes identify the snapshot.
    """
    folder = Path(folder)
    configs = sorted(p for p in folder.glob("*.json") if p.name not in ("manifest.json", "trainer_state.json"))
    weights = sorted(folder.glob("*.safetensors"))
    if full:
        return sha256_files([*configs, *weights])
    return sha256_json(
        {"configs": {p.name: sha256_file(p) for p in configs}, "weights": {p.name: p.stat().st_size for p in weights}}
    )


def stage_fingerprint(data_files: list[Path], recipe: dict, init_dir: Path | None, base_hash: str) -> dict:
    """What a stage's checkpoints depend on; equal fingerprints mean a checkpoint can be resumed."""
    parts = {
        "data": sha256_files(data_files),
        "recipe": sha256_json(recipe),
        "init": hash_model_dir(init_dir) if init_dir else None,
        "base": base_hash,
    }
    return {**parts, "fingerprint": sha256_json(parts)}


def last_checkpoint(work_dir: Path) -> Path | None:
    """Newest ``checkpoint-N`` that finished saving (trainer_state.json is written last)."""
    done = [p for p in Path(work_dir).glob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    done = [p for p in done if p.name.split("-")[-1].isdigit()]
    return max(done, key=lambda p: int(p.name.split("-")[-1]), default=None)


@dataclass
class ResumeDecision:
    checkpoint: Path | None
    reason: str


def prepare_work_dir(work_dir: Path, fingerprint: dict) -> ResumeDecision:
    """Resume when the work folder's fingerprint matches and holds a checkpoint; else start it fresh."""
    work_dir = Path(work_dir)
    fp_path = work_dir / "fingerprint.json"
    old = json.loads(fp_path.read_text()) if fp_path.is_file() else None
    ckpt = last_checkpoint(work_dir) if work_dir.exists() else None
    if old and old.get("fingerprint") == fingerprint["fingerprint"] and ckpt:
        return ResumeDecision(ckpt, f"data, recipe, init adapter and base model unchanged: resuming from {ckpt.name}")
    if old and old.get("fingerprint") != fingerprint["fingerprint"]:
        changed = [k for k in ("data", "recipe", "init", "base") if old.get(k) != fingerprint[k]]
        reason = f"starting fresh: {', '.join(changed)} changed since the checkpoints in {work_dir} were written"
    elif work_dir.exists() and old:
        reason = "starting fresh: no complete checkpoint to resume from"
    else:
        reason = "starting fresh: no previous run"
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    write_json_atomic(fp_path, fingerprint)
    return ResumeDecision(None, reason)


def prune_work_dir(work_dir: Path) -> int:
    """After a stage succeeded: delete its checkpoints (optimizer state included); returns how many went.

    The adapter folder is the deliverable; the work folder keeps only ``fingerprint.json`` and ``recipe.yaml``.
    """
    removed = 0
    for ckpt in Path(work_dir).glob("checkpoint-*"):
        if ckpt.is_dir():
            shutil.rmtree(ckpt)
            removed += 1
    if removed:
        log.info("pruned %d checkpoint(s) from %s", removed, work_dir)
    return removed
