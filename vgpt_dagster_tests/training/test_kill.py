"""A real kill: SIGKILL the SFT subprocess after its first checkpoint, then resume it to the end."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from vgpt_dagster.artifacts import sha256_file
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime import checkpoints
from vgpt_dagster.training import api, pipes_entry
from vgpt_dagster_tests.support.projects import FAST, MICRO

STEPS = 40
HANG_GUARD_S = 600  # generous: a loaded 2-core machine is slow, a hang is not
KILLED_RUN = {**FAST, "max_steps": STEPS, "save_steps": 4, "eval_steps": 4, "early_stopping_patience": None}


def _tree_hashes(folder) -> dict:
    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_sigkill_keeps_the_previous_adapter_and_the_rerun_resumes(trained, tmp_path):
    src, _ = trained
    root = ProjectPaths(tmp_path / "root")
    shutil.copytree(src.configs, root.configs)
    shutil.copytree(src.data / "datasets", root.data / "datasets")
    shutil.copytree(src.base_model_dir("micro"), root.base_model_dir("micro"))
    profile = {"kind": "tiny", "tiny": MICRO.model_dump(), "recipe_defaults": KILLED_RUN}
    (root.configs / "model_options" / "micro.yaml").write_text(yaml.safe_dump(profile))
    good = root.stage_dir("micro", "sft")
    shutil.copytree(src.stage_dir("micro", "sft"), good)  # the previous good adapter (a different recipe)
    before = _tree_hashes(good)
    work = good.with_name("sft.work")

    env = {k: v for k, v in os.environ.items() if k != pipes_entry.PIPES_ENV}
    cmd = [sys.executable, "-m", "vgpt_dagster.training.pipes_entry", "--stage", "sft", "--profile", "micro"]
    log = (tmp_path / "killed.log").open("w")
    proc = subprocess.Popen([*cmd, "--root", str(root.root), "--device", "cpu"], stdout=log, stderr=log, env=env)
    try:
        # wait for the event (a finished checkpoint); the guard only catches a hang, it is not a speed limit
        guard = time.monotonic() + HANG_GUARD_S
        while checkpoints.last_checkpoint(work) is None if work.exists() else True:
            assert proc.poll() is None, (tmp_path / "killed.log").read_text()[-2000:]
            if time.monotonic() > guard:
                pytest.fail(f"hang: the training subprocess wrote no checkpoint in {HANG_GUARD_S} s (see killed.log)")
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    assert proc.returncode == -signal.SIGKILL
    assert _tree_hashes(good) == before  # byte-identical previous adapter, no half-written files in it
    resume_from = checkpoints.last_checkpoint(work)
    assert resume_from is not None and int(resume_from.name.split("-")[1]) < STEPS

    result = api.train_stage("sft", paths=root, profile_name="micro", device={"device": "cpu"})
    assert result.resumed and f"resuming from {resume_from.name}" in result.resume_reason
    assert result.steps == STEPS
    assert (good / "metrics.json").is_file() and '"resumed": true' in (good / "metrics.json").read_text()
    assert _tree_hashes(good)["adapter_model.safetensors"] != before["adapter_model.safetensors"]
