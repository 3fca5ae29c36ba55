"""Make targets the README offers that need no model: ``make clean-artifacts`` deletes what runs generate."""

import shutil
import subprocess

from vgpt_dagster.paths import PACKAGE_ROOT


def test_clean_artifacts_deletes_generated_files_and_keeps_the_embedded_schema(tmp_path):
    shutil.copy(PACKAGE_ROOT / "Makefile", tmp_path / "Makefile")
    keep = [tmp_path / "data" / "README.md", tmp_path / "data" / "embedded" / "vista6x" / "tables.json.gz"]
    gone = [
        tmp_path / "data" / "datasets" / "sft" / "train.parquet",
        tmp_path / "data" / "reports" / "dpo_ablation.json",
        tmp_path / "saves" / "tiny" / "sft" / "adapter_model.safetensors",
        tmp_path / "test-artifacts" / "dagster_dev.log",
    ]
    for f in keep + gone:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("x")
    proc = subprocess.run(["make", "clean-artifacts"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert all(f.is_file() for f in keep)
    assert not any(f.exists() for f in gone) and sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "README.md",
        "embedded",
    ]
    assert list((tmp_path / "saves").iterdir()) == []
    again = subprocess.run(["make", "clean-artifacts"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr  # nothing left to delete is not an error
