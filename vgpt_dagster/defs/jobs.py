"""Jobs and the nightly re-validation schedule."""

import dagster as dg

# Assets too slow for every run on the CPU (serving_effect asks the whole suite four times): materialized on demand.
# dpo_ablation (the DPO v2-vs-v3 experiment, two extra DPO trainings + validations) and context_ablation (SFT
# without / with the retrieved schema block, each adapter asked both ways) have their own jobs below.
ON_DEMAND = ("serving_effect", "dpo_ablation", "context_ablation")

# The whole pipeline on the embedded defaults: schema -> datasets -> base model -> SFT -> DPO v3 -> KTO
# -> validation of every checkpoint -> comparison. `make pipeline` runs this job.
vgpt_pipeline = dg.define_asset_job(
    name="vgpt_pipeline",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*ON_DEMAND),
    description="Everything, from the Vista schema to the model comparison report and the serving manifest.",
    executor_def=dg.in_process_executor,
)

# Re-validate the current adapters (no retraining) and refresh the comparison: the seeds' "scheduled
# nightly re-validation". Reads the eval suite, the sandbox and adapters from disk.
nightly_revalidation = dg.define_asset_job(
    name="nightly_revalidation",
    selection=dg.AssetSelection.groups("validation")
    - dg.AssetSelection.assets("eval_suite", "vista_sandbox", *ON_DEMAND),
    description="Re-run the validation suite on the current base model and adapters, then the comparison.",
    executor_def=dg.in_process_executor,
)

dpo_ablation_job = dg.define_asset_job(
    name="dpo_ablation_job",
    selection=dg.AssetSelection.assets("dpo_ablation"),
    description="The DPO v2-vs-v3 ablation (reads the SFT adapter, the DPO v3 set and the eval suite from disk).",
    executor_def=dg.in_process_executor,
)

context_ablation_job = dg.define_asset_job(
    name="context_ablation_job",
    selection=dg.AssetSelection.assets("context_ablation"),
    description="SFT without vs with the retrieved schema block in the prompt (schema_context none vs retrieved), "
    "both adapters asked with and without retrieval (reads the SFT set, the SFT adapter and the eval suite).",
    executor_def=dg.in_process_executor,
)

nightly_revalidation_schedule = dg.ScheduleDefinition(
    name="nightly_revalidation_schedule",
    job=nightly_revalidation,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 UTC every night.",
)
