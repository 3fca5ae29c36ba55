"""Benchmark: every dataset asset from the full default schema, and from a doubled schema.

    python bench/bench_datasets.py            # both scenarios, each in a fresh subprocess (clean peak RSS)
    python bench/bench_datasets.py --scenario full --scale 0.1 --workers 2

Prints wall time per asset, total, peak RSS (ru_maxrss of the build process, and of its largest analyzer
worker; their sum bounds the build's own peak as the workers are forked copies) and the 2x/1x time ratio.
Goals: < 30 s and < 2 GB for the full schema; near-linear growth when the schema doubles.
"""

import argparse
import dataclasses
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe_machine


def doubled(catalog):
    """A 2x catalog: every object cloned with suffix 'X2' (its base table and foreign keys cloned too)."""
    from vgpt_dagster.catalog.model import Catalog

    objs = dict(catalog.objects)
    for name, o in catalog.objects.items():
        clone = dataclasses.replace(o, name=name + "X2", base_table=o.base_table + "X2" if o.base_table else None)
        objs[clone.name] = clone
    fks = list(catalog.foreign_keys) + [
        dataclasses.replace(fk, parent=fk.parent + "X2", child=fk.child + "X2") for fk in catalog.foreign_keys
    ]
    return Catalog(objects=objs, foreign_keys=tuple(fks), source=catalog.source + " (x2)")


def run(scenario: str, scale: float, workers: int) -> dict:
    from vgpt_dagster.catalog.load import load_catalog
    from vgpt_dagster.datasets import build as B
    from vgpt_dagster.datasets.config import DatasetsConfig
    from vgpt_dagster.datasets.sqlcheck import SqlChecker
    from vgpt_dagster.errors import DatasetError
    from vgpt_dagster.paths import ProjectPaths

    t0 = time.perf_counter()
    catalog = load_catalog(ProjectPaths.from_env().embedded_schema)
    if scenario == "double":
        catalog = doubled(catalog)
    cfg = DatasetsConfig(scale=scale, sql_workers=workers)
    paths = ProjectPaths(Path(tempfile.mkdtemp(prefix="bench_datasets_")))
    (paths.root / "configs").mkdir()
    (paths.root / "configs" / "intents").symlink_to(ProjectPaths.from_env().configs / "intents")  # intent library
    checker = SqlChecker(catalog, cfg.sql_workers)
    times = {"load_catalog": time.perf_counter() - t0}
    steps = {
        "pairs": lambda: B.build_pairs_artifacts(catalog, cfg, paths),
        "sql_corpus": lambda: B.build_sql_corpus_artifact(catalog, cfg, paths),
        "sft": lambda: B.build_sft_artifact(catalog, cfg, paths, checker),
        "dpo_v3": lambda: B.build_dpo_artifact(catalog, cfg, paths, checker),
        "kto": lambda: B.build_kto_artifact(catalog, cfg, paths, checker),
        "llamafactory": lambda: B.build_llamafactory_artifact(cfg, paths),
    }
    rows, failed = {}, []
    for name, fn in steps.items():
        t = time.perf_counter()
        try:
            res = fn()
        except DatasetError as err:  # a step refusing data whose blocking audit failed
            failed.append(f"{name} refused: {str(err)[:120]}")
            continue
        times[name] = time.perf_counter() - t
        rows[name] = res.rows
        failed += [a.name for a in res.audits if not a.passed and a.severity == "ERROR"]
    checker.close()
    shutil.rmtree(paths.root, ignore_errors=True)
    return {
        "scenario": scenario,
        "objects": len(catalog),
        "seconds": times,
        "total_s": time.perf_counter() - t0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_s": sum(
            getattr(resource.getrusage(who), f)
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            for f in ("ru_utime", "ru_stime")
        ),
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "workers": workers,
        "rows": rows,
        "distinct_sql_analysed": checker.analysed,
        "failed_audits": failed,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", choices=("full", "double"))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=1, help="analyzer processes (sql_workers)")
    args = ap.parse_args()
    if args.scenario:
        print(json.dumps(run(args.scenario, args.scale, args.workers)))
        return
    results = {}
    for sc in ("full", "double"):
        out = subprocess.run(
            [sys.executable, __file__, "--scenario", sc, "--scale", str(args.scale), "--workers", str(args.workers)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[sc] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{describe_machine()}; {args.workers} analyzer worker(s)")
    for sc, r in results.items():
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in r["seconds"].items())
        print(
            f"{sc}: {r['objects']} objects, total {r['total_s']:.1f}s (CPU {r['cpu_s']:.1f}s), peak RSS {r['peak_rss_mb']:.0f} MB "
            f"(+ {r['worker_peak_rss_mb']:.0f} MB per worker), "
            f"{r['distinct_sql_analysed']} distinct SQL analysed, failed audits {r['failed_audits'] or 'none'}\n  {steps}"
        )
    print(
        f"ratio double/full: {results['double']['total_s'] / results['full']['total_s']:.2f}x time, "
        f"{results['double']['peak_rss_mb'] / results['full']['peak_rss_mb']:.2f}x memory"
    )


if __name__ == "__main__":
    main()
