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

Procedure mode (``--procedures N``, or ``--dir FOLDER`` for your own .sql files): files per second and the
share of statements analysed (parsed and checked; the rest are reported unparseable) over N generated
procedure-style files: ``bsp`` procedures with parameter lists, ``bspexit:``/``goto``, cursor loops,
TRY/CATCH with transactions, dynamic SQL and a trailing GRANT; triggers on ``inserted``/``deleted``
(AFTER and INSTEAD OF); views over the system catalog; inline and scalar functions. Record the result in
docs/benchmarks.md ("SQL analyzer on procedures").
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


def _proc_parts(catalog, rng: random.Random) -> dict:
    views = sorted(o.name for o in catalog.objects.values() if o.kind == "view" and catalog.company_column(o.name))
    v = rng.choice(views)
    co = catalog.company_column(v)
    names = [c.name for c in catalog.objects[v].columns if re.fullmatch(r"[A-Za-z_]\w*", c.name) and c.name != co]
    picked = rng.sample(names, min(3, len(names))) or [co]
    return {"v": v, "b": "b" + v if catalog.resolve("b" + v) else v, "co": co, "cols": picked}


def _procedure(p: dict, i: int, rng: random.Random) -> str:
    v, b, co, cols = p["v"], p["b"], p["co"], p["cols"]
    c0 = cols[0]
    body = [
        f"CREATE procedure [dbo].[bspBench{i}]\n/* generated benchmark procedure {i} */\n"
        f"\t(@{co.lower()} bCompany = 0, @key varchar(30) = null, @msg varchar(255) = null output)\nas\n"
        "set nocount on\ndeclare @rcode int, @val varchar(60), @sql nvarchar(max)\nselect @rcode = 0\n",
        f"if @{co.lower()} is null\n\tbegin\n\tselect @msg = 'Missing company!', @rcode = 1\n\tgoto bspexit\n\tend\n",
        f"select @val = convert(varchar(60), {c0}) from dbo.{v} with (nolock) where {co} = @{co.lower()}\n",
    ]
    if rng.random() < 0.7:
        body.append(
            f"declare bc{i} cursor local fast_forward for\nselect {', '.join(cols)} from dbo.{v} with (nolock)\n"
            f"where {co} = @{co.lower()}\nopen bc{i}\nfetch next from bc{i} into @val\nwhile @@fetch_status = 0\n"
            f"\tbegin\n\tif @val is null print 'empty'\n\tfetch next from bc{i} into @val\n\tend\n"
            f"close bc{i}\ndeallocate bc{i}\n"
        )
    if rng.random() < 0.6:
        body.append(
            f"begin try\n\tbegin transaction\n\tupdate {b} set {c0} = {c0} where {co} = @{co.lower()}\n"
            f"\tif @@rowcount = 0 raiserror('nothing updated', 11, -1) with nowait\n\tcommit transaction\n"
            "end try\nbegin catch\n\tif @@trancount > 0 rollback transaction\n"
            "\tselect @msg = error_message(), @rcode = 1\n\tgoto bspexit\nend catch\n"
        )
    if rng.random() < 0.5:
        body.append(
            f"select @sql = N'select {c0} from dbo.{v} with (nolock) where {co} = @co'\n"
            f"exec sp_executesql @sql, N'@co tinyint', @co = @{co.lower()}\nexec (@sql)\n"
            f"exec @rcode = dbo.bspHQValidate @co = @{co.lower()}, @msg = @msg output\n"
        )
    if rng.random() < 0.3:
        body.append(f"if (select count(*) from dbo.{v} with (nolock) where {co} = @{co.lower()}) > 0 select 1\n")
    body.append("bspexit:\n\treturn @rcode\nGO\n")
    body.append(f"GRANT EXECUTE ON  [dbo].[bspBench{i}] TO [public]\nGO\n")
    return "".join(body)


def _trigger(p: dict, i: int, rng: random.Random) -> str:
    v, b, co, cols = p["v"], p["b"], p["co"], p["cols"]
    timing = rng.choice(("FOR UPDATE", "AFTER INSERT, UPDATE", "FOR DELETE"))
    rows = "deleted" if "DELETE" in timing else "inserted"
    on = f"ON [dbo].[{v}] INSTEAD OF INSERT" if rng.random() < 0.3 else f"ON [dbo].[{b}] {timing}"
    return (
        f"CREATE TRIGGER [dbo].[btBench{i}] {on}\n/* generated benchmark trigger */\nAS\n"
        "declare @numrows int, @errmsg varchar(255)\nselect @numrows = @@rowcount\nif @numrows = 0 return\n"
        f"set nocount on\nif update({cols[0]})\n\tbegin\n\tselect @errmsg = 'changed'\n\tend\n"
        f"if exists (select 1 from {rows} r join dbo.{b} t with (nolock) on t.{co} = r.{co}"
        f" where r.{cols[0]} is null)\n"
        "\tbegin\n\tselect @errmsg = 'missing value'\n\tgoto error\n\tend\n"
        f"insert dbo.bHQMA (TableName, KeyString, Co, RecType, FieldName, OldValue, NewValue, DateTime, UserName)\n"
        f"select '{b}', 'Key', r.{co}, 'C', '{cols[0]}', null, null, getdate(), SUSER_SNAME() from {rows} r\n"
        "return\nerror:\n\tselect @errmsg = @errmsg + ' - cannot change!'\n\tRAISERROR(@errmsg, 11, -1)\n"
        "\trollback transaction\nGO\n"
    )


def _view(p: dict, i: int, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return (
            f"CREATE VIEW [dbo].[vrvBench{i}]\nAS\n"
            "SELECT o.name AS TableName, c.name AS ColumnName, t.name AS TypeName\n"
            "FROM sysobjects o JOIN syscolumns c ON c.id = o.id JOIN systypes t ON t.xusertype = c.xusertype\n"
            "LEFT JOIN INFORMATION_SCHEMA.COLUMNS ic ON ic.TABLE_NAME = o.name AND ic.COLUMN_NAME = c.name\n"
            f"WHERE o.type = 'U' AND o.name = '{p['b']}' AND c.name NOT IN ('Active', 'Label', 'Description')\nGO\n"
        )
    return f"CREATE VIEW [dbo].[{p['v']}Bench{i}] AS\nSELECT a.* FROM dbo.{p['b']} a\nGO\n"


def _function(p: dict, i: int, rng: random.Random) -> str:
    v, co, cols = p["v"], p["co"], p["cols"]
    if rng.random() < 0.5:
        return (
            f"CREATE FUNCTION [dbo].[vfBench{i}] (@{co.lower()} bCompany)\nRETURNS TABLE\nAS\nRETURN\n(\n"
            f"\tSELECT {', '.join(cols)} FROM dbo.{v} WITH (NOLOCK) WHERE {co} = @{co.lower()}\n)\nGO\n"
        )
    return (
        f"CREATE FUNCTION [dbo].[vfBench{i}] (@{co.lower()} bCompany)\nRETURNS varchar(60)\nAS\nBEGIN\n"
        f"\tDECLARE @val varchar(60)\n\tSELECT TOP 1 @val = convert(varchar(60), {cols[0]}) FROM dbo.{v} WITH (NOLOCK)"
        f" WHERE {co} = @{co.lower()}\n\tIF @val IS NULL SET @val = ''\n\tRETURN @val\nEND\nGO\n"
    )


def build_procedures(catalog, n: int, seed: int = SEED) -> list[str]:
    """``n`` reproducible procedure-style files: 50 % procedures, 20 % triggers, 15 % views, 15 % functions."""
    rng = random.Random(seed)
    makers = [_procedure] * 10 + [_trigger] * 4 + [_view] * 3 + [_function] * 3
    return [rng.choice(makers)(_proc_parts(catalog, rng), i, rng) for i in range(n)]


def run_procedure_bench(runs: int, n: int, folder: str | None = None) -> dict:
    """Files per second and the share of statements analysed over generated (or the user's) .sql files."""
    from vgpt_dagster.catalog.load import load_catalog
    from vgpt_dagster.paths import ProjectPaths
    from vgpt_dagster.sql.analyze import analyze

    catalog = load_catalog(ProjectPaths.from_env().embedded_schema)
    if folder:
        texts = [p.read_text(encoding="utf-8-sig", errors="replace") for p in sorted(Path(folder).rglob("*.sql"))][:n]
    else:
        texts = build_procedures(catalog, n)
    results = [analyze(t, catalog, require_select=False) for t in texts]  # warm-up
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for t in texts:
            analyze(t, catalog, require_select=False)
        rates.append(len(texts) / (time.perf_counter() - t0))
    found = sum(a.report.found for a in results)
    analysed = sum(a.report.analysed for a in results)
    return {
        "files": len(texts),
        "statements": found,
        "analysed_share": analysed / found if found else 0.0,
        "data_statements": sum(a.report.data for a in results),
        "files_fully_parsed": sum(not a.report.unparseable for a in results) / len(results),
        "false_unknown": sum(f.rule == "unknown_object" for a in results for f in a.findings),
        "median": statistics.median(rates),
        "min": min(rates),
        "max": max(rates),
    }


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
    ap.add_argument("--procedures", type=int, metavar="N", help="procedure mode: N generated procedure-style files")
    ap.add_argument("--dir", metavar="FOLDER", help="procedure mode on the .sql files of FOLDER (first N)")
    args = ap.parse_args()
    if args.procedures or args.dir:
        res = run_procedure_bench(args.runs, args.procedures or 10**9, args.dir)
        print(describe_machine())
        print(
            f"{res['files']} files, {res['statements']} statements, {res['analysed_share']:.2%} analysed, "
            f"{res['data_statements']} data statements, {res['files_fully_parsed']:.1%} files fully parsed, "
            f"{res['false_unknown']} unknown_object findings, {args.runs} runs"
        )
        print(f"files/s: median {res['median']:.1f}, min {res['min']:.1f}, max {res['max']:.1f}")
        return 0
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
