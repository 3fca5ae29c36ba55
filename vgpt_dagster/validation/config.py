"""``configs/validation.yaml``: suite sizes, generation settings, TrustSQL penalties and the promotion gate.

Defaults live here; the YAML holds only changes. Load it with :func:`load_validation_config` (the one loader:
strict, a missing file is an error). The system prompt is the datasets config's
(:func:`vgpt_dagster.datasets.config.load_system_prompt`), so validation asks as the model was taught.

Examples:
    >>> cfg = ValidationConfig()
    >>> cfg.suite.total >= 500, cfg.holdout_size >= 60, cfg.probes.real >= 20
    (True, True, True)
    >>> cfg.gate_severity("tiny"), cfg.gate_severity("pretrained")
    ('WARN', 'ERROR')
"""

from pathlib import Path
from typing import Literal

import pydantic

from vgpt_dagster.config import StrictModel, load_config
from vgpt_dagster.execution.config import SandboxConfig

CATEGORIES = (
    "schema_knowledge",
    "sql_generation",
    "hallucination",
    "join",
    "error_correction",
    "business_logic",
    "business",  # natural questions from held-out business intents (configs/intents) and the seeds' questions
)


class SuiteSizes(StrictModel):
    """Cases per category of the main suite (the held-out set and the probes come on top)."""

    schema_knowledge: int = pydantic.Field(100, ge=1)
    sql_generation: int = pydantic.Field(150, ge=1)
    hallucination: int = pydantic.Field(100, ge=2)  # half fake, half real objects asked the same way
    join: int = pydantic.Field(50, ge=1)
    error_correction: int = pydantic.Field(50, ge=1)
    business_logic: int = pydantic.Field(50, ge=1)
    business: int = pydantic.Field(150, ge=1)

    @property
    def total(self) -> int:
        return sum(getattr(self, c) for c in CATEGORIES)


class ProbeSizes(StrictModel):
    """Existence probes ("Does APTL exist in Vista?"): real and fake objects asked the same way."""

    real: int = pydantic.Field(20, ge=1)
    fake: int = pydantic.Field(20, ge=1)


class GenerationConfig(StrictModel):
    """Greedy, batched, left-padded generation (deterministic)."""

    max_new_tokens: int = pydantic.Field(256, ge=1)
    batch_size: int = pydantic.Field(32, ge=1)
    limit: int | None = pydantic.Field(None, ge=1)  # evaluate only the first N cases (smoke runs); None = all


class GateConfig(StrictModel):
    """Promotion thresholds (rates in [0, 1]) and the asset-check severity per profile kind."""

    max_false_rejection_rate: float = pydantic.Field(0.0, ge=0.0, le=1.0)  # the seeds' target: zero
    max_hallucination_rate: float = pydantic.Field(0.15, ge=0.0, le=1.0)  # seeds: hallucination score > 85%
    # A model that answers nothing usable has no false rejections and no hallucinations; the overall pass
    # rate keeps it from passing the gate (seeds' target: overall > 85%).
    min_pass_rate: float = pydantic.Field(0.85, ge=0.0, le=1.0)
    severity: dict[str, Literal["ERROR", "WARN"]] = {"tiny": "WARN", "pretrained": "ERROR"}
    default_severity: Literal["ERROR", "WARN"] = "ERROR"  # any profile kind not listed is production


class SubsetConfig(StrictModel):
    """A fixed, stratified subset of the main suite for CPU-sized profiles (probes + held-out set always run)."""

    profiles: list[str] = []  # model profiles judged on the subset (others: the full suite)
    per_category: dict[str, int] = {}  # main-suite cases per category (first N in a stable hash order)
    full_on_cuda: bool = True  # on a GPU the full suite runs even for the profiles above
    max_new_tokens: int | None = pydantic.Field(None, ge=1)  # these profiles' answer budget (None: generation's)

    @pydantic.field_validator("per_category")
    @classmethod
    def _known(cls, v: dict[str, int]) -> dict[str, int]:
        bad = sorted(set(v) - set(CATEGORIES))
        if bad:
            raise ValueError(f"unknown categories {bad}; valid: {', '.join(CATEGORIES)}")
        if any(n < 1 for n in v.values()):
            raise ValueError("every per_category count must be >= 1")
        return v


class ValidationConfig(StrictModel):
    """Everything ``configs/validation.yaml`` may set."""

    seed: int = 1234
    suite: SuiteSizes = SuiteSizes()
    holdout_size: int = pydantic.Field(64, ge=60)
    # the catalog oracle must pass all but this share of the generated cases (a failed case is broken, dropped)
    max_oracle_drop_share: float = pydantic.Field(0.01, ge=0.0, le=1.0)
    probes: ProbeSizes = ProbeSizes()
    generation: GenerationConfig = GenerationConfig()
    subset: SubsetConfig = SubsetConfig()
    penalties: tuple[float, ...] = (0.0, 1.0, 10.0)  # TrustSQL cost c of a hallucination or wrong SQL
    gate: GateConfig = GateConfig()
    companies: tuple[int, ...] = (1, 2, 5, 10, 101)  # company numbers used in generated questions
    suite_file: str = "eval_suite.json"  # under data/validation/
    sandbox: SandboxConfig = SandboxConfig()  # the synthetic database execution accuracy runs on

    def gate_severity(self, profile_kind: str) -> str:
        """ERROR for production profiles, WARN for the smoke-scale tiny one (as configured)."""
        return self.gate.severity.get(profile_kind, self.gate.default_severity)


def load_validation_config(paths, overrides: dict | None = None) -> ValidationConfig:
    """``configs/validation.yaml`` validated: the one loader (a missing file is a ConfigError, never defaults)."""
    return load_config(Path(paths.configs) / "validation.yaml", ValidationConfig, overrides)
