"""Bad input through the user-facing commands: each gives a clear message and a non-zero exit.

Outcomes are recorded in docs/reliability.md with the unit-level twins in the package test folders.
"""

import gzip
import json
import shutil
import subprocess

import pytest
import yaml

from vgpt_dagster.cli import main as vgpt
from vgpt_dagster_tests.support.processes import (
    BIN,
    PACKAGE_ROOT,
    copy_project,
    dagster_cli,
    make_dagster_home,
    output,
    run_env,
)
from vgpt_dagster_tests.support.projects import make_ops_project


def test_malformed_schema_export_fails_vista_schema_naming_file_and_position(tmp_path):
    project = make_ops_project(tmp_path / "project", {"catalog.yaml": {"schema_path": "my_export"}})
    export = project.root / "my_export"
    shutil.copytree(project.embedded_schema, export)
    (export / "tables.json.gz").write_bytes(gzip.compress(b'[{"name": "APTH",, }]'))
    env = run_env(project, make_dagster_home(tmp_path / "dagster_home"))
    proc = dagster_cli(["asset", "materialize", "--select", "vista_schema"], env, timeout=300)
    assert proc.returncode != 0
    assert f"CatalogError: {export / 'tables.json.gz'}: line 1, column 18: not valid JSON" in output(proc)
    assert not (project.catalog_dir / "manifest.json").exists()


def test_config_with_unknown_key_or_wrong_type_exits_2(tmp_path, monkeypatch, capsys):
    project = make_ops_project(tmp_path / "project")
    monkeypatch.setenv("VGPT_ROOT", str(project.root))
    cfg = project.configs / "datasets.yaml"
    good = cfg.read_text()
    cfg.write_text(good + "\nscael: 0.5\n")
    assert vgpt(["data", "build", "sft"]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'scael'" in err and "Did you mean 'scale'?" in err and "Traceback" not in err
    cfg.write_text(good.replace("scale: 0.01", "scale: lots"))
    assert "scale: lots" in cfg.read_text()
    assert vgpt(["data", "build", "sft"]) == 2
    err = capsys.readouterr().err
    assert "scale" in err and "'lots'" in err and "Traceback" not in err


def test_run_config_with_a_wrong_type_for_the_gpu_resource_is_refused(tmp_path):
    project = make_ops_project(tmp_path / "project")
    cfg = tmp_path / "run_config.yaml"
    cfg.write_text(yaml.safe_dump({"resources": {"gpu": {"config": {"gradient_accumulation_steps": "three"}}}}))
    env = run_env(project, make_dagster_home(tmp_path / "dagster_home"))
    proc = dagster_cli(["asset", "materialize", "--select", "sft_adapter", "-c", str(cfg)], env, timeout=300)
    assert proc.returncode != 0
    text = output(proc)
    assert "gradient_accumulation_steps" in text and '"three"' in text


@pytest.mark.slow
def test_missing_or_corrupted_adapter_safetensors_fails_validation_clearly(built, tmp_path):
    src, _, _ = built
    project = copy_project(src, tmp_path / "project")
    env = run_env(project, make_dagster_home(tmp_path / "dagster_home"))
    for old_report in project.reports_dir.glob("validation_sft.*"):  # the copy may hold an earlier report
        old_report.unlink()
    weights = project.stage_dir("tiny", "sft") / "adapter_model.safetensors"
    weights.write_bytes(b"this is not a safetensors file")
    proc = dagster_cli(["asset", "materialize", "--select", "validation_sft"], env, timeout=300)
    assert proc.returncode != 0
    assert f"ValidationError: {weights} is not a readable safetensors file" in output(proc)

    weights.unlink()
    proc = dagster_cli(["asset", "materialize", "--select", "validation_sft"], env, timeout=300)
    assert proc.returncode != 0
    assert "is incomplete; missing: " in output(proc) and str(weights) in output(proc)
    assert not (project.reports_dir / "validation_sft.json").exists()  # no report from a fallback base model

    proc = dagster_cli(["asset", "materialize", "--select", "dpo_v3_adapter"], env, timeout=300)
    assert proc.returncode != 0 and "needs files that do not exist yet" in output(proc) and str(weights) in output(proc)


@pytest.mark.slow
def test_corrupted_init_adapter_fails_training_with_a_clear_message(built, tmp_path):
    src, _, _ = built
    project = copy_project(src, tmp_path / "project")
    env = run_env(project, make_dagster_home(tmp_path / "dagster_home"))
    weights = project.stage_dir("tiny", "sft") / "adapter_model.safetensors"
    weights.write_bytes(b"this is not a safetensors file")
    proc = dagster_cli(["asset", "materialize", "--select", "dpo_v3_adapter"], env, timeout=300)
    assert proc.returncode != 0
    assert str(weights) in output(proc) and "safetensors" in output(proc)


def test_imported_dataset_with_wrong_columns_names_file_and_columns(tmp_path):
    imports = {"imports": [{"file": "legacy/dpo_v2.jsonl", "kind": "dpo"}]}
    project = make_ops_project(tmp_path / "project", {"datasets.yaml": imports})
    legacy = project.root / "legacy" / "dpo_v2.jsonl"
    legacy.parent.mkdir()
    legacy.write_text(json.dumps({"instruction": "List AP vendors", "input": "", "output": "SELECT 1"}) + "\n")
    env = run_env(project, make_dagster_home(tmp_path / "dagster_home"))
    proc = dagster_cli(["asset", "materialize", "--select", "vista_schema,imported_datasets"], env, timeout=300)
    assert proc.returncode != 0
    assert (
        f"DatasetError: {legacy} has columns instruction, input, output; DPO needs instruction, chosen, rejected"
        in output(proc)
    )
    # the same file through `vgpt data audit`: exit 2, one line, no traceback
    cli = subprocess.run(
        [str(BIN / "vgpt"), "data", "audit", str(legacy), "--kind", "dpo"], env=env, capture_output=True, text=True
    )
    assert cli.returncode == 2 and "DPO needs instruction, chosen, rejected" in cli.stderr
    assert "Traceback" not in cli.stderr


@pytest.mark.parametrize(
    "text, message",
    [
        ("hello there, this is not a query", "Line 1, Col 12: [error] parse_error: not valid T-SQL"),
        ("SELEC * FROM APTH", "parse_error: not valid T-SQL"),
        ("", "parse_error: no SQL: the text is empty"),
    ],
)
def test_sql_that_is_not_sql_is_a_finding_with_exit_1(text, message):
    env = run_env(PACKAGE_ROOT)  # read-only: the checkout's embedded schema
    proc = subprocess.run([str(BIN / "vgpt"), "sql", "check", text], env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and message in proc.stdout, proc.stdout + proc.stderr


def test_profile_whose_weights_are_absent_fails_base_model_with_where_it_looked(tmp_path):
    project = make_ops_project(tmp_path / "project")
    cfg = tmp_path / "run_config.yaml"
    cfg.write_text(yaml.safe_dump({"resources": {"model": {"config": {"profile": "qwen2.5-7b-lora"}}}}))
    env = run_env(project, make_dagster_home(tmp_path / "dagster_home"), HF_HOME=str(tmp_path / "empty_hf_home"))
    env.pop("VGPT_MODEL_PATH", None)
    env.pop("HF_HUB_CACHE", None)
    proc = dagster_cli(["asset", "materialize", "--select", "base_model", "-c", str(cfg)], env, timeout=300)
    assert proc.returncode != 0
    text = output(proc)
    assert "TrainingError: base model weights for profile 'qwen2.5-7b-lora'" in text
    assert ".bin weights are not accepted" in text and "VGPT_MODEL_PATH" in text
    assert "Weights are never downloaded by this project" in text


@pytest.mark.parametrize(
    "home, message",
    [
        ("/nonexistent/vgpt_dagster_home", "is not a directory or does not exist"),
        ("relative/dagster_home", "must be an absolute path"),
    ],
)
def test_dagster_home_pointing_nowhere_is_refused(home, message, tmp_path):
    env = run_env(tmp_path, None, DAGSTER_HOME=home)
    proc = dagster_cli(["asset", "materialize", "--select", "vista_schema"], env, timeout=300)
    assert proc.returncode != 0
    assert f'$DAGSTER_HOME "{home}" {message}' in output(proc)
    assert not (PACKAGE_ROOT / home).exists()  # nothing created in its place
