"""Error-correction cases: a correct reference query with one typical mistake put in.

Mistakes (cycled): missing ``WITH (NOLOCK)``, a join missing a key column, wrong-case object name
(binary collation), an invented column, a missing company filter, an UPDATE where a report was meant.

Examples:
    >>> _lower_object("SELECT a FROM APTH WITH (NOLOCK)", "APTH")
    'SELECT a FROM apth WITH (NOLOCK)'
"""

import re
from collections.abc import Callable

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.sql.render import company_filter, key_display_columns, render_join, render_select
from vgpt_dagster.validation.pool import join_pool

_ASK = (
    "Fix this query:\n\n{sql}",
    "What's wrong with this T-SQL, and what is the corrected query?\n\n{sql}",
    "Correct this Vista query:\n\n{sql}",
)
_ASK_COMPANY = "This query should only return company {c}. Fix it:\n\n{sql}"
_ASK_UPDATE = (
    "This report was written as an UPDATE by mistake. Rewrite it as a read-only SELECT of those rows:\n\n{sql}"
)


def _lower_object(sql: str, obj: str) -> str:
    return re.sub(rf"\b{re.escape(obj)}\b", obj.lower(), sql)


def broken_cases(
    catalog: Catalog, pool: list[str], column_pairs: pl.DataFrame, n: int, company: Callable[[int], int]
) -> list[Case]:
    """``n`` error-fix cases over ``pool`` (objects with a company column) and its composite joins."""
    objs = [o for o in pool if catalog.company_column(o)]
    joins = join_pool(catalog, objs, max(4, n // 6 + 2))
    fake_cols = [
        (r["table"], r["fake_column"], r["real_columns"][0])
        for r in column_pairs.iter_rows(named=True)
        if r["table"] in catalog.objects and catalog.company_column(r["table"])
    ]
    out: list[Case] = []
    for i in range(n):
        mistake, c, obj = i % 6, company(i), objs[i % len(objs)]
        cc = catalog.company_column(obj)
        cols = key_display_columns(catalog, obj, n=4)
        good = render_select(cols, obj, where=company_filter(cc, c))
        extra: dict = {"objects_must_use": (obj,), "company_filter_required": True, "company": c}
        if mistake == 0:
            broken = good.replace(" WITH (NOLOCK)", "")
        elif mistake == 1 and joins:
            left, right = joins[i % len(joins)]
            pairs = catalog.join_keys(left, right)
            lcc = catalog.company_column(left)
            sel = [f"a.{x}" for x in key_display_columns(catalog, left, n=3)]
            broken = render_join(left, right, pairs[1:], sel, company_filter(lcc, c, "a"))
            extra = {
                "objects_must_use": (left, right),
                "company_filter_required": True,
                "company": c,
                "required_join_keys": tuple(f"{left}.{x}={right}.{y}" for x, y in pairs),
            }
        elif mistake == 2 and obj.lower() not in catalog.objects:
            broken = _lower_object(good, obj)
        elif mistake == 3 and fake_cols:
            table, fake, real = fake_cols[i % len(fake_cols)]
            tc = catalog.company_column(table)
            broken = render_select([*catalog.business_key(table)[:2], fake], table, where=company_filter(tc, c))
            extra = {
                "objects_must_use": (table,),
                "company_filter_required": True,
                "company": c,
                "columns_must_use": (f"{table}.{real}",),
            }
        elif mistake == 4:
            broken = render_select(cols, obj)
        else:
            broken = f"UPDATE {obj} SET {cols[-1]} = {cols[-1]} WHERE {cc} = {c}"
            extra["objects_must_use"] = (obj,)
        ask = {5: _ASK_UPDATE, 4: _ASK_COMPANY.replace("{c}", str(c))}.get(mistake, _ASK[i % len(_ASK)])
        out.append(
            Case(
                f"fix-{i:03d}",
                "main",
                "error_correction",
                "error_fix",
                ask.format(sql=broken),
                sql_expected=True,
                broken_sql=broken,
                **extra,
            )
        )
    return out
