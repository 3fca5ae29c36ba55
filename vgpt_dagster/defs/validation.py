"""Validation assets: the eval suite, one validation per checkpoint, and the side-by-side comparison.

One asset per checkpoint (``validation_base``, ``validation_sft``, ``validation_dpo_v3``,
``validation_kto``) rather than one partitioned asset: each depends on a different upstream asset
(base model or adapter), so lineage and staleness show exactly which checkpoint a report judged,
and the nightly job can re-run all four without partition bookkeeping.
"""

from pathlib import Path

import dagster as dg

from vgpt_dagster.defs.datasets import read_built_catalog
from vgpt_dagster.defs.metadata import md_image, to_metadata
from vgpt_dagster.defs.resources import ModelSelection, VgptPaths
from vgpt_dagster.defs.versions import code_version, data_version
from vgpt_dagster.errors import MissingUpstreamError
from vgpt_dagster.execution.accuracy import build_project_sandbox, sandbox_folder
from vgpt_dagster.judging.cases import read_suite
from vgpt_dagster.runtime.profiles import load_profile
from vgpt_dagster.runtime.stages import STAGES
from vgpt_dagster.validation.compare import compare_reports, promotion_decision, write_comparison
from vgpt_dagster.validation.config import load_validation_config
from vgpt_dagster.validation.report import read_report, write_report
from vgpt_dagster.validation.runner import run_validation
from vgpt_dagster.validation.suite_rules import build_suite_file

# checkpoint label -> (upstream asset, adapter stage folder or None for the base model): the base model, then
# every stage of runtime.stages.STAGES in chain order
CHECKPOINTS = {"base": ("base_model", None), **{s.name: (s.asset, s.name) for s in STAGES}}


@dg.asset(
    group_name="validation",
    deps=["vista_schema", "fake_real_table_pairs", "fake_column_pairs", "sft_dataset", "dpo_v3_dataset", "kto_dataset"],
    kinds={"json"},
    code_version=code_version("validation.suite_rules"),
    check_specs=[
        dg.AssetCheckSpec(
            "holdout_disjoint_from_training",
            asset="eval_suite",
            blocking=True,
            description="No held-out fake name or prompt appears in any SFT/DPO/KTO record.",
        ),
        dg.AssetCheckSpec(
            "oracle_answerable",
            asset="eval_suite",
            blocking=True,
            description="The catalog oracle passes all but max_oracle_drop_share (configs/validation.yaml) of the "
            "generated cases (failures are broken cases, dropped).",
        ),
    ],
    description="500+ behaviour cases, the held-out hallucination set and existence probes (data/validation/).",
)
def eval_suite(context: dg.AssetExecutionContext, paths: VgptPaths) -> dg.MaterializeResult:
    p = paths.get()
    suite, rules, path = build_suite_file(p, read_built_catalog(p), load_validation_config(p))
    context.log.info(f"eval suite {suite.version}: {suite.counts()}, rules failed: {rules.failed_names or 'none'}")
    checks = [
        dg.AssetCheckResult(
            check_name=r.name,
            passed=r.passed,
            metadata=to_metadata({k: v or None if isinstance(v, list) else v for k, v in r.evidence.items()}),
        )
        for r in rules.rules
    ]
    meta = {"version": suite.version, "cases": len(suite.cases), "counts": suite.counts(), **rules.facts, "path": path}
    return dg.MaterializeResult(metadata=to_metadata(meta), check_results=checks, data_version=data_version([path]))


@dg.asset(
    group_name="validation",
    deps=["vista_schema", "eval_suite"],
    kinds={"duckdb"},
    code_version=code_version("execution.accuracy"),
    check_specs=[
        dg.AssetCheckSpec(
            "oracle_executes",
            asset="vista_sandbox",
            blocking=True,
            description="Every SQL case's oracle query executes on every variant and matches itself (100%).",
        )
    ],
    description="Synthetic Vista database (DuckDB, one file per seed + an adversarial variant) that execution "
    "accuracy runs every SQL answer on; never a customer's server.",
)
def vista_sandbox(paths: VgptPaths) -> dg.MaterializeResult:
    p = paths.get()
    cfg = load_validation_config(p)
    built = build_project_sandbox(p, read_built_catalog(p), cfg, read_suite(p.validation_dir / cfg.suite_file))
    man, oracle = built["manifest"], built["oracle"]
    meta = {
        "variants": {
            k: {x: v[x] for x in ("tables", "rows", "size_bytes", "content_hash")} for k, v in man["variants"].items()
        },
        "tables": next(iter(man["variants"].values()))["tables"],
        "rows_per_variant": next(iter(man["variants"].values()))["rows"],
        "size_bytes": man["size_bytes"],
        "build_s": man["build_s"],
        "content_hash": man["content_hash"],
        "path": built["folder"],
    }
    check = dg.AssetCheckResult(
        check_name="oracle_executes",
        passed=not oracle["broken_cases"] and oracle["self_accuracy"] == 1.0,
        metadata=to_metadata({**oracle, "broken_cases": oracle["broken_cases"][:10] or None}),
    )
    files = [built["folder"] / "manifest.json"]
    return dg.MaterializeResult(metadata=to_metadata(meta), check_results=[check], data_version=data_version(files))


def _validation_asset(stage: str) -> dg.AssetsDefinition:
    upstream, adapter_stage = CHECKPOINTS[stage]
    name = f"validation_{stage}"

    @dg.asset(
        name=name,
        deps=[upstream, "eval_suite", "vista_sandbox"],
        group_name="validation",
        pool="gpu",
        kinds={"pytorch"},
        code_version=code_version("validation.runner", "execution.accuracy"),
        check_specs=[
            dg.AssetCheckSpec(
                "promotion_gate",
                asset=name,
                description="Promotion gate (configs/validation.yaml `gate`): false-rejection rate at most "
                "max_false_rejection_rate, hallucination rate on invented names at most max_hallucination_rate, "
                "and pass rate at least min_pass_rate (85%). ERROR severity for production profiles, WARN for tiny.",
            )
        ],
        description=f"The suite and probes on the {stage} checkpoint: batched greedy answers judged by behaviour.",
    )
    def _asset(context: dg.AssetExecutionContext, paths: VgptPaths, model: ModelSelection) -> dg.MaterializeResult:
        p = paths.get()
        cfg, profile = load_validation_config(p), load_profile(model.profile, p)
        suite = read_suite(p.validation_dir / cfg.suite_file)
        adapter = p.stage_dir(profile.name, adapter_stage) if adapter_stage else None
        sandbox = sandbox_folder(p, cfg)
        if not (sandbox / "manifest.json").is_file():
            raise MissingUpstreamError(name, [str(sandbox / "manifest.json")], "vista_sandbox")
        catalog = read_built_catalog(p)
        report = run_validation(p, profile, adapter, suite, catalog, cfg, label=stage, sandbox_dir=sandbox)
        json_path, md_path = write_report(report, p.reports_dir, name)
        passed, severity, evidence = promotion_decision(report, cfg, profile.kind)
        m = report.metrics
        meta = {
            "pass_rate": m.get("pass_rate"),
            "false_rejection_rate": m.get("false_rejection_rate"),
            "hallucination_rate": m.get("hallucination_rate"),
            "sql_parse_rate": m.get("sql_parse_rate"),
            "nolock_rate": m.get("nolock_rate"),
            "execution_accuracy": m.get("execution_accuracy"),
            "execution_error_rate": m.get("execution_error_rate"),
            "static_pass_execution_wrong": m.get("static_pass_execution_wrong"),
            "checkpoint": report.checkpoint,
            "timings": report.timings,
            "report": md_path.read_text(encoding="utf-8"),
            "report_json": json_path,
        }
        gate = dg.AssetCheckResult(
            check_name="promotion_gate",
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR if severity.upper() == "ERROR" else dg.AssetCheckSeverity.WARN,
            metadata=to_metadata(evidence),
        )
        return dg.MaterializeResult(
            metadata=to_metadata(meta), check_results=[gate], data_version=data_version([json_path])
        )

    return _asset


# one validation asset per checkpoint (defs/__init__.py adds them; a new stage gets its own without edits here)
VALIDATION_ASSETS = {name: _validation_asset(name) for name in CHECKPOINTS}


@dg.asset(
    group_name="validation",
    deps=[f"validation_{s}" for s in CHECKPOINTS],
    kinds={"json"},
    code_version=code_version("validation.compare"),
    description="Checkpoints side by side: per-category pass rates, hallucination and false-rejection rates, "
    "reliability, deltas, a chart, and the cases that regressed between stages.",
)
def model_comparison(paths: VgptPaths) -> dg.MaterializeResult:
    p = paths.get()
    files = {s: p.reports_dir / f"validation_{s}.json" for s in CHECKPOINTS}
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        raise MissingUpstreamError("model_comparison", missing, "*model_comparison")
    cmp = compare_reports({s: read_report(f) for s, f in files.items()})
    out = write_comparison(cmp, p.reports_dir)
    meta = {
        "comparison": Path(out["md"]).read_text(encoding="utf-8"),
        "chart": md_image(Path(out["png"]), "model comparison") if "png" in out else None,
        "regressions": len(cmp.regressions),
        "path": Path(out["md"]),
    }
    return dg.MaterializeResult(metadata=to_metadata(meta), data_version=data_version([Path(out["json"])]))
