"""What each part of the serving path adds, measured on the eval suite with the behaviour judge.

Four configurations of the same loaded model, every suite case asked the same way:

* ``model``: the question alone (what the validation reports score);
* ``model+retrieval``: the retrieved schema block in the prompt, invented names reported with did-you-mean;
* ``model+retrieval+guard``: plus the analyzer, the deterministic repairs and the one re-ask;
* ``hybrid``: plus schema questions answered from the catalog (what ``vgpt serve`` does).

Each row: pass rate, hallucination rate, false-rejection rate (``validation.metrics``), how many answers were
re-asked, and how many invalid answers the guard refused. Plus recall@k of the oracle's objects in retrieval.
"""

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from vgpt_dagster.serving.engine import AskOptions, Engine
from vgpt_dagster.serving.retrieval import recall_at_k

log = logging.getLogger(__name__)

MODES: dict[str, AskOptions] = {
    "model": AskOptions(retrieval=False, guard=False, catalog_answers=False),
    "model+retrieval": AskOptions(retrieval=True, guard=False, catalog_answers=False),
    "model+retrieval+guard": AskOptions(retrieval=True, guard=True, catalog_answers=False),
    "hybrid": AskOptions(retrieval=True, guard=True, catalog_answers=True),
}


def _answers(engine: Engine, questions: list[str], options: AskOptions, batch_size: int) -> list:
    out = []
    for start in range(0, len(questions), batch_size):
        chunk = questions[start : start + batch_size]
        out.extend(engine.answer_batch(chunk, [options] * len(chunk)))
    return out


def measure_serving_effect(
    engine: Engine,
    cases: Sequence,
    penalties: Sequence[float],
    batch_size: int = 32,
    modes: Sequence[str] = tuple(MODES),
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Rows per mode (pass / hallucination / false-rejection rates, re-asks, refusals), each case's verdict per
    mode, and retrieval recall@k.

    ``progress`` gets one line per finished mode (the asset's log; the module logger always does)."""
    from vgpt_dagster.errors import VgptError  # noqa: PLC0415
    from vgpt_dagster.validation.judge import judge  # noqa: PLC0415
    from vgpt_dagster.validation.metrics import compute_metrics  # noqa: PLC0415

    cases = list(cases)
    rows, per_case = [], {}
    for mode in modes:
        t0 = time.perf_counter()
        answers = _answers(engine, [c.question for c in cases], MODES[mode], batch_size)
        texts = [a.answer if not isinstance(a, VgptError) else f"(error: {a})" for a in answers]
        verdicts = [judge(c, t, engine.catalog) for c, t in zip(cases, texts, strict=True)]
        m = compute_metrics(verdicts, cases, penalties)
        ok = [a for a in answers if not isinstance(a, VgptError)]
        rows.append(
            {
                "mode": mode,
                "n": m["n"],
                "pass_rate": m["pass_rate"],
                "hallucination_rate": m["hallucination_rate"],
                "false_rejection_rate": m["false_rejection_rate"],
                "sql_responses": m["sql_responses"],
                "schema_valid_rate": m["schema_valid_rate"],
                "reasked": sum(a.reasked for a in ok),
                "refused_invalid_sql": sum(a.refused_invalid_sql for a in ok),
                "catalog_answers": sum(a.source == "catalog" for a in ok),
                "errors": len(answers) - len(ok),
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
        per_case[mode] = [
            {"case_id": v.case_id, "behavior": v.behavior, "passed": v.passed, "answer": t[:400]}
            for v, t in zip(verdicts, texts, strict=True)
        ]
        r = rows[-1]
        line = (
            f"serving effect {len(rows)}/{len(modes)} {mode}: pass {r['pass_rate']:.3f}, hallucination "
            f"{r['hallucination_rate']:.3f}, false rejection {r['false_rejection_rate']:.3f} ({r['n']} cases, "
            f"{r['seconds']} s)"
        )
        log.info(line)
        if progress:
            progress(line)
    recall = recall_at_k(engine.index.index, cases, (1, engine.cfg.retrieval.top_k, 8))
    return {
        "rows": rows,
        "verdicts": per_case,  # per mode, per case: what the judge said and the answer's first 400 characters
        "recall_at_k": {str(k): {"recall": r.recall, "cases": r.cases} for k, r in recall.items()},
        "model": engine.model_info,
        "catalog_hash": engine.catalog_hash,
        "cases": len(cases),
    }


def effect_markdown(result: dict) -> str:
    """The table for docs/results.md and the asset's metadata."""
    from vgpt_dagster.validation.report import percent as pct  # noqa: PLC0415

    lines = [
        "| configuration | pass | hallucination | false rejection | SQL answers | re-asked | invalid SQL refused |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['mode']} | {pct(r['pass_rate'])} | {pct(r['hallucination_rate'])} | "
            f"{pct(r['false_rejection_rate'])} | {r['sql_responses']} | {r['reasked']} | {r['refused_invalid_sql']} |"
        )
    rec = ", ".join(f"@{k}: {pct(v['recall'])}" for k, v in result["recall_at_k"].items())
    lines.append("")
    lines.append(f"Retrieval recall of the oracle's objects ({result['cases']} cases): {rec}.")
    return "\n".join(lines)


def measure_model_effect(
    paths,
    profile_name: str,
    suite,
    catalog,
    adapter: str | Path | None = None,
    modes: Sequence[str] = tuple(MODES),
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Load one model once - ``adapter``, else the one ``vgpt serve`` answers with for ``profile_name`` - and
    measure ``modes`` on the cases validation judges for the profile (a CPU-sized profile: its stratified subset)."""
    from vgpt_dagster.serving.config import load_serving_config  # noqa: PLC0415
    from vgpt_dagster.serving.promoted import _validation_config, select_served_model  # noqa: PLC0415
    from vgpt_dagster.validation.runner import judged_subset  # noqa: PLC0415

    cfg = load_serving_config(paths, {"profile": profile_name})
    if adapter is None:
        served = select_served_model(paths, cfg.profile_name, cfg.adapter, cfg.require_promoted)
    else:
        served = select_served_model(paths, cfg.profile_name, adapter)
    engine = Engine(paths, cfg, served, catalog).load()
    vcfg = _validation_config(paths)
    suite = judged_subset(suite, vcfg, served.profile, on_cuda=str(engine.model.device).startswith("cuda"))
    cases = suite.cases[: cfg.effect.limit] if cfg.effect.limit else suite.cases
    result = measure_serving_effect(engine, cases, vcfg.penalties, cfg.effect.batch_size, modes, progress)
    result["suite_version"] = suite.version
    result["judged_subset"] = suite.meta.get("subset")
    return result


def run_serving_effect(paths, profile_name: str, suite, catalog, progress=None) -> tuple[dict, Path, Path]:
    """Measure every mode on the served model of ``profile_name``; write data/reports/serving_effect.*."""
    from vgpt_dagster.artifacts import write_json_atomic, write_text_atomic  # noqa: PLC0415

    result = measure_model_effect(paths, profile_name, suite, catalog, progress=progress)
    m = result["model"]
    md = f"# Serving effect ({m['status']}: {m['profile']}/{m['stage']})\n\n{effect_markdown(result)}\n"
    json_path = write_json_atomic(paths.reports_dir / "serving_effect.json", result)
    md_path = write_text_atomic(paths.reports_dir / "serving_effect.md", md)
    return result, json_path, md_path
