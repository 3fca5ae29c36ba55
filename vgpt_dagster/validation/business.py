"""The suite's ``business`` category: natural questions whose oracle SQL comes from held-out business intents.

Questions are the seeds' own questions first ("Write SQL to get all unpaid AP invoices for company 1", ...),
then the held-out phrasings: whole intents held out of training alternating with held-out phrasings of
the other intents, each stream round-robin across intents so the first cases cover many intents. The
split is the library's own (``configs/intents/library.yaml``), so training never sees these phrasings (audited by
``sft_intent_holdout_leak``). Each case carries the intent's SQL for its slot values as ``oracle_sql``,
plus the intent id, module, assumptions and explanation.
"""

import random
from itertools import zip_longest
from pathlib import Path

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.config import load_config
from vgpt_dagster.datasets.intents.library import library_for
from vgpt_dagster.datasets.intents.model import FilledQuestion, IntentLibrary, LibraryIntent
from vgpt_dagster.datasets.intents.templates import fill, fill_seed
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.sql.analyze import analyze


def default_library(catalog: Catalog, paths: ProjectPaths | None = None) -> IntentLibrary:
    """The library ``configs/datasets.yaml`` (``intents_dir``) names, limited to ``catalog``: the one training used."""
    from vgpt_dagster.datasets.config import DatasetsConfig  # noqa: PLC0415

    paths = paths or ProjectPaths.from_env()
    cfg_file = paths.configs / "datasets.yaml"
    cfg = load_config(cfg_file, DatasetsConfig) if cfg_file.exists() else DatasetsConfig()
    return library_for(paths.root, Path(cfg.intents_dir), catalog, lambda sql: analyze(sql, catalog))[0]


def _round_robin(library: IntentLibrary, heldout: bool) -> list[tuple[LibraryIntent, int]]:
    """(intent, phrasing index) of the held-out phrasings: the j-th of every intent, then the (j+1)-th, ..."""
    intents = [li for li in library.intents if li.heldout == heldout]
    depth = max((len(li.heldout_phrasings) for li in intents), default=0)
    return [(li, li.heldout_phrasings[j]) for j in range(depth) for li in intents if j < len(li.heldout_phrasings)]


def _questions(library: IntentLibrary, seed: int) -> list[tuple[LibraryIntent, FilledQuestion]]:
    """Seed questions, then held-out intents and held-out phrasings of training intents, alternating."""
    rng = random.Random(seed)
    out = [(li, fill_seed(li.intent, s, li.company_param)) for li in library.intents for s in li.intent.seeds]
    whole, phrasings = _round_robin(library, True), _round_robin(library, False)
    mixed = [x for pair in zip_longest(whole, phrasings) for x in pair if x is not None]
    for li, k in mixed:
        values = {s: rng.randrange(50) for s in li.intent.phrasing_slots(k)}
        out.append((li, fill(li.intent, k, li.company_param, values)))
    return out


def business_cases(catalog: Catalog, n: int, library: IntentLibrary, seed: int) -> list[Case]:
    """Up to ``n`` cases (seed questions first), one per distinct question."""
    out: list[Case] = []
    seen: set[str] = set()
    for li, q in _questions(library, seed):
        if len(out) >= n:
            break
        if q.question in seen:
            continue
        seen.add(q.question)
        objects = tuple(dict.fromkeys(u.split(".")[0] for u in li.intent.uses))
        out.append(
            Case(
                f"bizq-{len(out):03d}-{li.id}",
                "main",
                "business",
                "business",
                q.question,
                objects_must_use=objects,
                columns_must_use=tuple(li.intent.uses),
                sql_expected=True,
                company_filter_required=True,
                company=q.company,
                source="seed" if q.phrasing < 0 else "intent_heldout" if li.heldout else "phrasing_heldout",
                oracle_sql=q.sql,
                intent=li.id,
                module=li.module,
                assumptions=tuple(li.intent.assumptions),
                explanation=li.intent.explanation,
            )
        )
    return out
