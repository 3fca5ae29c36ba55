"""Query recipes per object: (question, SQL, note) triples the SFT/DPO/KTO generators phrase differently.

Examples:
    >>> from vgpt_dagster.catalog.load import load_default_catalog
    >>> from vgpt_dagster.datasets.sqlgen import object_facts
    >>> catalog = load_default_catalog()
    >>> f = [x for x in object_facts(catalog) if x.name == "APTH"][0]
    >>> q = object_queries(f, 0)[0]
    >>> print(q.sql)
    SELECT TOP 100 APCo, Mth, APTrans, InvId, APRef, InvTotal
    FROM APTH WITH (NOLOCK)
    WHERE APCo = 1
    ORDER BY APCo, Mth, APTrans
    >>> print(join_query(catalog, "APTH", "APTL", 0).sql.splitlines()[2])
    INNER JOIN APTL b WITH (NOLOCK)
"""

from dataclasses import dataclass
from functools import lru_cache

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.sqlgen import ObjectFacts, literal
from vgpt_dagster.sql.render import ident, join_clause, render_select


@dataclass(frozen=True)
class Query:
    """A question about one object (or a join) and the convention-following SQL answering it."""

    kind: str
    ask: str  # the request, phrased without a leading verb: "the 20 most recent APTH rows by InvDate"
    sql: str
    note: str  # why the SQL looks the way it does (conventions it follows)
    objects: tuple[str, ...] = ()


def _co_note(f: ObjectFacts) -> str:
    if f.company:
        return f"filters on the company column {f.company}"
    return f"{f.name} has no company column, so no company filter applies"


def _cols(names) -> list[str]:
    return [ident(c) for c in names]


@lru_cache(maxsize=32768)
def object_queries(f: ObjectFacts, i: int) -> tuple[Query, ...]:
    """Every recipe that applies to ``f``; ``i`` varies company numbers, literals and column picks."""
    co = 1 + i % 3
    where = f.company_where(i=i)
    conv = f"uses WITH (NOLOCK) and {_co_note(f)}"
    co_txt = f" for company {co}" if f.company else ""
    cols = f.display_columns(6)
    order = _cols(f.key) or _cols(cols[:1])
    out = [
        Query(
            "list",
            f"{', '.join(cols[:4])} and more from {f.name}{co_txt}",
            render_select(_cols(cols), f.name, where=where, order_by=order, top=100),
            f"Lists {f.label}; {conv}.",
        ),
    ]
    skip = {*f.key, "KeyID", f.company}
    non_key = [c for c in f.obj.columns if c.name not in skip and not c.name.endswith("Co")]
    picks = [(c, literal(c, i + j)) for j, c in enumerate(non_key[i % 3 :: 7][:4])]
    for col, lit in [(c, v) for c, v in picks if v is not None][:2]:
        shown = f"a given {col.name} ({lit})" if lit.startswith("@") else f"{col.name} = {lit}"
        out.append(
            Query(
                "filter",
                f"the {f.name} rows where {shown}{co_txt}",
                render_select(_cols(cols), f.name, where=[*where, f"{ident(col.name)} = {lit}"], top=100),
                f"Filters {f.name} on {col.name}; {conv}.",
            )
        )
    if f.texts:
        g = f.texts[i % len(f.texts)]
        out.append(
            Query(
                "count",
                f"the number of {f.name} records per {g}{co_txt}",
                render_select(
                    [ident(g), "COUNT(*) AS RecordCount"],
                    f.name,
                    where=where,
                    group_by=[ident(g)],
                    order_by=["RecordCount DESC"],
                ),
                f"Counts rows per {g}; {conv}.",
            )
        )
        out.append(
            Query(
                "distinct",
                f"the distinct {g} values used in {f.name}{co_txt}",
                render_select([f"DISTINCT {ident(g)}"], f.name, where=where, order_by=[ident(g)]),
                f"Lists distinct {g}; {conv}.",
            )
        )
    if f.numeric:
        n = f.numeric[i % len(f.numeric)]
        grp = f.texts[0] if f.texts else (f.key[-1] if f.key else None)
        amount = f.amounts[i % len(f.amounts)] if f.amounts else None
        if grp and amount and grp != amount:
            out.append(
                Query(
                    "sum",
                    f"the total {amount} by {grp} from {f.name}{co_txt}",
                    render_select(
                        [ident(grp), f"SUM({ident(amount)}) AS Total{amount}"],
                        f.name,
                        where=where,
                        group_by=[ident(grp)],
                        order_by=[f"Total{amount} DESC"],
                    ),
                    f"Sums {amount} per {grp}; {conv}.",
                )
            )
        out.append(
            Query(
                "cte",
                f"the {f.name} rows{co_txt} whose {n} is above the average, using a CTE",
                f"WITH Avg{n} AS (\n  SELECT AVG({ident(n)}) AS AvgValue\n  FROM {ident(f.name)} WITH (NOLOCK)"
                + (f"\n  WHERE {where[0]}" if where else "")
                + "\n)\n"
                + render_select(
                    [f"t.{ident(c)}" for c in cols[:4]] + [f"t.{ident(n)}"],
                    f.name,
                    alias="t",
                    joins=[f"CROSS JOIN Avg{n} a"],
                    where=[*f.company_where("t", i), f"t.{ident(n)} > a.AvgValue"],
                ),
                f"The CTE computes the average {n}; both references to {f.name} {conv[5:]}.",
            )
        )
    if "Mth" in f.obj.column_names:
        y = 2023 + i % 3
        out.append(
            Query(
                "month_range",
                f"the {f.name} rows posted in months {y}-01 to {y}-06{co_txt}",
                render_select(
                    _cols(cols), f.name, where=[*where, f"Mth >= '{y}-01-01'", f"Mth < '{y}-07-01'"], order_by=["Mth"]
                ),
                f"Mth is the posting month (first day of the month); {conv}.",
            )
        )
    if f.dates:
        d = f.dates[i % len(f.dates)]
        out.append(
            Query(
                "latest",
                f"the 20 most recent {f.name} records by {d}{co_txt}",
                render_select(_cols(cols), f.name, where=where, order_by=[f"{ident(d)} DESC"], top=20),
                f"Orders by {d} descending; {conv}.",
            )
        )
    nullable = [c for c in non_key if c.nullable]
    if nullable:
        c = nullable[i % len(nullable)]
        out.append(
            Query(
                "nulls",
                f"the {f.name} rows{co_txt} that have no {c.name}",
                render_select(_cols(cols), f.name, where=[*where, f"{ident(c.name)} IS NULL"], top=100),
                f"Finds missing {c.name}; {conv}.",
            )
        )
    return tuple(Query(q.kind, q.ask, q.sql, q.note, (f.name,)) for q in out)


def join_query(catalog: Catalog, left: str, right: str, i: int, kind: str = "INNER") -> Query:
    """Header/detail join on the complete key, with NOLOCK on both sides and the company filter."""
    pairs = catalog.join_keys(left, right)
    a, b = catalog.resolve(left), catalog.resolve(right)
    co_col, b_co = catalog.company_column(a.name), catalog.company_column(b.name)
    co = 1 + i % 3
    where = [f"a.{ident(co_col)} = {co}"] if co_col else []
    if b_co and b_co not in {y for _, y in pairs}:  # the detail side is company-keyed on its own
        b_filter = f"b.{ident(b_co)} = {co}"
    else:
        b_filter = None
    b_extra = [c for c in b.column_names if c not in {y for _, y in pairs} and c != "KeyID"][:2]
    cols = [f"a.{ident(x)}" for x, _ in pairs] + [f"b.{ident(c)}" for c in b_extra]
    on = ", ".join(x for x, _ in pairs)
    if kind == "LEFT":
        first_b = pairs[0][1]
        join = join_clause(b.name, "b", pairs, "a", "LEFT") + (f" AND {b_filter}" if b_filter else "")
        sql = render_select(
            cols[: len(pairs)], a.name, alias="a", joins=[join], where=[*where, f"b.{ident(first_b)} IS NULL"]
        )
        return Query(
            "anti_join",
            f"the {a.name} rows with no matching {b.name} row",
            sql,
            f"LEFT JOIN on the full key ({on}) and keep rows where {b.name} is missing; NOLOCK on both.",
            (a.name, b.name),
        )
    where += [b_filter] if b_filter else []
    sql = render_select(cols, a.name, alias="a", joins=[join_clause(b.name, "b", pairs, "a")], where=where, top=100)
    return Query(
        "join",
        f"{a.name} joined to {b.name}" + (f" for company {co}" if co_col or b_filter else ""),
        sql,
        f"Joins on the complete key ({on}); a partial key would multiply rows. NOLOCK on both tables.",
        (a.name, b.name),
    )
