"""Jobs and the nightly re-validation schedule."""

import dagster as dg

# Experiments (configs/experiments/*.yaml: extra trainings and measurements, hours on a CPU) are never part of
# the pipeline or the nightly run: each has its own job (defs/experiments.py).
EXPERIMENTS = dg.AssetSelection.groups("experiments")

# The whole pipeline on the embedded defaults: schema -> datasets -> base model -> SFT -> DPO v3 -> KTO
# -> validation of every checkpoint -> comparison. `make pipeline` runs this job.
vgpt_pipeline = dg.define_asset_job(
    name="vgpt_pipeline",
    selection=dg.AssetSelection.all() - EXPERIMENTS,
    description="Everything, from the Vista schema to the model comparison report and the serving manifest.",
    executor_def=dg.in_process_executor,
)

# Re-validate the current adapters (no retraining) and refresh the comparison: the seeds' "scheduled
# nightly re-validation". Reads the eval suite, the sandbox and adapters from disk.
nightly_revalidation = dg.define_asset_job(
    name="nightly_revalidation",
    selection=dg.AssetSelection.groups("validation") - dg.AssetSelection.assets("eval_suite", "vista_sandbox"),
    description="Re-run the validation suite on the current base model and adapters, then the comparison.",
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
