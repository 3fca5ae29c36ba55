"""DPO v3: balanced, subtle preference pairs (the fix for DPO v2's 83%-rejection over-correction).

Outside ``nolock_style`` both sides carry WITH (NOLOCK), so the only difference is the thing taught:
real vs invented table or column, complete vs incomplete join key, company filter vs none. Real-table
acceptance pairs (rejected = the false "does not exist" answer DPO v2 learned) balance the rejections.
"""

import random
from collections.abc import Callable, Iterator

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.config import HALLUCINATION_PHASE, DatasetsConfig
from vgpt_dagster.datasets.language import column_refusal, false_rejection, table_refusal
from vgpt_dagster.datasets.records import normalise_instruction, sample, to_frame
from vgpt_dagster.datasets.sft import train_rows
from vgpt_dagster.datasets.sft_sources import fence
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.datasets.sqlgen import ObjectFacts, join_candidates, object_facts
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


def _fake_sql(fake: str, f: ObjectFacts) -> str:
    """What a hallucinating model writes: the invented table, but otherwise in house style."""
    cols = [ident(c) for c in f.display_columns(4)]
    where = [f"{ident(f.company)} = 1"] if f.company else []
    return render_select(cols, fake, where=where, top=100)


def fake_table_pairs(facts: dict[str, ObjectFacts], fakes: list[dict], asks=FAKE_ASKS) -> Iterator[dict]:
    for p in fakes:
        f = facts.get(p["real"][0])
        if f is None:
            continue
        q = object_queries(f, 0)[0]
        labels = {r: facts[r].label if r in facts else r for r in p["real"]}
        for k, ask in enumerate(asks):
            chosen = f"{table_refusal(p['fake'], p['real'], labels, p['explanation'])}\n\n{fence(q.sql)}"
            yield _pair(
                "fake_table_rejection",
                ask.format(x=p["fake"], co=1 + k % 3),
                chosen,
                f"{fence(_fake_sql(p['fake'], f))}\n\nThis returns the {p['fake']} rows.",
            )


def real_table_pairs(facts: dict[str, ObjectFacts], asks=REAL_ASKS) -> Iterator[dict]:
    # English-looking real names first (Companies, SMWorkOrder): the ones a rejection-biased model refuses.
    ordered = sorted(facts.values(), key=lambda f: (f.name.isupper(), f.name))
    for f in ordered:
        q = object_queries(f, 1)[0]
        for k, ask in enumerate(asks):
            chosen = (
                f"{f.name} exists: it is {f.label} ({'view' if f.obj.is_view else 'table'}, "
                f"{len(f.obj.columns)} columns" + (f", key {', '.join(f.key)}" if f.key else "") + ").\n\n"
                f"{fence(q.sql)}"
            )
            yield _pair("real_table_acceptance", ask.format(x=f.name, co=1 + k % 3), chosen, false_rejection(f.name))


def fake_column_pairs(facts: dict[str, ObjectFacts], cols: list[dict], asks=COLUMN_ASKS) -> Iterator[dict]:
    for cp in cols:
        f = facts.get(cp["table"])
        if f is None:
            continue
        where = f.company_where()
        keys = [ident(c) for c in f.key[:2]]
        good = render_select(
            list(dict.fromkeys([*keys, *(ident(c) for c in cp["real_columns"])])), f.name, where=where, top=100
        )
        bad = render_select([*keys, ident(cp["fake_column"])], f.name, where=where, top=100)
        for ask in asks:
            yield _pair(
                "fake_column_rejection",
                ask.format(c=cp["fake_column"], t=f.name, co=1),
                f"{column_refusal(f.name, cp['fake_column'], cp['real_columns'])}\n\n{fence(good)}",
                f"{fence(bad)}\n\nThis returns {cp['fake_column']} for each row.",
            )


def style_pairs(
    facts: list[ObjectFacts], joins: list[tuple[str, str]], catalog: Catalog, i: int = 2
) -> dict[str, list]:
    """nolock_style, join_quality and company_filter pairs (``i`` picks literal variants, so KTO can differ)."""
    out: dict[str, list] = {"nolock_style": [], "join_quality": [], "company_filter": []}
    for f in facts:
        for q in object_queries(f, i)[:3]:
            ask = f"Write a query for {q.ask}."
            out["nolock_style"].append(
                _pair("nolock_style", ask, f"{fence(q.sql)}\n\n{q.note}", fence(q.sql.replace(" WITH (NOLOCK)", "")))
            )
            where = next(
                (ln for ln in q.sql.splitlines() if ln.startswith("WHERE") and f.company and f.company in ln), None
            )
            if where and "\n  AND " not in q.sql:
                out["company_filter"].append(
                    _pair(
                        "company_filter",
                        f"Query {q.ask}.",
                        f"{fence(q.sql)}\n\n{q.note}",
                        fence(q.sql.replace(where + "\n", "").replace("\n" + where, "")),
                    )
                )
    for k, (a, b) in enumerate(joins):
        q = join_query(catalog, a, b, k + i)
        pairs = catalog.join_keys(a, b)
        full = " AND ".join(f"a.{ident(x)} = b.{ident(y)}" for x, y in pairs)
        partial = " AND ".join(f"a.{ident(x)} = b.{ident(y)}" for x, y in pairs[1:])
        out["join_quality"].append(
            _pair(
                "join_quality",
                f"Join {a} to {b}" + (f" ({q.ask.split(' for ')[-1]})." if " for " in q.ask else "."),
                f"{fence(q.sql)}\n\n{q.note}",
                fence(q.sql.replace(full, partial)),
            )
        )
    return out


def category_pools(
    catalog: Catalog, pairs: pl.DataFrame, column_pairs: pl.DataFrame, i: int = 2
) -> dict[str, list[dict]]:
    facts_list = object_facts(catalog)
    facts = {f.name: f for f in facts_list}
    joins = join_candidates(catalog, facts_list)
    pools = {
        "fake_table_rejection": list(fake_table_pairs(facts, train_rows(pairs))),
        "real_table_acceptance": list(real_table_pairs(facts)),
        "fake_column_rejection": list(fake_column_pairs(facts, train_rows(column_pairs))),
    }
    pools.update(style_pairs(facts_list, joins, catalog, i))
    return pools


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
) -> pl.DataFrame:
    """Contract columns + split; counts per category from ``cfg.dpo_counts`` (times ``cfg.scale``)."""
    rng = random.Random(cfg.seed + 1)
    checker = checker or SqlChecker(catalog)
    recs = select_checked(category_pools(catalog, pairs, column_pairs), cfg.dpo_targets(), rng, checker, "chosen")
    return to_frame(sample(recs, len(recs), rng), "dpo_v3", cfg.system_prompt, cfg.holdout_fraction)
