"""`vgpt data build [pairs|sft|dpo_v3|kto|llamafactory|corpus|imports|all]`, `vgpt data audit FILE` and
`vgpt data intents` (check the business-intent library).

The same build functions the Dagster assets call. ``audit`` exits 1 on a blocking finding and 2 on
malformed input (a DatasetError).
"""

import argparse
import json
import sys
from pathlib import Path

STEPS = ("pairs", "corpus", "sft", "dpo_v3", "kto", "llamafactory", "imports")


def register(sub) -> None:
    p = sub.add_parser("data", help="build and audit the training datasets")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION")
    dsub.required = True
    b = dsub.add_parser(
        "build",
        help="generate datasets from the catalog (same code as the Dagster assets)",
        description="Generate datasets from the materialized catalog into data/datasets/ (same functions as the "
        "dataset assets; audits run and are printed). Steps run in dependency order; 'all' runs every step and "
        "stops after the first step whose blocking audit fails (the KTO build and the export refuse such data "
        "too). Exit 1 when a blocking audit failed.",
        epilog="Example: vgpt data build all --scale 0.05   # a quick small build",
    )
    b.add_argument(
        "what",
        nargs="?",
        default="all",
        choices=(*STEPS, "all"),
        help="pairs (fake/real names), corpus (your .sql files), sft, dpo_v3, kto, llamafactory (export), "
        "imports (your LLaMA-Factory files), all (default)",
    )
    b.add_argument(
        "--scale", type=float, help="override 'scale' in configs/datasets.yaml (e.g. 0.05 for a quick build)"
    )
    b.add_argument("--config", type=Path, help="datasets config (default: configs/datasets.yaml)")
    b.set_defaults(handler=_build)
    a = dsub.add_parser(
        "audit",
        help="audit a dataset file (Parquet, or LLaMA-Factory JSON/JSONL)",
        description="Run the blocking dataset audits on any SFT/DPO/KTO file: ours (Parquet) or LLaMA-Factory "
        "data (alpaca/sharegpt, ranking, kto_tag). Exit 0 when every blocking audit passes, 1 on a blocking "
        "finding, 2 on malformed input.",
        epilog="Examples:\n  vgpt data audit data/datasets/dpo_v3/train.parquet --kind dpo\n"
        "  vgpt data audit --dataset-info legacy/dataset_info.json --name vgpt2_v3_dpo_v2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("file", type=Path, nargs="?", help="the dataset file (omit with --dataset-info/--name)")
    a.add_argument(
        "--kind",
        choices=("sft", "dpo", "kto"),
        help="dataset kind: required for LLaMA-Factory files; Parquet files default to the kind their columns show",
    )
    a.add_argument("--dataset-info", type=Path, help="a LLaMA-Factory dataset_info.json (with --name)")
    a.add_argument("--name", help="dataset name inside --dataset-info")
    a.add_argument("--json", action="store_true", help="print the audit results as JSON")
    a.add_argument("--config", type=Path, help="datasets config (default: configs/datasets.yaml)")
    a.set_defaults(handler=_audit)
    i = dsub.add_parser(
        "intents",
        help="check the business-intent library (configs/intents) against the catalog",
        description="Load the business-intent library (strict schema), fill every phrasing and run each intent's "
        "SQL through the analyzer on the catalog; list intents per module, the held-out split and the intents "
        "the catalog cannot answer. Exit 0 when every intent is sound, 2 on a problem (the message names the "
        "file, the intent and the field). See docs/datasets.md, 'Business intents'.",
        epilog="Examples:\n  vgpt data intents\n  vgpt data intents --dir my_team/intents --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    i.add_argument("--dir", type=Path, help="intent folder (default: intents_dir in configs/datasets.yaml)")
    i.add_argument("--json", action="store_true", help="print the summary as JSON")
    i.add_argument("--config", type=Path, help="datasets config (default: configs/datasets.yaml)")
    i.set_defaults(handler=_intents)


def _setup(args):
    from vgpt_dagster.catalog.load import load_default_catalog
    from vgpt_dagster.datasets.config import load_datasets_config
    from vgpt_dagster.paths import ProjectPaths

    paths = ProjectPaths.from_env()
    over = {"scale": args.scale} if getattr(args, "scale", None) else None
    cfg = load_datasets_config(args.config or paths.configs / "datasets.yaml", over)
    return paths, cfg, load_default_catalog(paths=paths)  # configs/catalog.yaml, as the vista_schema asset


def _build(args) -> int:
    from vgpt_dagster.datasets import build as B
    from vgpt_dagster.datasets.sqlcheck import SqlChecker

    paths, cfg, catalog = _setup(args)
    checker = SqlChecker(catalog)
    steps = [s for s in STEPS if s != "imports" or cfg.imports] if args.what == "all" else [args.what]
    failed = False
    for step in steps:
        res = {
            "pairs": lambda: B.build_pairs_artifacts(catalog, cfg, paths),
            "corpus": lambda: B.build_sql_corpus_artifact(catalog, cfg, paths),
            "sft": lambda: B.build_sft_artifact(catalog, cfg, paths, checker),
            "dpo_v3": lambda: B.build_dpo_artifact(catalog, cfg, paths, checker),
            "kto": lambda: B.build_kto_artifact(catalog, cfg, paths, checker),
            "llamafactory": lambda: B.build_llamafactory_artifact(cfg, paths),
            "imports": lambda: B.build_imported_artifact(catalog, cfg, paths),
        }[step]()
        bad = [a.name for a in res.audits if not a.passed and a.severity == "ERROR"]
        failed |= bool(bad)
        print(
            f"{res.asset}: {res.rows} -> {', '.join(res.outputs.values())}"
            + (f"  FAILED AUDITS: {', '.join(bad)}" if bad else "")
        )
        if bad and step != steps[-1]:  # downstream steps would build on (or export) data that failed its audit
            print(f"stopped: {res.asset} failed blocking audits; skipped {', '.join(steps[steps.index(step) + 1 :])}.")
            break
    return 1 if failed else 0


def _intents(args) -> int:
    from vgpt_dagster.datasets.intents.library import library_for
    from vgpt_dagster.sql.analyze import analyze

    paths, cfg, catalog = _setup(args)
    lib, left_out = library_for(paths.root, args.dir or cfg.intents_dir, catalog, lambda sql: analyze(sql, catalog))
    split = lib.split_manifest()
    summary = {
        "folder": lib.folder,
        "version": lib.version,
        "intents": len(lib.intents),
        "phrasings": sum(len(li.intent.phrasings) for li in lib.intents),
        "modules": lib.modules(),
        "heldout_intents": split["heldout_intents"],
        "heldout_phrasings": sum(len(li.heldout_phrasings) for li in lib.intents),
        "not_answerable_on_this_catalog": left_out,
    }
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    mods = ", ".join(f"{m} {n}" for m, n in sorted(summary["modules"].items()))
    print(f"{summary['folder']}: {summary['intents']} intents, {summary['phrasings']} phrasings ({mods}); all sound.")
    held = f"{len(split['heldout_intents'])} intents, {summary['heldout_phrasings']} phrasings"
    print(f"held out for the eval suite: {held}")
    if left_out:
        print(f"left out (objects or columns this catalog lacks): {', '.join(left_out)}")
    return 0


def _audit(args) -> int:
    import polars as pl

    from vgpt_dagster.datasets import dataset_audits as A
    from vgpt_dagster.datasets.imports import (
        ImportedDataset,
        audit_import,
        load_from_dataset_info,
        load_llamafactory_file,
    )
    from vgpt_dagster.datasets.io import read_dataset
    from vgpt_dagster.errors import DatasetError

    paths, cfg, catalog = _setup(args)
    if args.dataset_info:
        if not args.name:
            raise DatasetError("--dataset-info needs --name (the dataset's key in that file).")
        imp = load_from_dataset_info(args.dataset_info, args.name, cfg.system_prompt)
    elif args.file is None:
        raise DatasetError("give a FILE to audit, or --dataset-info PATH --name NAME.")
    elif args.file.suffix == ".parquet":
        kind = {"dpo": "dpo_v3"}.get(
            args.kind or "", args.kind or _kind_from_columns(pl.read_parquet_schema(args.file))
        )
        imp = ImportedDataset(str(args.file), kind, read_dataset(args.file.parent, kind, args.file.stem))
    else:
        if not args.kind:
            raise DatasetError(f"{args.file}: give --kind sft|dpo|kto for a LLaMA-Factory file.")
        imp = load_llamafactory_file(args.file, args.kind, None, cfg.system_prompt)
    results = audit_import(imp, catalog, cfg)
    blocking = [r for r in results if not r.passed and r.severity == A.ERROR]
    if args.json:
        print(
            json.dumps(
                {
                    "source": imp.source,
                    "kind": imp.kind,
                    "warnings": imp.warnings,
                    "passed": not blocking,
                    "audits": [r.to_dict() for r in results],
                },
                indent=2,
                default=str,
            )
        )
    else:
        for w in imp.warnings:
            print(f"warning: {w}", file=sys.stderr)
        for r in results:
            print(f"[{'PASS' if r.passed else 'FAIL'}] {r.name}")
            if not r.passed:
                print("    " + r.markdown.split("\n\n")[0])
        print(f"{imp.source}: {imp.frame.height} records, {len(blocking)} blocking finding(s).")
    return 1 if blocking else 0


def _kind_from_columns(schema) -> str:
    cols = set(schema)
    return "dpo_v3" if "chosen" in cols else "kto" if "label" in cols else "sft"
