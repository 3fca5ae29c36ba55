"""Compare checkpoints side by side, list the cases that regressed, and decide promotion.

Examples:
    >>> _delta(0.5, 0.75), _delta(None, 0.2)
    (0.25, None)
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vgpt_dagster.artifacts import write_figure_atomic, write_json_atomic, write_text_atomic
from vgpt_dagster.errors import ValidationError
from vgpt_dagster.judging.metrics import percent
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.report import ValidationReport

_HEADLINES = (
    "pass_rate",
    "false_rejection_rate",
    "hallucination_rate",
    "object_hallucination_rate",
    "column_hallucination_rate",
    "invented_name_hallucination_rate",
    "holdout_hallucination_rate",
    "sql_parse_rate",
    "schema_valid_rate",
    "nolock_rate",
    "join_key_correctness",
    "execution_accuracy",  # present when the reports ran on the vista_sandbox
    "execution_error_rate",
    "static_pass_execution_wrong",
)


@dataclass(frozen=True)
class Comparison:
    """Rows of metrics per stage (in stage order), deltas between consecutive stages, regressed cases."""

    stages: tuple[str, ...]
    rows: dict[str, dict[str, Any]]
    deltas: dict[str, dict[str, float | None]]
    regressions: dict[str, list[dict[str, Any]]]
    markdown: str = ""
    checkpoints: dict[str, Any] = field(default_factory=dict)
    execution_changes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": list(self.stages),
            "rows": self.rows,
            "deltas": self.deltas,
            "regressions": self.regressions,
            "checkpoints": self.checkpoints,
            "execution_changes": self.execution_changes,
        }


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 6)


def _row(report: ValidationReport) -> dict[str, Any]:
    m = report.metrics
    row = {k: m.get(k) for k in _HEADLINES if k in m or not k.startswith(("execution", "static_pass"))}
    row.update({f"pass:{g}": r for g, r in m["pass_rate_by_category"].items()})
    row.update({f"exec:{g}": r for g, r in (m.get("execution_accuracy_by_category") or {}).items()})
    row.update({f"reliability:c={c}": v for c, v in m["reliability"].items()})
    return row


def compare_reports(reports: dict[str, ValidationReport]) -> Comparison:
    """Side-by-side metrics (dict order = stage order, e.g. base, sft, dpo_v3, kto) and regressions per step."""
    if not reports:
        raise ValidationError("no validation reports to compare: run at least one validation first.")
    versions = {r.suite_version for r in reports.values()}
    if len(versions) > 1:
        raise ValidationError(
            f"reports were made on different eval suites ({', '.join(sorted(versions))}); re-run them on one suite."
        )
    stages = tuple(reports)
    rows = {s: _row(r) for s, r in reports.items()}
    deltas: dict[str, dict[str, float | None]] = {}
    regressions: dict[str, list[dict[str, Any]]] = {}
    for prev, cur in zip(stages, stages[1:], strict=False):
        key = f"{prev}->{cur}"
        deltas[key] = {k: _delta(rows[prev].get(k), rows[cur].get(k)) for k in rows[cur]}
        before = {v.case_id: v for v in reports[prev].verdicts}
        regressions[key] = [
            {
                "case_id": v.case_id,
                "before": before[v.case_id].behavior,
                "after": v.behavior,
                "reasons": list(v.reasons),
            }
            for v in reports[cur].verdicts
            if v.case_id in before and before[v.case_id].passed and not v.passed
        ]
    changes = {
        f"{prev}->{cur}": execution_changes(reports[prev], reports[cur])
        for prev, cur in zip(stages, stages[1:], strict=False)
    }
    ck = {s: r.checkpoint for s, r in reports.items()}
    cmp = Comparison(stages, rows, deltas, regressions, checkpoints=ck, execution_changes=changes)
    return Comparison(stages, rows, deltas, regressions, comparison_markdown(cmp), ck, changes)


def execution_changes(before: ValidationReport, after: ValidationReport) -> list[dict[str, Any]]:
    """Cases whose execution result changed between two reports (``match`` -> ``mismatch`` and back, ...)."""
    out = []
    for cid, res in after.execution.items():
        old = before.execution.get(cid)
        if old is not None and old["status"] != res["status"]:
            out.append({"case_id": cid, "before": old["status"], "after": res["status"], "reason": res["reason"]})
    return out


def _fmt(v: Any) -> str:
    """A rate with :func:`percent`, a score beyond [0, 1] signed, anything else as it is."""
    if isinstance(v, float) and abs(v) > 1.0001:
        return f"{v:+.3f}"
    return percent(v) if v is None or isinstance(v, float) else str(v)


def comparison_markdown(cmp: Comparison) -> str:
    """Metrics table (one column per stage, then the delta of the last step) and the regressed cases."""
    keys = list(dict.fromkeys(k for s in cmp.stages for k in cmp.rows[s]))
    last = f"{cmp.stages[-2]}->{cmp.stages[-1]}" if len(cmp.stages) > 1 else None
    head = ["metric", *cmp.stages] + ([f"delta {last}"] if last else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k in keys:
        cells = [k, *(_fmt(cmp.rows[s].get(k)) for s in cmp.stages)]
        if last:
            d = cmp.deltas[last].get(k)
            cells.append("n/a" if d is None else f"{d:+.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    for step, cases in cmp.regressions.items():
        lines += ["", f"### Regressed {step}: {len(cases)} case(s)", ""]
        newly_refused = [c for c in cases if c["after"] == "false_rejection"]
        if newly_refused:
            lines.append(f"Real objects newly refused: {len(newly_refused)}")
        lines += [
            f"- `{c['case_id']}` {c['before']} -> {c['after']}: {'; '.join(c['reasons'])[:160]}" for c in cases[:20]
        ]
    for step, cases in cmp.execution_changes.items():
        if not cases:
            continue
        fixed = sum(c["after"] == "match" for c in cases)
        lines += ["", f"### Execution result changed {step}: {len(cases)} case(s), {fixed} now match", ""]
        lines += [f"- `{c['case_id']}` {c['before']} -> {c['after']}: {c['reason'][:160]}" for c in cases[:20]]
    return "\n".join(lines) + "\n"


def write_comparison(cmp: Comparison, reports_dir: Path, name: str = "model_comparison") -> dict[str, Path]:
    """JSON + Markdown + a bar chart PNG (matplotlib, Agg) of the headline rates per stage."""
    reports_dir = Path(reports_dir)
    out = {
        "json": write_json_atomic(reports_dir / f"{name}.json", cmp.to_dict()),
        "md": write_text_atomic(reports_dir / f"{name}.md", f"# Model comparison\n\n{cmp.markdown}"),
    }
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    metrics = ("pass_rate", "false_rejection_rate", "hallucination_rate", "nolock_rate")
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(cmp.stages)
    for i, stage in enumerate(cmp.stages):
        vals = [cmp.rows[stage].get(m) or 0.0 for m in metrics]
        ax.bar([j + i * width for j in range(len(metrics))], vals, width, label=stage)
    ax.set_xticks([j + width * (len(cmp.stages) - 1) / 2 for j in range(len(metrics))], metrics)
    ax.set_ylim(0, 1)
    ax.legend()
    ax.set_title("Validation by checkpoint")
    fig.tight_layout()
    out["png"] = write_figure_atomic(fig, reports_dir / f"{name}.png")
    return out


def promotion_decision(
    report: ValidationReport, cfg: ValidationConfig, profile_kind: str
) -> tuple[bool, str, dict[str, Any]]:
    """(passed, severity, evidence): false-rejection rate, hallucination rate and overall pass rate vs thresholds.

    A rate that cannot be measured (no real / no fake cases) fails: an unmeasured gate is not a pass.
    """
    m = report.metrics
    # The gate reads hallucination on the questions about invented names (reports from before the
    # object/column split carry only hallucination_rate, which measured exactly that).
    fr, hr = m.get("false_rejection_rate"), m.get("invented_name_hallucination_rate", m.get("hallucination_rate"))
    ok_fr = fr is not None and fr <= cfg.gate.max_false_rejection_rate
    ok_hr = hr is not None and hr <= cfg.gate.max_hallucination_rate
    pr = m.get("pass_rate")
    ok_pr = pr is not None and pr >= cfg.gate.min_pass_rate  # silence is not safety: see GateConfig
    evidence = {
        "false_rejection_rate": fr,
        "max_false_rejection_rate": cfg.gate.max_false_rejection_rate,
        "invented_name_hallucination_rate": hr,
        "hallucination_rate": m.get("hallucination_rate"),
        "max_hallucination_rate": cfg.gate.max_hallucination_rate,
        "pass_rate": pr,
        "min_pass_rate": cfg.gate.min_pass_rate,
        "n": m.get("n"),
        "profile_kind": profile_kind,
    }
    return ok_fr and ok_hr and ok_pr, cfg.gate_severity(profile_kind), evidence
