"""Execution accuracy: sandbox build time and size, and queries executed per second on it.

Usage (from the repo root)::

    python bench/bench_execution.py [--runs 3] [--objects all|suite]

Builds the sandbox of configs/validation.yaml (every variant) from the embedded catalog into a temporary
folder — ``all`` catalog objects (what the ``vista_sandbox`` asset builds) or only those the suite's SQL cases
use — then runs every executable case's oracle query on every variant ``--runs`` times (transpile + execute
+ fetch). Prints the build time, file sizes, and queries/s (median, min, max). Then the near-miss check: each oracle
query with one plausible mistake the static checks cannot see (another company's number, a flag or status
value changed, a business filter dropped, a join key pair dropped), judged by the judge and executed: how
many answers the judge passes and how many of those execution shows wrong. Record the result in
docs/benchmarks.md ("Execution accuracy").
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe_machine  # noqa: E402

from vgpt_dagster.catalog.load import load_catalog  # noqa: E402
from vgpt_dagster.config import load_config  # noqa: E402
from vgpt_dagster.datasets.config import DatasetsConfig  # noqa: E402
from vgpt_dagster.datasets.pairs import build_fake_column_pairs, build_fake_table_pairs  # noqa: E402
from vgpt_dagster.execution.accuracy import evaluate_answers, executable, open_sandboxes  # noqa: E402
from vgpt_dagster.execution.oracle import reference_sql  # noqa: E402
from vgpt_dagster.execution.sandbox import build_sandbox  # noqa: E402
from vgpt_dagster.judging.judge import judge  # noqa: E402
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths  # noqa: E402
from vgpt_dagster.validation.config import ValidationConfig  # noqa: E402
from vgpt_dagster.validation.suite import build_eval_suite  # noqa: E402


def near_misses(case, sql: str, companies) -> dict[str, str]:
    """One-mistake variants of a reference query, by kind (only the kinds that apply to it)."""
    out = {}
    if case.company is not None and f"= {case.company}" in sql:
        other = next(c for c in companies if c != case.company)
        out["wrong_company"] = sql.replace(f"= {case.company}", f"= {other}", 1)
    for f in case.filters:
        if f in sql:
            flipped = f.replace("'Y'", "'N'") if "'Y'" in f else re.sub(r"(\d+)$", lambda m: str(int(m[1]) + 1), f)
            if flipped != f:
                out["changed_filter_value"] = sql.replace(f, flipped)
            out["dropped_filter"] = sql.replace(f" AND {f}", "").replace(f"WHERE {f}", "WHERE 1 = 1")
            break
    on = re.search(r"ON (.+ AND .+)$", sql, flags=re.M)
    if on:
        pairs = on.group(1).split(" AND ")
        out["dropped_join_key"] = sql.replace(on.group(1), " AND ".join(pairs[:-1]))
    return out


def near_miss_report(cases, catalog, boxes, companies) -> dict[str, list[int]]:
    """{kind: [answers, judged pass, judged pass but execution wrong]}."""
    stats: dict[str, list[int]] = {}
    for case in cases:
        for kind, sql in near_misses(case, reference_sql(case, catalog), companies).items():
            answer = f"```sql\n{sql}\n```"
            st = stats.setdefault(kind, [0, 0, 0])
            st[0] += 1
            if judge(case, answer, catalog).passed:
                st[1] += 1
                st[2] += evaluate_answers([case], {case.id: answer}, catalog, boxes)[case.id]["status"] != "match"
    return stats


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--objects", choices=("all", "suite"), default="all")
    args = ap.parse_args()
    paths = ProjectPaths(PACKAGE_ROOT)
    cfg = load_config(paths.configs / "validation.yaml", ValidationConfig)
    catalog = load_catalog(paths.embedded_schema)
    dcfg = DatasetsConfig()
    suite = build_eval_suite(
        catalog, build_fake_table_pairs(catalog, dcfg), build_fake_column_pairs(catalog, dcfg), cfg
    )
    cases = [c for c in suite.cases if executable(c)]
    objects = None if args.objects == "all" else sorted({o for c in cases for o in c.objects_must_use})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sandbox"
        t0 = time.perf_counter()
        man = build_sandbox(catalog, cfg.sandbox, cfg.companies, folder, objects=objects)
        build_s = time.perf_counter() - t0
        sqls = [reference_sql(c, catalog) for c in cases]
        rates = []
        with open_sandboxes(folder, cfg) as boxes:
            for _ in range(args.runs):
                t1 = time.perf_counter()
                empty = 0
                for sql in sqls:
                    outs, _ = boxes.run(sql)
                    empty += all(o.ok and not o.rows for o in outs.values())
                rates.append(len(sqls) * len(boxes.conns) / (time.perf_counter() - t1))
            misses = near_miss_report(cases, catalog, boxes, cfg.companies)
    print(describe_machine())
    v = next(iter(man["variants"].values()))
    print(
        f"sandbox ({args.objects} objects): {len(man['variants'])} variants, {v['tables']} tables, {v['rows']} rows "
        f"per variant; build {build_s:.1f} s; {man['size_bytes'] / 1e6:.1f} MB in all "
        f"({v['size_bytes'] / 1e6:.1f} MB per variant)"
    )
    print(
        f"oracle queries: {len(sqls)} x {len(man['variants'])} variants, {args.runs} runs: "
        f"{statistics.median(rates):.0f} queries/s (min {min(rates):.0f}, max {max(rates):.0f})"
    )
    print(f"oracle results empty on every variant: {empty} of {len(sqls)} (these accept any empty answer)")
    print("near misses: kind: answers, judged pass, of those execution shows wrong")
    for kind, (n, passed, caught) in sorted(misses.items()):
        print(f"  {kind}: {n}, {passed}, {caught}")


if __name__ == "__main__":
    main()
