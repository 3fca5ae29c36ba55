"""Render convention-following T-SQL text: NOLOCK on every table, company filter, full join keys, reserved
words bracketed. The one SQL renderer of the datasets (``datasets/sqlgen.py``, ``sqlpool.py``) and of the
eval suite's reference answers (``validation/oracle.py``, ``breakage.py``).

Examples:
    >>> ident("Order"), ident("APCo")
    ('[Order]', 'APCo')
    >>> print(render_select(["APCo", "Status"], "APTH", where=company_filter("APCo", 1), top=10))
    SELECT TOP 10 APCo, [Status]
    FROM APTH WITH (NOLOCK)
    WHERE APCo = 1
    >>> print(render_join("APTH", "APTL", [("APCo", "APCo"), ("Mth", "Mth")], ["a.APCo", "b.APLine"], ["a.APCo = 1"]))
    SELECT a.APCo, b.APLine
    FROM APTH a WITH (NOLOCK)
    INNER JOIN APTL b WITH (NOLOCK)
      ON a.APCo = b.APCo AND a.Mth = b.Mth
    WHERE a.APCo = 1
"""

import re
from collections.abc import Sequence
from functools import cache

from vgpt_dagster.catalog.model import Catalog, CatalogObject

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_QUALIFIED = re.compile(r"^(?:([A-Za-z_][A-Za-z0-9_]*)\.)?([A-Za-z_][A-Za-z0-9_]*)$")
# T-SQL reserved words that occur as Vista column names; bracketed so the SQL parses.
RESERVED = frozenset(
    "ADD ALL ALTER AND ANY AS ASC AUTHORIZATION BACKUP BEGIN BETWEEN BREAK BROWSE BULK BY CASCADE CASE CHECK "
    "CHECKPOINT CLOSE CLUSTERED COALESCE COLLATE COLUMN COMMIT COMPUTE CONSTRAINT CONTAINS CONTINUE CONVERT CREATE "
    "CROSS CURRENT CURSOR DATABASE DBCC DEALLOCATE DECLARE DEFAULT DELETE DENY DESC DISK DISTINCT DISTRIBUTED DOUBLE "
    "DROP DUMP ELSE END ERRLVL ESCAPE EXCEPT EXEC EXECUTE EXISTS EXIT EXTERNAL FETCH FILE FILLFACTOR FOR FOREIGN "
    "FREETEXT FROM FULL FUNCTION GOTO GRANT GROUP HAVING HOLDLOCK IDENTITY IF IN INDEX INNER INSERT INTERSECT INTO "
    "IS JOIN KEY KILL LEFT LIKE LINENO LOAD MERGE NATIONAL NOCHECK NONCLUSTERED NOT NULL NULLIF OF OFF OFFSETS ON "
    "OPEN OPTION OR ORDER OUTER OVER PERCENT PIVOT PLAN PRECISION PRIMARY PRINT PROC PROCEDURE PUBLIC RAISERROR READ "
    "RECONFIGURE REFERENCES REPLICATION RESTORE RESTRICT RETURN REVERT REVOKE RIGHT ROLLBACK ROWCOUNT RULE SAVE "
    "SCHEMA SELECT SET SETUSER SHUTDOWN SOME STATISTICS TABLE TABLESAMPLE TEXTSIZE THEN TO TOP TRAN TRANSACTION "
    "TRIGGER TRUNCATE UNION UNIQUE UNPIVOT UPDATE USE USER VALUES VARYING VIEW WAITFOR WHEN WHERE WHILE WITH "
    "WITHIN LEVEL DATE TIME TYPE STATUS SOURCE ACTION NAME VALUE TEXT YEAR MONTH DAY".split()
)
# Columns nobody selects to look at rows: surrogate keys, attachment ids, free-text notes, user-defined fields.
NOT_DISPLAYED = frozenset({"KeyID", "UniqueAttchID", "Notes"})


@cache
def ident(name: str) -> str:
    """A column or object name as it must appear in SQL (bracketed if reserved or unusual)."""
    return name if IDENT.match(name) and name.upper() not in RESERVED else f"[{name}]"


def _expr(column: str) -> str:
    """A bare (optionally alias-qualified) name gets ``ident``; any other expression is kept as written."""
    m = _QUALIFIED.match(column)
    if not m:
        return column
    alias, name = m.groups()
    return f"{alias}.{ident(name)}" if alias else ident(name)


def company_filter(column: str | None, company: int | None, alias: str | None = None) -> list[str]:
    """``["APCo = 1"]`` (or ``["a.APCo = 1"]``), or ``[]`` when there is no company column or number."""
    if not column or company is None:
        return []
    return [f"{alias}.{ident(column)} = {company}" if alias else f"{ident(column)} = {company}"]


def render_select(
    columns: Sequence[str],
    obj: str,
    *,
    alias: str | None = None,
    where: Sequence[str] = (),
    group_by: Sequence[str] = (),
    order_by: Sequence[str] = (),
    top: int | None = None,
    joins: Sequence[str] = (),
) -> str:
    """Assemble one SELECT. ``columns``: names (bracketed here when reserved) or rendered expressions;
    ``where``/``group_by``/``order_by``: rendered expressions; ``joins``: ``join_clause`` results."""
    head = f"SELECT TOP {top} " if top else "SELECT "
    src = f"{ident(obj)} {alias} WITH (NOLOCK)" if alias else f"{ident(obj)} WITH (NOLOCK)"
    lines = [head + ", ".join(_expr(c) for c in columns), f"FROM {src}", *joins]
    if where:
        lines.append("WHERE " + "\n  AND ".join(where))
    if group_by:
        lines.append("GROUP BY " + ", ".join(group_by))
    if order_by:
        lines.append("ORDER BY " + ", ".join(order_by))
    return "\n".join(lines)


def join_clause(right: str, alias: str, pairs: Sequence[tuple[str, str]], left_alias: str, kind: str = "INNER") -> str:
    """``INNER JOIN APTL l WITH (NOLOCK) ON h.APCo = l.APCo AND ...`` over every key column pair."""
    on = " AND ".join(f"{left_alias}.{ident(a)} = {alias}.{ident(b)}" for a, b in pairs)
    return f"{kind} JOIN {ident(right)} {alias} WITH (NOLOCK)\n  ON {on}"


def render_join(
    left: str, right: str, pairs: Sequence[tuple[str, str]], columns: Sequence[str], where: Sequence[str] = ()
) -> str:
    """``left a`` INNER JOIN ``right b`` on every key pair; columns and filters use the aliases a and b."""
    return render_select(columns, left, alias="a", joins=[join_clause(right, "b", pairs, "a")], where=where)


def fence(sql: str) -> str:
    """SQL as a Markdown ```sql block (what answers contain and ``extract_sql`` finds)."""
    return f"```sql\n{sql}\n```"


def display_columns(obj: CatalogObject, first: Sequence[str] = (), n: int = 6) -> list[str]:
    """``first`` (all of it, deduplicated), then the object's other columns in order, up to ``n`` in all,
    skipping ``NOT_DISPLAYED`` and user-defined ``ud*`` columns: what a person would SELECT to look at rows."""
    cols = list(dict.fromkeys(first))
    for c in obj.column_names:
        if len(cols) >= n:
            break
        if c not in cols and c not in NOT_DISPLAYED and not c.startswith("ud"):
            cols.append(c)
    return cols


def key_display_columns(catalog: Catalog, name: str, extra: Sequence[str] = (), n: int = 6) -> list[str]:
    """``display_columns`` led by the object's business key, then ``extra``."""
    obj = catalog.get(name)
    return display_columns(obj, [*catalog.business_key(obj.name), *extra], n)
