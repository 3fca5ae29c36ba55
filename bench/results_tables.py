"""Regenerate the measured part of docs/results.md from the run's own reports (never typed by hand).

    .venv/bin/python bench/results_tables.py                 # print the tables
    .venv/bin/python bench/results_tables.py --write docs/results.md   # replace the block between the markers

Reads ``data/reports/validation_{base,sft,dpo_v3,kto}.json`` (what the pipeline's validation assets wrote),
``data/reports/<experiment>.md`` for every ``configs/experiments/*.yaml`` that has run (``vgpt experiment run``)
and ``saves/<profile>/<stage>/metrics.json``.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vgpt_dagster.judging.metrics import percent  # noqa: E402
from vgpt_dagster.paths import ProjectPaths  # noqa: E402
from vgpt_dagster.runtime.stages import STAGE_NAMES  # noqa: E402

BEGIN, END = "<!-- results:begin (bench/results_tables.py) -->", "<!-- results:end -->"
CHECKPOINTS = ("base", *STAGE_NAMES)
HEADLINES = (
    "pass_rate",
    "false_rejection_rate",
    "hallucination_rate",
    "holdout_hallucination_rate",
    "probe_accuracy",
    "sql_parse_rate",
    "schema_valid_rate",
    "nolock_rate",
    "join_key_correctness",
    "execution_accuracy",
)
ANSWERS_PER_CATEGORY = 1


def _pct(v) -> str:
    return percent(v) if v is None or isinstance(v, float | int) else str(v)


def load_reports(paths: ProjectPaths) -> dict[str, dict]:
    out = {}
    for c in CHECKPOINTS:
        f = paths.reports_dir / f"validation_{c}.json"
        if f.is_file():
            out[c] = json.loads(f.read_text())
    return out


def metric_table(reports: dict[str, dict]) -> list[str]:
    cols = list(reports)
    lines = ["| metric | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for m in HEADLINES:
        if any(m in r["metrics"] for r in reports.values()):
            lines.append(f"| {m} | " + " | ".join(_pct(reports[c]["metrics"].get(m)) for c in cols) + " |")
    cats = sorted({g for r in reports.values() for g in r["metrics"].get("pass_rate_by_category", {})})
    for g in cats:
        row = [_pct(reports[c]["metrics"].get("pass_rate_by_category", {}).get(g)) for c in cols]
        lines.append(f"| pass: {g} | " + " | ".join(row) + " |")
    rel = sorted({k for r in reports.values() for k in r["metrics"].get("reliability", {})})
    for k in rel:
        row = [str(reports[c]["metrics"].get("reliability", {}).get(k, "-")) for c in cols]
        lines.append(f"| reliability c={k} | " + " | ".join(row) + " |")
    return lines


def answers_table(reports: dict[str, dict], suite_path: Path) -> list[str]:
    """Verbatim answers of every checkpoint to the same questions (the first judged case of each category)."""
    if not reports or not suite_path.is_file():
        return ["_(no suite)_"]
    cases = {c["id"]: c for c in json.loads(suite_path.read_text())["cases"]}
    common = set.intersection(*(set(r["responses"]) for r in reports.values()))
    picked, seen = [], {}
    for cid in sorted(common):
        cat = cases.get(cid, {}).get("category", "?")
        if seen.get(cat, 0) < ANSWERS_PER_CATEGORY:
            seen[cat] = seen.get(cat, 0) + 1
            picked.append(cid)
    lines = []
    for cid in picked:
        lines += ["", f"**{cases[cid]['category']}** `{cid}`: {cases[cid]['question']}", ""]
        for c, r in reports.items():
            verdict = next((v for v in r["verdicts"] if v["case_id"] == cid), {})
            text = r["responses"][cid].replace("\n", " ").replace("|", "\\|")[:400]
            lines.append(f"- {c} ({verdict.get('verdict', '?')}, {verdict.get('behavior', '?')}): `{text}`")
    return lines


def stage_table(paths: ProjectPaths, profile: str) -> list[str]:
    lines = ["| stage | steps | train loss first -> last | eval loss | tokens/s | precision | wall s |", "|---|" * 7]
    lines[1] = "|---|---|---|---|---|---|---|"
    for s in STAGE_NAMES:
        f = paths.stage_dir(profile, s) / "metrics.json"
        if f.is_file():
            m = json.loads(f.read_text())
            loss = f"{m.get('train_loss_first')} -> {m.get('train_loss_last')}"
            lines.append(
                f"| {s} | {m.get('steps')} | {loss} | {m.get('eval_loss')} | {m.get('tokens_per_second')} | "
                f"{m.get('precision')} | {m.get('wall_time_s')} |"
            )
    return lines


def render(paths: ProjectPaths) -> str:
    reports = load_reports(paths)
    if not reports:
        return "_No validation reports in data/reports/ yet: run `make pipeline`._"
    first = next(iter(reports.values()))
    ck = first["checkpoint"]
    env = ck.get("environment", {})
    subset = ck.get("judged_subset")
    out = [
        f"Profile `{ck.get('profile')}`; suite version `{first['suite_version']}`; "
        + (
            f"judged subset: {subset['cases']} of {subset['of']} cases ({subset['per_category']} main-suite cases "
            "per category + every probe and held-out case)."
            if subset
            else "the full suite."
        ),
        "",
        "### Training stages",
        "",
        *stage_table(paths, ck.get("profile")),
        "",
        "### Every metric, every checkpoint",
        "",
        *metric_table(reports),
        "",
        "### The same questions, verbatim",
        *answers_table(reports, paths.validation_dir / "eval_suite.json"),
    ]
    out += experiment_sections(paths)
    out += ["", "### Versions and command", ""]
    out += [f"- `{k}=={v}`" for k, v in sorted(env.get("packages", {}).items()) if v]
    out += [f"- python {env.get('python')} on {env.get('platform')}", f"- command: `{env.get('command')}`"]
    return "\n".join(out) + "\n"


def experiment_sections(paths: ProjectPaths) -> list[str]:
    """One section per configs/experiments/*.yaml: its report's table, or a line saying it has not run."""
    from vgpt_dagster.experiments.spec import experiment_names, load_experiment  # noqa: PLC0415

    out = []
    for name in experiment_names(paths):
        report = paths.reports_dir / f"{name}.md"
        out += ["", f"### {load_experiment(paths, name).title}", ""]
        if report.is_file():
            out += [report.read_text().split("\n", 2)[-1].strip()]
        else:
            out += [f"_Experiment `{name}` has not run (`vgpt experiment run {name}`)._"]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", type=Path, help="replace the block between the markers in this Markdown file")
    args = ap.parse_args(argv)
    text = render(ProjectPaths.from_env())
    if not args.write:
        print(text)
        return 0
    doc = args.write.read_text(encoding="utf-8")
    if BEGIN not in doc or END not in doc:
        print(f"error: {args.write} has no '{BEGIN}' ... '{END}' block", file=sys.stderr)
        return 2
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    args.write.write_text(f"{head}{BEGIN}\n{text}{END}{tail}", encoding="utf-8")
    print(f"wrote the measured tables into {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
