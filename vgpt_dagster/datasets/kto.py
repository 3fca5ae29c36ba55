"""KTO: single completions labelled desirable (True) or undesirable (False), about 60/40.

Same sources as DPO but other prompt templates and literal variants, and every DPO prompt is excluded,
so the two stages never see the same prompt (the original DPO/KTO overlap risk).
"""

import random

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets import dpo
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.records import normalise_instruction, sample, to_frame
from vgpt_dagster.datasets.schema_block import prompt_context
from vgpt_dagster.datasets.sft import train_rows
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.datasets.sqlgen import join_candidates, object_facts

# KTO category -> the DPO pool it draws from
SOURCES = {
    "fake_table": "fake_table_rejection",
    "real_table": "real_table_acceptance",
    "fake_column": "fake_column_rejection",
    "nolock": "nolock_style",
    "join": "join_quality",
    "company_filter": "company_filter",
}
_FAKE = (
    "Pull the {x} rows for company {co}.",
    "Can you list what is stored in {x}?",
    "SELECT from {x} please (company {co}).",
)
_REAL = ("Tell me about the {x} object.", "Is {x} a real Vista table? Query it for company {co}.")
_COLS = ("Give me {c} from {t} (company {co}).", "List {t}.{c} values for company {co}.")


def build_kto_dataset(
    catalog: Catalog,
    pairs: pl.DataFrame,
    column_pairs: pl.DataFrame,
    cfg: DatasetsConfig,
    dpo_prompts: set[str] | frozenset[str] = frozenset(),
    checker: SqlChecker | None = None,
) -> pl.DataFrame:
    """Contract columns + split. ``dpo_prompts`` are DPO instructions; none is reused (normalised match)."""
    rng = random.Random(cfg.seed + 2)
    checker = checker or SqlChecker(catalog)
    facts_list = object_facts(catalog)
    facts = {f.name: f for f in facts_list}
    pools = {
        "fake_table_rejection": list(dpo.fake_table_pairs(facts, train_rows(pairs), _FAKE)),
        "real_table_acceptance": list(dpo.real_table_pairs(facts, _REAL)),
        "fake_column_rejection": list(dpo.fake_column_pairs(facts, train_rows(column_pairs), _COLS)),
    }
    pools.update(dpo.style_pairs(facts_list, join_candidates(catalog, facts_list), catalog, i=3))
    for recs in pools.values():
        for r in recs:
            r["instruction"] = _rephrase(r["instruction"])
    total = cfg.sized(cfg.kto_size)
    n_good = round(total * cfg.kto_desirable_share)
    per_cat = {c: 0 for c in SOURCES}
    for k in range(total):  # spread evenly over categories
        per_cat[list(SOURCES)[k % len(SOURCES)]] += 1
    exclude = {normalise_instruction(p) for p in dpo_prompts}
    chosen = dpo.select_checked({k: pools[v] for k, v in SOURCES.items()}, per_cat, rng, checker, "chosen", exclude)
    rng.shuffle(chosen)
    out = []
    for idx, r in enumerate(chosen):
        label = idx < n_good * len(chosen) / max(total, 1)
        out.append(
            {
                "category": _kto_category(r["category"]),
                "instruction": r["instruction"],
                "input": "",
                "completion": r["chosen"] if label else r["rejected"],
                "label": label,
            }
        )
    ctx = prompt_context(catalog, cfg)
    return to_frame(sample(out, len(out), rng), "kto", cfg.system_prompt, cfg.holdout_fraction, ctx)


def _kto_category(dpo_category: str) -> str:
    return {v: k for k, v in SOURCES.items()}[dpo_category]


def _rephrase(instruction: str) -> str:
    """Style-pool prompts are shared with DPO; KTO asks the same thing in other words."""
    for old, new in (
        ("Write a query for ", "Please write T-SQL returning "),
        ("Join ", "Show the join of "),
        ("Query ", "I want a SELECT of "),
    ):
        if instruction.startswith(old):
            return new + instruction[len(old) :]
    return instruction
