"""`vgpt eval judge|run|suite`: judge answers from any model, run the suite on a checkpoint, build the suite.

vgpt eval judge answers.jsonl --out judged.jsonl     # lines with "question" and "response"
vgpt eval judge answers.jsonl --summary               # behaviour counts (+ confusion matrix vs a "behavior" label)
vgpt eval run --adapter saves/tiny/sft --profile tiny
vgpt eval run --base --profile tiny                  # the base model, on purpose
vgpt eval suite build
"""

import json
import sys
from pathlib import Path

from vgpt_dagster.errors import ValidationError

_SCHEMA_HELP = "schema export folder, INFORMATION_SCHEMA CSV or catalog store (default: configs/catalog.yaml, else the embedded export)"


def register(sub) -> None:
    p = sub.add_parser("eval", help="judge answers, run the eval suite on a checkpoint, build the suite")
    esub = p.add_subparsers(dest="eval_command", metavar="SUBCOMMAND")
    esub.required = True

    j = esub.add_parser(
        "judge",
        help="judge JSONL lines with 'question' and 'response'; adds behavior, verdict, reasons",
        description="Judge answers from any model or tool. Each line needs 'question' and 'response'; the "
        "expectation is read from the question and checked against the catalog (no case metadata needed). "
        "A line may carry a human 'behavior' label (correct_answer, wrong_answer, correct_refusal, "
        "false_rejection, hallucinated_answer or unclear: the rubric in docs/validation.md); the output then "
        "keeps it as 'human_behavior', and --summary compares the judge with it.",
    )
    j.add_argument("file", metavar="FILE.jsonl")
    j.add_argument("--schema", metavar="PATH", help=_SCHEMA_HELP)
    j.add_argument("--out", metavar="OUT.jsonl", help="write the judged lines here (default: stdout)")
    j.add_argument(
        "--summary",
        action="store_true",
        help="print behaviour counts instead of the judged lines; with 'behavior' labels in the file, also "
        "the confusion matrix (people x judge) and the agreement, to calibrate the judge on your own answers",
    )
    j.set_defaults(handler=run_judge)

    r = esub.add_parser("run", help="run the eval suite on one checkpoint and write data/reports/<label>.json/.md")
    who = r.add_mutually_exclusive_group(required=True)
    who.add_argument("--adapter", metavar="PATH", help="adapter folder (a missing/corrupt one is an error)")
    who.add_argument("--base", action="store_true", help="evaluate the base model itself")
    r.add_argument("--suite", metavar="PATH", help="suite JSON (default: data/validation/eval_suite.json)")
    r.add_argument(
        "--profile",
        default=None,
        help="model profile in configs/model_options/ (default: $VGPT_PROFILE or smollm2-135m)",
    )
    r.add_argument("--label", help="report name (default: validation_<adapter folder name> or validation_base)")
    r.add_argument("--limit", type=int, help="evaluate only the first N cases (smoke run)")
    r.add_argument("--schema", metavar="PATH", help=_SCHEMA_HELP)
    r.set_defaults(handler=run_run)

    s = esub.add_parser("suite", help="eval suite commands")
    ssub = s.add_subparsers(dest="suite_command", metavar="SUBCOMMAND")
    ssub.required = True
    b = ssub.add_parser(
        "build",
        help="build the suite from the catalog and the built pairs/datasets, write data/validation/eval_suite.json",
        description="Build the eval suite like the eval_suite asset: held-out cases never repeat a training prompt, "
        "no held-out name or prompt may appear in the SFT/DPO/KTO data, and the oracle must pass all but "
        "max_oracle_drop_share (configs/validation.yaml) of the cases. Needs `vgpt data build all` first. "
        "A broken rule exits 2 naming the rule and the records.",
    )
    b.add_argument("--schema", metavar="PATH", help=_SCHEMA_HELP)
    b.add_argument("--out", metavar="PATH", help="output file")
    b.set_defaults(handler=run_suite_build)


def _config(paths):
    from vgpt_dagster.validation.config import load_validation_config

    return load_validation_config(paths)


def _behaviors() -> tuple[str, ...]:
    from vgpt_dagster.judging.judge import BEHAVIORS

    return BEHAVIORS


def _check_label(path: Path, i: int, row: dict) -> None:
    label = row.get("behavior")
    if label is not None and label not in _behaviors():
        from vgpt_dagster.errors import did_you_mean

        raise ValidationError(
            f"{path}:{i}: field 'behavior' is {label!r}, which is not a behaviour."
            f"{did_you_mean(str(label), _behaviors())} Use one of {', '.join(_behaviors())}, or leave the field out."
        )


def read_judge_lines(path: Path) -> list[dict]:
    """Parse the input JSONL; a bad line is an error naming the line number and the fix."""
    if not path.exists():
        raise ValidationError(f"{path}: file not found.")
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValidationError(f"{path}:{i}: not valid JSON ({err.msg} at column {err.colno}).") from None
        if not isinstance(row, dict):
            raise ValidationError(
                f"{path}:{i}: expected a JSON object with 'question' and 'response', got {type(row).__name__}."
            )
        for key in ("question", "response"):
            if not isinstance(row.get(key), str):
                got = "missing" if key not in row else type(row[key]).__name__
                raise ValidationError(
                    f"{path}:{i}: field '{key}' must be a string (got {got}); each line needs "
                    '{"question": ..., "response": ...}.'
                )
        _check_label(path, i, row)
        rows.append(row)
    return rows


def run_judge(args) -> int:
    from vgpt_dagster.artifacts import write_jsonl_atomic
    from vgpt_dagster.catalog.load import load_default_catalog
    from vgpt_dagster.judging.free import judge_free

    rows = read_judge_lines(Path(args.file))
    catalog = load_default_catalog(args.schema)
    out = []
    for i, row in enumerate(rows, start=1):
        v = judge_free(row["question"], row["response"], catalog, case_id=str(row.get("id", i)))
        human = {"human_behavior": row["behavior"]} if row.get("behavior") else {}
        out.append({**row, **human, "behavior": v.behavior, "verdict": v.verdict, "reasons": list(v.reasons)})
    if args.out:
        write_jsonl_atomic(Path(args.out), out)
    if args.summary:
        from vgpt_dagster.judging.metrics import format_judge_summary, judge_summary

        labels = [r.get("human_behavior") for r in out]
        sys.stdout.write(format_judge_summary(judge_summary([r["behavior"] for r in out], labels)))
    elif not args.out:
        for row in out:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    passed = sum(r["verdict"] == "pass" for r in out)
    print(f"judged {len(out)} response(s): {passed} pass, {len(out) - passed} fail", file=sys.stderr)
    return 0


def run_run(args) -> int:
    from vgpt_dagster.catalog.load import load_default_catalog
    from vgpt_dagster.judging.cases import read_suite
    from vgpt_dagster.paths import ProjectPaths
    from vgpt_dagster.runtime.profiles import default_profile_name, load_profile
    from vgpt_dagster.validation.report import write_report
    from vgpt_dagster.validation.runner import run_validation

    paths = ProjectPaths.from_env()
    cfg = _config(paths)
    if args.limit:
        cfg = cfg.model_copy(update={"generation": cfg.generation.model_copy(update={"limit": args.limit})})
    suite = read_suite(Path(args.suite) if args.suite else paths.validation_dir / cfg.suite_file)
    adapter = Path(args.adapter) if args.adapter else None
    label = args.label or (f"validation_{adapter.name}" if adapter else "validation_base")
    report = run_validation(
        paths,
        load_profile(args.profile or default_profile_name(), paths),
        adapter,
        suite,
        load_default_catalog(args.schema),
        cfg,
        label,
    )
    js, md = write_report(report, paths.reports_dir, label)
    m = report.metrics
    print(
        f"{label}: pass {m['pass_rate']}, false rejection {m['false_rejection_rate']}, "
        f"hallucination {m['hallucination_rate']}\n{js}\n{md}"
    )
    return 0


def run_suite_build(args) -> int:
    from vgpt_dagster.catalog.load import load_default_catalog
    from vgpt_dagster.paths import ProjectPaths
    from vgpt_dagster.validation.suite_rules import build_suite_file, check_suite_rules

    paths = ProjectPaths.from_env()
    out = Path(args.out) if args.out else None
    suite, rules, path = build_suite_file(paths, load_default_catalog(args.schema), _config(paths), out)
    check_suite_rules(rules, path)
    print(f"{path}: {len(suite.cases)} cases, version {suite.version}, {suite.counts()}; rules passed")
    return 0
