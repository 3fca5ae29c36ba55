"""Candidate SFT records per category, generated from the catalog (assembly and checks are in ``sft``).

Each record is a dict with category, instruction, input, output and ``sqls`` (the statements the
output contains, validated by the analyzer before the record is kept).
"""

import random
from collections.abc import Iterator
from dataclasses import replace

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.records import fence
from vgpt_dagster.datasets.records import sft_record as _rec
from vgpt_dagster.datasets.sft_corrections import error_correction, negatives  # the "wrong -> right" pools
from vgpt_dagster.datasets.sqlgen import ObjectFacts, company_as_parameter
from vgpt_dagster.datasets.sqlpool import join_query, object_queries

_ASK = (
    "Write a SQL query that returns",
    "Give me T-SQL for",
    "I need a query for",
    "Show me",
    "How do I query",
    "Write a Vista query returning",
    "Can you write SQL to get",
    "Produce a SELECT for",
)


def sql_generation(
    facts: list[ObjectFacts],
    joins: list[tuple[str, str]],
    catalog: Catalog,
    rng: random.Random,
    corpus: list[dict] = (),
    weights: dict[str, int] | None = None,
) -> Iterator[dict]:
    """Raw-object queries (``weights``: variants per object, see ``semantics.object_weights``), joins, corpus."""
    for f in facts:
        for i in range(weights.get(f.name, 4) if weights else 4):
            for q in object_queries(f, i):
                ask = rng.choice(_ASK)
                yield _rec("sql_generation", f"{ask} {q.ask}.", f"{fence(q.sql)}\n\n{q.note}", [q.sql])
    for k, (a, b) in enumerate(joins):
        q = join_query(catalog, a, b, k)
        yield _rec(
            "sql_generation",
            f"{rng.choice(_ASK)} {q.ask} with the key columns.",
            f"{fence(q.sql)}\n\n{q.note}",
            [q.sql],
        )
    yield from corpus


def schema_knowledge(facts: list[ObjectFacts], catalog: Catalog, rng: random.Random) -> Iterator[dict]:
    for f in facts:
        o = f.obj
        shown = o.columns[:40]
        listing = "\n".join(f"- {c.name} ({c.type_text})" for c in shown)
        more = f"\n... and {len(o.columns) - 40} more columns." if len(o.columns) > 40 else ""
        yield _rec(
            "schema_knowledge",
            f"What columns does {f.name} have?",
            f"{f.name} ({f.label}) has {len(o.columns)} columns:\n{listing}{more}",
            [],
        )
        kind = (
            f"a view over the base table {o.base_table}; query the view {f.name}"
            if o.is_view and o.base_table
            else "a view"
            if o.is_view
            else "a base table with no view over it, so query it directly"
        )
        yield _rec(
            "schema_knowledge",
            f"Does {f.name} exist in Vista, and is it a table or a view?",
            f"Yes. {f.name} exists in the Vista catalog: {f.label}. It is {kind}. "
            f"Its module is {o.module or 'not recorded'}.",
            [],
        )
        if f.key:
            yield _rec(
                "schema_knowledge",
                f"What is the business key of {f.name}?",
                f"The business key of {f.name} is ({', '.join(f.key)}): together these columns identify one row. "
                f"Join to {f.name} on all of them, never on a subset.",
                [],
            )
        co = (
            f"The company column of {f.name} is {f.company}; filter every query with {f.company} = <company>."
            if f.company
            else f"{f.name} has no company column (it is shared across companies"
            + (f", keyed by {', '.join(f.key)}" if f.key else "")
            + "), so no company filter applies."
        )
        yield _rec("schema_knowledge", f"Which column holds the company number in {f.name}?", co, [])
        for c in rng.sample(list(o.columns), min(3, len(o.columns))):
            yield _rec(
                "schema_knowledge",
                f"Does {f.name} have a {c.name.lower()} column?",
                f"Yes: {f.name}.{c.name} ({c.type_text}). Spell it exactly {c.name}; the collation is binary, so "
                f"'{c.name.lower()}' would not match."
                if c.name != c.name.lower()
                else f"Yes: {f.name}.{c.name} ({c.type_text}) is a column of {f.label}.",
                [],
            )
        for c in rng.sample(list(o.columns), min(8, len(o.columns))):
            null = {True: "nullable", False: "NOT NULL", None: "nullability not recorded"}[c.nullable]
            base = f" (base type {c.base_type})" if c.base_type and c.base_type != c.data_type else ""
            yield _rec(
                "schema_knowledge",
                f"What is the data type of {f.name}.{c.name}?",
                f"{f.name}.{c.name} is {c.type_text}{base}, {null}. It is column {c.ordinal} of {f.name} ({f.label}).",
                [],
            )


def _unasked(sql: str, catalog: Catalog, a: str, b: str) -> str:
    """A join answer for a question that names no company: both company filters as parameters."""
    for name in (a, b):
        sql = company_as_parameter(sql, catalog.company_column(name))
    return sql


def join_patterns(joins: list[tuple[str, str]], catalog: Catalog, rng: random.Random) -> Iterator[dict]:
    for k, (a, b) in enumerate(joins):
        pairs = catalog.join_keys(a, b)
        on = " AND ".join(f"{a}.{x} = {b}.{y}" for x, y in pairs)
        q = join_query(catalog, a, b, k)
        q = replace(q, sql=_unasked(q.sql, catalog, a, b))  # "How do I join ..." names no company
        yield _rec(
            "join_patterns",
            f"How do I join {a} and {b}?",
            f"Join {a} to {b} on every key column: {on}.\n\n{fence(q.sql)}\n\n"
            f"Joining on only {pairs[-1][0]} would match rows of other companies or months and multiply results.",
            [q.sql],
        )
        yield _rec(
            "join_patterns",
            f"Which columns join {a} to {b}?",
            f"{a} and {b} join on {len(pairs)} columns: {', '.join(f'{x} = {y}' for x, y in pairs)}. "
            "Use all of them; a partial key is an incomplete join.",
            [],
        )
        yield _rec(
            "join_patterns",
            f"What goes wrong if I join {a} and {b} only on {pairs[-1][0]}?",
            f"{pairs[-1][0]} alone is not unique across {', '.join(x for x, _ in pairs[:-1])}: the join would pair "
            f"rows from different keys and multiply totals. The complete join is:\n\n{fence(q.sql)}",
            [q.sql],
        )
        q2 = join_query(catalog, a, b, k + 1)
        yield _rec(
            "join_patterns",
            f"Write the {a} to {b} join for company {1 + (k + 1) % 3}.",
            f"{fence(q2.sql)}\n\n{q2.note}",
            [q2.sql],
        )
        lq = join_query(catalog, a, b, k, kind="LEFT")
        lq = replace(lq, sql=_unasked(lq.sql, catalog, a, b))
        yield _rec(
            "join_patterns", f"How do I find {a} rows that have no {b} rows?", f"{fence(lq.sql)}\n\n{lq.note}", [lq.sql]
        )


def business_context(facts: list[ObjectFacts], catalog: Catalog, rng: random.Random) -> Iterator[dict]:
    by_module: dict[str, list[ObjectFacts]] = {}
    for f in facts:
        by_module.setdefault(f.obj.module or "?", []).append(f)
        q = object_queries(f, 1)[0]
        q = replace(q, sql=company_as_parameter(q.sql, f.company))  # the questions below name no company
        yield _rec(
            "business_context",
            f"What is {f.name} used for in Viewpoint Vista?",
            f"{f.name} is {f.label}, in the {f.obj.module or 'unassigned'} module. A typical query:\n\n{fence(q.sql)}",
            [q.sql],
        )
        if f.labelled:  # a label from the export or the vocabulary: a question a user could ask
            yield _rec(
                "business_context",
                f"Which Vista object holds {f.label.split('(')[0].strip()} data?",
                f"Use {f.name} ({f.obj.module or 'no'} module)."
                + (f" Filter it by {f.company}." if f.company else "")
                + (f" Its key is {', '.join(f.key)}." if f.key else "")
                + f" A typical query:\n\n{fence(q.sql)}",
                [q.sql],
            )
        yield _rec(
            "business_context",
            f"Which module owns {f.name}, and how is it partitioned?",
            f"{f.name} belongs to the {f.obj.module or 'unrecorded'} module ({f.label}). "
            + (f"Rows are per company ({f.company})." if f.company else "It has no company column.")
            + (f" One row per {', '.join(f.key)}." if f.key else ""),
            [],
        )
        if f.obj.is_view and f.obj.base_table:
            yield _rec(
                "business_context",
                f"Should I query {f.name} or {f.obj.base_table}?",
                f"Query the view {f.name}. {f.obj.base_table} is its base table; Vista's views apply company security "
                "and are what reports and users query.",
                [],
            )
    for module, items in sorted(by_module.items()):
        names = ", ".join(x.name for x in items[:12])
        yield _rec(
            "business_context",
            f"Which objects belong to the {module} module?",
            f"The {module} module has {len(items)} queryable objects, including {names}.",
            [],
        )


__all__ = [
    "business_context",
    "error_correction",
    "fence",
    "join_patterns",
    "negatives",
    "schema_knowledge",
    "sql_generation",
]
