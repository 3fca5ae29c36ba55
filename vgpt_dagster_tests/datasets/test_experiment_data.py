"""Datasets built for an experiment's arm: the DPO ablation's v2-style control set (the shape of the team's
vgpt2_v3_dpo_v2.json) and the schema-context prompts; the product's gate stays closed."""

import polars as pl
import pytest

from vgpt_dagster.datasets import build as B
from vgpt_dagster.datasets.config import DatasetsConfig, load_datasets_config
from vgpt_dagster.errors import ConfigError
from vgpt_dagster.paths import ProjectPaths


def _experiment_root(tmp_path, built, cfg) -> ProjectPaths:
    """A project whose datasets.yaml is the fixtures' config, sharing the built pairs and the DPO v3 set."""
    import yaml

    from vgpt_dagster.config import config_to_dict
    from vgpt_dagster_tests.support.projects import make_project

    paths = make_project(tmp_path / "p")
    (paths.configs / "datasets.yaml").write_text(yaml.safe_dump(config_to_dict(cfg)))
    paths.dataset_dir("pairs").parent.mkdir(parents=True, exist_ok=True)
    paths.dataset_dir("pairs").symlink_to(built["paths"].dataset_dir("pairs"))
    return paths


def test_v2_style_arm_is_83_percent_fake_table_rejection_and_fails_only_the_audit_it_accepts(
    catalog, cfg, built, tmp_path
):
    """The DPO ablation's control arm (configs/experiments/dpo_ablation.yaml): the same total as the v3 set in the
    v2 shares, audited like the pipeline's set; the balance audit blocks it, and only the arm may accept that."""
    from vgpt_dagster.datasets.io import require_audited
    from vgpt_dagster.errors import DatasetError
    from vgpt_dagster.experiments.arms import build_arm_data
    from vgpt_dagster.experiments.spec import load_experiment

    paths = _experiment_root(tmp_path, built, cfg)
    arm = next(a for a in load_experiment(paths, "dpo_ablation").arms if a.name == "v2_style")
    folder, facts = build_arm_data(paths, "dpo_ablation", arm, catalog, recipe=None)
    assert folder == paths.data / "experiments" / "dpo_ablation" / "v2_style"
    df = pl.concat([pl.read_parquet(folder / f"{s}.parquet") for s in ("train", "eval")])
    counts = dict(df.group_by("category").len().iter_rows())
    assert set(counts) == {"fake_table_rejection", "nolock_style"} == set(facts["category_counts"])
    assert abs(counts["fake_table_rejection"] / df.height - 0.83) < 0.01
    assert df.height == sum(cfg.dpo_targets().values())  # the same size as the v3 set it is compared with
    assert facts["failed_audits"] == ["dpo_rejection_balance"]  # every other blocking audit holds
    with pytest.raises(DatasetError, match="dpo_rejection_balance"):
        require_audited(folder, "dpo_v3", "dpo_v3 training")  # the product refuses it
    require_audited(folder, "dpo_v3", "dpo_v3 training", accept=("dpo_rejection_balance",))
    v3_balance = next(a for a in built["dpo"].audits if a.name == "dpo_rejection_balance")
    assert v3_balance.passed and v3_balance.severity == "ERROR"

    strict = arm.model_copy(update={"data": arm.data.model_copy(update={"accept_failed_audits": ()})})
    with pytest.raises(DatasetError, match=r"fails blocking audits it does not accept \(dpo_rejection_balance\)"):
        build_arm_data(paths, "dpo_ablation", strict, catalog, recipe=None)


def test_the_product_config_cannot_weaken_the_dpo_balance_gate(tmp_path):
    """dpo_mix left configs/datasets.yaml with the experiment: the key is unknown, so it cannot turn an audit off."""
    assert "dpo_mix" not in DatasetsConfig.model_fields
    bad = tmp_path / "d.yaml"
    bad.write_text("dpo_mix: v2_style\n")
    with pytest.raises(ConfigError, match="unknown key 'dpo_mix'"):
        load_datasets_config(bad)
    load_datasets_config(ProjectPaths.from_env().configs / "datasets.yaml")  # the shipped file is valid


def test_schema_context_retrieved_puts_the_serving_block_in_every_prompt(catalog, cfg, checker, built, tmp_path):
    from vgpt_dagster.retrieval.schema import SCHEMA_HEADER

    with_ctx = cfg.model_copy(update={"schema_context": "retrieved", "scale": 0.005})
    paths = ProjectPaths(tmp_path)
    paths.dataset_dir("pairs").parent.mkdir(parents=True, exist_ok=True)
    paths.dataset_dir("pairs").symlink_to(built["paths"].dataset_dir("pairs"))
    res = B.build_dpo_artifact(catalog, with_ctx, paths, checker)
    df = pl.read_parquet(res.outputs["train"])
    users = [p[-1]["content"] for p in df["prompt"].to_list()]
    assert users and all(u.startswith(SCHEMA_HEADER) and "\n\nQuestion: " in u for u in users)
    for u, ins in zip(users, df["instruction"].to_list(), strict=True):
        assert u.endswith(f"Question: {ins}")  # the instruction itself stays the bare question
    plain = pl.read_parquet(built["dpo"].outputs["train"])
    assert not any(p[-1]["content"].startswith(SCHEMA_HEADER) for p in plain["prompt"].to_list())

    # the context ablation adds the block to rows built without it: the very prompts a retrieved build writes
    from vgpt_dagster.datasets.schema_block import add_schema_context

    added = add_schema_context(plain, catalog, with_ctx.schema_context_top_k)
    assert added.drop("prompt").equals(plain.drop("prompt"))
    both = added.select("id", "prompt").join(df.select("id", pl.col("prompt").alias("built")), on="id")
    assert both.height > 10 and both["prompt"].to_list() == both["built"].to_list()
