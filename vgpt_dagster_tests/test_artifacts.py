"""Atomic artifact writes: a failed write leaves the old file, a killed swap is undone, stale leftovers go."""

import os
import time

import pytest

from vgpt_dagster.artifacts import STALE_TMP_SECONDS, atomic_dir, recover_dir, write_text_atomic


def test_failed_write_keeps_the_previous_file(tmp_path):
    f = tmp_path / "train.jsonl"
    write_text_atomic(f, "old\n")
    with pytest.raises(RuntimeError):
        from vgpt_dagster.artifacts import atomic_path

        with atomic_path(f) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert f.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]


def test_swap_killed_between_renames_is_undone(tmp_path):
    target = tmp_path / "sft"
    with atomic_dir(target) as d:
        (d / "adapter_model.safetensors").write_text("good")
    os.replace(target, tmp_path / "sft.old-123")  # killed after moving the old folder aside
    recover_dir(target)
    assert (target / "adapter_model.safetensors").read_text() == "good"


def test_only_old_build_folders_are_swept(tmp_path):
    target = tmp_path / "sft"
    stale, live = tmp_path / ".sft.abc.tmp", tmp_path / ".sft.def.tmp"
    stale.mkdir()
    live.mkdir()
    old = time.time() - STALE_TMP_SECONDS - 60
    os.utime(stale, (old, old))
    recover_dir(target)
    assert not stale.exists() and live.exists()  # a concurrent writer's folder is left alone
