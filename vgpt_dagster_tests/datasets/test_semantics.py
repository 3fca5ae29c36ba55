"""Data semantics (issue 15): joins with evidence, the company asked for, typed literals, preference pairs
without a length shortcut, labels with content, no padding - on the generated data and on hand-made bad data."""

import re

import polars as pl

from vgpt_dagster.catalog.model import Column
from vgpt_dagster.datasets import dataset_audits as A
from vgpt_dagster.datasets.preference import audit_dpo_length
from vgpt_dagster.datasets.records import fence, to_frame
from vgpt_dagster.datasets.semantics import (
    audit_company_consistency,
    audit_core_object_share,
    audit_join_evidence,
    audit_literal_types,
    object_weights,
)
from vgpt_dagster.datasets.sqlgen import is_additive, literal, object_facts

from .test_generated import _all


def _sft(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return to_frame([{"category": "sql_generation", "instruction": i, "output": o} for i, o in rows], "sft", "", 0)


def _metric(built, step: str, name: str) -> dict:
    return next(a for a in built[step].audits if a.name == name).metrics


def test_generated_sql_has_typed_literals_and_no_placeholder_codes(built, checker):
    sft = _all(built, "sft")
    outputs = "\n".join(sft["output"].to_list())
    assert not re.search(r"= '[A-Z]{3}\d+'", outputs)  # the old 'REC1' / 'JOB2' placeholders
    assert "@" in outputs  # string columns are filtered by a parameter instead
    assert _metric(built, "sft", "sft_literal_types")["literal_type_errors"] == 0
    bad = _sft([("Show APTH rows", fence("SELECT APCo FROM APTH WITH (NOLOCK) WHERE APCo = 1 AND InvDate = 5"))])
    bad = pl.concat(
        [bad, _sft([("Total rate", fence("SELECT SUM(APTrans) AS x FROM APTH WITH (NOLOCK) WHERE APCo = 1"))])]
    )
    r = audit_literal_types("t", bad, "output", checker, 0)
    assert not r.passed and r.metrics["literal_type_errors"] == 2
    assert {f["problem"].split(":")[0] for f in r.failures} == {"InvDate 5", "SUM(APTrans)"}


def test_literals_and_sums_follow_the_column_type():
    assert literal(Column("Mth", "bMonth", "smalldatetime"), 1).startswith("'2024-02-01")
    assert literal(Column("Vendor", "bVendor", "int")) == "100"
    assert literal(Column("Flag", "bit", "bit"), 1) == "1"
    assert literal(Column("HoldCode", "bHoldCode", "varchar")) == "@HoldCode"
    assert is_additive(Column("GrossAmt", "bDollar", "numeric")) and is_additive(Column("Loads", "int", "int"))
    assert not is_additive(Column("DiscRate", "bPct", "numeric")) and not is_additive(
        Column("APTrans", "bTrans", "int")
    )


def test_the_company_asked_for_is_the_company_filtered(built, checker):
    for step, name in (("sft", "sft_company_consistency"), ("dpo", "dpo_chosen_company_consistency")):
        m = _metric(built, step, name)
        assert m["records_naming_a_company"] > 0 and m["other_company_filtered"] == 0, (step, m)
    m = _metric(built, "dpo", "dpo_chosen_company_consistency")  # "What is in the X table?" invents no company
    assert m["records_naming_no_company"] > 0 and m["of_which_pin_a_company_number"] == 0
    wrong = _sft(
        [
            (
                "Select everything from LedgerDetail for company 2.",
                fence("SELECT GLCo FROM GLDT WITH (NOLOCK) WHERE GLCo = 1"),
            )
        ]
    )
    r = audit_company_consistency("t", wrong, "output", checker, 0)
    assert not r.passed and r.failures[0]["asked"] == [2] and r.failures[0]["filtered"] == [1]


def test_every_generated_join_has_evidence_and_a_coincidental_one_fails(built, checker, catalog):
    m = _metric(built, "sft", "sft_join_evidence")
    assert m["joins"] > 50 and m["with_evidence"] == m["joins"]
    sql = (
        "SELECT a.HRRef FROM HREH a WITH (NOLOCK) INNER JOIN HRDP b WITH (NOLOCK) "
        "ON a.HRCo = b.HRCo AND a.HRRef = b.HRRef AND a.Seq = b.Seq WHERE a.HRCo = 1"
    )
    r = audit_join_evidence("t", _sft([("Join HREH to HRDP", fence(sql))]), "output", checker, 1.0)
    assert not r.passed and r.failures[0]["join"] == "HREH -> HRDP"
    for row in _all(built, "dpo_v3").filter(pl.col("category") == "join_quality").iter_rows(named=True):
        a, b = re.search(r"Join (\w+) to (\w+)", row["instruction"]).groups()
        assert catalog.join_evidence(a, b) is not None, (a, b)


def test_dpo_pairs_have_no_length_shortcut_and_share_their_explanation(built, cfg):
    dpo = _all(built, "dpo_v3")
    r = next(a for a in built["dpo"].audits if a.name == "dpo_length_ratio")
    assert r.passed and cfg.dpo_median_ratio_band[0] <= r.metrics["median_ratio"] <= cfg.dpo_median_ratio_band[1]
    assert r.metrics["chosen_longer_share"] < 0.9  # was 99.8% in the original set
    assert "NOLOCK" in r.metrics["nolock_style: only_chosen"]
    for row in dpo.filter(pl.col("category").is_in(["nolock_style", "company_filter", "join_quality"])).iter_rows(
        named=True
    ):
        note_c = row["chosen"][0]["content"].split("```")[-1]
        assert note_c.strip() and note_c == row["rejected"][0]["content"].split("```")[-1]  # the same note
    longer = dpo.with_columns(
        rejected=pl.col("rejected").list.eval(pl.element().struct.with_fields(content=pl.lit("no")))
    )
    assert not audit_dpo_length(longer, cfg).passed


def test_labels_have_content_and_types_are_never_unknown(built, catalog):
    for f in object_facts(catalog):
        text = f.label
        for c in f.obj.column_names:  # a key column may be called like its object (SMCostType.SMCostType)
            text = re.sub(rf"\b{c}\b", "", text)
        assert f.labelled or not re.search(rf"\b{f.name}\b", text), (f.name, f.label)  # never the name twice
    assert catalog.label("PMOP").startswith("Project Management (PM) view keyed by PMCo")
    sft = _all(built, "sft")
    outputs = "\n".join(sft["output"].to_list())
    assert "(unknown)" not in outputs and " is unknown" not in outputs


def test_no_padding_and_the_audit_catches_it(built):
    sft = _all(built, "sft")
    assert not sft["output"].str.contains(r"\(Answer about ").any()
    assert _metric(built, "sft", "sft_padded_outputs")["outputs_repeating_instruction"] == 0
    padded = _sft(
        [("Which Vista object holds RP data", "Use RPTYShared. (Answer about Which Vista object holds RP data.)")]
    )
    assert not A.audit_padding(padded).passed


def test_core_objects_weighted_and_system_objects_capped(built, catalog, cfg, checker):
    w = object_weights(object_facts(catalog), cfg)
    assert w["APTH"] > w["APRH"] > w.get("DDFH", 0)
    m = _metric(built, "sft", "sft_core_object_share")
    assert m["core_share"] >= cfg.min_core_object_share and m["system_share"] <= cfg.max_system_object_share
    system_only = _sft([("DD forms", fence("SELECT Form FROM DDFH WITH (NOLOCK)"))])
    assert not audit_core_object_share("t", system_only, "output", checker, cfg).passed


def test_judge_audits_block_a_preference_the_judge_disagrees_with(built, catalog, cfg):
    """A chosen answer that refuses a real table, and a rejected one that is right, block the DPO set."""
    from vgpt_dagster.datasets.audit_checks import ERROR, WARN
    from vgpt_dagster.datasets.preference import audit_judge_agrees

    dpo = _all(built, "dpo_v3").filter(pl.col("category") == "real_table_acceptance").head(3)
    ok = audit_judge_agrees("dpo", dpo, "chosen", "rejected", catalog, 8, cfg.seed, ERROR)
    assert [(a.passed, a.severity) for a in ok] == [(True, ERROR), (True, ERROR)]
    swapped = dpo.with_columns(chosen=pl.col("rejected"), rejected=pl.col("chosen"))
    bad = audit_judge_agrees("dpo", swapped, "chosen", "rejected", catalog, 8, cfg.seed, ERROR)
    assert [(a.passed, a.metrics["disagreements"]) for a in bad] == [(False, 3), (False, 3)]
    assert {f["id"] for f in bad[0].failures} == set(dpo["id"].to_list())
    assert {a.severity for a in A.audit_dpo(swapped, catalog, cfg.model_copy(update={"judge_audit_blocking": False}))
            if "_judge_" in a.name} == {WARN}  # fmt: skip
