"""One asset and one job per ``configs/experiments/*.yaml``, made by one factory.

Each asset calls :func:`vgpt_dagster.experiments.runner.run_experiment` (as ``vgpt experiment run NAME``) with the
run's profile, device and ``--set`` overrides, logs every progress row, and shows the report's table and chart.
None is part of ``vgpt_pipeline``: each runs through its own job ``<name>_job`` (``make experiment NAME=...``).
"""

import dagster as dg

from vgpt_dagster.defs.metadata import md_image, to_metadata
from vgpt_dagster.defs.resources import GpuResource, ModelSelection, VgptPaths
from vgpt_dagster.defs.training import StageRunConfig
from vgpt_dagster.defs.versions import code_version, data_version
from vgpt_dagster.experiments.runner import ExperimentRun, run_experiment, upstream_assets
from vgpt_dagster.experiments.spec import ExperimentSpec, experiment_names, load_experiment
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.training.api import format_progress

GROUP = "experiments"


def experiment_metadata(run: ExperimentRun) -> dict:
    """The table, the chart, the case count and one figure per (arm, mode, metric)."""
    rep = run.report
    meta = {"table": run.markdown, "profile": rep["profile"], "cases_judged": rep["cases"]}
    meta["wall_time_s"] = rep["wall_time_s"]
    meta["report"] = run.files["markdown"]
    for row in rep["rows"]:
        where = row["arm"] if len(rep["modes"]) == 1 else f"{row['arm']}/{row['mode']}"
        for k in rep["metrics"]:
            meta[f"{where}/{k}"] = row.get(k)
    chart = dg.MetadataValue.md(md_image(run.files["chart"], rep["title"]))
    return {**to_metadata(meta), "chart": chart}


def experiment_asset(name: str, spec: ExperimentSpec) -> dg.AssetsDefinition:
    @dg.asset(
        name=name,
        group_name=GROUP,
        deps=upstream_assets(spec),
        pool="gpu",
        kinds={"pytorch"},
        code_version=code_version("experiments.runner"),
        description=f"{spec.title}. {spec.description.strip()} (configs/experiments/{name}.yaml; own job {name}_job, "
        "not part of vgpt_pipeline)",
    )
    def _experiment(
        context: dg.AssetExecutionContext,
        config: StageRunConfig,
        paths: VgptPaths,
        model: ModelSelection,
        gpu: GpuResource,
    ) -> dg.MaterializeResult:
        run = run_experiment(
            paths.get(),
            name,
            profile_name=model.profile,
            device=gpu.request_dict(),
            overrides=dict(config.overrides),
            progress=lambda row: context.log.info(format_progress(row)),
        )
        return dg.MaterializeResult(metadata=experiment_metadata(run), data_version=data_version([run.files["json"]]))

    return _experiment


def experiment_job(name: str):
    return dg.define_asset_job(
        name=f"{name}_job",
        selection=dg.AssetSelection.assets(name),
        description=f"The {name} experiment (configs/experiments/{name}.yaml), reading its inputs from disk.",
        executor_def=dg.in_process_executor,
    )


def build_experiments(paths: ProjectPaths) -> tuple[list[dg.AssetsDefinition], list]:
    """An asset and a job for every experiment YAML of the project (validated when the definitions load)."""
    names = experiment_names(paths)
    return [experiment_asset(n, load_experiment(paths, n)) for n in names], [experiment_job(n) for n in names]
