"""How an arm is measured: ``validation`` (the suite asked as the validation assets ask) or ``serving`` (the suite
asked through the serving engine, once per mode).

Serving modes, each the same loaded model:

* ``model``: the question alone (what the validation reports score);
* ``model+retrieval``: the retrieved schema block in the prompt, invented names reported with did-you-mean;
* ``model+retrieval+guard``: plus the analyzer, the deterministic repairs and the one re-ask;
* ``hybrid``: plus schema questions answered from the catalog (what ``vgpt serve`` does).

Every measurement returns :class:`Measured`: one row per mode (the rates of ``judging.metrics`` and, for
serving, re-asks, refusals of invalid SQL and catalog answers), each case's verdict per mode, and for serving the
retrieval recall@k of the oracle's objects.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vgpt_dagster.paths import ProjectPaths

log = logging.getLogger(__name__)


@dataclass
class Measured:
    rows: list[dict[str, Any]]  # one per mode: {"mode", "n", metric: value, ...}
    verdicts: dict[str, list[dict[str, Any]]]  # mode -> per case: case_id, behavior, passed, answer (400 chars)
    cases: int
    suite_version: str
    model: dict[str, Any] = field(default_factory=dict)  # what answered (checkpoint or served-model facts)
    extra: dict[str, Any] = field(default_factory=dict)  # serving: recall_at_k


def serving_options(mode: str):
    """The engine's :class:`AskOptions` for a mode name."""
    from vgpt_dagster.serving.engine import AskOptions  # noqa: PLC0415

    return {
        "model": AskOptions(retrieval=False, guard=False, catalog_answers=False),
        "model+retrieval": AskOptions(retrieval=True, guard=False, catalog_answers=False),
        "model+retrieval+guard": AskOptions(retrieval=True, guard=True, catalog_answers=False),
        "hybrid": AskOptions(retrieval=True, guard=True, catalog_answers=True),
    }[mode]


def _answers(engine, questions: list[str], mode: str, batch_size: int) -> list:
    out, options = [], serving_options(mode)
    for start in range(0, len(questions), batch_size):
        chunk = questions[start : start + batch_size]
        out.extend(engine.answer_batch(chunk, [options] * len(chunk)))
    return out


SERVING_COUNTS = ("reasked", "refused_invalid_sql", "catalog_answers", "errors", "seconds")


def _judged(metrics: dict) -> dict:
    """The judge's rates and the SQL answer count: what a serving row keeps of :func:`compute_metrics`."""
    return {k: v for k, v in metrics.items() if k.endswith("_rate") or k == "sql_responses"}


def metric_names(how: str) -> set[str]:
    """Every metric a measurement of kind ``how`` reports, known before anything runs (so a YAML naming another
    is refused before an arm trains)."""
    from vgpt_dagster.judging.metrics import compute_metrics  # noqa: PLC0415

    names = set(compute_metrics([], [], (0.0,)))
    return names - {"n"} if how == "validation" else set(_judged(dict.fromkeys(names))) | set(SERVING_COUNTS)


def _serving_row(mode: str, metrics: dict, answers: list, seconds: float) -> dict:
    from vgpt_dagster.errors import VgptError  # noqa: PLC0415

    ok = [a for a in answers if not isinstance(a, VgptError)]
    return {
        "mode": mode,
        "n": metrics["n"],
        **_judged(metrics),
        "reasked": sum(a.reasked for a in ok),
        "refused_invalid_sql": sum(a.refused_invalid_sql for a in ok),
        "catalog_answers": sum(a.source == "catalog" for a in ok),
        "errors": len(answers) - len(ok),
        "seconds": round(seconds, 1),
    }


def measure_engine(
    engine,
    cases: Sequence,
    penalties: Sequence[float],
    batch_size: int = 32,
    modes: Sequence[str] = ("model",),
    progress: Callable[[str], None] | None = None,
) -> Measured:
    """Ask every case in each mode through a loaded engine and judge each answer; one row per mode."""
    from vgpt_dagster.errors import VgptError  # noqa: PLC0415
    from vgpt_dagster.judging.judge import judge  # noqa: PLC0415
    from vgpt_dagster.judging.metrics import compute_metrics  # noqa: PLC0415
    from vgpt_dagster.retrieval.schema import recall_at_k  # noqa: PLC0415

    cases = list(cases)
    rows, per_case = [], {}
    for mode in modes:
        t0 = time.perf_counter()
        answers = _answers(engine, [c.question for c in cases], mode, batch_size)
        texts = [a.answer if not isinstance(a, VgptError) else f"(error: {a})" for a in answers]
        verdicts = [judge(c, t, engine.catalog) for c, t in zip(cases, texts, strict=True)]
        rows.append(_serving_row(mode, compute_metrics(verdicts, cases, penalties), answers, time.perf_counter() - t0))
        per_case[mode] = [
            {"case_id": v.case_id, "behavior": v.behavior, "passed": v.passed, "answer": t[:400]}
            for v, t in zip(verdicts, texts, strict=True)
        ]
        _say(progress, f"{mode} ({len(rows)}/{len(modes)})", rows[-1])
    recall = recall_at_k(engine.index.index, cases, (1, engine.cfg.retrieval.top_k, 8))
    extra = {"recall_at_k": {str(k): {"recall": r.recall, "cases": r.cases} for k, r in recall.items()}}
    return Measured(rows, per_case, len(cases), "", dict(engine.model_info), extra)


def _say(progress: Callable[[str], None] | None, what: str, row: dict) -> None:
    line = (
        f"{what}: pass {row.get('pass_rate') or 0:.3f}, hallucination {row.get('hallucination_rate') or 0:.3f}, "
        f"false rejection {row.get('false_rejection_rate') or 0:.3f} ({row['n']} cases)"
    )
    log.info(line)
    if progress:
        progress(line)


def measure_serving(
    paths: ProjectPaths,
    profile_name: str,
    suite,
    catalog,
    adapter: str | Path | None,
    modes: Sequence[str],
    progress: Callable[[str], None] | None = None,
    limit: int | None = None,
    batch_size: int = 96,
) -> Measured:
    """Load one model once - ``adapter``, else the one ``vgpt serve`` answers with for ``profile_name`` - and ask
    the cases validation judges for the profile (a CPU-sized profile: its stratified subset; ``limit``: the first
    N of them) in each mode, ``batch_size`` questions per generate call."""
    from vgpt_dagster.serving.config import load_serving_config  # noqa: PLC0415
    from vgpt_dagster.serving.engine import Engine  # noqa: PLC0415
    from vgpt_dagster.serving.promoted import select_served_model  # noqa: PLC0415
    from vgpt_dagster.validation.config import load_validation_config  # noqa: PLC0415
    from vgpt_dagster.validation.runner import judged_subset  # noqa: PLC0415

    cfg = load_serving_config(paths, {"profile": profile_name})
    if adapter is None:
        served = select_served_model(paths, cfg.profile_name, cfg.adapter, cfg.require_promoted)
    else:
        served = select_served_model(paths, cfg.profile_name, adapter)
    engine = Engine(paths, cfg, served, catalog).load()
    vcfg = load_validation_config(paths)
    suite = judged_subset(suite, vcfg, served.profile, on_cuda=str(engine.model.device).startswith("cuda"))
    cases = suite.cases[:limit] if limit else suite.cases
    out = measure_engine(engine, cases, vcfg.penalties, batch_size, modes, progress)
    out.suite_version = suite.version
    out.extra["judged_subset"] = suite.meta.get("subset")
    return out


def measure_validation(
    paths: ProjectPaths,
    profile,
    suite,
    catalog,
    adapter: Path | None,
    label: str,
    progress: Callable[[str], None] | None = None,
) -> Measured:
    """Ask the suite as ``validation_<stage>`` does (``adapter`` None: the served one); writes its report."""
    from vgpt_dagster.serving.promoted import select_served_model  # noqa: PLC0415
    from vgpt_dagster.validation.config import load_validation_config  # noqa: PLC0415
    from vgpt_dagster.validation.report import write_report  # noqa: PLC0415
    from vgpt_dagster.validation.runner import run_validation  # noqa: PLC0415

    if adapter is None:
        served = select_served_model(paths, profile.name).adapter_dir
        adapter = Path(served) if served else None
    rep = run_validation(paths, profile, adapter, suite, catalog, load_validation_config(paths), label=label)
    write_report(rep, paths.reports_dir / "experiments", label)
    row = {"mode": "model", "n": len(rep.verdicts), **rep.metrics}
    responses = rep.responses
    verdicts = [
        {"case_id": v.case_id, "behavior": v.behavior, "passed": v.passed, "answer": responses.get(v.case_id, "")[:400]}
        for v in rep.verdicts
    ]
    _say(progress, label, row)
    return Measured([row], {"model": verdicts}, len(rep.verdicts), rep.suite_version, dict(rep.checkpoint))
