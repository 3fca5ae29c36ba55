"""Faults a user meets, through the CLI and Dagster: killed processes and two GPU runs at once.

Each outcome is recorded in docs/reliability.md. Unit-level twins of these checks live in the package
test folders (cited there); these drive the user-facing commands.
"""

import json
import shutil
import signal
import subprocess
import sys
import textwrap

import dagster as dg
import psutil
import pytest
import yaml

from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime import checkpoints
from vgpt_dagster_tests.support.processes import (
    ARTIFACTS,
    BIN,
    PACKAGE_ROOT,
    copy_project,
    dagster_cli,
    make_dagster_home,
    materialize_command,
    output,
    run_env,
    tree_hashes,
    wait_until,
)

PIPES_ENTRY = "vgpt_dagster.training.pipes_entry"


# -- killed processes ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_of_the_training_subprocess_then_rematerialize_resumes(built, tmp_path):
    src, _, _ = built
    project = copy_project(src, tmp_path / "project")
    env = run_env(project, make_dagster_home(tmp_path / "dagster_home"))
    good = project.stage_dir("tiny", "sft")
    before = tree_hashes(good)
    work = good.with_name("sft.work")
    steps = 10
    overrides = {"max_steps": steps, "save_steps": 2, "eval_steps": 2, "max_eval_samples": 4}
    cfg = tmp_path / "run_config.yaml"
    cfg.write_text(yaml.safe_dump({"ops": {"sft_adapter": {"config": {"overrides": overrides}}}}))
    cmd = [str(BIN / "dagster"), "asset", "materialize", "-m", "vgpt_dagster.definitions"]
    cmd += ["--select", "sft_adapter", "-c", str(cfg)]

    log = (tmp_path / "killed.log").open("w")
    run = subprocess.Popen(cmd, env=env, cwd=PACKAGE_ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:

        def training_child_with_a_checkpoint():
            kids = psutil.Process(run.pid).children(recursive=True)
            child = next((k for k in kids if PIPES_ENTRY in " ".join(k.cmdline())), None)
            return child if child and work.exists() and checkpoints.last_checkpoint(work) is not None else None

        child = wait_until(
            training_child_with_a_checkpoint,
            "the training subprocess to save its first checkpoint",
            alive=lambda: run.poll() is None,
            details=lambda: (tmp_path / "killed.log").read_text()[-3000:],
            poll=0.05,
        )
        child.send_signal(signal.SIGKILL)  # the training subprocess only: the Dagster run worker survives it
        run.wait(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
        log.close()
    killed_output = (tmp_path / "killed.log").read_text()
    (ARTIFACTS / "fault_training_sigkill.log").write_text(killed_output)
    assert run.returncode != 0
    assert "External execution process failed with code -9" in killed_output
    assert tree_hashes(good) == before  # the previous good adapter, byte for byte
    resume_from = checkpoints.last_checkpoint(work)
    assert resume_from is not None and int(resume_from.name.split("-")[1]) < steps

    again = dagster_cli(["asset", "materialize", "--select", "sft_adapter", "-c", str(cfg)], env)
    assert again.returncode == 0, output(again)[-4000:]
    metrics = json.loads((good / "metrics.json").read_text())
    assert metrics["resumed"] is True and resume_from.name in metrics["resume_reason"]
    assert metrics["steps"] == steps
    assert tree_hashes(good)["adapter_model.safetensors"] != before["adapter_model.safetensors"]


_KILL_WHILE_WRITING = textwrap.dedent(
    """
    import os, signal, sys
    import polars as pl

    real_write = pl.DataFrame.write_parquet

    def write_half_then_die(self, file, *args, **kwargs):
        real_write(self, file, *args, **kwargs)
        with open(file, "r+b") as fh:  # half the bytes on disk, then the process dies mid-write
            fh.truncate(os.path.getsize(file) // 2)
        os.kill(os.getpid(), signal.SIGKILL)

    pl.DataFrame.write_parquet = write_half_then_die
    from vgpt_dagster.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.slow
def test_sigkill_of_a_dataset_build_mid_write_keeps_the_previous_files(built, tmp_path):
    src, _, _ = built
    project = ProjectPaths(tmp_path / "project")
    shutil.copytree(src.configs, project.configs)
    shutil.copytree(src.data, project.data)
    folder = project.dataset_dir("sft")
    before = tree_hashes(folder)
    env = run_env(project)
    reseeded = project.configs / "datasets_seed7.yaml"
    reseeded.write_text(yaml.safe_dump({**yaml.safe_load((project.configs / "datasets.yaml").read_text()), "seed": 7}))
    args = ["data", "build", "sft", "--config", str(reseeded)]

    killed = subprocess.run(
        [sys.executable, "-c", _KILL_WHILE_WRITING, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert tree_hashes(folder) == before  # train/eval/manifest exactly as the previous build left them
    assert not list(folder.parent.glob("sft.old-*"))

    rebuilt = subprocess.run(
        [str(BIN / "vgpt"), *args], env=env, capture_output=True, text=True, timeout=300, cwd=PACKAGE_ROOT
    )
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    after = tree_hashes(folder)
    assert set(after) == set(before) and after["train.parquet"] != before["train.parquet"]
    assert json.loads((folder / "manifest.json").read_text())["seed"] == 7
    leftovers = sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(".sft."))
    (ARTIFACTS / "fault_dataset_sigkill_leftovers.txt").write_text("\n".join(leftovers) + "\n")


# -- two GPU runs at once from the CLI ----------------------------------------------------------------------


@pytest.mark.slow
def test_two_cli_runs_needing_the_gpu_take_turns(built):
    # `dagster asset materialize` runs skip the queue: the instance's `gpu` pool (granularity op) still
    # makes the second GPU step wait for the first one's slot.
    project, home, env = built
    cmd = materialize_command("validation_base")
    procs = [
        subprocess.Popen(cmd, env=env, cwd=PACKAGE_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n\n".join(o[-3000:] for o in outs)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = [r for r in instance.get_runs(limit=2) if r.asset_selection == {dg.AssetKey("validation_base")}]
        windows = sorted(
            (s.start_time, s.end_time, r.run_id)
            for r in runs
            for s in instance.get_run_step_stats(r.run_id)
            if s.step_key == "validation_base"
        )
    assert len(windows) == 2, windows
    (_, first_end, _), (second_start, _, _) = windows
    assert second_start >= first_end, windows
    assert any("blocked by limit for pool gpu" in o for o in outs), "neither run reported waiting for the pool"
