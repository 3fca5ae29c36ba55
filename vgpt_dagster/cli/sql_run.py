"""`vgpt sql run (SQL | -f FILE) [--sandbox PATH] [--variant NAME] [--json]`: run T-SQL on the synthetic sandbox.

Exit codes: 0 the query returned rows, 1 it did not (transpile error, execution error, timeout), 2 usage error.
Without ``--sandbox`` the project's sandbox (``data/validation/sandbox/``) is used and built first when it
does not exist yet (the same build as the ``vista_sandbox`` asset, announced on stderr).
"""

import json
import sys
from pathlib import Path

from vgpt_dagster.errors import SqlAnalysisError, VgptError


def register(ssub) -> None:
    run = ssub.add_parser(
        "run",
        help="run a query on the synthetic Vista sandbox (DuckDB) and print the rows",
        description="Transpile T-SQL to DuckDB (NOLOCK dropped, TOP -> LIMIT, GETDATE() = the sandbox's reference "
        "date, @Params bound) and run it read-only on a synthetic database built from the catalog. The data are "
        "invented: use it to see what a query returns and whether it runs, not for real figures. Exit 0 with "
        "rows, 1 for a transpile/execution error or a timeout, 2 for usage errors.",
    )
    run.add_argument("sql", nargs="?", metavar="SQL", help="the SQL text (quote it); or use -f")
    run.add_argument("-f", "--file", metavar="FILE", help="read the SQL from FILE ('-' for stdin)")
    run.add_argument(
        "--sandbox",
        metavar="PATH",
        help="a sandbox folder (with manifest.json) or one .duckdb file (default: the project's, built if missing)",
    )
    run.add_argument("--variant", metavar="NAME", help="which variant of the folder (default: the first seed)")
    run.add_argument("--max-rows", type=int, default=20, metavar="N", help="rows to print (default 20)")
    run.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    run.set_defaults(handler=run_sql)


def _database(args, cfg, paths) -> Path:
    """The .duckdb file to open: --sandbox FILE, a variant of --sandbox FOLDER, or the project's sandbox."""
    from vgpt_dagster.execution.accuracy import build_project_sandbox, sandbox_folder  # noqa: PLC0415
    from vgpt_dagster.execution.sandbox import read_sandbox_manifest  # noqa: PLC0415

    if args.sandbox and Path(args.sandbox).suffix == ".duckdb":
        if not Path(args.sandbox).is_file():
            raise VgptError(f"{args.sandbox}: no such sandbox file.")
        return Path(args.sandbox)
    folder = Path(args.sandbox) if args.sandbox else sandbox_folder(paths, cfg)
    if not args.sandbox and not (folder / "manifest.json").is_file():
        from vgpt_dagster.catalog.load import load_default_catalog  # noqa: PLC0415

        print(f"building the sandbox in {folder} (once; the vista_sandbox asset builds the same) ...", file=sys.stderr)
        build_project_sandbox(paths, load_default_catalog(None), cfg)
    variants = read_sandbox_manifest(folder)["variants"]
    name = args.variant or next(iter(variants))
    if name not in variants:
        raise VgptError(f"--variant {name!r}: this sandbox has {', '.join(variants)}.")
    return folder / variants[name]["file"]


def _print_table(out, max_rows: int) -> None:
    cols = list(out.columns)
    rows = [["NULL" if v is None else str(v) for v in r] for r in out.rows[:max_rows]]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(cols)]
    print(" | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    more = f" (showing {len(rows)})" if len(out.rows) > len(rows) else ""
    cap = ", truncated at the row cap" if out.truncated else ""
    print(f"({len(out.rows)} row(s){more}{cap}; {out.seconds * 1000:.1f} ms)")


def run_sql(args) -> int:
    from vgpt_dagster.cli.sql_input import read_sql_argument  # noqa: PLC0415
    from vgpt_dagster.execution.run import SandboxConnection, TranspileOptions  # noqa: PLC0415
    from vgpt_dagster.paths import ProjectPaths  # noqa: PLC0415
    from vgpt_dagster.validation.config import load_validation_config  # noqa: PLC0415

    try:
        sql = read_sql_argument(args.sql, args.file)
        paths = ProjectPaths.from_env()
        cfg = load_validation_config(paths)
        db = _database(args, cfg, paths)
    except (SqlAnalysisError, VgptError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    sb = cfg.sandbox
    opts = TranspileOptions(sb.reference_date, int(cfg.companies[0]), dict(sb.parameters))
    with SandboxConnection(db, sb.timeout_s, sb.row_cap) as con:
        out = con.run(sql, opts)
    if args.json:
        print(json.dumps({"sandbox": str(db), **out.to_dict(max_rows=args.max_rows)}, indent=2))
    elif out.ok:
        _print_table(out, args.max_rows)
    else:
        print(f"{out.status}: {out.error}", file=sys.stderr)
        if out.sql:
            print(f"DuckDB SQL: {out.sql}", file=sys.stderr)
    return 0 if out.ok else 1
