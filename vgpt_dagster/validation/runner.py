"""Run the suite on one checkpoint: batched greedy generation, then the judge on every response.

A missing or unreadable adapter is an error (``ValidationError``) raised before any generation:
the base model is evaluated only when ``adapter_dir`` is None on purpose (the ``validation_base`` step).
"""

import logging
import time
from pathlib import Path

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.config import config_to_dict
from vgpt_dagster.datasets.config import load_system_prompt
from vgpt_dagster.errors import ValidationError
from vgpt_dagster.judging.cases import Suite
from vgpt_dagster.judging.judge import judge
from vgpt_dagster.judging.metrics import compute_metrics
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.report import ValidationReport

log = logging.getLogger(__name__)


def conversations(suite: Suite, system_prompt: str, limit: int | None = None) -> list[list[dict[str, str]]]:
    """One chat per case: the training system prompt + the question."""
    cases = suite.cases[:limit] if limit else suite.cases
    return [[{"role": "system", "content": system_prompt}, {"role": "user", "content": c.question}] for c in cases]


def judged_subset(suite: Suite, cfg: ValidationConfig, profile_name: str, on_cuda: bool = False) -> Suite:
    """The cases a profile is judged on: the whole suite, or (``subset.profiles``) the first N main-suite cases of
    each category in a stable hash order plus every probe and held-out case; ``meta["subset"]`` says which."""
    sub = cfg.subset
    if profile_name not in sub.profiles or not sub.per_category or (on_cuda and sub.full_on_cuda):
        return suite
    from vgpt_dagster.artifacts import sha256_json  # noqa: PLC0415

    main = sorted((c for c in suite.cases if c.part == "main"), key=lambda c: sha256_json([cfg.seed, c.id]))
    keep: set[str] = {c.id for c in suite.cases if c.part != "main"}
    for cat, n in sub.per_category.items():
        keep.update(c.id for c in [c for c in main if c.category == cat][:n])
    cases = tuple(c for c in suite.cases if c.id in keep)  # suite order kept
    note = {
        "profile": profile_name,
        "per_category": dict(sub.per_category),
        "cases": len(cases),
        "of": len(suite.cases),
    }
    return Suite(cases, {**suite.meta, "subset": note})


def run_validation(
    paths,
    profile,
    adapter_dir: Path | None,
    suite: Suite,
    catalog: Catalog,
    cfg: ValidationConfig,
    label: str,
    sandbox_dir: Path | None = None,
) -> ValidationReport:
    """Generate answers for every case with ``profile``'s base model (+ adapter), judge them, compute metrics.

    With ``sandbox_dir`` (a built ``vista_sandbox``) every SQL answer is also executed and compared with the
    oracle's result (execution accuracy, ``vgpt_dagster.execution.accuracy``); without it the report has no
    execution metrics.
    """
    from vgpt_dagster.runtime.inference import (  # noqa: PLC0415
        check_adapter,
        describe_checkpoint,
        generate,
        load_for_inference,
    )

    if adapter_dir is not None:
        if not Path(adapter_dir).is_dir():
            raise ValidationError(
                f"{label}: adapter folder {adapter_dir} does not exist. Train that stage first (or fix the path); "
                "validation never falls back to the base model."
            )
        check_adapter(Path(adapter_dir), profile.finetuning_type)  # incomplete/corrupt -> ValidationError
    checkpoint = describe_checkpoint(paths, profile, adapter_dir)  # hashes; raises on a corrupt adapter
    t0 = time.perf_counter()
    model, tokenizer = load_for_inference(paths, profile, adapter_dir)
    suite = judged_subset(suite, cfg, profile.name, on_cuda=str(model.device).startswith("cuda"))
    if "subset" in suite.meta:
        checkpoint = {**checkpoint, "judged_subset": suite.meta["subset"]}  # the report says which cases
    from vgpt_dagster.runtime.environment import environment_record  # noqa: PLC0415

    checkpoint = {**checkpoint, "environment": environment_record()}  # package versions + command of this run
    t1 = time.perf_counter()
    convs = conversations(suite, load_system_prompt(paths.configs), cfg.generation.limit)
    budget = (cfg.subset.max_new_tokens if "subset" in suite.meta else None) or cfg.generation.max_new_tokens
    responses = generate(model, tokenizer, convs, max_new_tokens=budget, batch_size=cfg.generation.batch_size)
    t2 = time.perf_counter()
    cases = suite.cases[: len(responses)]
    verdicts = [judge(c, r, catalog) for c, r in zip(cases, responses, strict=True)]
    t3 = time.perf_counter()
    metrics = compute_metrics(verdicts, cases, cfg.penalties)
    t4 = time.perf_counter()
    execution: dict = {}
    if sandbox_dir is not None:
        execution = execute_answers(cases, responses, verdicts, catalog, cfg, sandbox_dir)
        metrics.update(execution["metrics"])
    t5 = time.perf_counter()
    log.info(
        "%s: pass %.3f, false rejection %s, hallucination %s",
        label,
        metrics["pass_rate"] or 0,
        metrics["false_rejection_rate"],
        metrics["hallucination_rate"],
    )
    return ValidationReport(
        label=label,
        checkpoint=checkpoint,
        suite_version=suite.version,
        metrics=metrics,
        verdicts=tuple(verdicts),
        responses={c.id: r for c, r in zip(cases, responses, strict=True)},
        config=config_to_dict(cfg),
        timings={
            "load_s": round(t1 - t0, 3),
            "generate_s": round(t2 - t1, 3),
            "judge_s": round(t3 - t2, 3),
            "responses_per_s_generate": round(len(responses) / max(t2 - t1, 1e-9), 3),
            **({"execute_s": round(t5 - t4, 3)} if sandbox_dir is not None else {}),
        },
        execution=execution.get("cases", {}),
    )


def execute_answers(cases, responses, verdicts, catalog: Catalog, cfg: ValidationConfig, sandbox_dir: Path) -> dict:
    """``{"cases": {id: result}, "metrics": execution metrics}`` of answers run on every sandbox variant."""
    from vgpt_dagster.execution.accuracy import evaluate_answers, execution_metrics, open_sandboxes  # noqa: PLC0415

    with open_sandboxes(Path(sandbox_dir), cfg) as boxes:
        results = evaluate_answers(cases, dict(zip((c.id for c in cases), responses, strict=True)), catalog, boxes)
    return {"cases": results, "metrics": execution_metrics(results, cases, verdicts)}
