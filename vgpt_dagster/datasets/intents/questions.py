"""Questions from the library: training phrasings (wrapped as users ask), held-out ones for the suite, SFT records."""

import random

from vgpt_dagster.datasets.intents.model import FilledQuestion, IntentLibrary, LibraryIntent
from vgpt_dagster.datasets.intents.slots import SLOTS
from vgpt_dagster.datasets.intents.templates import answer_text, fill, fill_seed

# -- questions for training and for the suite -----------------------------------------------------------

# Ways users wrap a question (training only; the suite asks the phrasing as written).
WRAPPERS: tuple[str, ...] = (
    "{q}",
    "Write SQL: {q}",
    "Can you write a query for this? {q}",
    "{q} (Vista, SQL Server)",
    "I need T-SQL for the following. {q}",
    "Quick one: {q}",
    "For month-end reporting: {q}",
    "Our controller asked: {q}",
    "{q} Please include the SQL.",
    "How would I pull this from Vista? {q}",
    "Help me with a Viewpoint query. {q}",
    "{q} Thanks!",
    "Need this for a report: {q}",
    "{q} Use the Vista tables, please.",
    "My PM wants to know: {q}",
    "Can you help? {q}",
    "SQL question. {q}",
    "{q} (T-SQL)",
)


def _slot_values(rng: random.Random, slots: list[str]) -> dict[str, int]:
    return {s: rng.randrange(len(SLOTS[s].values)) for s in slots}


def training_questions(
    library: IntentLibrary, seed: int, per_phrasing: int
) -> list[tuple[LibraryIntent, FilledQuestion]]:
    """Training phrasings of training intents, each filled ``per_phrasing`` times (deterministic by seed)."""
    rng = random.Random(seed)
    out = []
    for li in library.intents:
        if li.heldout:
            continue
        for k in li.training_phrasings():
            slots = li.intent.phrasing_slots(k)
            for r in range(per_phrasing):
                q = fill(li.intent, k, li.company_param, _slot_values(rng, slots))
                wrapper = WRAPPERS[(k + r * 5 + rng.randrange(len(WRAPPERS))) % len(WRAPPERS)]
                q = FilledQuestion(
                    q.intent,
                    q.phrasing,
                    wrapper.format(q=q.question),
                    q.sql,
                    q.slots,
                    q.company,
                )
                out.append((li, q))
    return out


def heldout_questions(library: IntentLibrary, seed: int) -> list[tuple[LibraryIntent, FilledQuestion]]:
    """Every seed question first, then each held-out phrasing once (slot values deterministic by seed)."""
    rng = random.Random(seed)
    seeds = [(li, fill_seed(li.intent, s, li.company_param)) for li in library.intents for s in li.intent.seeds]
    rest = []
    for li in library.intents:
        for k in li.heldout_phrasings:
            rest.append(
                (
                    li,
                    fill(
                        li.intent,
                        k,
                        li.company_param,
                        _slot_values(rng, li.intent.phrasing_slots(k)),
                    ),
                )
            )
    return seeds + rest


def heldout_templates(library: IntentLibrary) -> list[str]:
    """The held-out phrasings and seed questions, as written (the leak audit masks their slots)."""
    out = [s.question for li in library.intents for s in li.intent.seeds]
    out += [li.intent.phrasings[k] for li in library.intents for k in li.heldout_phrasings]
    return out


def training_templates(library: IntentLibrary) -> list[str]:
    return [li.intent.phrasings[k] for li in library.intents if not li.heldout for k in li.training_phrasings()]


def intent_sft_records(library: IntentLibrary, seed: int, per_phrasing: int) -> list[dict]:
    """Candidate SFT records (category ``sql_generation``) from the training split, round-robin over intents.

    Each round takes one (seeded random) question of every intent, so any prefix of the list covers the
    intents evenly: a small build still teaches every kind of question (and every SQL feature).
    """
    from vgpt_dagster.datasets.records import sft_record  # noqa: PLC0415

    rng = random.Random(seed)
    groups: dict[str, list] = {}
    for li, q in training_questions(library, seed, per_phrasing):
        groups.setdefault(li.id, []).append(
            sft_record("sql_generation", q.question, answer_text(li.intent, q), [q.sql])
        )
    for g in groups.values():
        rng.shuffle(g)
    order = list(groups)
    out: list[dict] = []
    for r in range(max((len(g) for g in groups.values()), default=0)):
        rng.shuffle(order)
        out += [groups[i][r] for i in order if r < len(groups[i])]
    return out
