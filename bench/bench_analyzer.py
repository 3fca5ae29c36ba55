"""T-SQL analyzer throughput on a mixed set of generated Vista queries, with and without sqlglotc.

Usage (from the repo root)::

    python bench/bench_analyzer.py [--runs 5] [--queries 600] [--no-compare]

The query set is generated from the embedded catalog with a fixed seed: single-table selects with a
company filter, 2-3 table joins on their full keys, CTEs with aggregates and window functions, and
about 15 % faulty queries (unknown table, missing NOLOCK, incomplete join, wrong case, prose). Each run
analyzes the whole set once (after a warm-up run that fills the per-catalog memo, as in a long dataset
build). Prints queries/s (median, min, max). With comparison on, the same benchmark runs in a child
process against a pure-Python copy of sqlglot (the sqlglotc .so files left out), because sqlglotc
overlays compiled modules onto sqlglot and has no switch to turn it off. Goal: >= 500 queries/s.
Record the result in docs/benchmarks.md ("SQL analyzer").
"""

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe_machine

SEED = 13


def _ident(name: str) -> str:
    """Bracket names that are not plain identifiers (Vista has views with columns like ``% Comp Hrs``)."""
    return name if re.fullmatch(r"[A-Za-z_]\w*", name) else f"[{name}]"


def _join_pairs(catalog, views: list[str]) -> list[tuple[str, str, tuple]]:
    """(left, right, keys) for views of the same module that the catalog knows how to join."""
    by_module: dict[str, list[str]] = {}
    for v in views:
        by_module.setdefault(catalog.objects[v].module or "", []).append(v)
    pairs = []
    for names in by_module.values():
        for a in names[:25]:
            for b in names[:25]:
                keys = catalog.join_keys(a, b) if a != b else ()
                if len(keys) >= 2:
                    pairs.append((a, b, keys))
    return pairs


def build_queries(catalog, n: int, seed: int = SEED) -> list[str]:
    """A reproducible mixed set of ``n`` typical generated queries (about 15 % with a deliberate fault)."""
    rng = random.Random(seed)
    views = sorted(
        o.name for o in catalog.objects.values() if o.kind == "view" and catalog.company_column(o.name) and o.columns
    )
    pairs = _join_pairs(catalog, views)

    def cols(obj: str, k: int, alias: str = "") -> list[str]:
        names = [_ident(c.name) for c in catalog.objects[obj].columns if c.name != "KeyID"]
        pre = f"{alias}." if alias else ""
        return [pre + c for c in rng.sample(names, min(k, len(names)))]

    def single() -> str:
        v = rng.choice(views)
        co = catalog.company_column(v)
        return (
            f"SELECT TOP {rng.choice((10, 50, 100))} {', '.join(cols(v, rng.randint(2, 6)))}\n"
            f"FROM {v} WITH (NOLOCK)\nWHERE {co} = @{co}"
        )

    def join(three: bool = False) -> str:
        a, b, keys = rng.choice(pairs)
        on = " AND ".join(f"b.{y} = a.{x}" for x, y in keys)
        co = catalog.company_column(a)
        sql = f"SELECT {', '.join(cols(a, 2, 'a') + cols(b, 2, 'b'))}\nFROM {a} a WITH (NOLOCK)\n"
        sql += f"INNER JOIN {b} b WITH (NOLOCK) ON {on}\n"
        if three:
            extra = [p for p in pairs if p[0] == a and p[1] != b]
            if extra:
                _, c, keys2 = rng.choice(extra)
                sql += f"LEFT JOIN {c} c WITH (NOLOCK) ON " + " AND ".join(f"c.{y} = a.{x}" for x, y in keys2) + "\n"
        return sql + f"WHERE a.{co} = @{co}"

    def cte() -> str:
        v = rng.choice(views)
        co = catalog.company_column(v)
        group = cols(v, 2)
        return (
            f"WITH agg AS (\n  SELECT {co}, {', '.join(group)}, COUNT(*) AS n\n  FROM {v} WITH (NOLOCK)\n"
            f"  WHERE {co} = @{co}\n  GROUP BY {co}, {', '.join(group)}\n)\n"
            f"SELECT {group[0]}, n, ROW_NUMBER() OVER (PARTITION BY {co} ORDER BY n DESC) AS rn\n"
            f"FROM agg\nORDER BY n DESC"
        )

    def faulty() -> str:
        kind = rng.randrange(5)
        if kind == 0:
            return f"SELECT * FROM {rng.choice(('Invoice', 'Vendors', 'JobCost', 'APInvoiceHeader'))} WHERE APCo = 1"
        if kind == 1:
            return single().replace(" WITH (NOLOCK)", "")
        if kind == 2:
            sql = join()
            first = sql.split(" ON ", 1)[1].split(" AND ", 1)
            return sql.replace(first[0] + " AND ", "", 1) if len(first) > 1 else sql
        if kind == 3:
            return single().replace("FROM ", "FROM dbo.", 1).lower()
        return "Here are the open AP invoices for company 1, grouped by vendor."

    makers = [single] * 35 + [join] * 25 + [lambda: join(True)] * 10 + [cte] * 15 + [faulty] * 15
    return [rng.choice(makers)() for _ in range(n)]


def run_bench(runs: int, n: int) -> dict:
    from sqlglot.tokens import SQLGLOTC_INSTALLED

    from vgpt_dagster.catalog.load import load_catalog
    from vgpt_dagster.paths import ProjectPaths
    from vgpt_dagster.sql.analyze import analyze

    catalog = load_catalog(ProjectPaths.from_env().embedded_schema)
    queries = build_queries(catalog, n)
    results = [analyze(q, catalog) for q in queries]  # warm-up (fills the catalog memo)
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for q in queries:
            analyze(q, catalog)
        rates.append(len(queries) / (time.perf_counter() - t0))
    return {
        "sqlglotc": SQLGLOTC_INSTALLED,
        "queries": len(queries),
        "ok_share": sum(a.ok for a in results) / len(results),
        "median": statistics.median(rates),
        "min": min(rates),
        "max": max(rates),
    }


def _pure_python_sqlglot(tmp: Path) -> Path:
    import sqlglot

    src = Path(sqlglot.__file__).parent
    shutil.copytree(src, tmp / "sqlglot", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    return tmp


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--queries", type=int, default=600)
    ap.add_argument("--no-compare", action="store_true", help="skip the pure-Python sqlglot run")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # child-process mode
    args = ap.parse_args()
    res = run_bench(args.runs, args.queries)
    if args.json:
        print(json.dumps(res))
        return 0
    print(describe_machine())
    print(f"{res['queries']} queries, {res['ok_share']:.0%} pass every rule, {args.runs} runs")
    rows = [res]
    if not args.no_compare:
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PYTHONPATH=str(_pure_python_sqlglot(Path(tmp))))
            cmd = [sys.executable, __file__, "--json", "--runs", str(args.runs), "--queries", str(args.queries)]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
    print("| sqlglot build | median q/s | min | max |\n|---|---:|---:|---:|")
    for r in rows:
        name = "sqlglotc (compiled)" if r["sqlglotc"] else "pure Python"
        print(f"| {name} | {r['median']:.0f} | {r['min']:.0f} | {r['max']:.0f} |")
    if len(rows) == 2:
        print(f"sqlglotc speed-up: {rows[0]['median'] / rows[1]['median']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
