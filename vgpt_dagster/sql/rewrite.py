"""Normalise user SQL into the training conventions: add ``WITH (NOLOCK)``, pretty-print in T-SQL.

``add_nolock`` edits the original text in place (it inserts `` WITH (NOLOCK)`` after each table
reference that reads rows without it), so comments and layout survive. ``format_sql`` regenerates the
statements with sqlglot's tsql generator. Both raise :class:`SqlAnalysisError` on SQL that does not
parse: normalising text we cannot read would hide the problem.

Examples:
    >>> add_nolock("WITH c AS (SELECT 1 a) SELECT h.Vendor FROM dbo.APTH h JOIN APTL AS l ON l.APCo = h.APCo, #t, c")
    'WITH c AS (SELECT 1 a) SELECT h.Vendor FROM dbo.APTH h WITH (NOLOCK) JOIN APTL AS l WITH (NOLOCK) ON l.APCo = h.APCo, #t, c'
    >>> add_nolock("SELECT * FROM [APTH] (NOLOCK) WHERE APCo = 1")
    'SELECT * FROM [APTH] (NOLOCK) WHERE APCo = 1'
    >>> print(format_sql("select top 5 Vendor from APTH h with (nolock) where APCo=1"))
    SELECT TOP 5
      Vendor
    FROM APTH AS h WITH (NOLOCK)
    WHERE
      APCo = 1
"""

import re

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.errors import SqlAnalysisError
from vgpt_dagster.sql import DIALECT
from vgpt_dagster.sql.lookup import CatalogMemo, catalog_memo
from vgpt_dagster.sql.parse import parse_statements
from vgpt_dagster.sql.scope import walk_statement
from vgpt_dagster.sql.statements import Statement

_NEEDS_NOLOCK_WITHOUT_CATALOG = frozenset({"catalog", "unknown"})


class _NoCatalog(CatalogMemo):
    """Stands in for a catalog when none is given: every plain table name counts as a table."""

    def __init__(self) -> None:
        self._resolve = {}
        self._company = {}
        self._joins = {}

    def resolve(self, name: str):  # noqa: ANN201 - never a catalog object
        return None


def _parse_or_raise(sql: str, what: str) -> list[Statement]:
    stmts, err = parse_statements(sql)
    if err is not None:
        where = f"Line {err.line}, Col {err.col}: " if err.line else ""
        raise SqlAnalysisError(f"{what}: cannot parse the SQL ({where}{err.message}); fix it or leave it out.")
    return stmts


def add_nolock(sql: str, catalog: Catalog | None = None) -> str:
    """Insert `` WITH (NOLOCK)`` after every table reference read without it.

    With ``catalog``, only catalog tables and views are changed; without, every plain table name that is
    not a CTE, temp table, table variable, function, ``sys.`` view or write target.
    """
    memo = catalog_memo(catalog) if catalog is not None else _NoCatalog()
    wanted = {"catalog"} if catalog is not None else _NEEDS_NOLOCK_WITHOUT_CATALOG
    inserts: list[int] = []
    for stmt in _parse_or_raise(sql, "add_nolock"):
        info = walk_statement(stmt, sql, memo)
        for src in info.refs:
            if src.kind not in wanted or src.write or src.nolock or src.node.args.get("hints"):
                continue  # existing hints (e.g. INDEX) without NOLOCK are left for a human to merge
            alias = src.node.args.get("alias")
            last = alias.this if alias is not None and alias.this is not None else src.node.this
            end = (last.meta or {}).get("end")
            if end is not None:
                inserts.append(end + 1)  # ``end`` is the last character of the name, closing bracket included
    out = sql
    for pos in sorted(set(inserts), reverse=True):
        out = out[:pos] + " WITH (NOLOCK)" + out[pos:]
    return out


_FIXUPS = (
    (re.compile(r"[ ]{2,}WITH \("), " WITH ("),  # sqlglot pads table hints
    (re.compile(r"WITH \((nolock|readuncommitted)\)", re.IGNORECASE), lambda m: m.group(0).upper()),
    (re.compile(r"^(\s*)DECLARE[ ]{2,}", re.MULTILINE), r"\1DECLARE "),
    (re.compile(r"^(\s*)SELECT\n\s*(TOP \S+(?: PERCENT)?)", re.MULTILINE), r"\1SELECT \2"),
)


def format_sql(sql: str) -> str:
    """Pretty-print every statement with the tsql generator; statements are separated by a blank line."""
    parts = []
    for stmt in _parse_or_raise(sql, "format_sql"):
        text = stmt.node.sql(dialect=DIALECT, pretty=True)
        for pattern, repl in _FIXUPS:
            text = pattern.sub(repl, text)
        parts.append(text)
    return "\n\n".join(parts)
