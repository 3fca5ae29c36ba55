"""An experiment is data: ``configs/experiments/<name>.yaml`` names its arms and how they are measured.

Every experiment has one shape, so the next ablation is a new YAML file, not new code:

* ``arms``: each arm is one model. ``use`` takes one as it is (``served``: what ``vgpt serve`` answers with; a
  stage name: the pipeline's adapter of that stage); ``train`` trains a stage from the pipeline's adapter of its
  parent stage, on the pipeline's dataset of that stage changed as ``data`` says, with ``recipe`` keys on top of
  the stage recipe. An arm that changes nothing reuses the pipeline's own adapter while its recipe and data are
  current.
* ``measure``: ``validation`` (each arm answers the suite as the ``validation_<stage>`` assets ask, judged the
  same way) or ``serving`` (each arm answers through the serving engine in each of ``modes``).
* ``compare_to``: the arm the others are read against (cases that passed there and regressed).

Example (``configs/experiments/context_ablation.yaml``)::

    title: "Schema-context ablation: SFT prompts without / with the retrieved block"
    arms:
      - {name: none, train: sft}
      - {name: retrieved, train: sft, data: {schema_context: retrieved}, recipe: {cutoff_len: 1024}}
    measure: {how: serving, modes: [model, model+retrieval], metrics: [pass_rate, hallucination_rate]}

    >>> spec = build_experiment({"title": "t", "arms": [{"name": "a", "use": "sft"}],
    ...                          "measure": {"how": "validation", "metrics": ["pass_rate"]}}, "x.yaml")
    >>> spec.arms[0].use, spec.measure.modes
    ('sft', ('model',))
"""

import re
from pathlib import Path
from typing import Any, Literal

import pydantic

from vgpt_dagster.config import StrictModel, build_config, read_yaml
from vgpt_dagster.errors import ConfigError, did_you_mean
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.stages import STAGE_NAMES

SERVING_MODES = ("model", "model+retrieval", "model+retrieval+guard", "hybrid")
NAME = r"^[a-z][a-z0-9_]*$"  # an experiment is also an asset and a job: Dagster's name rules, lower case


class ArmData(StrictModel):
    """How an arm's training data differs from the pipeline's dataset of its stage."""

    # retrieved: each prompt re-rendered with serving's retrieved schema block before the question
    schema_context: Literal["none", "retrieved"] = "none"
    # DPO only: the pipeline set's total number of pairs, in these category shares (must sum to 1)
    dpo_shares: dict[str, float] | None = None
    # audits this arm's data fails on purpose; any other failed blocking audit still refuses the data
    accept_failed_audits: tuple[str, ...] = ()

    @pydantic.model_validator(mode="after")
    def _shares_sum_to_one(self) -> "ArmData":
        if self.dpo_shares is not None and abs(sum(self.dpo_shares.values()) - 1.0) > 1e-6:
            raise ValueError(f"dpo_shares must sum to 1 (got {sum(self.dpo_shares.values()):.3f})")
        return self

    @property
    def changed(self) -> bool:
        return self.schema_context != "none" or self.dpo_shares is not None


class Arm(StrictModel):
    name: str = pydantic.Field(pattern=NAME)
    label: str | None = None  # shown in tables and charts (default: the name)
    use: str | None = None  # served | a stage name: a model taken as it is
    train: Literal[STAGE_NAMES] | None = None  # the stage this arm trains
    data: ArmData = ArmData()
    recipe: dict[str, Any] = {}  # stage recipe keys for this arm (validated by the stage's recipe)

    @pydantic.model_validator(mode="after")
    def _one_source(self) -> "Arm":
        if (self.use is None) == (self.train is None):
            raise ValueError(f"arm '{self.name}': give exactly one of 'use' (a model as it is) or 'train' (a stage)")
        if self.use is not None and self.use not in ("served", *STAGE_NAMES):
            raise ValueError(f"arm '{self.name}': use must be 'served' or a stage ({', '.join(STAGE_NAMES)})")
        if self.use is not None and (self.data.changed or self.recipe):
            raise ValueError(f"arm '{self.name}': 'data' and 'recipe' need 'train' (a 'use' arm trains nothing)")
        if self.data.dpo_shares is not None and self.train != "dpo_v3":
            raise ValueError(f"arm '{self.name}': dpo_shares applies to 'train: dpo_v3' only")
        return self

    @property
    def title(self) -> str:
        return self.label or self.name

    @property
    def reuses_pipeline_data(self) -> bool:
        return not self.data.changed


class Measure(StrictModel):
    how: Literal["validation", "serving"]
    modes: tuple[Literal[SERVING_MODES], ...] = ("model",)  # serving only: how each arm is asked
    metrics: tuple[str, ...] = pydantic.Field(min_length=1)  # columns of the table, in order
    chart: tuple[str, ...] = ("pass_rate", "hallucination_rate")  # bars per row in the PNG
    # serving only: the first N of the cases validation judges for the profile (None: all), questions per batch
    limit: int | None = pydantic.Field(None, ge=1)
    batch_size: int = pydantic.Field(96, ge=1)

    @pydantic.model_validator(mode="after")
    def _serving_keys_need_serving(self) -> "Measure":
        if self.how == "validation" and self.modes != ("model",):
            raise ValueError("modes apply to 'how: serving'; validation asks the question alone")
        if self.how == "validation" and (self.limit is not None or "batch_size" in self.model_fields_set):
            raise ValueError("limit and batch_size apply to 'how: serving' (validation: generation in validation.yaml)")
        return self


class ExperimentSpec(StrictModel):
    title: str
    description: str = ""
    arms: tuple[Arm, ...]
    measure: Measure
    compare_to: str | None = None  # an arm name: the others' regressions are read against it

    @pydantic.model_validator(mode="after")
    def _names(self) -> "ExperimentSpec":
        names = [a.name for a in self.arms]
        if not names:
            raise ValueError("an experiment needs at least one arm")
        if len(set(names)) != len(names):
            raise ValueError(f"arm names repeat: {names}")
        if self.compare_to is not None and self.compare_to not in names:
            raise ValueError(f"compare_to '{self.compare_to}' is not an arm ({', '.join(names)})")
        return self


def experiments_dir(paths: ProjectPaths) -> Path:
    return paths.configs / "experiments"


def experiment_names(paths: ProjectPaths) -> list[str]:
    """Every ``configs/experiments/*.yaml``, by name."""
    folder = experiments_dir(paths)
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def build_experiment(data: Any, source: str) -> ExperimentSpec:
    return build_config(ExperimentSpec, data, source)


def load_experiment(paths: ProjectPaths, name: str) -> ExperimentSpec:
    """``configs/experiments/<name>.yaml``, validated; an unknown name lists the experiments there."""
    names = experiment_names(paths)
    if name not in names:
        raise ConfigError(
            f"no experiment '{name}' in {experiments_dir(paths)}.{did_you_mean(name, names)} "
            f"Experiments: {', '.join(names) or 'none'}."
        )
    if not re.match(NAME, name):
        raise ConfigError(f"{experiments_dir(paths) / name}.yaml: experiment names are lower_snake_case.")
    path = experiments_dir(paths) / f"{name}.yaml"
    return build_experiment(read_yaml(path), str(path))
