"""Render the reference T-SQL the oracle and the suite use: NOLOCK on every table, full keys, company filter.

Examples:
    >>> print(render_select("APTH", ["APCo", "Vendor"], company_col="APCo", company=1, top=10))
    SELECT TOP 10 APCo, Vendor
    FROM APTH WITH (NOLOCK)
    WHERE APCo = 1
    >>> print(render_join("APTH", "APTL", [("APCo", "APCo"), ("Mth", "Mth")], ["a.APCo", "b.APLine"], "APCo", 1))
    SELECT a.APCo, b.APLine
    FROM APTH a WITH (NOLOCK)
    INNER JOIN APTL b WITH (NOLOCK)
      ON a.APCo = b.APCo AND a.Mth = b.Mth
    WHERE a.APCo = 1
"""

from collections.abc import Sequence

from vgpt_dagster.catalog.model import Catalog


def render_select(
    obj: str,
    columns: Sequence[str],
    company_col: str | None = None,
    company: int | None = None,
    filters: Sequence[str] = (),
    top: int | None = None,
    count: bool = False,
) -> str:
    """A single-object SELECT with ``WITH (NOLOCK)`` and the company filter first."""
    head = "SELECT COUNT(*) AS RowCount" if count else f"SELECT {f'TOP {top} ' if top else ''}{', '.join(columns)}"
    where = ([f"{company_col} = {company}"] if company_col and company is not None else []) + list(filters)
    lines = [head, f"FROM {obj} WITH (NOLOCK)"]
    if where:
        lines.append("WHERE " + " AND ".join(where))
    return "\n".join(lines)


def render_join(
    left: str,
    right: str,
    pairs: Sequence[tuple[str, str]],
    columns: Sequence[str],
    company_col: str | None = None,
    company: int | None = None,
) -> str:
    """``left a`` INNER JOIN ``right b`` on every key pair, NOLOCK on both, company filter on ``a``."""
    on = " AND ".join(f"a.{x} = b.{y}" for x, y in pairs)
    lines = [
        f"SELECT {', '.join(columns)}",
        f"FROM {left} a WITH (NOLOCK)",
        f"INNER JOIN {right} b WITH (NOLOCK)",
        f"  ON {on}",
    ]
    if company_col and company is not None:
        lines.append(f"WHERE a.{company_col} = {company}")
    return "\n".join(lines)


def display_columns(catalog: Catalog, obj: str, extra: Sequence[str] = (), n: int = 6) -> list[str]:
    """Key columns first, then ``extra``, then the first other columns, up to ``n`` (at least the key)."""
    o = catalog.get(obj)
    cols = list(dict.fromkeys([*catalog.business_key(o.name), *extra]))
    for c in o.column_names:
        if len(cols) >= n:
            break
        if c not in cols and c != "KeyID" and not c.startswith("ud") and c != "UniqueAttchID" and c != "Notes":
            cols.append(c)
    return cols


def sql_block(sql: str) -> str:
    return f"```sql\n{sql}\n```"
