"""The eval suite's rules, enforced wherever the suite is built (``vgpt eval suite build`` and ``eval_suite``).

1. Training prompts are excluded: the held-out set never repeats an SFT/DPO/KTO instruction.
2. The leak check: no held-out fake name or prompt appears in any training record
   (the datasets' own ``holdout_leak`` audit, run against the suite actually built).
3. Oracle answerability: the catalog oracle must pass all but ``max_oracle_drop_share`` of the generated cases
   (``configs/validation.yaml``); a case it fails is broken and dropped, and many drops mean a broken generator.

``build_suite_file`` reads the built pairs and training datasets, builds the suite, writes it and returns the
rules' results; the asset reports them as blocking checks, the CLI refuses with ``check_suite_rules``.

Examples:
    >>> r = SuiteRule("oracle_answerable", False, {"dropped_share": 0.2, "max_dropped_share": 0.01})
    >>> SuiteRules((r,)).failed_names
    ['oracle_answerable']
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.build import read_pairs
from vgpt_dagster.datasets.intents.model import IntentLibrary
from vgpt_dagster.datasets.io import SELECTIONS, read_dataset
from vgpt_dagster.datasets.leak_audit import audit_holdout_leak
from vgpt_dagster.errors import ValidationError
from vgpt_dagster.judging.cases import Suite, suite_fake_names, suite_prompts, write_suite
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.validation.business import default_library
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.suite import build_eval_suite

TRAINING_KINDS = tuple(SELECTIONS)  # every dataset a model trains on: the suite must be disjoint from all


@dataclass(frozen=True)
class SuiteRule:
    """One rule's outcome and its evidence (shown as check metadata and in the CLI's error)."""

    name: str
    passed: bool
    evidence: dict[str, Any]


@dataclass(frozen=True)
class SuiteRules:
    rules: tuple[SuiteRule, ...]
    facts: dict[str, Any] = field(default_factory=dict)  # informative numbers that gate nothing

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rules)

    @property
    def failed_names(self) -> list[str]:
        return [r.name for r in self.rules if not r.passed]


def read_training_frames(paths: ProjectPaths) -> dict[str, pl.DataFrame]:
    """Train + eval splits of every training dataset; a missing file names itself and the build to run."""
    frames = {}
    for kind in TRAINING_KINDS:
        folder = paths.dataset_dir(kind)
        parts = [read_dataset(folder, kind, split) for split in ("train", "eval")]
        frames[kind] = pl.concat(parts, how="diagonal_relaxed")
    return frames


def training_prompts(training: dict[str, pl.DataFrame]) -> set[str]:
    return {q for df in training.values() for q in df["instruction"].to_list()}


def evaluate_suite_rules(suite: Suite, training: dict[str, pl.DataFrame], cfg: ValidationConfig) -> SuiteRules:
    """The leak check and the oracle-drop limit on a built suite (exclusion happened while building it)."""
    leak = audit_holdout_leak(training, suite_fake_names(suite), suite_prompts(suite))
    dropped = suite.meta.get("dropped", [])
    share = len(dropped) / max(1, len(dropped) + len(suite.cases))
    limit = cfg.max_oracle_drop_share
    rules = (
        SuiteRule("holdout_disjoint_from_training", leak.passed, {**leak.metrics, "failures": leak.failures[:10]}),
        SuiteRule(
            "oracle_answerable",
            share <= limit,
            {
                "kept": len(suite.cases),
                "dropped": len(dropped),
                "dropped_share": round(share, 4),
                "max_dropped_share": limit,
                "dropped_examples": dropped[:5],
            },
        ),
    )
    overlap = len(suite_prompts(suite, part="main") & training_prompts(training))
    return SuiteRules(rules, {"main_suite_prompts_also_in_training": overlap})


def build_checked_suite(
    catalog: Catalog,
    pairs: dict[str, pl.DataFrame],
    training: dict[str, pl.DataFrame],
    cfg: ValidationConfig,
    intents: IntentLibrary | None = None,
) -> tuple[Suite, SuiteRules]:
    """Build the suite excluding every training prompt, then evaluate its rules.

    ``intents``: the business-intent library the datasets were built from (default: the checkout's).
    """
    suite = build_eval_suite(
        catalog,
        pairs["fake_table_pairs"],
        pairs["fake_column_pairs"],
        cfg,
        exclude_prompts=training_prompts(training),
        intents=intents,
    )
    return suite, evaluate_suite_rules(suite, training, cfg)


def build_suite_file(
    paths: ProjectPaths, catalog: Catalog, cfg: ValidationConfig, out: Path | None = None
) -> tuple[Suite, SuiteRules, Path]:
    """Read the built pairs and training datasets, build + check the suite, write it (default:
    ``data/validation/<suite_file>``). The file is written even when a rule fails, so the evidence can be
    read; callers refuse it (``check_suite_rules``) or report the failure as a blocking check."""
    pairs, training = read_pairs(paths), read_training_frames(paths)
    suite, rules = build_checked_suite(catalog, pairs, training, cfg, default_library(catalog, paths))
    path = write_suite(suite, out or paths.validation_dir / cfg.suite_file)
    return suite, rules, path


def check_suite_rules(rules: SuiteRules, path: Path) -> None:
    """Raise a ValidationError naming each failed rule, its evidence and the fix."""
    if rules.passed:
        return
    lines = [f"{path}: the eval suite breaks {len(rules.failed_names)} rule(s); do not evaluate with it."]
    for r in rules.rules:
        if r.passed:
            continue
        if r.name == "holdout_disjoint_from_training":
            shown = ", ".join(f"{f['dataset']}:{f['id']} ({f['leak']})" for f in r.evidence["failures"])
            lines.append(
                f"- {r.name}: {r.evidence['leaks']} training record(s) contain a held-out name or prompt, "
                f"e.g. {shown}. Rebuild the datasets (`vgpt data build all`) from the same pairs, then the suite."
            )
        else:
            lines.append(
                f"- {r.name}: the oracle fails {r.evidence['dropped']} of "
                f"{r.evidence['dropped'] + r.evidence['kept']} generated cases (share {r.evidence['dropped_share']} > "
                f"max_oracle_drop_share {r.evidence['max_dropped_share']} in configs/validation.yaml); "
                f"e.g. {r.evidence['dropped_examples'][:2]}. Fix the case generator or the catalog."
            )
    raise ValidationError("\n".join(lines))
