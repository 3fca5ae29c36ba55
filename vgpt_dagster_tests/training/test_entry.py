"""The Pipes entry point in argv (debug) mode, Pipes metadata, and the `vgpt train` CLI."""

import shutil

import pytest
import yaml

from vgpt_dagster.cli import main as vgpt
from vgpt_dagster.errors import MissingUpstreamError
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.training import pipes_entry
from vgpt_dagster.training.api import build_base_model
from vgpt_dagster_tests.support.projects import FAST, MICRO


def _copy_root(built, tmp_path) -> ProjectPaths:
    paths, _ = built
    shutil.copytree(paths.root, tmp_path / "root", ignore=shutil.ignore_patterns("sft", "dpo_v3", "kto", "*.work"))
    root = ProjectPaths(tmp_path / "root")
    shutil.copytree(paths.dataset_dir("sft"), root.dataset_dir("sft"), dirs_exist_ok=True)
    profile = {"kind": "tiny", "tiny": MICRO.model_dump(), "recipe_defaults": FAST}
    (root.configs / "model_options" / "micro.yaml").write_text(yaml.safe_dump(profile))
    return root


def test_entry_point_argv_mode_trains_and_reports(built, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(pipes_entry.PIPES_ENV, raising=False)
    root = _copy_root(built, tmp_path)
    rc = pipes_entry.main(
        ["--stage", "sft", "--profile", "micro", "--root", str(root.root), "--device", "cpu", "--set", "max_steps=2"]
    )
    assert rc == 0 and "sft: 2 steps" in capsys.readouterr().out
    assert (root.stage_dir("micro", "sft") / "adapter_model.safetensors").is_file()
    # missing upstream: KTO without a DPO adapter exits 2 with the selection to build
    assert pipes_entry.main(["--stage", "kto", "--profile", "micro", "--root", str(root.root)]) == 2
    assert "*kto_adapter" in capsys.readouterr().err


def test_pipes_metadata_has_typed_plot_card_and_scalars(trained):
    from vgpt_dagster.training.run import StageResult

    paths, results = trained
    res: StageResult = results["dpo_v3"]
    meta = pipes_entry.pipes_metadata(res)
    assert meta["loss_curve"] == {
        "type": "path",
        "raw_value": str(paths.stage_dir("micro", "dpo_v3") / "loss_curve.png"),
    }
    assert meta["model_card"]["type"] == "md" and "Data versions" in meta["model_card"]["raw_value"]
    assert {"device", "precision", "steps", "train_loss_first", "eval_loss", "rewards_margins", "resumed"} <= set(meta)
    # A nested fact (the CPU matmul probe of a bf16-probing profile) must still be valid Pipes metadata: dagster_pipes'
    # own check rejected the raw dict at the end of the first real SmolLM2 SFT run.
    from dataclasses import replace

    from dagster_pipes import _normalize_param_metadata

    probed = replace(res, facts={**res.facts, "cpu_matmul_gflops": {"fp32_gflops": 108.8, "bf16_gflops": 431.4}})
    meta = pipes_entry.pipes_metadata(probed)
    assert meta["cpu_matmul_gflops"] == {"type": "json", "raw_value": {"fp32_gflops": 108.8, "bf16_gflops": 431.4}}
    _normalize_param_metadata(meta, "report_asset_materialization", "metadata")  # raises on an invalid value


def test_cli_show_recipe_and_base_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VGPT_ROOT", str(tmp_path))
    shutil.copytree(PACKAGE_ROOT / "configs", tmp_path / "configs")
    assert vgpt(["train", "show-recipe", "kto", "--profile", "tiny", "--set", "pref_beta=0.2"]) == 0
    out = capsys.readouterr().out
    assert "stage: kto" in out and "pref_beta: 0.2" in out and "max_steps: 30" in out
    assert vgpt(["train", "show-recipe", "sft", "--set", "lora_rnk=4"]) == 2
    assert "Did you mean" in capsys.readouterr().err
    assert vgpt(["train", "base"]) == 2
    assert "sft/train.parquet" in capsys.readouterr().err
    with pytest.raises(MissingUpstreamError, match=r"sft/train.parquet.*\n.*--select '\*base_model'"):
        build_base_model(ProjectPaths(tmp_path))


def test_vgpt_train_refuses_data_whose_blocking_audit_failed(built, tmp_path, monkeypatch, capsys):
    """The audit gate is in the training domain: the CLI refuses what the asset refuses, before any training."""
    import json

    root = _copy_root(built, tmp_path)
    manifest = root.dataset_dir("sft") / "manifest.json"
    manifest.write_text(json.dumps({"audits_passed": False, "failed_audits": ["sft_short_outputs"]}))
    monkeypatch.setenv("VGPT_ROOT", str(root.root))
    assert vgpt(["train", "sft", "--profile", "micro", "--device", "cpu"]) != 0
    err = capsys.readouterr().err
    assert "sft_short_outputs" in err and "refuses this data" in err and "vgpt data build sft" in err
    assert not root.stage_dir("micro", "sft").exists()
    manifest.write_text(json.dumps({"audits_passed": True}))  # the same data with passing audits trains
    assert vgpt(["train", "sft", "--profile", "micro", "--device", "cpu", "--set", "max_steps=1"]) == 0
    assert (root.stage_dir("micro", "sft") / "adapter_model.safetensors").is_file()
    assert not list(root.profile_dir("micro").glob("sft.work/checkpoint-*"))  # pruned after success
