"""The SFT dataset: category pools from the catalog, mixed to the configured shares, checked, deduped, shuffled.

Guarantees (each re-checked by ``audit.audit_sft``): every SQL in an output passes the analyzer (records
whose SQL fails are dropped and counted), no output shorter than ``min_output_chars`` (short outputs get
facts about the object they name appended - label, key, company column; records still short are dropped),
no two instructions equal after normalisation, only the 'train' split of the fake pairs is used, and the
order is a seeded shuffle.
"""

import logging
import random
import re
from dataclasses import dataclass, field

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets import sft_sources as src
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.records import dedup, normalise_instruction, to_frame
from vgpt_dagster.datasets.schema_block import prompt_context
from vgpt_dagster.datasets.semantics import object_weights
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.datasets.sqlgen import ObjectFacts, join_candidates, object_facts

log = logging.getLogger(__name__)


@dataclass
class SftStats:
    """What generation dropped and why (reported as asset metadata)."""

    targets: dict[str, int] = field(default_factory=dict)
    dropped_sql: int = 0
    rewritten_short: int = 0  # short outputs completed with facts about the object they name
    duplicates_removed: int = 0
    dropped_sql_examples: list[dict] = field(default_factory=list)
    intent_records: int = 0  # sql_generation records taken from the business-intent library


def train_rows(df: pl.DataFrame | None) -> list[dict]:
    """Rows of a pairs frame in the 'train' split (holdout names never reach training data)."""
    if df is None or df.is_empty():
        return []
    return df.filter(pl.col("split") == "train").to_dicts() if "split" in df.columns else df.to_dicts()


def build_sft_dataset(
    catalog: Catalog,
    pairs: pl.DataFrame,
    column_pairs: pl.DataFrame,
    cfg: DatasetsConfig,
    corpus: pl.DataFrame | None = None,
    case_variants: pl.DataFrame | None = None,
    checker: SqlChecker | None = None,
    stats: SftStats | None = None,
    intents: list[dict] | None = None,
) -> pl.DataFrame:
    """Contract columns + ``split`` (train/eval), about ``cfg.sft_size * cfg.scale`` records.

    ``intents``: candidate records from the business-intent library's training split
    (``datasets.intents.intent_sft_records``); ``cfg.intent_share`` of the sql_generation target is taken from them.
    """
    rng = random.Random(cfg.seed)
    checker = checker or SqlChecker(catalog)
    stats = stats if stats is not None else SftStats()
    facts = object_facts(catalog)
    joins = join_candidates(catalog, facts, per_object=6)
    fakes, cols, cases = train_rows(pairs), train_rows(column_pairs), train_rows(case_variants)
    corpus_recs = [dict(r, sqls=list(r.get("sqls") or [])) for r in (corpus.to_dicts() if corpus is not None else [])]
    pools = {
        "sql_generation": list(src.sql_generation(facts, joins, catalog, rng, corpus_recs, object_weights(facts, cfg))),
        "schema_knowledge": list(src.schema_knowledge(facts, catalog, rng)),
        "join_patterns": list(src.join_patterns(joins, catalog, rng)),
        "error_correction": list(src.error_correction(facts, joins, catalog, fakes, cols, cases, rng)),
        "business_context": list(src.business_context(facts, catalog, rng)),
        "negatives": list(src.negatives(facts, catalog, fakes, cols, cases, rng)),
    }
    targets = cfg.sft_targets()
    stats.targets = targets
    by_name = {f.name: f for f in facts}
    seen: set[str] = set()
    chosen: list[dict] = []
    leftovers: dict[str, list[dict]] = {}
    intent_rest = list(intents or [])  # in the library's seeded round-robin order (datasets.intents)
    for category in targets:  # fixed order: config order, so a seed gives the same data
        pool = pools[category]
        rng.shuffle(pool)
        want = targets[category]
        if category == "sql_generation":  # business questions first: intent_share of the target
            n_int = round(want * cfg.intent_share)
            got, intent_rest = _take_intents(intent_rest, n_int, seen, checker, cfg, stats, by_name)
            chosen += got
            want -= len(got)
        kept, rest = _take(pool, want, seen, checker, cfg, stats, by_name)
        chosen += kept
        leftovers[category] = rest
        if len(kept) < want:
            log.info("SFT category %s: pool gave %d of %d records", category, len(kept), targets[category])
    # A short category's deficit is filled from the others in mix order (sql_generation first).
    deficit = sum(targets.values()) - len(chosen)
    for category in targets:
        if deficit <= 0:
            break
        if category == "sql_generation":  # the deficit keeps the intent share of sql_generation too
            n_int = round(deficit * cfg.intent_share)
            got, intent_rest = _take_intents(intent_rest, n_int, seen, checker, cfg, stats, by_name)
            chosen += got
            deficit -= len(got)
        kept, leftovers[category] = _take(leftovers[category], deficit, seen, checker, cfg, stats, by_name)
        chosen += kept
        deficit -= len(kept)
    chosen, removed = dedup(chosen)  # belt and braces: the loop above already skipped duplicates
    stats.duplicates_removed += removed
    rng.shuffle(chosen)
    log.info(
        "SFT: %d records, %d dropped for SQL, %d duplicates", len(chosen), stats.dropped_sql, stats.duplicates_removed
    )
    return to_frame(chosen, "sft", cfg.system_prompt, cfg.holdout_fraction, prompt_context(catalog, cfg))


def _take_intents(pool: list[dict], n: int, *args):
    """Up to ``n`` intent records (``_take`` with the same checks), counted in ``stats.intent_records``."""
    kept, rest = _take(pool, n, *args)
    args[3].intent_records += len(kept)
    return kept, rest


def _take(
    pool: list[dict],
    n: int,
    seen: set[str],
    checker: SqlChecker,
    cfg: DatasetsConfig,
    stats: SftStats,
    facts: dict[str, ObjectFacts] | None = None,
):
    """Up to ``n`` records of ``pool`` that are new, long enough and whose SQL passes; returns (kept, untried)."""
    kept: list[dict] = []
    fetched = 0
    for idx, rec in enumerate(pool):
        if len(kept) >= n:
            return kept, pool[idx:]
        if idx >= fetched:  # analyse the SQL of as many records as are still needed, in the worker processes
            fetched = idx + n - len(kept) + 32
            checker.prefetch(s for r in pool[idx:fetched] for s in r["sqls"])
        key = normalise_instruction(rec["instruction"]) + "\x1f" + normalise_instruction(rec["input"])
        if key in seen:
            stats.duplicates_removed += 1
            continue
        if not _long_enough(rec, cfg.min_output_chars, stats, facts or {}):
            continue
        bad = [s for s in rec["sqls"] if not checker.ok(s)]
        if bad:
            stats.dropped_sql += 1
            if len(stats.dropped_sql_examples) < 5:
                stats.dropped_sql_examples.append({"sql": bad[0], "rules": sorted(checker.analyze(bad[0]).rules())})
            continue
        seen.add(key)
        kept.append(rec)
    return kept, []


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _long_enough(rec: dict, min_chars: int, stats: SftStats, facts: dict[str, ObjectFacts]) -> bool:
    """Outputs under ``min_chars`` get facts about the first object they name (label, module, key, company
    column); an output naming none is dropped. Never padding that repeats the question."""
    if len(rec["output"]) >= min_chars:
        return True
    f = next((facts[w] for w in _WORD.findall(rec["output"]) if w in facts), None)
    if f is not None:
        more = f" {f.name} is {f.label}" + (f", keyed by {', '.join(f.key)}" if f.key else "")
        more += f"; filter it by {f.company}." if f.company else "; it has no company column."
        rec["output"] = rec["output"].rstrip() + more
        if len(rec["output"]) >= min_chars:
            stats.rewritten_short += 1
            return True
    return False
