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
        "serving_effect",
    ),
    "serving": ("promoted_model",),
    "ablation": ("dpo_ablation", "context_ablation"),
}
# Promised assets that no scheduled job runs (slow on the CPU; materialized on demand): see defs/jobs.py.
ON_DEMAND: tuple[str, ...] = ("serving_effect", "dpo_ablation", "context_ablation")
