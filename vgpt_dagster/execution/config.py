"""The ``sandbox:`` section of ``configs/validation.yaml``: the synthetic Vista database execution runs on.

Examples:
    >>> cfg = SandboxConfig()
    >>> [v.name for v in cfg.variants()]
    ['seed-11', 'seed-23', 'adversarial']
    >>> SandboxConfig(seeds=[5], adversarial=False).variants()[0].seed
    5
"""

import datetime as dt
from dataclasses import dataclass

import pydantic

from vgpt_dagster.config import StrictModel

ADVERSARIAL_SEED = 97


@dataclass(frozen=True)
class Variant:
    """One sandbox database: its file stem, data seed and whether its data are chosen adversarially."""

    name: str
    seed: int
    adversarial: bool = False


class SandboxConfig(StrictModel):
    """Size, seeds and variants of the synthetic database, and the executor's limits."""

    rows_per_table: int = pydantic.Field(40, ge=6, le=5000)  # per base table; views share their table's rows
    seeds: tuple[int, ...] = pydantic.Field((11, 23), min_length=1)  # one variant per seed
    adversarial: bool = True  # add the variant whose data separate near-miss filters, companies and joins
    reference_date: dt.date = dt.date(2024, 7, 1)  # what GETDATE()/CURRENT_TIMESTAMP return on the sandbox
    months: int = pydantic.Field(12, ge=2, le=120)  # month columns take the first days of the months before it
    null_share: float = pydantic.Field(0.15, ge=0.0, le=0.9)  # share of NULLs in nullable non-key columns
    timeout_s: float = pydantic.Field(10.0, gt=0)  # per query; interrupted after this
    row_cap: int = pydantic.Field(10000, ge=1)  # rows fetched per query at most (a larger result is truncated)
    parameters: dict[str, int | float | str] = {}  # explicit values for @Param placeholders (name without @)
    folder: str = "sandbox"  # under data/validation/

    @pydantic.field_validator("seeds")
    @classmethod
    def _distinct(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(v)) != len(v):
            raise ValueError(f"seeds must be distinct (got {list(v)})")
        return v

    def variants(self) -> list[Variant]:
        """The variants every query is compared on: one per seed, then the adversarial one."""
        out = [Variant(f"seed-{s}", s) for s in self.seeds]
        if self.adversarial:
            out.append(Variant("adversarial", ADVERSARIAL_SEED, adversarial=True))
        return out
