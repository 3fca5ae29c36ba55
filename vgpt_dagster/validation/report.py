"""Validation reports: one JSON (every case, response, verdict, metric, checkpoint hash) and a Markdown summary."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vgpt_dagster.artifacts import write_json_atomic, write_text_atomic
from vgpt_dagster.errors import ValidationError
from vgpt_dagster.judging.judge import Verdict
from vgpt_dagster.judging.metrics import percent

REPORT_FORMAT = "vgpt-validation-report/1"


@dataclass(frozen=True)
class ValidationReport:
    """What was evaluated (``checkpoint``: base model + adapter hashes), on which suite, and the results."""

    label: str
    checkpoint: dict[str, Any]
    suite_version: str
    metrics: dict[str, Any]
    verdicts: tuple[Verdict, ...]
    responses: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    execution: dict[str, dict[str, Any]] = field(default_factory=dict)  # case id -> sandbox result (if run)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["format"] = REPORT_FORMAT
        d["verdicts"] = [v.to_dict() for v in self.verdicts]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "report") -> "ValidationReport":
        if d.get("format") != REPORT_FORMAT:
            raise ValidationError(
                f"{where}: not a validation report (format {d.get('format')!r}, expected {REPORT_FORMAT!r})."
            )
        return cls(
            d["label"],
            d["checkpoint"],
            d["suite_version"],
            d["metrics"],
            tuple(Verdict.from_dict(v) for v in d["verdicts"]),
            d.get("responses") or {},
            d.get("config") or {},
            d.get("timings") or {},
            d.get("execution") or {},
        )


def report_markdown(report: ValidationReport) -> str:
    """A one-page summary: headline rates, per-category pass rates, reliability, the checkpoint, failures."""
    m = report.metrics
    ck = report.checkpoint
    lines = [
        f"# Validation: {report.label}",
        "",
        f"- base model: `{ck.get('base_model')}` (sha256 `{str(ck.get('base_model_sha256'))[:16]}`)",
        f"- adapter: `{ck.get('adapter_dir')}`"
        + "".join(f"\n  - `{k}` sha256 `{v[:16]}`" for k, v in (ck.get("adapter_files") or {}).items()),
        f"- suite version `{report.suite_version}`, {m['n']} cases",
        "",
        "| metric | value |",
        "|---|---|",
        f"| **false-rejection rate** (target 0) | **{percent(m['false_rejection_rate'])}** |",
        f"| hallucination rate (all cases) | {percent(m['hallucination_rate'])} |",
        f"| - invented objects / invented columns | {percent(m.get('object_hallucination_rate'))}"
        f" / {percent(m.get('column_hallucination_rate'))} |",
        f"| hallucination rate on invented names (gate) | {percent(m.get('invented_name_hallucination_rate'))} |",
        f"| held-out hallucination rate | {percent(m['holdout_hallucination_rate'])} |",
        f"| pass rate | {percent(m['pass_rate'])} ({m['passed']}/{m['n']}) |",
        f"| SQL parse / schema-valid / NOLOCK | {percent(m['sql_parse_rate'])} / {percent(m['schema_valid_rate'])} / {percent(m['nolock_rate'])} |",
        f"| join-key correctness | {percent(m['join_key_correctness'])} |",
        "| reliability (c = "
        + ", ".join(m["reliability"])
        + ") | "
        + ", ".join("n/a" if v is None else f"{v:+.3f}" for v in m["reliability"].values())
        + " |",
        *_execution_rows(m),
        "",
        "| category | cases | pass rate | execution accuracy |",
        "|---|---|---|---|",
        *[
            f"| {g} | {m['n_by_category'][g]} | {percent(r)} | "
            f"{percent((m.get('execution_accuracy_by_category') or {}).get(g))} |"
            for g, r in m["pass_rate_by_category"].items()
        ],
        "",
        "Behaviours: " + ", ".join(f"{k} {v}" for k, v in m["behaviors"].items()),
        "",
        "## First failures",
        "",
    ]
    for v in [v for v in report.verdicts if not v.passed][:15]:
        lines.append(f"- `{v.case_id}` {v.behavior}: {'; '.join(v.reasons)[:200]}")
    return "\n".join(lines) + "\n"


def _execution_rows(m: dict[str, Any]) -> list[str]:
    """Execution-accuracy rows of the metrics table (none when the report was made without a sandbox)."""
    if "execution_accuracy" not in m:
        return []
    return [
        f"| execution accuracy (sandbox, {m['execution_cases']} SQL cases) | {percent(m['execution_accuracy'])} |",
        f"| execution-error rate | {percent(m['execution_error_rate'])} |",
        f"| static passes that execution shows wrong | {m['static_pass_execution_wrong']}"
        f"/{m['static_pass_executed']} |",
    ]


def write_report(report: ValidationReport, reports_dir: Path, name: str) -> tuple[Path, Path]:
    """``<reports_dir>/<name>.json`` and ``.md``, each written atomically."""
    reports_dir = Path(reports_dir)
    js = write_json_atomic(reports_dir / f"{name}.json", report.to_dict(), indent=1)
    md = write_text_atomic(reports_dir / f"{name}.md", report_markdown(report))
    return js, md


def read_report(path: Path) -> ValidationReport:
    path = Path(path)
    if not path.exists():
        raise ValidationError(
            f"{path}: validation report not found; run `vgpt eval run` or materialize the validation asset."
        )
    try:
        return ValidationReport.from_dict(json.loads(path.read_text(encoding="utf-8")), where=str(path))
    except json.JSONDecodeError as err:
        raise ValidationError(f"{path}: not valid JSON (line {err.lineno}): {err.msg}.") from None
