"""Build the eval suite: 500+ main cases from the catalog and curated seeds, the held-out set and probes.

Every case is answered by the oracle and judged before it is kept: a case the oracle fails is broken
(an unanswerable question or an expectation the catalog contradicts) and is dropped, with the reason in
``suite.meta["dropped"]``. Each category is generated with headroom and trimmed to its configured size.
"""

import logging
import random
from collections.abc import Iterable

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.intents.model import IntentLibrary
from vgpt_dagster.errors import ValidationError
from vgpt_dagster.judging.cases import Case, Suite, check_unique_ids
from vgpt_dagster.sql.render import key_display_columns
from vgpt_dagster.validation import curated
from vgpt_dagster.validation.business import business_cases, default_library
from vgpt_dagster.validation.config import CATEGORIES, ValidationConfig
from vgpt_dagster.validation.holdout import build_holdout, build_probes, training_fakes
from vgpt_dagster.validation.pool import english_real_names, join_pool, object_pool

log = logging.getLogger(__name__)
_HEADROOM = 1.2  # generate 20% more than needed so dropping a broken case never leaves a category short

_FAKE_TEMPLATES = (  # asked identically of fake and real objects in the hallucination category
    ("describe", "What columns are in the {n} table?"),
    ("sql", "Write SQL to select the first 10 rows from {n} for company {c}."),
    ("existence", "Does {n} exist in Viewpoint Vista?"),
    ("describe", "Describe the {n} table structure."),
    ("sql", "Query the {n} table for company {c}."),
)


class _Builder:
    def __init__(self, catalog: Catalog, cfg: ValidationConfig):
        self.catalog, self.cfg = catalog, cfg
        self.rng = random.Random(cfg.seed)
        self.pool = object_pool(catalog, cfg.seed)
        if not self.pool:
            raise ValidationError("the catalog has no queryable views (views over b-tables with a business key).")

    def company(self, i: int) -> int:
        return self.cfg.companies[i % len(self.cfg.companies)]

    def obj(self, i: int) -> str:
        return self.pool[i % len(self.pool)]

    def real_case(self, cid: str, category: str, kind: str, question: str, name: str, i: int, **kw) -> Case:
        """A case about one real object; a SQL question that names a company must filter on it."""
        sql = kind in ("sql", "join", "error_fix", "business")
        filtered = sql and self.catalog.company_column(name) is not None and "company" in question
        return Case(
            cid,
            "main",
            category,
            kind,
            question,
            objects_must_use=(name,),
            sql_expected=sql,
            company_filter_required=filtered,
            company=self.company(i) if filtered else None,
            expected_exists=True if kind == "existence" else None,
            **kw,
        )


def _schema_cases(b: _Builder, n: int) -> list[Case]:
    out = [*curated.schema_cases(b.catalog)]
    for i in range(n):
        name = b.obj(i)
        if i % 4 == 3:
            key = b.catalog.business_key(name)
            out.append(
                b.real_case(
                    f"schema-{i:03d}",
                    "schema_knowledge",
                    "describe",
                    f"What is the business key of {name}?",
                    name,
                    i,
                    columns_must_mention=key,
                )
            )
        elif i % 4 == 2:
            out.append(
                b.real_case(
                    f"schema-{i:03d}", "schema_knowledge", "existence", f"Is {name} a table or view in Vista?", name, i
                )
            )
        else:
            q = ("Describe the {n} table structure." if i % 2 else "What columns are in {n}?").format(n=name)
            out.append(b.real_case(f"schema-{i:03d}", "schema_knowledge", "describe", q, name, i))
    return out


def _sql_cases(b: _Builder, n: int) -> list[Case]:
    out = [*curated.sql_cases(b.catalog)]
    for i in range(n):
        name, c = b.obj(i + 7), b.company(i)
        cc = b.catalog.company_column(name)
        cols = key_display_columns(b.catalog, name, n=4)[-2:]
        where = f" for company {c}" if cc else ""
        q = (
            f"Write SQL to list {', '.join(cols)} from {name}{where}."
            if i % 3 == 0
            else f"Write a T-SQL query returning the top 20 rows of {name}{where}."
            if i % 3 == 1
            else f"Show me the {cols[-1]} values in {name}{where}."
        )
        out.append(
            Case(
                f"sql-{i:03d}",
                "main",
                "sql_generation",
                "sql",
                q,
                objects_must_use=(name,),
                columns_must_use=tuple(f"{name}.{x}" for x in cols),
                sql_expected=True,
                company_filter_required=cc is not None,
                company=c if cc else None,
                top=20 if i % 3 == 1 else 0,
            )
        )
    return out


def _join_cases(b: _Builder, n: int) -> list[Case]:
    out = [*curated.join_cases(b.catalog)]
    for i, (left, right) in enumerate(join_pool(b.catalog, b.pool, n)):
        keys = tuple(f"{left}.{x}={right}.{y}" for x, y in b.catalog.join_keys(left, right))
        cc, c = b.catalog.company_column(left), b.company(i)
        q = (
            f"How do I join {left} and {right}?"
            if i % 2 == 0 or not cc
            else f"Write a query joining {left} to {right} for company {c}."
        )
        out.append(
            Case(
                f"join-{i:03d}",
                "main",
                "join",
                "join",
                q,
                objects_must_use=(left, right),
                required_join_keys=keys,
                sql_expected=True,
                company_filter_required="company" in q,
                company=c if "company" in q else None,
            )
        )
    return out


def _hallucination_cases(b: _Builder, pairs: pl.DataFrame, column_pairs: pl.DataFrame, n: int) -> list[Case]:
    out: list[Case] = [*curated.hallucination_cases(b.catalog)]
    fakes = [(r["fake"], tuple(r["real"]), r["pattern"]) for r in pairs.iter_rows(named=True)]
    b.rng.shuffle(fakes)
    reals = list(dict.fromkeys([*english_real_names(b.catalog), *b.pool]))
    rank = {name: i for i, name in enumerate(b.pool)}
    cols = [
        (r["table"], r["fake_column"], tuple(r["real_columns"]))
        for r in column_pairs.iter_rows(named=True)
        if r["table"] in rank
    ]
    cols.sort(key=lambda t: rank[t[0]])
    cols = list({t[0]: t for t in reversed(cols)}.values())[::-1]  # one invented column per table
    n_cols = min(len(cols), n // 10)
    for i in range(n // 2):
        kind, tpl = _FAKE_TEMPLATES[i % len(_FAKE_TEMPLATES)]
        c = b.company(i)
        if i < n_cols:
            table, col, real_cols = cols[i]
            q = f"Write SQL to select {col} from {table} for company {c}."
            out.append(
                Case(
                    f"hal-col-{i:03d}",
                    "main",
                    "hallucination",
                    "sql",
                    q,
                    columns_must_refuse=(f"{table}.{col}",),
                    real_alternatives=real_cols,
                    sql_expected=False,
                    company=c,
                    pattern="fake_column",
                    source="pairs",
                )
            )
        elif fakes:
            fake, real, pattern = fakes[i % len(fakes)]
            out.append(
                Case(
                    f"hal-fake-{i:03d}",
                    "main",
                    "hallucination",
                    kind,
                    tpl.format(n=fake, c=c),
                    objects_must_refuse=(fake,),
                    real_alternatives=real,
                    company=c,
                    expected_exists=False if kind == "existence" else None,
                    pattern=pattern,
                    source="pairs",
                )
            )
        name = reals[i % len(reals)]
        cc = b.catalog.company_column(name)
        q = tpl.format(n=name, c=c) if cc or kind != "sql" else f"Write SQL to select the first 10 rows from {name}."
        out.append(
            b.real_case(f"hal-real-{i:03d}", "hallucination", kind, q, name, i, top=10 if "first 10" in q else 0)
        )
    return out


def _error_cases(b: _Builder, column_pairs: pl.DataFrame, n: int) -> list[Case]:
    from vgpt_dagster.validation.breakage import broken_cases  # noqa: PLC0415

    return [*curated.error_cases(b.catalog), *broken_cases(b.catalog, b.pool, column_pairs, n, b.company)]


def build_eval_suite(
    catalog: Catalog,
    pairs_df: pl.DataFrame,
    column_pairs_df: pl.DataFrame,
    cfg: ValidationConfig,
    exclude_prompts: Iterable[str] = (),
    intents: IntentLibrary | None = None,
) -> Suite:
    """The whole suite (main + held-out + probes), oracle-checked, sized per ``cfg``.

    ``exclude_prompts``: training questions (e.g. every SFT/DPO/KTO instruction) the held-out set must not repeat.
    ``intents``: the business-intent library (default: the one configs/datasets.yaml names); the ``business``
    category asks its held-out part.
    """
    from vgpt_dagster.execution.oracle import oracle_answer  # noqa: PLC0415
    from vgpt_dagster.judging.judge import judge  # noqa: PLC0415 - needs the analyzer

    b = _Builder(catalog, cfg)
    lib = intents or default_library(catalog)
    sizes = {c: getattr(cfg.suite, c) for c in CATEGORIES}
    gen = {c: int(sizes[c] * _HEADROOM) + 2 for c in CATEGORIES}
    by_cat = {
        "schema_knowledge": _schema_cases(b, gen["schema_knowledge"]),
        "sql_generation": _sql_cases(b, gen["sql_generation"]),
        "hallucination": _hallucination_cases(b, pairs_df, column_pairs_df, gen["hallucination"]),
        "join": _join_cases(b, gen["join"]),
        "error_correction": _error_cases(b, column_pairs_df, gen["error_correction"]),
        "business_logic": curated.business_cases(catalog, gen["business_logic"], b.company),
        "business": business_cases(catalog, gen["business"], lib, cfg.seed),
    }
    train = training_fakes(pairs_df, column_pairs_df)
    extra = {
        "holdout": build_holdout(catalog, pairs_df, column_pairs_df, cfg, train, set(exclude_prompts), b.pool),
        "probe": build_probes(catalog, pairs_df, cfg, b.pool),
    }
    kept: list[Case] = []
    dropped: list[dict] = []
    targets = {**sizes, "holdout": cfg.holdout_size, "probe": cfg.probes.real + cfg.probes.fake}
    for group, cases in [*by_cat.items(), *extra.items()]:
        good = []
        for case in dict((c.question, c) for c in cases).values():  # one case per question
            v = judge(case, oracle_answer(case, catalog), catalog)
            if v.passed:
                good.append(case)
            else:
                dropped.append({"id": case.id, "question": case.question, "reasons": list(v.reasons)})
        if group in ("hallucination", "probe"):
            good = _balanced(good, targets[group])
        elif group == "holdout":  # ~55% invented names, ~20% case variants, the rest real controls
            n = targets[group]
            fake = [c for c in good if c.expects_refusal][: n * 55 // 100]
            case = [c for c in good if c.kind == "case"][: n * 20 // 100]
            real = [c for c in good if not c.expects_refusal and c.kind != "case"][: n - len(fake) - len(case)]
            good = fake + case + real
        else:
            good = good[: targets[group]]
        if len(good) < targets[group]:
            log.warning("eval suite: %s has %d cases, %d configured", group, len(good), targets[group])
        kept += good
    check_unique_ids(kept)
    if dropped:
        log.warning("eval suite: dropped %d broken case(s) the oracle fails, e.g. %s", len(dropped), dropped[:3])
    return Suite(
        tuple(kept),
        {
            "seed": cfg.seed,
            "catalog": catalog.source,
            "dropped": dropped,
            "sizes": targets,
            "training_fakes_checked": len(train),
            "intent_split": lib.split_manifest(),
        },
    )


def _balanced(cases: list[Case], n: int) -> list[Case]:
    """Half refusals, half real, keeping order (the hallucination category and the probes)."""
    fake = [c for c in cases if c.expects_refusal][: n // 2]
    real = [c for c in cases if not c.expects_refusal][: n - len(fake)]
    return fake + real
