"""DPO v3: balanced, subtle preference pairs (the fix for DPO v2's 83%-rejection over-correction).

Both sides of a pair have the same shape and explanatory text, so the only difference is the thing taught:
real vs invented table or column (the same query on the real or the invented name), complete vs incomplete
join key, company filter vs none, NOLOCK vs none (the same note under both). Pairs whose chosen/rejected
length ratio falls outside ``dpo_length_band`` are not used, so "the longer answer wins" is not learnable.
Real-table acceptance pairs (rejected = the false "does not exist" answer DPO v2 learned) balance the
rejections.
"""

import random
from collections.abc import Callable, Iterator

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.config import HALLUCINATION_PHASE, DatasetsConfig
from vgpt_dagster.datasets.language import (
    column_acceptance,
    column_refusal,
    false_rejection,
    table_acceptance,
    table_refusal,
)
from vgpt_dagster.datasets.records import normalise_instruction, sample, to_frame
from vgpt_dagster.datasets.schema_block import prompt_context
from vgpt_dagster.datasets.sft import train_rows
from vgpt_dagster.datasets.sft_sources import fence
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.datasets.sqlgen import ObjectFacts, company_as_parameter, join_candidates, object_facts
from vgpt_dagster.datasets.sqlpool import join_query, object_queries
from vgpt_dagster.sql.render import ident, render_select

FAKE_ASKS = (
    "Query the {x} table for company {co}.",
    "Get all {x} records for company {co}.",
    "Write SQL against {x} for company {co}.",
    "What is in the {x} table?",
)
REAL_ASKS = (
    "Describe the {x} table.",
    "Does {x} exist? Show me a query on it.",
    "Query {x} for company {co}.",
    "What is {x} in Vista?",
)
COLUMN_ASKS = ("Select {c} from {t} for company {co}.", "Show me {t}.{c} for company {co}.")


def _pair(category: str, instruction: str, chosen: str, rejected: str) -> dict:
    phase = "hallucination" if category in HALLUCINATION_PHASE else "style"
    return {
        "category": category,
        "instruction": instruction,
        "input": "",
        "chosen": chosen,
        "rejected": rejected,
        "phase": phase,
    }


def _on_fake(sql: str, real: str, fake: str) -> str:
    """The same query on the invented name: what a hallucinating model writes (house style otherwise)."""
    return sql.replace(f"FROM {ident(real)} ", f"FROM {ident(fake)} ", 1)


def _asked_company(sql: str, f: ObjectFacts, ask: str) -> str:
    """The query as the ask wants it: its company number when it names one, else the ``@APCo`` parameter."""
    return sql if "{co}" in ask else company_as_parameter(sql, f.company)


def fake_table_pairs(facts: dict[str, ObjectFacts], fakes: list[dict], asks=FAKE_ASKS) -> Iterator[dict]:
    """Chosen refuses the invented name and queries the real object; rejected says the invented name holds the
    data and runs the same query on it. Same explanation, same object list, same SQL but for the name."""
    for p in fakes:
        f = facts.get(p["real"][0])
        if f is None:
            continue
        labels = {r: facts[r].label if r in facts else r for r in p["real"]}
        for k, ask in enumerate(asks):
            sql = _asked_company(object_queries(f, k)[0].sql, f, ask)  # k: the company the ask names (1 + k % 3)
            chosen = f"{table_refusal(p['fake'], p['real'], labels, p['explanation'])}\n\n{fence(sql)}"
            rejected = f"{table_acceptance(p['fake'], p['real'], labels, p['explanation'])}\n\n"
            rejected += fence(_on_fake(sql, f.name, p["fake"]))
            yield _pair("fake_table_rejection", ask.format(x=p["fake"], co=1 + k % 3), chosen, rejected)


def real_table_pairs(facts: dict[str, ObjectFacts], asks=REAL_ASKS) -> Iterator[dict]:
    """Chosen: the object exists, with the query; rejected: the false "does not exist" over the same query."""
    # English-looking real names first (Companies, SMWorkOrder): the ones a rejection-biased model refuses.
    ordered = sorted(facts.values(), key=lambda f: (f.name.isupper(), f.name))
    for f in ordered:
        if len(f.display_columns(6)) < 3:  # a description names at least three columns
            continue
        for k, ask in enumerate(asks):
            sql = _asked_company(object_queries(f, k)[0].sql, f, ask)
            kind = "view" if f.obj.is_view else "table"
            chosen = f"{f.name} exists in Viewpoint Vista: it is {f.label} (a {kind}). Query it like this:"
            rejected = false_rejection(f.name)
            yield _pair(
                "real_table_acceptance",
                ask.format(x=f.name, co=1 + k % 3),
                f"{chosen}\n\n{fence(sql)}",
                f"{rejected}\n\n{fence(sql)}",
            )


def fake_column_pairs(facts: dict[str, ObjectFacts], cols: list[dict], asks=COLUMN_ASKS) -> Iterator[dict]:
    """Chosen refuses the invented column and selects the real one; rejected selects the invented one."""
    for cp in cols:
        f = facts.get(cp["table"])
        if f is None:
            continue
        where = f.company_where()
        keys = [ident(c) for c in f.key[:2]]
        good = render_select([*keys, *(ident(c) for c in cp["real_columns"][:1])], f.name, where=where, top=100)
        bad = render_select([*keys, ident(cp["fake_column"])], f.name, where=where, top=100)
        for ask in asks:
            yield _pair(
                "fake_column_rejection",
                ask.format(c=cp["fake_column"], t=f.name, co=1),
                f"{column_refusal(f.name, cp['fake_column'], cp['real_columns'])}\n\n{fence(good)}",
                f"{column_acceptance(f.name, cp['fake_column'], cp['real_columns'])}\n\n{fence(bad)}",
            )


def _style(category: str, ask: str, good_sql: str, bad_sql: str, note: str) -> dict:
    """A style pair: the same note under both answers, so the SQL difference is all that is taught."""
    return _pair(category, ask, f"{fence(good_sql)}\n\n{note}", f"{fence(bad_sql)}\n\n{note}")


def style_pairs(
    facts: list[ObjectFacts], joins: list[tuple[str, str]], catalog: Catalog, i: int = 2
) -> dict[str, list]:
    """nolock_style, join_quality and company_filter pairs (``i`` picks literal variants, so KTO can differ)."""
    out: dict[str, list] = {"nolock_style": [], "join_quality": [], "company_filter": []}
    for f in facts:
        for q in object_queries(f, i)[:3]:
            ask = f"Write a query for {q.ask}."
            out["nolock_style"].append(_style("nolock_style", ask, q.sql, q.sql.replace(" WITH (NOLOCK)", ""), q.note))
            where = next(
                (ln for ln in q.sql.splitlines() if ln.startswith("WHERE") and f.company and f.company in ln), None
            )
            if where and "\n  AND " not in q.sql:
                bad = q.sql.replace(where + "\n", "").replace("\n" + where, "")
                out["company_filter"].append(_style("company_filter", f"Query {q.ask}.", q.sql, bad, q.note))
    for k, (a, b) in enumerate(joins):
        q = join_query(catalog, a, b, k + i)
        pairs = catalog.join_keys(a, b)
        full = " AND ".join(f"a.{ident(x)} = b.{ident(y)}" for x, y in pairs)
        partial = " AND ".join(f"a.{ident(x)} = b.{ident(y)}" for x, y in pairs[1:])
        ask = f"Join {a} to {b}" + (f" ({q.ask.split(' for ')[-1]})." if " for " in q.ask else ".")
        out["join_quality"].append(_style("join_quality", ask, q.sql, q.sql.replace(full, partial), q.note))
    return out


def length_ratio(rec: dict) -> float:
    """len(chosen) / len(rejected) of a pair (the "longer wins" shortcut when far from 1)."""
    return len(rec["chosen"]) / max(len(rec["rejected"]), 1)


def category_pools(
    catalog: Catalog,
    pairs: pl.DataFrame,
    column_pairs: pl.DataFrame,
    i: int = 2,
    length_band: tuple[float, float] = (0.0, float("inf")),
) -> dict[str, list[dict]]:
    """Candidate pairs per category, keeping those whose chosen/rejected length ratio is inside ``length_band``."""
    facts_list = object_facts(catalog)
    facts = {f.name: f for f in facts_list}
    joins = join_candidates(catalog, facts_list)
    pools = {
        "fake_table_rejection": list(fake_table_pairs(facts, train_rows(pairs))),
        "real_table_acceptance": list(real_table_pairs(facts)),
        "fake_column_rejection": list(fake_column_pairs(facts, train_rows(column_pairs))),
    }
    pools.update(style_pairs(facts_list, joins, catalog, i))
    lo, hi = length_band
    return {c: [r for r in recs if lo <= length_ratio(r) <= hi] for c, recs in pools.items()}


def _fenced_sql(text: str) -> list[str]:
    return [s.split("```")[0].strip() for s in text.split("```sql\n")[1:]]


def select_checked(
    pools: dict[str, list[dict]],
    targets: dict[str, int],
    rng: random.Random,
    checker: SqlChecker,
    good_key: str,
    exclude: set[str] = frozenset(),
    good: Callable[[dict], str] | None = None,
) -> list[dict]:
    """Per category, up to the target count of records whose good side's SQL passes and prompt is new."""
    out: list[dict] = []
    seen = set(exclude)
    for cat, n in targets.items():
        pool = list(pools.get(cat, ()))
        rng.shuffle(pool)
        kept = fetched = 0
        for idx, rec in enumerate(pool):
            if kept >= n:
                break
            if idx >= fetched:  # analyse the good sides still needed, in the worker processes
                fetched = idx + n - kept + 32
                checker.prefetch(s for r in pool[idx:fetched] for s in _fenced_sql(good(r) if good else r[good_key]))
            key = normalise_instruction(rec["instruction"])
            if key in seen:
                continue
            text = good(rec) if good else rec[good_key]
            sqls = _fenced_sql(text)
            if not all(checker.ok(s) for s in sqls):
                continue
            seen.add(key)
            out.append(rec)
            kept += 1
    return out


def build_dpo_dataset(
    catalog: Catalog,
    pairs: pl.DataFrame,
    column_pairs: pl.DataFrame,
    cfg: DatasetsConfig,
    checker: SqlChecker | None = None,
    targets: dict[str, int] | None = None,
) -> pl.DataFrame:
    """Contract columns + split; pairs per category from ``targets``, else ``cfg.dpo_counts`` (times ``cfg.scale``)."""
    rng = random.Random(cfg.seed + 1)
    checker = checker or SqlChecker(catalog)
    pools = category_pools(catalog, pairs, column_pairs, length_band=cfg.dpo_length_band)
    recs = select_checked(pools, targets or cfg.dpo_targets(), rng, checker, "chosen")
    ctx = prompt_context(catalog, cfg)
    return to_frame(sample(recs, len(recs), rng), "dpo_v3", cfg.system_prompt, cfg.holdout_fraction, ctx)
