"""The eval suite's rules hold on both paths: `vgpt eval suite build` (CLI) and the `eval_suite` asset.

One smoke-scale project with the datasets built by `vgpt data build all`; each path builds the suite from it,
then a training record that leaks a held-out name must make both refuse.
"""

import shutil

import dagster as dg
import polars as pl
import pytest

from vgpt_dagster.catalog.load import load_default_catalog
from vgpt_dagster.cli import main
from vgpt_dagster.config import deep_merge, load_config
from vgpt_dagster.defs import build_definitions
from vgpt_dagster.defs.resources import VgptPaths
from vgpt_dagster.errors import ConfigError
from vgpt_dagster.judging.cases import Suite, read_suite, suite_fake_names, suite_prompts
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.suite_rules import (
    build_suite_file,
    evaluate_suite_rules,
    read_training_frames,
    training_prompts,
)
from vgpt_dagster_tests.support.projects import SMOKE_OVERRIDES, make_project

SMALL_SUITE = {
    "validation.yaml": {
        "suite": {
            "schema_knowledge": 6,
            "sql_generation": 6,
            "hallucination": 6,
            "join": 4,
            "error_correction": 4,
            "business_logic": 4,
            "business": 4,
        },
        "holdout_size": 60,
        "probes": {"real": 4, "fake": 4},
    }
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> ProjectPaths:
    """A smoke project whose pairs and SFT/DPO/KTO datasets are built (a few seconds)."""
    paths = make_project(tmp_path_factory.mktemp("rules") / "project", deep_merge(SMOKE_OVERRIDES, SMALL_SUITE))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VGPT_ROOT", str(paths.root))
        assert main(["data", "build", "all"]) == 0
    return paths


def materialize_suite(root):
    defs = build_definitions()
    resources = {**defs.resources, "paths": VgptPaths(root=str(root))}
    return dg.materialize(
        list(defs.assets), selection=["vista_schema", "eval_suite"], resources=resources, raise_on_error=False
    )


def leak_a_holdout_name(paths: ProjectPaths, suite: Suite) -> str:
    """Append one SFT eval record that names a held-out fake table; return that name."""
    name = sorted(n for n in suite_fake_names(suite) if n.isalnum())[0]
    f = paths.dataset_dir("sft") / "eval.parquet"
    df = pl.read_parquet(f)
    row = df.head(1).with_columns(
        pl.lit("leaked-0001").alias("id"), pl.lit(f"Query the '{name}' table.").alias("instruction")
    )
    pl.concat([df, row]).write_parquet(f)
    return name


def test_cli_build_excludes_training_prompts_and_passes_the_rules(built, monkeypatch, capsys):
    monkeypatch.setenv("VGPT_ROOT", str(built.root))
    assert main(["eval", "suite", "build"]) == 0
    assert "rules passed" in capsys.readouterr().out
    suite = read_suite(built.validation_dir / "eval_suite.json")
    training = read_training_frames(built)
    assert suite_prompts(suite) and not suite_prompts(suite) & training_prompts(training)
    rules = evaluate_suite_rules(suite, training, ValidationConfig())
    assert rules.passed and {r.name for r in rules.rules} == {"holdout_disjoint_from_training", "oracle_answerable"}


def test_asset_and_cli_build_the_same_suite_and_both_refuse_a_leak(built, tmp_path, monkeypatch, capsys):
    root = tmp_path / "project"
    shutil.copytree(built.root, root)
    paths = ProjectPaths(root)
    monkeypatch.setenv("VGPT_ROOT", str(root))
    assert main(["eval", "suite", "build", "--out", str(tmp_path / "cli_suite.json")]) == 0
    cli_suite = read_suite(tmp_path / "cli_suite.json")
    cli_rules = evaluate_suite_rules(cli_suite, read_training_frames(paths), ValidationConfig())

    result = materialize_suite(root)
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {r.name: True for r in cli_rules.rules}  # each rule the CLI enforced, as a passing check
    assert read_suite(paths.validation_dir / "eval_suite.json").version == cli_suite.version

    name = leak_a_holdout_name(paths, cli_suite)
    capsys.readouterr()
    assert main(["eval", "suite", "build"]) == 2
    err = capsys.readouterr().err
    assert "holdout_disjoint_from_training" in err and "sft:leaked-0001" in err and name in err

    leaked = materialize_suite(root)
    failed = {e.check_name for e in leaked.get_asset_check_evaluations() if not e.passed}
    assert failed == {"holdout_disjoint_from_training"}  # the rule the CLI named
    assert not leaked.success  # a blocking check failed


def test_oracle_drop_limit_comes_from_the_config(built, tmp_path):
    suite, _, _ = build_suite_file(
        built, load_default_catalog(paths=built), ValidationConfig(), tmp_path / "suite.json"
    )
    training = read_training_frames(built)
    dropped = [{"id": f"x{i}", "question": "q", "reasons": ["broken"]} for i in range(len(suite.cases) // 9)]
    broken = Suite(suite.cases, {**suite.meta, "dropped": dropped})  # a 10% drop share
    share = len(dropped) / (len(dropped) + len(suite.cases))
    strict = evaluate_suite_rules(broken, training, ValidationConfig())
    assert strict.failed_names == ["oracle_answerable"]
    loose = evaluate_suite_rules(broken, training, ValidationConfig(max_oracle_drop_share=share + 0.01))
    assert loose.passed


def test_drop_limit_out_of_range_names_the_key(tmp_path):
    f = tmp_path / "validation.yaml"
    f.write_text("max_oracle_drop_share: 1.5\n")
    with pytest.raises(ConfigError, match="max_oracle_drop_share"):
        load_config(f, ValidationConfig)
