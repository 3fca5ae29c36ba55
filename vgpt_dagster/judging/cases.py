"""Eval cases with structured expectations, the versioned suite file, and its audit views.

A case says what correct behaviour *is* (objects to use, objects to refuse, the real alternative a
refusal should name, join keys, whether SQL and a company filter are expected), never which words to
look for. The suite is one JSON file under ``data/validation/`` with a format version and a hash.

Examples:
    >>> c = Case(id="p-1", part="probe", category="hallucination", kind="existence",
    ...          question="Does Invoice exist in Vista?", objects_must_refuse=("Invoice",),
    ...          real_alternatives=("APTH",), expected_exists=False)
    >>> c.expects_refusal, Case.from_dict(c.to_dict()) == c
    (True, True)
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from vgpt_dagster.artifacts import sha256_json, write_json_atomic
from vgpt_dagster.errors import ValidationError

SUITE_FORMAT = "vgpt-eval-suite/1"
PARTS = ("main", "holdout", "probe")
KINDS = ("existence", "describe", "sql", "join", "error_fix", "business", "case")


@dataclass(frozen=True)
class Case:
    """One question and what a correct answer must do.

    ``objects_must_use``: real objects (exact spelling) the answer must use or talk about.
    ``objects_must_refuse``: invented names the answer must say do not exist.
    ``columns_must_refuse``: invented columns as ``Object.Column`` (e.g. ``ARCM.CustomerName``).
    ``columns_must_use``: ``Object.Column`` the SQL must reference (business rules such as APTH.OpenYN).
    ``columns_must_mention``: columns a describe answer must name (e.g. the business key).
    ``objects_must_not_use``: real objects that are the wrong answer (cross-module confusion).
    ``real_alternatives``: objects a refusal should point to.
    ``required_join_keys``: ``"APTH.APCo=APTL.APCo"`` strings; every one must be in the ON clause.
    ``expected_exists``: for existence questions, the right yes/no (None otherwise).
    Kind ``case``: ``variant`` is the wrong-case spelling asked (``apth``), ``objects_must_use`` the exact one.
    """

    id: str
    part: str
    category: str
    kind: str
    question: str
    objects_must_use: tuple[str, ...] = ()
    objects_must_refuse: tuple[str, ...] = ()
    columns_must_refuse: tuple[str, ...] = ()
    columns_must_use: tuple[str, ...] = ()
    columns_must_mention: tuple[str, ...] = ()
    objects_must_not_use: tuple[str, ...] = ()
    real_alternatives: tuple[str, ...] = ()
    required_join_keys: tuple[str, ...] = ()
    sql_expected: bool = False
    company_filter_required: bool = False
    company: int | None = None
    expected_exists: bool | None = None
    pattern: str = ""  # how a fake/variant name was made: case, separator, spelled_out, near_miss, plural, ...
    source: str = "catalog"  # catalog, curated, pairs_holdout, pairs_train, generated
    broken_sql: str = ""  # error_fix: the query the question asks to fix
    filters: tuple[str, ...] = ()  # predicates the reference SQL applies (business rules), e.g. "OpenYN = 'Y'"
    top: int = 0  # TOP n the question asks for (0 = none)
    variant: str = ""  # case kind: the misspelled name the question uses (apth)
    # business cases (configs/intents): the intent's SQL for this question is the oracle; the intent's id,
    # module, assumptions and explanation are what the judge and execution scoring compare against.
    oracle_sql: str = ""
    intent: str = ""
    module: str = ""
    assumptions: tuple[str, ...] = ()
    explanation: str = ""

    @property
    def expects_refusal(self) -> bool:
        return bool(self.objects_must_refuse or self.columns_must_refuse)

    @property
    def subject(self) -> str | None:
        """The object the question is about: the fake name, else the first object to use."""
        names = self.objects_must_refuse or self.objects_must_use
        return names[0] if names else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "case") -> "Case":
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ValidationError(f"{where}: unknown field(s) {', '.join(unknown)}; valid: {', '.join(known)}.")
        missing = [k for k in ("id", "part", "category", "kind", "question") if k not in d]
        if missing:
            raise ValidationError(f"{where}: missing field(s) {', '.join(missing)}.")
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        case = cls(**kw)
        if case.kind not in KINDS or case.part not in PARTS:
            raise ValidationError(
                f"{where} ({case.id}): kind {case.kind!r} / part {case.part!r} invalid; kinds {KINDS}, parts {PARTS}."
            )
        return case


@dataclass(frozen=True)
class Suite:
    """All cases (main suite, held-out hallucination set, existence probes) plus provenance."""

    cases: tuple[Case, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def part(self, name: str) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.part == name)

    def by_id(self) -> dict[str, Case]:
        return {c.id: c for c in self.cases}

    @property
    def version(self) -> str:
        """Content hash of the cases: two suites with the same version ask exactly the same things."""
        return sha256_json([c.to_dict() for c in self.cases])[:16]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.cases:
            key = c.category if c.part == "main" else c.part
            out[key] = out.get(key, 0) + 1
        return out


def suite_prompts(suite: Suite, part: str | None = "holdout") -> set[str]:
    """The questions of one part (default: the held-out set; None = every case), for overlap audits."""
    return {c.question for c in suite.cases if part is None or c.part == part}


def suite_fake_names(suite: Suite, part: str | None = "holdout") -> set[str]:
    """Every invented object and column name of one part (default: the held-out set; None = all)."""
    out: set[str] = set()
    for c in suite.cases:
        if part is None or c.part == part:
            out.update(c.objects_must_refuse)
            out.update(name.split(".", 1)[-1] for name in c.columns_must_refuse)
    return out


def write_suite(suite: Suite, path: Path) -> Path:
    """Write the suite JSON atomically (format, version, counts, meta, cases)."""
    doc = {
        "format": SUITE_FORMAT,
        "version": suite.version,
        "counts": suite.counts(),
        "meta": suite.meta,
        "cases": [c.to_dict() for c in suite.cases],
    }
    return write_json_atomic(Path(path), doc, indent=1)


def read_suite(path: Path) -> Suite:
    """Read a suite written by :func:`write_suite`; a missing, foreign or edited file is a clear error."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(
            f"{path}: eval suite not found. Build it with `vgpt eval suite build` or materialize the `eval_suite` asset."
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValidationError(f"{path}: not valid JSON (line {err.lineno}, col {err.colno}): {err.msg}.") from None
    if not isinstance(doc, dict) or doc.get("format") != SUITE_FORMAT:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise ValidationError(f"{path}: not an eval suite (format {got!r}, expected {SUITE_FORMAT!r}).")
    cases = tuple(Case.from_dict(d, where=f"{path}: cases[{i}]") for i, d in enumerate(doc.get("cases") or []))
    suite = Suite(cases, dict(doc.get("meta") or {}))
    if doc.get("version") != suite.version:
        raise ValidationError(
            f"{path}: version {doc.get('version')!r} does not match its cases ({suite.version}); "
            "the file was edited by hand. Rebuild it with `vgpt eval suite build`."
        )
    return suite


def check_unique_ids(cases: Iterable[Case]) -> None:
    seen: set[str] = set()
    for c in cases:
        if c.id in seen:
            raise ValidationError(f"duplicate case id {c.id!r} in the eval suite.")
        seen.add(c.id)
