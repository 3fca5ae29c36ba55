"""``dpo_mix: v2_style``: the DPO ablation's control set, in the shape of the team's vgpt2_v3_dpo_v2.json."""

import polars as pl
import pytest

from vgpt_dagster.datasets import build as B
from vgpt_dagster.datasets.config import DatasetsConfig, load_datasets_config
from vgpt_dagster.errors import ConfigError
from vgpt_dagster.paths import ProjectPaths


def test_v2_style_build_is_83_percent_fake_table_rejection_and_warns_on_balance(catalog, cfg, checker, built, tmp_path):
    v2 = cfg.model_copy(update={"dpo_mix": "v2_style"})
    paths = ProjectPaths(tmp_path)
    paths.dataset_dir("pairs").parent.mkdir(parents=True, exist_ok=True)
    paths.dataset_dir("pairs").symlink_to(built["paths"].dataset_dir("pairs"))
    res = B.build_dpo_artifact(catalog, v2, paths, checker)
    df = pl.concat([pl.read_parquet(p) for p in res.outputs.values() if p.endswith(".parquet")])
    counts = dict(df.group_by("category").len().iter_rows())
    assert set(counts) == {"fake_table_rejection", "nolock_style"}  # no real-table acceptance pairs
    assert abs(counts["fake_table_rejection"] / df.height - 0.83) < 0.01
    assert df.height == sum(cfg.dpo_targets().values())  # the same size as the v3 set it is compared with
    balance = next(a for a in res.audits if a.name == "dpo_rejection_balance")
    assert not balance.passed and balance.severity == "WARN" and "v2_style" in balance.markdown
    assert res.passed  # every other blocking audit holds: chosen SQL valid, rejected wrong for its reason
    assert res.metadata["dpo_mix"] == "v2_style"
    v3_balance = next(a for a in built["dpo"].audits if a.name == "dpo_rejection_balance")
    assert v3_balance.passed and v3_balance.severity == "ERROR"


def test_dpo_mix_is_validated(tmp_path):
    assert load_datasets_config(ProjectPaths.from_env().configs / "datasets.yaml").dpo_mix == "v3"
    bad = tmp_path / "d.yaml"
    bad.write_text("dpo_mix: v2\n")
    with pytest.raises(ConfigError, match=r"dpo_mix[\s\S]*'v3' or 'v2_style'"):
        load_datasets_config(bad)
    assert DatasetsConfig(dpo_mix="v2_style").dpo_targets() == {"fake_table_rejection": 2158, "nolock_style": 442}


def test_schema_context_retrieved_puts_the_serving_block_in_every_prompt(catalog, cfg, checker, built, tmp_path):
    from vgpt_dagster.serving.retrieval import SCHEMA_HEADER

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
    from vgpt_dagster.datasets.context import add_schema_context

    added = add_schema_context(plain, catalog, with_ctx.schema_context_top_k)
    assert added.drop("prompt").equals(plain.drop("prompt"))
    both = added.select("id", "prompt").join(df.select("id", pl.col("prompt").alias("built")), on="id")
    assert both.height > 10 and both["prompt"].to_list() == both["built"].to_list()
