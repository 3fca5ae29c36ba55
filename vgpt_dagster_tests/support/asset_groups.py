"""The asset groups the project promises (README, docs/architecture.md); tests compare the code against it."""

ASSET_GROUPS: dict[str, tuple[str, ...]] = {
    "catalog": ("vista_schema",),
    "datasets": (
        "fake_real_table_pairs",
        "fake_column_pairs",
        "sql_corpus",
        "imported_datasets",
        "sft_dataset",
        "dpo_v3_dataset",
        "kto_dataset",
        "llamafactory_export",
    ),
    "training": ("base_model", "sft_adapter", "dpo_v3_adapter", "kto_adapter"),
    "validation": (
        "eval_suite",
        "vista_sandbox",
        "validation_base",
        "validation_sft",
        "validation_dpo_v3",
        "validation_kto",
        "model_comparison",
    ),
    "serving": ("promoted_model",),
    "experiments": ("context_ablation", "dpo_ablation", "serving_effect"),  # one per configs/experiments/*.yaml
}
# Promised assets that no scheduled job runs (hours on the CPU; each has its own job): see defs/jobs.py.
ON_DEMAND: tuple[str, ...] = ASSET_GROUPS["experiments"]
