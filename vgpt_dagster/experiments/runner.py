"""``run_experiment``: the one runner of every ``configs/experiments/*.yaml`` (the asset, ``vgpt experiment run``
and ``make experiment`` call it)::

    result = run_experiment(paths, "dpo_ablation", profile_name=None, device={"device": "cpu"})

Each arm's model is prepared (taken, reused or trained: :mod:`experiments.arms`) and measured
(:mod:`experiments.measure`) one at a time, so one model is in memory at once; the report is written as
:mod:`experiments.report` describes.
"""

import gc
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vgpt_dagster.errors import ConfigError, MissingUpstreamError
from vgpt_dagster.experiments.arms import ArmModel, prepare_arm
from vgpt_dagster.experiments.measure import Measured, measure_serving, measure_validation, metric_names
from vgpt_dagster.experiments.report import experiment_markdown, regressions, write_experiment_report
from vgpt_dagster.experiments.spec import ExperimentSpec, load_experiment
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.stages import stage as stage_def

log = logging.getLogger(__name__)


def upstream_assets(spec: ExperimentSpec) -> list[str]:
    """The assets an experiment reads: the suite and catalog, each arm's dataset and starting adapter (and, for an
    arm that changes nothing, the pipeline's adapter it may reuse)."""
    out = ["vista_schema", "eval_suite"]
    for arm in spec.arms:
        if arm.use == "served":
            out.append("promoted_model")
        elif arm.use is not None:
            out.append(stage_def(arm.use).asset)
        else:
            st = stage_def(arm.train)
            out += [st.dataset_asset, *([stage_def(st.parent).asset] if st.parent else []), "base_model"]
            if not arm.data.changed and not arm.recipe:
                out.append(st.asset)  # the pipeline's adapter stands for the arm while it is current
    return list(dict.fromkeys(out))


def required_files(paths: ProjectPaths, spec: ExperimentSpec, profile: str, suite_path: Path) -> list[Path]:
    need = [suite_path, paths.catalog_dir / "manifest.json"]
    for arm in spec.arms:
        if arm.train is not None:
            st = stage_def(arm.train)
            need.append(paths.dataset_dir(st.dataset) / "train.parquet")
            if st.parent:
                need.append(paths.stage_dir(profile, st.parent) / "adapter_model.safetensors")
        elif arm.use != "served":
            need.append(paths.stage_dir(profile, arm.use) / "adapter_model.safetensors")
    return list(dict.fromkeys(need))


def _measure(paths, name: str, spec: ExperimentSpec, profile, suite, catalog, arm, model: ArmModel, progress):
    say = None if progress is None else (lambda text: progress({"event": "measure", "stage": arm.name, "reason": text}))
    if spec.measure.how == "validation":
        return measure_validation(paths, profile, suite, catalog, model.adapter, f"{name}_{arm.name}", say)
    adapter, m = (None if model.served else model.adapter), spec.measure
    return measure_serving(paths, profile.name, suite, catalog, adapter, m.modes, say, m.limit, m.batch_size)


def _check_metrics(spec: ExperimentSpec, source: str) -> None:
    """Refuse a metric the measurement does not report before any arm trains."""
    have = metric_names(spec.measure.how)
    missing = [m for m in (*spec.measure.metrics, *spec.measure.chart) if m not in have]
    if missing:
        raise ConfigError(
            f"{source}: measure.metrics {missing} are not measured by 'how: {spec.measure.how}'. "
            f"Measured: {', '.join(sorted(have))}."
        )


def assemble(name: str, spec: ExperimentSpec, profile: str, models: dict, measured: dict, suite) -> dict[str, Any]:
    """The report dict (see :mod:`experiments.report`)."""
    cases = {c.id: c for c in suite.cases}
    keep = ("mode", "n", *spec.measure.metrics)
    rows = [{"arm": a, **{k: r.get(k) for k in keep}} for a, m in measured.items() for r in m.rows]
    result = {
        "experiment": name,
        "title": spec.title,
        "profile": profile,
        "how": spec.measure.how,
        "modes": list(spec.measure.modes),
        "metrics": list(spec.measure.metrics),
        "chart": list(spec.measure.chart),
        "cases": next(iter(measured.values())).cases,
        "suite_version": next(iter(measured.values())).suite_version,
        "compare_to": spec.compare_to,
        "rows": rows,
        "arms": {
            a.name: {"label": a.title, "model": models[a.name].facts, "answered_by": measured[a.name].model}
            for a in spec.arms
        },
        "verdicts": {a: m.verdicts for a, m in measured.items()},
        "extra": {a: m.extra for a, m in measured.items() if m.extra},
    }
    if spec.compare_to:
        base = measured[spec.compare_to].verdicts
        result["regressions"] = {
            a: {mode: regressions(base[mode], v, cases) for mode, v in m.verdicts.items()}
            for a, m in measured.items()
            if a != spec.compare_to
        }
    recall = [m.extra["recall_at_k"] for m in measured.values() if "recall_at_k" in m.extra]
    if recall:
        result["recall_at_k"] = recall[0]  # the same retrieval for every arm
    return result


@dataclass(frozen=True)
class ExperimentRun:
    """What a run wrote: the report (the JSON's content), its Markdown table, and the files' paths."""

    report: dict[str, Any]
    markdown: str
    files: dict[str, Path]  # json, markdown, chart


def run_experiment(
    paths: ProjectPaths,
    name: str,
    *,
    profile_name: str | None = None,
    device: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[dict], None] | None = None,
) -> ExperimentRun:
    """Prepare and measure every arm of ``configs/experiments/<name>.yaml``; write the report and return it.
    ``overrides``: recipe keys for every arm that trains (on top of the arm's own)."""
    from vgpt_dagster.catalog.store import read_catalog  # noqa: PLC0415
    from vgpt_dagster.judging.cases import read_suite  # noqa: PLC0415
    from vgpt_dagster.runtime.profiles import default_profile_name, load_profile  # noqa: PLC0415
    from vgpt_dagster.validation.config import load_validation_config  # noqa: PLC0415

    t0 = time.time()
    spec = load_experiment(paths, name)
    _check_metrics(spec, f"configs/experiments/{name}.yaml")
    profile = load_profile(profile_name or default_profile_name(), paths)
    suite_path = paths.validation_dir / load_validation_config(paths).suite_file
    missing = [str(p) for p in required_files(paths, spec, profile.name, suite_path) if not p.is_file()]
    if missing:
        selection = ",".join(f"*{a}" for a in upstream_assets(spec) if a not in ("vista_schema", "base_model"))
        raise MissingUpstreamError(f"experiment {name}", missing, selection)
    catalog, suite = read_catalog(paths.catalog_dir), read_suite(suite_path)
    models: dict[str, ArmModel] = {}
    measured: dict[str, Measured] = {}
    for arm in spec.arms:
        models[arm.name] = prepare_arm(
            paths, name, arm, profile, catalog, overrides=overrides, device=device, progress=progress
        )
        measured[arm.name] = _measure(paths, name, spec, profile, suite, catalog, arm, models[arm.name], progress)
        gc.collect()  # one loaded model at a time
    result = assemble(name, spec, profile.name, models, measured, suite)
    result["wall_time_s"] = round(time.time() - t0, 1)
    files = write_experiment_report(paths, result)
    return ExperimentRun(result, experiment_markdown(result), files)
