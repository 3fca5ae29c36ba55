"""Guarantees of the generated SFT / DPO / KTO sets, at small scale on the full catalog."""

import json

import polars as pl

from vgpt_dagster.datasets import dataset_audits as A
from vgpt_dagster.datasets.io import read_dataset


def _all(built, kind):
    folder = built["paths"].dataset_dir(kind)
    return pl.concat([read_dataset(folder, kind, "train"), read_dataset(folder, kind, "eval")])


def test_every_audit_passes_on_generated_data(built):
    for step in ("pairs", "sft", "dpo", "kto"):
        failed = [(a.name, a.markdown) for a in built[step].audits if not a.passed]
        assert failed == [], failed


def test_sft_contract_size_mix_and_split(built, cfg):
    df = _all(built, "sft")
    assert df.height == cfg.sized(cfg.sft_size)
    assert set(df.columns) >= {"id", "category", "instruction", "input", "output", "prompt", "completion"}
    assert (df["category"] == "sql_generation").mean() >= cfg.min_sql_generation_share
    assert df["output"].str.len_chars().min() >= cfg.min_output_chars
    assert df["prompt"][0][0]["role"] == "system" and df["prompt"][0][1]["role"] == "user"
    assert 0 < built["sft"].rows["eval"] < 0.06 * df.height


def test_sft_sql_outputs_all_pass_the_analyzer(built, checker):
    df = _all(built, "sft")
    sqls = [s for t in df["output"].to_list() for s in checker.extract(t)]
    assert len(sqls) > 0.4 * df.height
    assert [s for s in sqls if not checker.ok(s)] == []
    assert all("WITH (NOLOCK)" in s for s in sqls)


def test_sft_negatives_name_real_objects_and_never_reject_real_ones(built, catalog):
    df = _all(built, "sft").filter(pl.col("category") == "negatives")
    r = A.audit_no_real_in_rejection("t", df, "output", catalog)
    assert r.passed and r.metrics["refusals"] > 0


def test_dpo_balance_counts_and_subtlety(built, cfg):
    df = _all(built, "dpo_v3")
    counts = dict(df.group_by("category").len().iter_rows())
    assert counts == cfg.dpo_targets()
    for row in df.filter(pl.col("category") != "nolock_style").iter_rows(named=True):
        if "```sql" in row["rejected"][0]["content"]:
            assert "WITH (NOLOCK)" in row["rejected"][0]["content"], row["id"]
    assert set(df["phase"].unique()) == {"hallucination", "style"}


def test_kto_labels_ratio_and_no_prompt_shared_with_dpo(built, cfg):
    kto, dpo = _all(built, "kto"), _all(built, "dpo_v3")
    assert kto.schema["label"] == pl.Boolean
    assert abs(kto["label"].mean() - cfg.kto_desirable_share) <= cfg.kto_share_tolerance
    assert A.audit_prompt_overlap(dpo, kto).passed
    assert not set(kto["instruction"]) & set(dpo["instruction"])


def test_holdout_names_never_leak_into_training(built):
    pairs = pl.read_parquet(built["pairs"].outputs["fake_table_pairs"])
    holdout = pairs.filter(pl.col("split") == "holdout")["fake"].to_list()
    frames = {k: _all(built, k) for k in ("sft", "dpo_v3", "kto")}
    assert A.audit_holdout_leak(frames, holdout).passed
    # and the audit does catch a leak
    leaked = frames["sft"].head(1).with_columns(pl.lit(f"Query the '{holdout[0]}' table.").alias("instruction"))
    r = A.audit_holdout_leak({"sft": leaked}, holdout, holdout_prompts=["never used prompt"])
    assert not r.passed and r.failures[0]["leak"] == holdout[0]


def test_llamafactory_export_writes_json_booleans(built):
    out = built["llamafactory"].outputs
    info = json.loads(open(out["dataset_info"]).read())
    assert info["vgpt_dpo_v3"]["ranking"] is True
    assert info["vgpt_kto"]["columns"]["kto_tag"] == "kto_tag"
    kto = json.loads(open(out["vgpt_kto"]).read())
    assert {type(r["kto_tag"]) for r in kto} == {bool}
    assert {True, False} == {r["kto_tag"] for r in kto}
    sft = json.loads(open(out["vgpt_sft"]).read())
    assert set(sft[0]) == {"instruction", "input", "output", "system"}


def test_manifest_records_config_hash_and_seed(built, cfg):
    m = json.loads((built["paths"].dataset_dir("sft") / "manifest.json").read_text())
    assert m["seed"] == cfg.seed and m["config_hash"] == built["sft"].config_hash
    assert sum(m["category_counts"].values()) == sum(m["rows"].values())
