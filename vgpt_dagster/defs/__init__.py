"""The only package that imports dagster: assets, checks, resources, jobs and schedules."""

import dagster as dg


def build_definitions() -> dg.Definitions:
    from vgpt_dagster.defs import catalog, datasets, jobs, serving, training, validation
    from vgpt_dagster.defs.experiments import build_experiments
    from vgpt_dagster.defs.resources import default_resources
    from vgpt_dagster.paths import ProjectPaths

    modules = (catalog, datasets, training, validation, serving)
    experiment_assets, experiment_jobs = build_experiments(ProjectPaths.from_env())
    return dg.Definitions(
        assets=[
            *(a for m in modules for a in dg.load_assets_from_modules([m])),
            *training.ADAPTER_ASSETS.values(),
            *validation.VALIDATION_ASSETS.values(),
            *experiment_assets,
        ],
        asset_checks=[c for m in modules for c in dg.load_asset_checks_from_modules([m])],
        jobs=[jobs.vgpt_pipeline, jobs.nightly_revalidation, *experiment_jobs],
        schedules=[jobs.nightly_revalidation_schedule],
        resources=default_resources(),
        executor=dg.in_process_executor,
    )
