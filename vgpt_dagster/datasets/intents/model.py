"""The library's data: settings, intents (validated from YAML), filled questions and the loaded library."""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pydantic

from vgpt_dagster.artifacts import sha256_json
from vgpt_dagster.config import StrictModel
from vgpt_dagster.datasets.intents.slots import PLACEHOLDER


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
        return {m.group(1) for m in PLACEHOLDER.finditer(self.sql)}

    def phrasing_slots(self, k: int) -> list[str]:
        return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(self.phrasings[k])))


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
