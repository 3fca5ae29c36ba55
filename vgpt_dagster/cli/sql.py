"""`vgpt sql check (SQL | -f FILE)`: analyse T-SQL against the Vista catalog.

Exit codes: 0 no error-level finding, 1 at least one, 2 usage error (no SQL, both SQL and -f, missing
file, bad schema). ``--json`` prints ``Analysis.to_dict()``, documented in docs/cli.md ("vgpt sql check").
"""

import json
import sys
from collections import Counter

from vgpt_dagster.catalog.load import load_default_catalog
from vgpt_dagster.cli.sql_input import read_sql_argument
from vgpt_dagster.errors import SqlAnalysisError
from vgpt_dagster.sql.analyze import analyze
from vgpt_dagster.sql.findings import Analysis, Finding


def register(sub) -> None:
    p = sub.add_parser("sql", help="check T-SQL against the Vista catalog")
    ssub = p.add_subparsers(dest="sql_command", metavar="SUBCOMMAND")
    ssub.required = True
    check = ssub.add_parser(
        "check",
        help="parse errors, non-SELECT statements, unknown objects/columns, NOLOCK, join keys, company filter",
        description="Analyse one statement, a script or a whole procedure/trigger/function/view file (every data "
        "statement inside is checked at its own line; a per-file report follows). "
        "Exit 0 when there is no error-level finding, 1 otherwise, "
        "2 for usage errors.",
    )
    check.add_argument("sql", nargs="?", metavar="SQL", help="the SQL text (quote it); or use -f")
    check.add_argument("-f", "--file", metavar="FILE", help="read the SQL from FILE ('-' for stdin)")
    check.add_argument("--json", action="store_true", help="print the full analysis as one JSON object")
    check.add_argument(
        "--schema", metavar="PATH", help="schema export or catalog store (default: configs/catalog.yaml, else embedded)"
    )
    check.add_argument("--allow-writes", action="store_true", help="do not flag INSERT/UPDATE/DELETE/EXEC/DROP/...")
    check.add_argument("--no-company-filter", action="store_true", help="do not require a company filter (APCo = ...)")
    check.add_argument("--no-nolock", action="store_true", help="do not require WITH (NOLOCK) on every table read")
    check.set_defaults(handler=run_check)
    from vgpt_dagster.cli import sql_run  # noqa: PLC0415 - `vgpt sql run` (execution on the sandbox) lives there

    sql_run.register(ssub)


def format_finding(f: Finding) -> str:
    """``Line 1, Col 15: [error] unknown_object: 'Invoice' is not a table ...``"""
    line = f.line if f.line is not None else "?"
    col = f.col if f.col is not None else "?"
    return f"Line {line}, Col {col}: [{f.severity}] {f.rule}: {f.message}"


def format_summary(a: Analysis) -> str:
    n_err = len(a.errors)
    kinds = ", ".join(a.statements) or "none"
    if len(a.statements) > 12:  # a procedure: count the kinds instead of listing hundreds of statements
        kinds = ", ".join(f"{k} x{n}" for k, n in Counter(a.statements).items())
    objs = ", ".join(a.catalog_objects) or "none"
    verdict = "OK" if a.ok else f"{n_err} error(s)"
    warn = len(a.findings) - n_err
    return f"{verdict}; {warn} other finding(s); statements: {kinds}; catalog objects: {objs}"


def format_report(a: Analysis) -> list[str]:
    """The per-file lines: statements found/analysed/unparseable, the modules defined, the objects used."""
    r = a.report
    if r is None:
        return []
    lines = [
        f"statements: {r.found} found, {r.analysed} analysed ({r.data} reading or writing rows), "
        f"{len(r.unparseable)} unparseable"
    ]
    lines += [f"  unparseable at Line {u['line']}, Col {u['col']}: {u['reason']}" for u in r.unparseable]
    lines += [f"module: {m['action']} {m['kind']} {m['name']} (line {m['line']})" for m in r.modules]
    if r.objects:
        lines.append("objects: " + "; ".join(f"{kind}: {', '.join(names)}" for kind, names in r.objects.items()))
    return lines


def run_check(args) -> int:
    try:
        sql = read_sql_argument(args.sql, args.file)
    except SqlAnalysisError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    catalog = load_default_catalog(args.schema)
    analysis = analyze(
        sql,
        catalog,
        require_select=not args.allow_writes,
        require_nolock=not args.no_nolock,
        require_company_filter=not args.no_company_filter,
    )
    if args.json:
        print(json.dumps(analysis.to_dict(), indent=2))
    else:
        for f in analysis.findings:
            print(format_finding(f))
        print(format_summary(analysis))
        if analysis.report is not None and (analysis.report.modules or analysis.report.found > 1):
            print("\n".join(format_report(analysis)))
    return 0 if not analysis.errors else 1
