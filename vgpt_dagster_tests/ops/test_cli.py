"""The command-line paths a user takes, as subprocesses in a fresh DAGSTER_HOME and a smoke project (VGPT_ROOT).

`dagster asset materialize` for DPO v3 with everything upstream, then DPO v3 alone from the files on disk,
the "build these first" message on a fresh project, a run config file that overrides the GPU resource
and a stage hyperparameter, and the nightly re-validation job from `dagster job execute`.
"""

import json
import re

import dagster as dg
import pytest
import yaml

from vgpt_dagster.artifacts import sha256_file
from vgpt_dagster.defs import build_definitions
from vgpt_dagster.paths import PACKAGE_ROOT
from vgpt_dagster_tests.support.processes import dagster_cli, executed_steps, make_dagster_home, output, run_env
from vgpt_dagster_tests.support.projects import make_ops_project

UPSTREAM_OF_DPO = {
    "vista_schema",
    "fake_real_table_pairs",
    "fake_column_pairs",
    "sql_corpus",
    "sft_dataset",
    "dpo_v3_dataset",
    "base_model",
    "sft_adapter",
    "dpo_v3_adapter",
}


def _selection(text: str) -> set[str]:
    graph = build_definitions().resolve_asset_graph()
    return {k.to_user_string() for k in dg.AssetSelection.from_coercible(text.split(",")).resolve(graph)}


def test_readme_commands_select_what_they_say():
    # Dagster's CLI reads '+name' as "name and its direct parents" and '*name' as "name and everything upstream".
    readme = (PACKAGE_ROOT / "README.md").read_text()
    everything = re.search(r"--select '([^']+)'\s+# DPO v3 and everything it needs", readme)
    assert everything, "README lost its 'DPO v3 and everything it needs' command"
    assert _selection(everything.group(1)) == UPSTREAM_OF_DPO
    alone = re.search(r"--select (\S+)\s+# just DPO v3", readme)
    assert alone and _selection(alone.group(1).strip("'")) == {"dpo_v3_adapter"}


def test_readme_run_config_examples_are_valid_run_config():
    from vgpt_dagster.config import build_config
    from vgpt_dagster.runtime.device import DeviceRequest

    readme = (PACKAGE_ROOT / "README.md").read_text()
    job = build_definitions().resolve_implicit_global_asset_job_def()
    examples = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)]
    examples = [e for e in examples if isinstance(e, dict) and "resources" in e]
    assert len(examples) >= 2  # the A6000 and the several-GPU examples
    for example in examples:
        dg.validate_run_config(job, example)  # raises DagsterInvalidConfigError on a wrong key or type
        build_config(DeviceRequest, example["resources"]["gpu"]["config"], "README gpu example")
    # "Your own Vista metadata export": `make pipeline` rebuilds the catalog and everything downstream of it, and
    # not the experiments (hours on a CPU), which `--select 'vista_schema*'` would start too
    own_schema = readme[readme.index("## Your own Vista metadata export") :].split("\n## ")[0]
    assert "make pipeline" in own_schema and "--select 'vista_schema*'" in own_schema
    defs = build_definitions()
    pipeline = {k.to_user_string() for k in defs.resolve_job_def("vgpt_pipeline").asset_layer.executable_asset_keys}
    experiments = {
        k.to_user_string() for k in dg.AssetSelection.groups("experiments").resolve(defs.resolve_asset_graph())
    }
    downstream = _selection("vista_schema*")
    assert experiments and experiments <= downstream and pipeline == downstream - experiments
    assert "vista_schema" in pipeline


@pytest.mark.slow
def test_everything_upstream_of_dpo_v3_adapter_in_one_command(cli_built):
    project, home, _, proc = cli_built
    assert proc.returncode == 0, output(proc)[-4000:]
    assert set(executed_steps(proc)) >= UPSTREAM_OF_DPO - {"fake_column_pairs"}  # written by the pairs step
    for stage in ("sft", "dpo_v3"):
        assert (project.stage_dir("tiny", stage) / "adapter_model.safetensors").is_file()
    assert (project.dataset_dir("dpo_v3") / "train.parquet").is_file()
    # the run is recorded in the temporary DAGSTER_HOME, not in a throwaway instance
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
    assert [r.status for r in runs] and runs[-1].status == dg.DagsterRunStatus.SUCCESS


@pytest.mark.slow
def test_dpo_v3_adapter_alone_uses_the_files_on_disk(cli_built):
    project, _, env, built = cli_built
    assert built.returncode == 0
    sft_before = sha256_file(project.stage_dir("tiny", "sft") / "adapter_model.safetensors")
    manifest = project.stage_dir("tiny", "dpo_v3") / "manifest.json"
    dpo_before = manifest.read_text()

    proc = dagster_cli(["asset", "materialize", "--select", "dpo_v3_adapter"], env)
    assert proc.returncode == 0, output(proc)[-4000:]
    assert executed_steps(proc) == ["dpo_v3_adapter"]
    assert sha256_file(project.stage_dir("tiny", "sft") / "adapter_model.safetensors") == sft_before
    assert manifest.read_text() != dpo_before  # a new adapter was swapped in


def test_adapter_alone_on_a_fresh_project_says_build_these_first(tmp_path):
    project = make_ops_project(tmp_path / "project")
    env = run_env(project, make_dagster_home(tmp_path / "dagster_home"))
    proc = dagster_cli(["asset", "materialize", "--select", "dpo_v3_adapter"], env, timeout=300)
    assert proc.returncode != 0
    text = output(proc)
    assert "needs files that do not exist yet" in text and "Build them first" in text
    assert str(project.dataset_dir("dpo_v3") / "train.parquet") in text
    assert str(project.stage_dir("tiny", "sft") / "adapter_model.safetensors") in text
    assert re.search(r"--select '[+*]dpo_v3_adapter'", text)
    assert "Error: Materialization failed." in text
    assert not project.stage_dir("tiny", "dpo_v3").exists()


def test_build_these_first_suggestion_builds_everything_upstream(tmp_path):
    from vgpt_dagster.errors import MissingUpstreamError
    from vgpt_dagster.runtime.profiles import load_profile
    from vgpt_dagster.training.run import check_inputs

    # the hint exactly as the training pre-flight (the asset's first step) writes it on a fresh project
    paths = make_ops_project(tmp_path / "project")
    with pytest.raises(MissingUpstreamError) as err:
        check_inputs(
            "dpo_v3", paths, load_profile("tiny", paths), paths.dataset_dir("dpo_v3"), paths.stage_dir("tiny", "sft")
        )
    suggested = re.search(r"--select '([^']+)'", str(err.value)).group(1)
    assert _selection(suggested) == UPSTREAM_OF_DPO


@pytest.mark.slow
def test_run_config_file_overrides_the_gpu_resource_and_a_stage_hyperparameter(cli_built, tmp_path):
    project, _, env, built = cli_built
    assert built.returncode == 0
    run_config = {
        "ops": {"sft_adapter": {"config": {"overrides": {"learning_rate": 0.0123, "max_steps": 2}}}},
        "resources": {"gpu": {"config": {"device": "cpu", "gradient_accumulation_steps": 3}}},
    }
    cfg = tmp_path / "run_config.yaml"
    cfg.write_text(yaml.safe_dump(run_config))
    proc = dagster_cli(["asset", "materialize", "--select", "sft_adapter", "-c", str(cfg)], env)
    assert proc.returncode == 0, output(proc)[-4000:]
    recipe = yaml.safe_load((project.stage_dir("tiny", "sft") / "recipe.yaml").read_text())
    assert recipe["learning_rate"] == 0.0123 and recipe["max_steps"] == 2
    assert recipe["gradient_accumulation_steps"] == 3  # from the gpu resource, not the stage recipe
    metrics = json.loads((project.stage_dir("tiny", "sft") / "metrics.json").read_text())
    assert metrics["device"] == "cpu" and metrics["steps"] == 2

    # a typo in the same file is refused before anything runs, naming the key
    run_config["ops"]["sft_adapter"]["config"]["overrides"] = {"lora_rnk": 4}
    cfg.write_text(yaml.safe_dump(run_config))
    bad = dagster_cli(["asset", "materialize", "--select", "sft_adapter", "-c", str(cfg)], env)
    assert bad.returncode != 0
    assert "unknown key 'lora_rnk'. Did you mean one of 'lora_rank'" in output(bad)


@pytest.mark.slow
def test_nightly_revalidation_job_from_the_cli(cli_built):
    project, _, env, built = cli_built
    assert built.returncode == 0
    prep = dagster_cli(["asset", "materialize", "--select", "kto_dataset,kto_adapter,eval_suite,vista_sandbox"], env)
    assert prep.returncode == 0, output(prep)[-4000:]
    proc = dagster_cli(["job", "execute", "-j", "nightly_revalidation"], env)
    assert proc.returncode == 0, output(proc)[-4000:]
    assert set(executed_steps(proc)) == {f"validation_{s}" for s in ("base", "sft", "dpo_v3", "kto")} | {
        "model_comparison"
    }
    for stage in ("base", "sft", "dpo_v3", "kto"):
        assert (project.reports_dir / f"validation_{stage}.json").is_file()
    assert (project.reports_dir / "model_comparison.md").is_file()
