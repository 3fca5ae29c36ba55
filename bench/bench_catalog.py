"""Catalog load time on the full default schema: gzipped JSON export vs the Parquet store.

Usage (from the repo root)::

    python bench/bench_catalog.py [--runs 7] [--schema PATH]

Prints the machine, the median (and min/max) of each, and their ratio. Goal: < 2 s for the full
catalog. Record the result in docs/benchmarks.md ("Catalog").
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from machine import describe_machine

from vgpt_dagster.catalog.load import load_catalog
from vgpt_dagster.catalog.store import write_catalog
from vgpt_dagster.paths import ProjectPaths


def _time(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--schema", type=Path, default=ProjectPaths.from_env().embedded_schema)
    args = ap.parse_args(argv)

    print(describe_machine())
    cat = load_catalog(args.schema)  # warm the page cache and imports
    print(f"catalog: {cat.summary()}")
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "catalog"
        w = _time(lambda: write_catalog(cat, store), max(3, args.runs // 2))
        j = _time(lambda: load_catalog(args.schema), args.runs)
        p = _time(lambda: load_catalog(store), args.runs)
    for label, ts in (("json.gz export", j), ("parquet store", p), ("write store", w)):
        print(f"{label:15s} median {statistics.median(ts):.3f} s  (min {min(ts):.3f}, max {max(ts):.3f}, n={len(ts)})")
    ratio = statistics.median(j) / statistics.median(p)
    goal = "PASS" if max(statistics.median(j), statistics.median(p)) < 2.0 else "FAIL"
    print(f"json/parquet ratio {ratio:.2f}x; goal < 2 s: {goal}")


if __name__ == "__main__":
    main()
