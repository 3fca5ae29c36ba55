"""The business-intent library: what Vista users ask, per module, with the T-SQL that answers it.

``configs/intents/library.yaml`` holds the library settings (the held-out split); every other
``configs/intents/<module>.yaml`` holds one module's intents. An intent has an id, natural phrasings with
slots (``{co}``, ``{vendor}``, ``{period}``, ...), the answering SQL template, the assumptions it makes,
the columns an answer must use and a one-line explanation. See docs/datasets.md ("Business intents").

Slots: a slot named in a phrasing is filled with a value (the phrase in the question, the literal in the
SQL); a slot the SQL needs but the phrasing does not name becomes a T-SQL parameter (``@APCo``,
``@Vendor``, ``@StartDate``/``@EndDate``). Period slots are written ``{period(h.InvDate)}`` in the SQL and
render a half-open date range. Filling is deterministic for a seed.

Examples:
    >>> intent = Intent(id="ap_x", title="Unpaid", explanation="Lists unpaid invoices.", assumptions=["a"],
    ...     uses=["APTH.InvTotal"],
    ...     phrasings=["Unpaid AP invoices for company {co} {period}"],
    ...     sql="SELECT InvTotal FROM APTH WITH (NOLOCK) WHERE APCo = {co} AND {period(InvDate)}")
    >>> q = fill(intent, 0, "@APCo", {"co": 0, "period": 0})  # value indices: company 1, last month
    >>> q.question
    'Unpaid AP invoices for company 1 last month'
    >>> q.sql.endswith("InvDate >= DATEADD(month, DATEDIFF(month, 0, GETDATE()) - 1, 0) "
    ...     "AND InvDate < DATEADD(month, DATEDIFF(month, 0, GETDATE()), 0)")
    True
    >>> fill(intent, 0, "@APCo", {"co": 1, "period": 0}, phrasing="All open invoices").sql.count("@")
    3
"""

import random
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pydantic

from vgpt_dagster.artifacts import sha256_json
from vgpt_dagster.config import StrictModel, build_config, read_yaml
from vgpt_dagster.datasets.records import normalise_instruction, stable_fraction
from vgpt_dagster.errors import ConfigError, DatasetError, did_you_mean
from vgpt_dagster.sql.render import fence

SETTINGS_FILE = "library.yaml"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\(([^)]*)\))?\}")
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)  # [[ AND x = {slot} ]]: kept only when the question names its slots
_MONTHS = "January February March April May June July August September October November December".split()
_THIS_MONTH = "DATEADD(month, DATEDIFF(month, 0, GETDATE()), 0)"
_THIS_YEAR = "DATEADD(year, DATEDIFF(year, 0, GETDATE()), 0)"
_THIS_QUARTER = "DATEADD(quarter, DATEDIFF(quarter, 0, GETDATE()), 0)"
_TOMORROW = "DATEADD(day, 1, CAST(GETDATE() AS date))"

# Date ranges in words: (phrase, start, end). A half-open range: col >= start AND col < end.
PERIODS: tuple[tuple[str, str, str], ...] = (
    ("last month", "DATEADD(month, DATEDIFF(month, 0, GETDATE()) - 1, 0)", _THIS_MONTH),
    ("this month", _THIS_MONTH, "DATEADD(month, DATEDIFF(month, 0, GETDATE()) + 1, 0)"),
    ("in Q1 2024", "'2024-01-01'", "'2024-04-01'"),
    ("since January", _THIS_YEAR, _TOMORROW),
    ("in January 2024", "'2024-01-01'", "'2024-02-01'"),
    ("year to date", _THIS_YEAR, _TOMORROW),
    ("in the last 30 days", "DATEADD(day, -30, CAST(GETDATE() AS date))", _TOMORROW),
    (
        "last quarter",
        "DATEADD(quarter, DATEDIFF(quarter, 0, GETDATE()) - 1, 0)",
        _THIS_QUARTER,
    ),
    ("in 2023", "'2023-01-01'", "'2024-01-01'"),
    ("last year", "DATEADD(year, DATEDIFF(year, 0, GETDATE()) - 1, 0)", _THIS_YEAR),
    ("in March 2025", "'2025-03-01'", "'2025-04-01'"),
    (
        "this quarter",
        _THIS_QUARTER,
        "DATEADD(quarter, DATEDIFF(quarter, 0, GETDATE()) + 1, 0)",
    ),
    ("in Q3 2024", "'2024-07-01'", "'2024-10-01'"),
    ("in the last 90 days", "DATEADD(day, -90, CAST(GETDATE() AS date))", _TOMORROW),
)


@dataclass(frozen=True)
class Slot:
    """One slot kind: values as (phrase in the question, literal in the SQL) and its parameter."""

    name: str
    values: tuple[tuple[str, str], ...]
    param: str  # the T-SQL parameter used when the question does not give a value


def _nums(*xs: int) -> tuple[tuple[str, str], ...]:
    return tuple((str(x), str(x)) for x in xs)


def _codes(*xs: str) -> tuple[tuple[str, str], ...]:
    return tuple((x, f"'{x}'") for x in xs)


SLOTS: dict[str, Slot] = {
    s.name: s
    for s in (
        Slot("co", _nums(1, 2, 5, 10, 20, 101), "@Co"),  # the parameter is the module's (@APCo, @JCCo, ...)
        Slot("vendor", _nums(1200, 3050, 41870, 518, 7702, 2214), "@Vendor"),
        Slot("customer", _nums(1001, 2250, 317, 4400, 880), "@Customer"),
        Slot("employee", _nums(100, 2417, 385, 5120, 77), "@Employee"),
        Slot("job", _codes("1001-", "2210-03", "3150-", "24-118", "7730-01"), "@Job"),
        Slot("contract", _codes("1001-", "2210-", "3150-", "24-118"), "@Contract"),
        Slot("phase", _codes("01-100", "02-200", "03-300", "16-100"), "@Phase"),
        Slot("equip", _codes("E-101", "1204", "T-33", "CR-07"), "@Equipment"),
        Slot("glacct", _codes("1000-000", "2100-000", "5010-100", "4000-100"), "@GLAcct"),
        Slot("po", _codes("PO-1001", "24-0077", "P31552"), "@PO"),
        Slot("sl", _codes("SL-2001", "1001-001", "S24-015"), "@SL"),
        Slot("loc", _codes("MAIN", "YARD", "WH1"), "@Loc"),
        Slot("material", _codes("REBAR-4", "CONC-3000", "PVC-2"), "@Material"),
        Slot("craft", _codes("ELEC", "CARP", "LAB"), "@Craft"),
        Slot("dept", _codes("100", "ADMIN", "FIELD"), "@Dept"),
        Slot("cmacct", _nums(1, 2, 10), "@CMAcct"),
        Slot(
            "amount",
            (
                ("$10,000", "10000"),
                ("$5,000", "5000"),
                ("$25,000", "25000"),
                ("$50k", "50000"),
                ("$100,000", "100000"),
            ),
            "@Amount",
        ),
        Slot("n", _nums(10, 20, 5, 25, 50), "@TopN"),
        Slot("days", _nums(30, 60, 90, 7, 14), "@Days"),
        Slot("year", _nums(2023, 2024, 2025), "@Year"),
        Slot(
            "name",
            tuple((x, f"'%{x}%'") for x in ("Steel", "Concrete", "Electric", "Supply", "Plumbing")),
            "@Name",
        ),
        Slot("period", tuple((p, "") for p, _, _ in PERIODS), "@StartDate"),
    )
}
# Everything a question may contain in place of a slot (masked by the shape audit).
SLOT_PHRASES: tuple[str, ...] = tuple(
    sorted({p for s in SLOTS.values() for p, _ in s.values}, key=lambda x: (-len(x), x))
)


class LibrarySettings(StrictModel):
    """``configs/intents/library.yaml``: the version and the held-out split (shared by datasets and suite)."""

    version: int = pydantic.Field(ge=1)
    min_phrasings: int = pydantic.Field(10, ge=1)
    # Intents whose every phrasing only the eval suite sees (the lowest hashes of each module).
    holdout_intent_fraction: float = pydantic.Field(0.2, ge=0, lt=1)
    # Phrasings of the other intents that only the eval suite sees (at least one per intent when > 0).
    holdout_phrasing_fraction: float = pydantic.Field(0.2, ge=0, lt=1)


class SeedQuestion(StrictModel):
    """A literal question from the original team's documents, answered by this intent (always held out)."""

    question: str = pydantic.Field(min_length=5)
    slots: dict[str, int | str] = {}


class Intent(StrictModel):
    """One business question and its answer."""

    id: str = pydantic.Field(pattern=r"^[a-z][a-z0-9_]+$")
    title: str = pydantic.Field(min_length=3)
    explanation: str = pydantic.Field(min_length=10)
    assumptions: list[str] = pydantic.Field(min_length=1)
    uses: list[str] = pydantic.Field(min_length=1)  # Object.Column an answer must reference
    phrasings: list[str] = pydantic.Field(min_length=1)
    sql: str = pydantic.Field(min_length=20)
    seeds: list[SeedQuestion] = []
    company_param: str | None = None  # overrides the module's (e.g. an AP question filtered by JCCo)

    @pydantic.field_validator("uses")
    @classmethod
    def _qualified(cls, v: list[str]) -> list[str]:
        bad = [u for u in v if u.count(".") != 1]
        if bad:
            raise ValueError(f"each 'uses' entry must be Object.Column (got {bad})")
        return v

    @cached_property
    def sql_slots(self) -> set[str]:
        return {m.group(1) for m in _PLACEHOLDER.finditer(self.sql)}

    def phrasing_slots(self, k: int) -> list[str]:
        return list(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(self.phrasings[k])))


class ModuleFile(StrictModel):
    """One ``configs/intents/<module>.yaml``."""

    module: str = pydantic.Field(pattern=r"^[A-Z]{2,3}$")
    company_param: str = pydantic.Field(pattern=r"^@[A-Za-z]+$")
    intents: list[Intent] = pydantic.Field(min_length=1)


@dataclass(frozen=True)
class LibraryIntent:
    """An intent with its module, the file it came from and its split."""

    intent: Intent
    module: str
    file: str
    company_param: str
    heldout: bool  # the whole intent is held out of training
    heldout_phrasings: tuple[int, ...]  # indices of phrasings held out (all of them when ``heldout``)

    @property
    def id(self) -> str:
        return self.intent.id

    def training_phrasings(self) -> list[int]:
        return [k for k in range(len(self.intent.phrasings)) if k not in self.heldout_phrasings]


@dataclass(frozen=True)
class FilledQuestion:
    """A phrasing with its slots filled, and the SQL that answers it."""

    intent: str
    phrasing: int  # index into the intent's phrasings (-1 for a seed question)
    question: str
    sql: str
    slots: dict[str, str]  # slot -> the phrase used (slots left as parameters are absent)
    company: int | None  # the company number the question asks for (None: a parameter)


@dataclass(frozen=True)
class IntentLibrary:
    settings: LibrarySettings
    intents: tuple[LibraryIntent, ...]
    folder: str

    @property
    def version(self) -> str:
        """Content hash: same version = same intents, phrasings, SQL and split."""
        return sha256_json(
            [
                self.settings.model_dump(),
                [(i.module, i.intent.model_dump(), i.heldout_phrasings) for i in self.intents],
            ]
        )[:16]

    def split_manifest(self) -> dict[str, Any]:
        """The deterministic train/held-out split (recorded in the SFT manifest and the suite's meta)."""
        return {
            "library_version": self.version,
            "intents": len(self.intents),
            "heldout_intents": sorted(i.id for i in self.intents if i.heldout),
            "heldout_phrasings": {
                i.id: list(i.heldout_phrasings) for i in self.intents if not i.heldout and i.heldout_phrasings
            },
            "holdout_intent_fraction": self.settings.holdout_intent_fraction,
            "holdout_phrasing_fraction": self.settings.holdout_phrasing_fraction,
        }

    def modules(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.intents:
            out[i.module] = out.get(i.module, 0) + 1
        return out


def _fill_placeholder(m: re.Match, values: dict[str, int], params: dict[str, str], sql: bool) -> str:
    name, arg = m.group(1), m.group(2)
    slot = SLOTS[name]
    if name not in values:
        if name == "period":
            return f"{arg} >= @StartDate AND {arg} < @EndDate"
        return params.get(name, slot.param)
    k = values[name] % len(slot.values)
    if name == "period":
        if not sql:
            return PERIODS[k][0]
        _, start, end = PERIODS[k]
        return f"{arg} >= {start} AND {arg} < {end}"
    phrase, literal = slot.values[k]
    return literal if sql else phrase


def _optional(sql: str, named: set[str]) -> str:
    """Keep each ``[[ ... ]]`` block whose slots the question names (without the brackets); drop the others."""

    def keep(m: re.Match) -> str:
        slots = {p.group(1) for p in _PLACEHOLDER.finditer(m.group(1))}
        return m.group(1) if slots <= named else ""

    out = _OPTIONAL.sub(keep, sql)
    lines = [re.sub(r"(?<=\S) {2,}", " ", line).rstrip() for line in out.splitlines()]
    return "\n".join(line for line in lines if line.strip())


def fill(
    intent: Intent,
    k: int,
    company_param: str,
    values: dict[str, int],
    phrasing: str | None = None,
) -> FilledQuestion:
    """Phrasing ``k`` (or the literal ``phrasing``) with the given slot value indices; the SQL to match.

    Slots the question names get ``values[slot]`` (an index into the slot's values); the others are
    parameters in the SQL.
    """
    text = intent.phrasings[k] if phrasing is None else phrasing
    named = {m.group(1) for m in _PLACEHOLDER.finditer(text)}
    used = {s: values.get(s, 0) for s in named}
    params = {"co": company_param}
    question = _PLACEHOLDER.sub(lambda m: _fill_placeholder(m, used, params, False), text)
    sql = _PLACEHOLDER.sub(lambda m: _fill_placeholder(m, used, params, True), _optional(intent.sql, named)).strip()
    phrases = {s: (PERIODS if s == "period" else SLOTS[s].values)[k % len(SLOTS[s].values)][0] for s, k in used.items()}
    company = int(SLOTS["co"].values[used["co"] % len(SLOTS["co"].values)][1]) if "co" in used else None
    return FilledQuestion(intent.id, k if phrasing is None else -1, question, sql, phrases, company)


def fill_seed(intent: Intent, seed: SeedQuestion, company_param: str) -> FilledQuestion:
    """A seed question with its SQL (the seed's slot values are given literally, e.g. ``{co: 1}``)."""
    params = {"co": company_param}

    def sub(m: re.Match) -> str:
        name, arg = m.group(1), m.group(2)
        if name in seed.slots:
            if name == "period":
                start, end = str(seed.slots[name]).split("..")
                return f"{arg} >= '{start}' AND {arg} < '{end}'"
            val = seed.slots[name]
            return str(val) if isinstance(val, int) else f"'{val}'"
        return _fill_placeholder(m, {}, params, True)

    sql = _PLACEHOLDER.sub(sub, _optional(intent.sql, set(seed.slots))).strip()
    company = seed.slots.get("co")
    return FilledQuestion(
        intent.id,
        -1,
        seed.question,
        sql,
        {k: str(v) for k, v in seed.slots.items()},
        company if isinstance(company, int) else None,
    )


_NO_PERIOD = re.compile(r",? (?:for|in) the period asked for")


def answer_text(intent: Intent, q: FilledQuestion) -> str:
    """The answer a model should give: the SQL, what it does, and the assumptions it rests on."""
    params = sorted(set(re.findall(r"@[A-Za-z]+", q.sql)))
    note = f" Parameters: {', '.join(params)} (pass the values you need)." if params else ""
    assumptions = " ".join(a if a.endswith(".") else a + "." for a in intent.assumptions)
    explanation = intent.explanation
    if "period" not in q.slots and "@StartDate" not in q.sql:  # no date range asked: the SQL has none either
        explanation = _NO_PERIOD.sub("", explanation)
    return f"{fence(q.sql)}\n\n{explanation}{note}\nAssumptions: {assumptions}"


# -- loading -------------------------------------------------------------------------------------------


def _check_intent(intent: Intent, where: str, min_phrasings: int) -> None:
    if len(intent.phrasings) < min_phrasings:
        raise ConfigError(
            f"{where}: intent '{intent.id}' field 'phrasings' has {len(intent.phrasings)} phrasing(s); "
            f"the library needs at least {min_phrasings} (library.yaml min_phrasings)."
        )
    for k, p in enumerate(intent.phrasings):
        for m in _PLACEHOLDER.finditer(p):
            if m.group(1) not in SLOTS:
                hint = did_you_mean(m.group(1), SLOTS)
                raise ConfigError(
                    f"{where}: intent '{intent.id}' phrasings[{k}] uses the unknown slot {{{m.group(1)}}}.{hint} "
                    f"Valid slots: {', '.join(SLOTS)}."
                )
            if m.group(1) not in intent.sql_slots:
                raise ConfigError(
                    f"{where}: intent '{intent.id}' phrasings[{k}] names {{{m.group(1)}}} but the 'sql' never "
                    "uses it, so the answer would ignore what the question asks. Use it in the SQL or drop it."
                )
    for m in _PLACEHOLDER.finditer(intent.sql):
        if m.group(1) not in SLOTS:
            raise ConfigError(
                f"{where}: intent '{intent.id}' field 'sql' uses the unknown slot {{{m.group(1)}}}."
                f"{did_you_mean(m.group(1), SLOTS)} Valid slots: {', '.join(SLOTS)}."
            )
        if m.group(1) == "period" and not m.group(2):
            raise ConfigError(
                f"{where}: intent '{intent.id}' field 'sql': write the period slot with its column, "
                "e.g. {period(h.InvDate)}."
            )
    keys = [normalise_instruction(p) for p in intent.phrasings]
    dup = next(
        (p for p, key in zip(intent.phrasings, keys, strict=True) if keys.count(key) > 1),
        None,
    )
    if dup:
        raise ConfigError(f"{where}: intent '{intent.id}' repeats the phrasing {dup!r} (after normalising).")


def _split(settings: LibrarySettings, module: str, intents: list[Intent]) -> dict[str, tuple[bool, tuple[int, ...]]]:
    """Held-out intents (lowest hashes of the module) and held-out phrasings (lowest hashes of the intent)."""
    ranked = sorted(intents, key=lambda i: stable_fraction(f"intent:{module}:{i.id}"))
    n_out = round(len(intents) * settings.holdout_intent_fraction)
    out_ids = {i.id for i in ranked[:n_out]}
    result = {}
    for i in intents:
        if i.id in out_ids:
            result[i.id] = (True, tuple(range(len(i.phrasings))))
            continue
        n = len(i.phrasings)
        k = max(1, round(n * settings.holdout_phrasing_fraction)) if settings.holdout_phrasing_fraction > 0 else 0
        order = sorted(range(n), key=lambda j: stable_fraction(f"phrasing:{i.id}:{i.phrasings[j]}"))
        seeds = {normalise_instruction(s.question) for s in i.seeds}
        forced = {j for j in range(n) if normalise_instruction(fill(i, j, "@Co", {}).question) in seeds}
        result[i.id] = (False, tuple(sorted(set(order[:k]) | forced)))
    return result


def library_for(root: Path, intents_dir: Path, catalog, analyze_fn=None) -> tuple[IntentLibrary, list[str]]:
    """The configured library (``intents_dir`` relative to the project ``root``) limited to ``catalog``.

    Intents whose ``uses`` columns the catalog lacks are left out (their ids are returned). With
    ``analyze_fn``, so are intents whose SQL reads an object the catalog lacks, and any other SQL problem
    raises (``checked_library``).
    """
    folder = intents_dir if Path(intents_dir).is_absolute() else Path(root) / intents_dir
    lib, skipped = require_objects(load_intent_library(folder), lambda o, c: catalog.column(o, c) is not None)
    if analyze_fn is None:
        return lib, skipped
    lib, absent = checked_library(lib, catalog, analyze_fn)
    return lib, skipped + absent


def load_intent_library(folder: Path) -> IntentLibrary:
    """Load and validate every module file under ``folder``; a ConfigError names file, intent and field."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(
            f"{folder}: intent library folder not found. Set `intents_dir` in configs/datasets.yaml to the folder "
            "holding library.yaml and the <module>.yaml intent files."
        )
    settings = build_config(LibrarySettings, read_yaml(folder / SETTINGS_FILE), str(folder / SETTINGS_FILE))
    seen: dict[str, str] = {}
    out: list[LibraryIntent] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == SETTINGS_FILE:
            continue
        mf = build_config(ModuleFile, read_yaml(path), str(path))
        for intent in mf.intents:
            if intent.id in seen:
                raise ConfigError(f"{path}: intent id '{intent.id}' is already used in {seen[intent.id]}.")
            seen[intent.id] = str(path)
            _check_intent(intent, str(path), settings.min_phrasings)
        split = _split(settings, mf.module, mf.intents)
        for intent in mf.intents:
            heldout, phr = split[intent.id]
            cp = intent.company_param or mf.company_param
            out.append(LibraryIntent(intent, mf.module, str(path), cp, heldout, phr))
    if not out:
        raise ConfigError(f"{folder}: no intent files (<module>.yaml) found next to {SETTINGS_FILE}.")
    return IntentLibrary(settings, tuple(out), str(folder))


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


def require_objects(library: IntentLibrary, has_column) -> tuple[IntentLibrary, list[str]]:
    """The intents whose 'uses' columns all exist (``has_column(object, column)``), and the ids left out.

    A small or partial catalog lacks some modules: their intents cannot be answered there. The ids
    left out are reported (asset metadata), never dropped silently.
    """
    keep, skipped = [], []
    for li in library.intents:
        (keep if all(has_column(*u.split(".")) for u in li.intent.uses) else skipped).append(li)
    return IntentLibrary(library.settings, tuple(keep), library.folder), [li.id for li in skipped]


def check_library_sql(library: IntentLibrary, catalog, analyze_fn) -> list[dict]:
    """Problems of every intent's SQL against the catalog: analyzer findings, unknown 'uses' columns.

    ``analyze_fn(sql) -> Analysis``. Each intent is checked with its first phrasing's slots filled and with
    every slot left as a parameter; seed questions are checked as given. Empty list = the library is sound.
    """
    problems: list[dict] = []
    for li in library.intents:
        for use in li.intent.uses:
            obj, col = use.split(".")
            if catalog.column(obj, col) is None or catalog.get(obj).column(col).name != col:
                problems.append(
                    {
                        "intent": li.id,
                        "file": li.file,
                        "field": "uses",
                        "problem": f"{use} not in catalog",
                    }
                )
        variants = [fill(li.intent, k, li.company_param, {}) for k in range(len(li.intent.phrasings))]
        variants.append(fill(li.intent, 0, li.company_param, {}, phrasing=""))
        variants += [fill_seed(li.intent, s, li.company_param) for s in li.intent.seeds]
        for q in variants:
            a = analyze_fn(q.sql)
            if not a.ok:
                problems.append(
                    {
                        "intent": li.id,
                        "file": li.file,
                        "field": "sql",
                        "problem": "; ".join(f"{f.rule}: {f.message}" for f in a.errors) or "not ok",
                        "sql": q.sql,
                        "missing_object": any(f.rule == "unknown_object" for f in a.errors),
                    }
                )
    return problems


def checked_library(library: IntentLibrary, catalog, analyze_fn) -> tuple[IntentLibrary, list[str]]:
    """``library`` without the intents that read an object ``catalog`` lacks (returned as ids); any other
    problem (a wrong column on an object that exists, SQL the analyzer rejects) raises a DatasetError naming
    the file, the intent and the field."""
    problems = check_library_sql(library, catalog, analyze_fn)
    absent = {p["intent"] for p in problems if p.get("missing_object")}
    raise_on_problems([p for p in problems if p["intent"] not in absent])
    keep = tuple(li for li in library.intents if li.id not in absent)
    return IntentLibrary(library.settings, keep, library.folder), sorted(absent)


def raise_on_problems(problems: list[dict]) -> None:
    if problems:
        lines = [f"{p['file']}: intent '{p['intent']}' field '{p['field']}': {p['problem']}" for p in problems[:20]]
        raise DatasetError(f"{len(problems)} intent problem(s):\n" + "\n".join(lines))
