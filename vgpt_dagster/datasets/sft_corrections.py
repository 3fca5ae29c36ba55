"""Candidate SFT records that correct something: ``error_correction`` (wrong SQL in, fixed SQL and why out)
and ``negatives`` (an invented table/column -> a refusal naming the real object, plus correct SQL).

Records have the shape of :mod:`vgpt_dagster.datasets.sft_sources` records (re-exported there).
"""

import random
import re
from collections.abc import Iterator
from dataclasses import replace

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.language import column_refusal, table_refusal
from vgpt_dagster.datasets.records import fence
from vgpt_dagster.datasets.records import sft_record as _rec
from vgpt_dagster.datasets.sqlgen import ObjectFacts, company_as_parameter
from vgpt_dagster.datasets.sqlpool import join_query, object_queries
from vgpt_dagster.sql.render import ident, render_select

_FIX = (
    "Fix this query.",
    "What is wrong with this SQL, and what is the corrected version?",
    "Review this T-SQL against the Vista conventions and correct it.",
    "This query is not acceptable in Vista. Correct it.",
)


def error_correction(
    facts: list[ObjectFacts],
    joins: list[tuple[str, str]],
    catalog: Catalog,
    pairs: list[dict],
    column_pairs: list[dict],
    case_variants: list[dict],
    rng: random.Random,
) -> Iterator[dict]:
    by_name = {f.name: f for f in facts}
    for i, f in enumerate(facts):
        q = object_queries(f, i)[0]
        yield _rec(
            "error_correction",
            rng.choice(_FIX),
            "Every table in a Vista SELECT needs WITH (NOLOCK) (read without blocking posting batches):"
            f"\n\n{fence(q.sql)}",
            [q.sql],
            q.sql.replace(" WITH (NOLOCK)", ""),
        )
        if f.company:
            where_line = next(line for line in q.sql.splitlines() if line.startswith("WHERE"))
            wrong = q.sql.replace(where_line + "\n", "")
            fixed = company_as_parameter(q.sql, f.company)  # neither the question nor its SQL names a company
            yield _rec(
                "error_correction",
                rng.choice(_FIX),
                f"The query reads every company's rows. {f.name} is partitioned by {f.company}; add the company "
                f"filter:\n\n{fence(fixed)}",
                [fixed],
                wrong,
            )

    def wrong_table_fix(f, written: str, explanation: str):
        """The object's first query with ``written`` in place of its real name, corrected with ``explanation``."""
        q = object_queries(f, 0)[0]
        wrong = q.sql.replace(f"FROM {f.name} ", f"FROM {written} ")
        return _rec("error_correction", rng.choice(_FIX), explanation.format(sql=fence(q.sql)), [q.sql], wrong)

    for v in case_variants:
        f = by_name.get(v["exact_name"])
        if f is not None:
            why = f"'{v['variant']}' must be written {f.name}: the Vista database collation is binary (case-sensitive)."
            yield wrong_table_fix(f, v["variant"], why.replace("{", "{{").replace("}", "}}") + "\n\n{sql}")
    for p in pairs:
        f = by_name.get(p["real"][0])
        if f is not None:
            labels = {r: by_name[r].label if r in by_name else r for r in p["real"]}
            refusal = table_refusal(p["fake"], p["real"], labels).replace("{", "{{").replace("}", "}}")
            yield wrong_table_fix(f, p["fake"], refusal + "\n\nCorrected:\n{sql}")
    for cp in column_pairs:
        f = by_name.get(cp["table"])
        if f is None:
            continue
        real = cp["real_columns"][0]
        good = render_select([ident(real)], f.name, where=f.company_where(), top=100)
        wrong = render_select([ident(cp["fake_column"])], f.name, where=f.company_where(), top=100)
        yield _rec(
            "error_correction",
            rng.choice(_FIX),
            f"{column_refusal(f.name, cp['fake_column'], cp['real_columns'])}\n\n{fence(good)}",
            [good],
            wrong,
        )
    for k, (a, b) in enumerate(joins):
        q = join_query(catalog, a, b, k)
        pairs_ab = catalog.join_keys(a, b)
        full_on = " AND ".join(f"a.{ident(x)} = b.{ident(y)}" for x, y in pairs_ab)
        wrong = q.sql.replace(full_on, f"a.{ident(pairs_ab[-1][0])} = b.{ident(pairs_ab[-1][1])}")
        yield _rec(
            "error_correction",
            rng.choice(_FIX),
            f"The join uses only {pairs_ab[-1][0]}; {a} and {b} share the key ({', '.join(x for x, _ in pairs_ab)}), "
            f"so rows from other companies/months match too. Join on the whole key:\n\n{fence(q.sql)}",
            [q.sql],
            wrong,
        )


def negatives(
    facts: list[ObjectFacts],
    catalog: Catalog,
    pairs: list[dict],
    column_pairs: list[dict],
    case_variants: list[dict],
    rng: random.Random,
) -> Iterator[dict]:
    by_name = {f.name: f for f in facts}
    asks = (
        "Query the {x} table.",
        "Show me all rows from {x}.",
        "What columns are in {x}?",
        "Describe the {x} table.",
        "Write SQL to get {x} for company 1.",
        "Select everything from {x} for company 2.",
        "Does {x} exist in Vista?",
        "How do I join {x} to other tables?",
        "List the top 10 records of {x}.",
        "Count the rows in {x}.",
    )
    for p in pairs:
        f = by_name.get(p["real"][0])
        if f is None:
            continue
        labels = {r: (by_name[r].label if r in by_name else r) for r in p["real"]}
        for ask in rng.sample(asks, 6):
            co = re.search(r"company (\d+)", ask)
            q = object_queries(f, int(co.group(1)) - 1 if co else 0)[0]  # the company the ask names
            q = q if co else replace(q, sql=company_as_parameter(q.sql, f.company))  # none named: a parameter
            yield _rec(
                "negatives",
                ask.format(x=p["fake"]),
                f"{table_refusal(p['fake'], p['real'], labels, p['explanation'])}\n\nFor example:\n{fence(q.sql)}",
                [q.sql],
            )
    for cp in column_pairs:
        f = by_name.get(cp["table"])
        if f is None:
            continue
        real = [ident(c) for c in cp["real_columns"]]
        where = [f"{ident(f.company)} = @{f.company}"] if f.company else []  # the asks name no company
        good = render_select(list(dict.fromkeys([*_key_cols(f), *real])), f.name, where=where, top=100)
        for ask in ("Select {c} from {t}.", "What is {t}.{c}?", "Show {c} for each row of {t}."):
            yield _rec(
                "negatives",
                ask.format(c=cp["fake_column"], t=f.name),
                f"{column_refusal(f.name, cp['fake_column'], cp['real_columns'])}\n\n{fence(good)}",
                [good],
            )
    for v in case_variants:
        f = by_name.get(v["exact_name"])
        if f is None:
            continue
        q = object_queries(f, 0)[0]
        q = replace(q, sql=company_as_parameter(q.sql, f.company))  # "Query the apth table." names no company
        yield _rec(
            "negatives",
            f"Query the {v['variant']} table.",
            f"The object exists but is spelled {f.name}; the Vista collation is binary, so '{v['variant']}' fails. "
            f"Write it {f.name}:\n\n{fence(q.sql)}",
            [q.sql],
        )


def _key_cols(f: ObjectFacts) -> list[str]:
    return [ident(c) for c in f.key[:3]]
