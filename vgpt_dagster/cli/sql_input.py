"""The SQL a `vgpt sql` subcommand works on: the positional argument, or ``-f FILE`` (``-`` for stdin).

Shared by `vgpt sql check` (``cli/sql.py``) and `vgpt sql run` (``cli/sql_run.py``).
"""

import sys
from pathlib import Path

from vgpt_dagster.errors import SqlAnalysisError


def read_sql_argument(sql: str | None, file: str | None) -> str:
    """The SQL from the positional argument or ``-f FILE``; exactly one must be given."""
    if sql is not None and file is not None:
        raise SqlAnalysisError("give the SQL either as an argument or with -f FILE, not both.")
    if sql is None and file is None:
        raise SqlAnalysisError("no SQL given: pass it as an argument (quoted) or with -f FILE.")
    if file is None:
        return sql
    if file == "-":
        return sys.stdin.read()
    path = Path(file)
    if not path.is_file():
        raise SqlAnalysisError(f"{file}: no such file (vgpt sql check -f expects a file holding the SQL).")
    return path.read_text(encoding="utf-8-sig")
