"""The only package that imports dagster: assets, checks, resources, jobs and schedules."""

import dagster as dg


def build_definitions() -> dg.Definitions:
    from vgpt_dagster.defs import ablation, catalog, datasets, jobs, serving, training, validation
    from vgpt_dagster.defs.resources import default_resources

    modules = (catalog, datasets, training, validation, serving, ablation)
    return dg.Definitions(
        assets=[a for m in modules for a in dg.load_assets_from_modules([m])],
        asset_checks=[c for m in modules for c in dg.load_asset_checks_from_modules([m])],
        jobs=[jobs.vgpt_pipeline, jobs.nightly_revalidation, jobs.dpo_ablation_job, jobs.context_ablation_job],
        schedules=[jobs.nightly_revalidation_schedule],
        resources=default_resources(),
        executor=dg.in_process_executor,
    )
