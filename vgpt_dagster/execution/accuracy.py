"""Execution accuracy of eval-suite answers: run the answer's SQL and the oracle's on every sandbox variant.

A case is *executable* when it expects SQL about real objects (``sql_expected`` and no refusal); its reference
query is the oracle's (``execution.oracle.reference_sql``). The answer's query is the last SQL block of the
response (a fixed query follows the broken one it quotes). The case matches when, on **every** variant, the
answer's result equals the oracle's (``execution.compare``): a query that is right on one database by luck
(a wrong company that happens to hold the same rows) is caught by another.

Which reference columns must appear: the ones the question asks for (``columns_must_use``) and the business
key columns of the objects used (they say *which* rows came back). The oracle's other display columns are its
own choice, so the answer may show other or more columns. Where neither exists, every reference column is
required.

Per-case statuses: ``match``, ``mismatch``, ``no_sql`` (the answer has no SQL), ``transpile_error``,
``execution_error``, ``timeout``; ``oracle_error`` marks a broken case (its oracle query does not execute),
left out of every rate and listed.

Examples:
    >>> from vgpt_dagster.judging.cases import Case
    >>> executable(Case("a", "main", "join", "join", "q", sql_expected=True))
    True
    >>> executable(Case("b", "main", "hallucination", "sql", "q", objects_must_refuse=("Invoice",)))
    False
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.execution.compare import compare_results
from vgpt_dagster.execution.config import SandboxConfig
from vgpt_dagster.execution.oracle import reference_sql
from vgpt_dagster.execution.run import Outcome, SandboxConnection, TranspileError, TranspileOptions, transpile
from vgpt_dagster.execution.sandbox import read_sandbox_manifest
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.metrics import group_of
from vgpt_dagster.sql.extract import extract_sql

ERROR_STATUSES = ("transpile_error", "execution_error", "timeout")


def executable(case: Case) -> bool:
    return case.sql_expected and not case.expects_refusal


class Sandboxes:
    """Every variant of a built sandbox, opened read-only; use as a context manager."""

    def __init__(self, folder: Path, cfg: SandboxConfig, companies: Sequence[int]):
        self.folder = Path(folder)
        self.manifest = read_sandbox_manifest(self.folder)
        self.opts = TranspileOptions(cfg.reference_date, int(companies[0]) if companies else 1, dict(cfg.parameters))
        self.conns = {
            name: SandboxConnection(self.folder / info["file"], cfg.timeout_s, cfg.row_cap)
            for name, info in self.manifest["variants"].items()
        }

    def close(self) -> None:
        for c in self.conns.values():
            c.close()

    def __enter__(self) -> "Sandboxes":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, sql: str, unlimited: bool = False) -> tuple[dict[str, Outcome], Any]:
        """Outcomes per variant (of the query without its top-level TOP when ``unlimited``) and the transpile."""
        try:
            t = transpile(sql, self.opts)
        except TranspileError as err:
            return {v: Outcome("transpile_error", error=str(err)) for v in self.conns}, None
        q = t.unlimited_sql if unlimited else t.sql
        return {v: c.execute(q) for v, c in self.conns.items()}, t


@dataclass
class _Reference:
    outcomes: dict[str, Outcome]
    unlimited: dict[str, Outcome] | None
    ordered: bool
    sql: str


def _reference(case: Case, catalog: Catalog, boxes: Sandboxes) -> _Reference:
    sql = reference_sql(case, catalog)
    outs, t = boxes.run(sql)
    unlimited = None
    if t is not None and t.limited and not t.ordered:
        unlimited, _ = boxes.run(sql, unlimited=True)
    return _Reference(outs, unlimited, bool(t and t.ordered), sql)


def required_columns(case: Case, catalog: Catalog, columns: Sequence[str]) -> list[int] | None:
    """Indices of the reference columns an answer must show (see the module docstring); None = all."""
    wanted = {c.split(".")[-1].lower() for c in case.columns_must_use}
    for name in case.objects_must_use:
        wanted.update(k.lower() for k in catalog.business_key(name))
    idx = [i for i, c in enumerate(columns) if c.lower() in wanted]
    return idx or None


def _first_error(outs: Mapping[str, Outcome]) -> Outcome | None:
    return next((o for o in outs.values() if not o.ok), None)


def evaluate_case(case: Case, response: str, catalog: Catalog, boxes: Sandboxes, ref: _Reference) -> dict[str, Any]:
    """The execution result of one answer: status, the variant and reason of the first mismatch."""
    bad_ref = _first_error(ref.outcomes) or (_first_error(ref.unlimited) if ref.unlimited else None)
    if bad_ref is not None:
        return {"case_id": case.id, "status": "oracle_error", "reason": f"{bad_ref.status}: {bad_ref.error}"}
    sqls = extract_sql(response or "")
    if not sqls:
        return {"case_id": case.id, "status": "no_sql", "reason": "the answer has no SQL"}
    outs, _ = boxes.run(sqls[-1])
    err = _first_error(outs)
    if err is not None:
        return {"case_id": case.id, "status": err.status, "reason": err.error}
    for variant, pred in outs.items():
        gold = ref.outcomes[variant]
        subset = ref.unlimited[variant].rows if ref.unlimited else None
        if pred.truncated or gold.truncated:
            return {"case_id": case.id, "status": "mismatch", "variant": variant, "reason": "result over the row cap"}
        m = compare_results(
            gold.columns,
            gold.rows,
            pred.columns,
            pred.rows,
            ordered=ref.ordered,
            required=required_columns(case, catalog, gold.columns),
            subset_of=subset,
        )
        if not m.matched:
            return {"case_id": case.id, "status": "mismatch", "variant": variant, "reason": m.reason}
    return {"case_id": case.id, "status": "match", "reason": ""}


def evaluate_answers(
    cases: Sequence[Case], responses: Mapping[str, str], catalog: Catalog, boxes: Sandboxes
) -> dict[str, dict[str, Any]]:
    """``{case id: result}`` for every executable case that has a response."""
    out = {}
    for case in cases:
        if executable(case) and case.id in responses:
            out[case.id] = evaluate_case(case, responses[case.id], catalog, boxes, _reference(case, catalog, boxes))
    return out


def oracle_self_check(cases: Sequence[Case], catalog: Catalog, boxes: Sandboxes) -> dict[str, Any]:
    """Run every executable case's oracle answer as the prediction: it must match itself on every variant."""
    from vgpt_dagster.execution.oracle import oracle_answer  # noqa: PLC0415

    results = evaluate_answers(cases, {c.id: oracle_answer(c, catalog) for c in cases}, catalog, boxes)
    broken = [{"case_id": k, "reason": r["reason"]} for k, r in results.items() if r["status"] == "oracle_error"]
    counted = [r for r in results.values() if r["status"] != "oracle_error"]
    matched = sum(r["status"] == "match" for r in counted)
    return {
        "executable_cases": len(results),
        "broken_cases": broken,
        "self_accuracy": round(matched / len(counted), 6) if counted else None,
        "not_matching": [{"case_id": r["case_id"], "reason": r["reason"]} for r in counted if r["status"] != "match"],
    }


def sandbox_folder(paths, cfg) -> Path:
    """``data/validation/<sandbox.folder>/`` of a project (``cfg``: the ValidationConfig)."""
    return Path(paths.validation_dir) / cfg.sandbox.folder


def open_sandboxes(folder: Path, cfg) -> Sandboxes:
    """Every variant of the sandbox in ``folder`` with ``cfg``'s (ValidationConfig) limits and companies."""
    return Sandboxes(folder, cfg.sandbox, cfg.companies)


def build_project_sandbox(paths, catalog: Catalog, cfg, suite=None) -> dict[str, Any]:
    """Build the project's sandbox (every catalog object, every variant) and, given the eval suite, run the
    oracle's answers on it: ``{"manifest": ..., "oracle": oracle_self_check(...) or None, "folder": Path}``."""
    from vgpt_dagster.execution.sandbox import build_sandbox  # noqa: PLC0415

    folder = sandbox_folder(paths, cfg)
    manifest = build_sandbox(catalog, cfg.sandbox, cfg.companies, folder)
    oracle = None
    if suite is not None:
        with open_sandboxes(folder, cfg) as boxes:
            oracle = oracle_self_check(suite.cases, catalog, boxes)
    return {"manifest": manifest, "oracle": oracle, "folder": folder}


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


def execution_metrics(
    results: Mapping[str, Mapping[str, Any]], cases: Sequence[Case], verdicts: Sequence[Any] = ()
) -> dict[str, Any]:
    """Execution accuracy overall and per category, the execution-error rate, and static passes caught wrong."""
    by_id = {c.id: c for c in cases}
    counted = {k: r for k, r in results.items() if r["status"] != "oracle_error"}
    groups: dict[str, list[str]] = {}
    for k, r in counted.items():
        groups.setdefault(group_of(by_id[k]), []).append(r["status"])
    statuses: dict[str, int] = {}
    for r in results.values():
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    passed = {v.case_id for v in verdicts if v.passed}
    static_pass = [k for k in counted if k in passed]
    caught = [k for k in static_pass if counted[k]["status"] != "match"]
    return {
        "execution_cases": len(counted),
        "execution_accuracy": _rate(sum(r["status"] == "match" for r in counted.values()), len(counted)),
        "execution_accuracy_by_category": {
            g: _rate(sum(s == "match" for s in ss), len(ss)) for g, ss in sorted(groups.items())
        },
        "execution_error_rate": _rate(sum(r["status"] in ERROR_STATUSES for r in counted.values()), len(counted)),
        "execution_outcomes": dict(sorted(statuses.items())),
        "static_pass_executed": len(static_pass),
        "static_pass_execution_wrong": len(caught),
        "static_pass_execution_wrong_cases": caught[:50],
        "execution_broken_cases": sorted(k for k, r in results.items() if r["status"] == "oracle_error"),
    }
