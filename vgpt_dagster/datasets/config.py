"""``configs/datasets.yaml``: sizes, category mix, seed, holdout, imports and the audit thresholds.

Defaults live here; the YAML holds only changes. ``scale`` shrinks every size at once so tests and
benchmarks can build small versions quickly (``scale: 0.02`` -> 2,000 SFT records).

Examples:
    >>> cfg = DatasetsConfig()
    >>> cfg.sft_size, cfg.sft_mix["sql_generation"] >= cfg.min_sql_generation_share
    (100000, True)
    >>> DatasetsConfig(scale=0.01).sized(800)
    8
"""

from pathlib import Path
from typing import Literal

import pydantic

from vgpt_dagster.config import StrictModel, load_config

SFT_CATEGORIES = (
    "sql_generation",
    "schema_knowledge",
    "join_patterns",
    "error_correction",
    "business_context",
    "negatives",
)
DPO_CATEGORIES = (
    "fake_table_rejection",
    "real_table_acceptance",
    "fake_column_rejection",
    "nolock_style",
    "join_quality",
    "company_filter",
)
# Which DPO categories teach refusing (rejection) and which teach answering about a real object (acceptance).
REJECTION_CATEGORIES = ("fake_table_rejection", "fake_column_rejection")
ACCEPTANCE_CATEGORIES = ("real_table_acceptance",)
HALLUCINATION_PHASE = REJECTION_CATEGORIES + ACCEPTANCE_CATEGORIES
# The business objects Vista users ask about (issue 15); raw-object SQL records are weighted toward them.
CORE_OBJECTS = (
    "APTH", "APTL", "APTD", "APVM", "ARTH", "ARTL", "ARCM", "JCJM", "JCJP", "JCCD", "JCCP", "JCCH", "JCCM", "JCCI",
    "JCID", "PREH", "PRTH", "PRDT", "GLDT", "GLAC", "GLBL", "POHD", "POIT", "SLHD", "SLIT", "EMEM", "EMCD", "PMOH",
    "PMOI", "CMDT", "INMT", "HQCO", "JBIN", "JBIT",
)  # fmt: skip
# Modules of the platform itself (data dictionary, portal, workflow, ...): capped in the SQL records.
SYSTEM_MODULES = ("DD", "VP", "VA", "WF", "WD", "RP", "DM", "BI", "CV", "DC", "IM", "RF", "VC", "VS", "SQ", "SS", "UD")

DEFAULT_SYSTEM_PROMPT = (
    "You are a SQL Server expert for Viewpoint Vista. Use only tables, views and columns that exist in "
    "Vista, spelled exactly (the collation is binary). Every SELECT uses WITH (NOLOCK) on every table, "
    "filters by the company column (APCo, JCCo, ...), and joins on the complete composite key. If a "
    "table or column does not exist, say so and name the real one to use."
)


class ImportSpec(StrictModel):
    """One existing LLaMA-Factory dataset: a file and its kind, or a dataset_info.json and a name."""

    file: Path | None = None
    kind: str | None = None  # sft | dpo | kto (from dataset_info.json when omitted)
    dataset_info: Path | None = None
    name: str | None = None

    @pydantic.model_validator(mode="after")
    def _one_source(self) -> "ImportSpec":
        if (self.file is None) == (self.dataset_info is None):
            raise ValueError("give either 'file' (+ 'kind') or 'dataset_info' + 'name'")
        if self.dataset_info is not None and not self.name:
            raise ValueError("'dataset_info' needs 'name' (the dataset's key in dataset_info.json)")
        if self.file is not None and self.kind not in ("sft", "dpo", "kto"):
            raise ValueError(f"'kind' must be sft, dpo or kto for a file import (got {self.kind!r})")
        return self


class DatasetsConfig(StrictModel):
    """Everything that shapes the generated datasets; see docs/datasets.md for each key."""

    seed: int = 42
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    scale: float = pydantic.Field(1.0, gt=0, le=10)  # multiplies every size below (tests: 0.01-0.05)
    holdout_fraction: float = pydantic.Field(0.02, ge=0, lt=0.5)  # eval split of SFT/DPO/KTO, by stable hash
    # Fake names held out of every training set (the validation suite tests generalisation on them).
    fake_holdout_fraction: float = pydantic.Field(0.15, ge=0, lt=0.9)
    fake_columns_per_table: int = pydantic.Field(3, ge=1)
    # SFT
    sft_size: int = pydantic.Field(100_000, ge=1)
    sft_mix: dict[str, float] = {
        "sql_generation": 0.36,
        "schema_knowledge": 0.22,
        "join_patterns": 0.1,
        "error_correction": 0.12,
        "business_context": 0.08,
        "negatives": 0.12,
    }
    min_sql_generation_share: float = 0.25
    # Business intents (configs/intents/, docs/datasets.md): the share of sql_generation records that come
    # from the intent library's training split, the audit's floor, and how many slot fillings each phrasing gets.
    intents_dir: Path = Path("configs/intents")  # relative paths: to the project root
    intent_share: float = pydantic.Field(0.3, ge=0, le=1)
    min_intent_share: float = pydantic.Field(0.3, ge=0, le=1)
    intent_fills_per_phrasing: int = pydantic.Field(32, ge=1, le=200)
    # Audits of what the instructions ask (datasets/intent_audit.py): natural questions (no raw object name),
    # distinct instruction shapes (names and literals masked; scaled by `scale`), SQL feature coverage.
    min_natural_question_share: float = pydantic.Field(0.2, ge=0, le=1)
    min_instruction_shapes: int = pydantic.Field(3000, ge=0)
    min_feature_share: float = pydantic.Field(0.002, ge=0, le=1)
    min_output_chars: int = 50
    max_short_output_share: float = 0.0  # outputs < min_output_chars are rewritten, so none should remain
    max_duplicate_share: float = 0.0  # near-duplicate instructions (normalised text) left after dedup
    # DPO v3: pairs per category; rejection share = rejection / (rejection + acceptance) pairs.
    dpo_counts: dict[str, int] = {
        "fake_table_rejection": 800,
        "real_table_acceptance": 800,
        "fake_column_rejection": 400,
        "nolock_style": 300,
        "join_quality": 200,
        "company_filter": 100,
    }
    rejection_share_band: tuple[float, float] = (0.35, 0.65)  # DPO v2 was 1.0 (all rejection, no acceptance)
    # none: prompts hold the question alone; retrieved: serving's schema block for the question first (the same
    # shape the served model sees; datasets/schema_block.py). schema_context_top_k objects, as serving retrieves.
    schema_context: Literal["none", "retrieved"] = "none"
    schema_context_top_k: int = pydantic.Field(4, ge=1, le=20)
    # chosen/rejected length ratio of every pair (pairs outside are not generated; the audit blocks them) and the
    # band the median ratio must sit in: the original set's chosen was longer in 99.8% of pairs (259 vs 142 chars).
    dpo_length_band: tuple[float, float] = (0.8, 1.25)
    dpo_median_ratio_band: tuple[float, float] = (0.9, 1.12)
    # Which objects the raw-object SQL records are about: core objects get ``core_object_weight`` times the query
    # variants, system objects (SYSTEM_MODULES, portal p*/frl_*/ud* names, no module) ``system_object_weight`` of them.
    core_objects: tuple[str, ...] = CORE_OBJECTS
    core_object_weight: int = pydantic.Field(12, ge=1, le=100)
    system_modules: tuple[str, ...] = SYSTEM_MODULES
    system_object_weight: float = pydantic.Field(0.25, ge=0, le=1)
    # Blocking audits of SQL semantics (docs/datasets.md, "Semantic audits").
    min_core_object_share: float = pydantic.Field(0.15, ge=0, le=1)  # of FROM/JOIN references in SFT SQL
    max_system_object_share: float = pydantic.Field(0.10, ge=0, le=1)
    min_join_evidence_share: float = pydantic.Field(1.0, ge=0, le=1)  # joins backed by FK/observed/header-detail
    max_literal_type_errors: int = pydantic.Field(0, ge=0)
    max_company_mismatches: int = pydantic.Field(0, ge=0)  # "for company 2" answered with another company
    judge_sample_per_category: int = pydantic.Field(64, ge=0)  # DPO/KTO records judged per category (0 = off)
    # Every sampled chosen/desirable answer must pass the validation judge on its own prompt and every
    # rejected/undesirable one must fail it; false makes these two audits warn instead of block.
    judge_audit_blocking: bool = True
    # KTO
    kto_size: int = pydantic.Field(3000, ge=2)
    kto_desirable_share: float = pydantic.Field(0.6, gt=0, lt=1)
    kto_share_tolerance: float = 0.05
    # Sources
    user_sql_dir: Path | None = None  # folder of the user's .sql files (relative paths: to the project root)
    imports: list[ImportSpec] = []
    # Processes that analyse generated SQL (forked; 1 = in-process). Results are the same for any value;
    # 2 only pays on an otherwise idle multi-core machine (docs/benchmarks.md).
    sql_workers: int = pydantic.Field(1, ge=1, le=64)

    @pydantic.field_validator("sft_mix")
    @classmethod
    def _mix_known(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(SFT_CATEGORIES))
        if unknown:
            raise ValueError(f"unknown SFT categories {unknown}; valid: {', '.join(SFT_CATEGORIES)}")
        if any(x < 0 for x in v.values()) or sum(v.values()) <= 0:
            raise ValueError("sft_mix shares must be >= 0 and not all 0")
        return v

    @pydantic.field_validator("dpo_counts")
    @classmethod
    def _dpo_known(cls, v: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(v) - set(DPO_CATEGORIES))
        if unknown:
            raise ValueError(f"unknown DPO categories {unknown}; valid: {', '.join(DPO_CATEGORIES)}")
        return v

    @pydantic.model_validator(mode="after")
    def _enforce_sql_share(self) -> "DatasetsConfig":
        total = sum(self.sft_mix.values())
        share = self.sft_mix.get("sql_generation", 0) / total
        if share < self.min_sql_generation_share:
            raise ValueError(
                f"sft_mix gives sql_generation {share:.0%} of records; at least "
                f"min_sql_generation_share={self.min_sql_generation_share:.0%} is required"
            )
        if self.intent_share < self.min_intent_share:
            raise ValueError(
                f"intent_share={self.intent_share:.0%} is below min_intent_share={self.min_intent_share:.0%}: at least "
                "that share of sql_generation records must come from the business-intent library"
            )
        lo, hi = self.rejection_share_band
        if not 0 <= lo < hi <= 1:
            raise ValueError(f"rejection_share_band must be [low, high] within 0..1 (got {self.rejection_share_band})")
        for name in ("dpo_length_band", "dpo_median_ratio_band"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= 1 <= hi:
                raise ValueError(f"{name} must be [low, high] with 0 < low <= 1 <= high (got [{lo}, {hi}])")
        return self

    def sized(self, n: int) -> int:
        """``n`` multiplied by ``scale`` (at least 1)."""
        return max(1, round(n * self.scale))

    def sft_targets(self) -> dict[str, int]:
        """Records wanted per SFT category."""
        total = sum(self.sft_mix.values())
        return {c: round(self.sized(self.sft_size) * s / total) for c, s in self.sft_mix.items() if s > 0}

    def dpo_targets(self) -> dict[str, int]:
        """Pairs wanted per DPO category: ``dpo_counts`` times ``scale``."""
        return {c: self.sized(n) for c, n in self.dpo_counts.items() if n > 0}


def load_datasets_config(path: Path, overrides: dict | None = None) -> DatasetsConfig:
    """Load and validate configs/datasets.yaml (ConfigError names the key on a mistake)."""
    return load_config(path, DatasetsConfig, overrides)


def load_system_prompt(configs_dir: Path) -> str:
    """The system prompt every record was built with (``system_prompt`` of configs/datasets.yaml, else its
    default): the one resolver training, validation and serving use, so the model is asked as it was taught."""
    return load_datasets_config(Path(configs_dir) / "datasets.yaml").system_prompt
