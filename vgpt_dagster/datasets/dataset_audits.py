"""Blocking audits of SFT, DPO and KTO data (generated or imported): which checks run on which dataset.

Each audit is an :class:`AuditResult`; the individual checks live in :mod:`vgpt_dagster.datasets.audit_checks`
and :mod:`vgpt_dagster.datasets.leak_audit` (re-exported here). Audit names are Dagster asset-check names:
they never change.

Examples:
    >>> import polars as pl
    >>> r = audit_kto_labels(pl.DataFrame({"label": ["true", "false"]}), 0.6, 0.05)
    >>> r.passed, "JSON boolean" in r.markdown
    (False, True)
"""

from collections.abc import Iterable

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.audit_checks import (
    BAD_SIDE_RULE,
    ERROR,
    FALSE_REJECTION_CATEGORIES,
    MAX_EXAMPLES,
    WARN,
    AuditResult,
    audit_bad_side_fails,
    audit_category_distribution,
    audit_duplicates,
    audit_kto_labels,
    audit_no_fake_in_acceptance,
    audit_no_real_in_rejection,
    audit_prompt_overlap,
    audit_rejection_balance,
    audit_sql_valid,
    category_table,
    prefetch_sql,
    result,
    texts,
)
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.leak_audit import audit_holdout_leak, holdout_matcher
from vgpt_dagster.datasets.preference import audit_dpo_length, audit_judge_agrees
from vgpt_dagster.datasets.records import normalise_instruction
from vgpt_dagster.datasets.semantics import (
    audit_company_consistency,
    audit_core_object_share,
    audit_join_evidence,
    audit_literal_types,
)
from vgpt_dagster.datasets.sqlcheck import SqlChecker

__all__ = [
    "BAD_SIDE_RULE", "ERROR", "FALSE_REJECTION_CATEGORIES", "MAX_EXAMPLES", "WARN", "AuditResult",
    "audit_bad_side_fails", "audit_category_distribution", "audit_duplicates", "audit_dpo",
    "audit_fake_names_not_real", "audit_holdout_leak", "audit_kto", "audit_kto_labels",
    "audit_no_fake_in_acceptance", "audit_no_real_in_rejection", "audit_prompt_overlap",
    "audit_rejection_balance", "audit_sft", "audit_sql_valid", "category_table", "holdout_matcher", "prefetch_sql",
    "result", "texts",
]  # fmt: skip


def audit_fake_names_not_real(catalog: Catalog, fake_tables: pl.DataFrame, fake_columns: pl.DataFrame) -> AuditResult:
    """No fake table resolves in the catalog (any case) and no fake column exists on its table."""
    collisions = [f for f in fake_tables["fake"].to_list() if catalog.resolve(f) is not None]
    col_coll = [f"{t}.{c}" for t, c in fake_columns.select("table", "fake_column").iter_rows() if catalog.column(t, c)]
    return result(
        "fake_names_not_real",
        not collisions and not col_coll,
        {
            "fake_tables": fake_tables.height,
            "fake_columns": fake_columns.height,
            "collisions": len(collisions) + len(col_coll),
        },
        [{"name": n} for n in collisions + col_coll],
        "No fake table may match a catalog object (any case); no fake column may exist on its table.",
    )


def audit_sft(
    df: pl.DataFrame, catalog: Catalog, cfg: DatasetsConfig, checker: SqlChecker | None = None
) -> list[AuditResult]:
    """SQL valid + NOLOCK, SQL-generation share, short outputs, duplicates, no real object refused, categories."""
    checker = checker or SqlChecker(catalog)
    prefetch_sql(checker, df["output"].to_list())
    out = audit_sql_valid("sft", df, "output", checker)
    cats = df["category"].to_list()
    if set(cats) <= {"imported"}:  # imported data has no categories: count records whose output has SQL
        n_sql = sum(1 for t in df["output"].to_list() if checker.extract(t))
    else:
        n_sql = cats.count("sql_generation")
    share = n_sql / max(df.height, 1)
    out.append(
        result(
            "sft_sql_generation_share",
            share >= cfg.min_sql_generation_share,
            {"sql_generation": n_sql, "records": df.height, "share": share, "min_share": cfg.min_sql_generation_share},
            [],
            "SQL generation must be at least the configured share (the original set had 6%).",
        )
    )
    lengths = df["output"].str.len_chars()
    short = int((lengths < cfg.min_output_chars).sum())
    ex = df.filter(lengths < cfg.min_output_chars).head(MAX_EXAMPLES).select("id", "output").to_dicts()
    out.append(
        result(
            "sft_short_outputs",
            short / max(df.height, 1) <= cfg.max_short_output_share,
            {
                "short": short,
                "share": short / max(df.height, 1),
                "min_chars": cfg.min_output_chars,
                "max_share": cfg.max_short_output_share,
            },
            ex,
            "Outputs shorter than the minimum teach terse answers.",
        )
    )
    out.append(audit_padding(df))
    out.append(audit_duplicates("sft", df, cfg.max_duplicate_share))
    out.append(audit_no_real_in_rejection("sft", df, "output", catalog))
    out += semantic_audits("sft", df, "output", checker, cfg)
    out.append(audit_core_object_share("sft", df, "output", checker, cfg))
    out.append(audit_category_distribution("sft", df))
    return out


def semantic_audits(name: str, df: pl.DataFrame, col: str, checker: SqlChecker, cfg: DatasetsConfig) -> list:
    """Join evidence, the company asked for and literal types of the SQL in ``col``."""
    return [
        audit_join_evidence(name, df, col, checker, cfg.min_join_evidence_share),
        audit_company_consistency(name, df, col, checker, cfg.max_company_mismatches),
        audit_literal_types(name, df, col, checker, cfg.max_literal_type_errors),
    ]


def _judge_severity(cfg: DatasetsConfig) -> str:
    return ERROR if cfg.judge_audit_blocking else WARN


def audit_padding(df: pl.DataFrame) -> AuditResult:
    """No output repeats its own instruction (text added only to get past the minimum length)."""
    failures = []
    for rid, ins, out in zip(df["id"].to_list(), df["instruction"].to_list(), df["output"].to_list(), strict=True):
        q = normalise_instruction(ins)
        if len(q.split()) >= 4 and q in normalise_instruction(out):
            failures.append({"id": rid, "output": out[:200]})
    return result(
        "sft_padded_outputs",
        not failures,
        {"records": df.height, "outputs_repeating_instruction": len(failures)},
        failures,
        "An output that repeats its instruction ('(Answer about ...)') games the short-output rule instead of "
        "saying something.",
    )


def audit_dpo(
    df: pl.DataFrame,
    catalog: Catalog,
    cfg: DatasetsConfig,
    checker: SqlChecker | None = None,
    fake_names: Iterable[str] = (),
) -> list[AuditResult]:
    """Balance, chosen SQL valid + NOLOCK, rejected wrong for its reason, no real object refused, no fake accepted."""
    checker = checker or SqlChecker(catalog)
    prefetch_sql(checker, texts(df, "chosen") + texts(df, "rejected"))
    out = [audit_rejection_balance(df, cfg), *audit_sql_valid("dpo_chosen", df, "chosen", checker)]
    out.append(audit_bad_side_fails("dpo_rejected", df, "rejected", checker, catalog))
    out.append(audit_no_real_in_rejection("dpo_chosen", df, "chosen", catalog))
    out.append(audit_no_fake_in_acceptance("dpo_chosen", df, "chosen", checker, fake_names))
    out.append(audit_dpo_length(df, cfg))
    out += semantic_audits("dpo_chosen", df, "chosen", checker, cfg)
    n, sev = cfg.judge_sample_per_category, _judge_severity(cfg)  # n = 0: nothing judged, the audits pass
    out += audit_judge_agrees("dpo", df, "chosen", "rejected", catalog, n, cfg.seed, sev)
    out.append(audit_category_distribution("dpo", df))
    return out


def audit_kto(
    df: pl.DataFrame,
    catalog: Catalog,
    cfg: DatasetsConfig,
    checker: SqlChecker | None = None,
    dpo: pl.DataFrame | None = None,
    fake_names: Iterable[str] = (),
) -> list[AuditResult]:
    """Boolean labels + ratio; desirable SQL valid + NOLOCK; undesirable wrong for its reason; DPO/KTO disjoint."""
    checker = checker or SqlChecker(catalog)
    out = [audit_kto_labels(df, cfg.kto_desirable_share, cfg.kto_share_tolerance)]
    if df.schema["label"] == pl.Boolean:
        prefetch_sql(checker, texts(df, "completion"))
        good, bad = df.filter(pl.col("label")), df.filter(~pl.col("label"))
        out += audit_sql_valid("kto_desirable", good, "completion", checker)
        out.append(audit_bad_side_fails("kto_undesirable", bad, "completion", checker, catalog))
        out.append(audit_no_real_in_rejection("kto_desirable", good, "completion", catalog))
        out.append(audit_no_fake_in_acceptance("kto_desirable", good, "completion", checker, fake_names))
        out += semantic_audits("kto_desirable", good, "completion", checker, cfg)
        n, sev = cfg.judge_sample_per_category, _judge_severity(cfg)
        out += audit_judge_agrees("kto", df, None, None, catalog, n, cfg.seed, sev)
    if dpo is not None:
        out.append(audit_prompt_overlap(dpo, df))
    out.append(audit_category_distribution("kto", df))
    return out


# The audits each dataset asset runs, declared here beside them: the Dagster checks are made from this table
# (defs/datasets.py), and a real build must report exactly these names (vgpt_dagster_tests/defs/test_runs.py).
AUDIT_NAMES: dict[str, tuple[str, ...]] = {
    "fake_real_table_pairs": ("fake_names_not_real",),
    "sft_dataset": (
        "sft_sql_valid",
        "sft_nolock_coverage",
        "sft_sql_generation_share",
        "sft_short_outputs",
        "sft_duplicates",
        "sft_no_real_object_rejected",
        "sft_category_distribution",
        "sft_intent_share",
        "sft_intent_holdout_leak",
        "sft_natural_question_share",
        "sft_instruction_shapes",
        "sft_sql_feature_coverage",
        "sft_padded_outputs",
        "sft_join_evidence",
        "sft_company_consistency",
        "sft_literal_types",
        "sft_core_object_share",
        "holdout_leak",
    ),
    "dpo_v3_dataset": (
        "dpo_rejection_balance",
        "dpo_chosen_sql_valid",
        "dpo_chosen_nolock_coverage",
        "dpo_rejected_bad_side_fails_for_reason",
        "dpo_chosen_no_real_object_rejected",
        "dpo_chosen_no_fake_object_accepted",
        "dpo_length_ratio",
        "dpo_chosen_join_evidence",
        "dpo_chosen_company_consistency",
        "dpo_chosen_literal_types",
        "dpo_judge_passes_good",
        "dpo_judge_fails_bad",
        "dpo_category_distribution",
        "holdout_leak",
    ),
    "kto_dataset": (
        "kto_labels",
        "kto_desirable_sql_valid",
        "kto_desirable_nolock_coverage",
        "kto_undesirable_bad_side_fails_for_reason",
        "kto_desirable_no_real_object_rejected",
        "kto_desirable_no_fake_object_accepted",
        "kto_desirable_join_evidence",
        "kto_desirable_company_consistency",
        "kto_desirable_literal_types",
        "kto_judge_passes_good",
        "kto_judge_fails_bad",
        "dpo_kto_prompt_overlap",
        "kto_category_distribution",
        "holdout_leak",
    ),
    "imported_datasets": ("imports_audit",),
}
