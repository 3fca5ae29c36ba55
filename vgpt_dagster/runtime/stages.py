"""The training stages, defined once: name, dataset, parent stage, TRL trainer, recipe file, TRL columns.

Every other table (recipe files, trainer names, dataset kinds, init stages, asset names) is derived from
:data:`STAGES`; add or reorder a stage here only.

Examples:
    >>> [s.name for s in STAGES]
    ['sft', 'dpo_v3', 'kto']
    >>> stage("dpo_v3").parent, stage("dpo_v3").trainer, stage("kto").dataset_asset
    ('sft', 'dpo', 'kto_dataset')
"""

from dataclasses import dataclass

from vgpt_dagster.errors import ConfigError, did_you_mean


@dataclass(frozen=True)
class Stage:
    name: str  # our stage name: saves/<profile>/<name>/, asset <name>_adapter, `vgpt train <name>`
    dataset: str  # data/datasets/<dataset>/ (asset <dataset>_dataset)
    parent: str | None  # the stage whose adapter this one continues (None: a new adapter on the base model)
    trainer: str  # TRL trainer and LLaMA-Factory `stage` key: sft | dpo | kto
    recipe_file: str  # configs/<recipe_file>
    columns: tuple[str, ...]  # the dataset columns TRL reads

    @property
    def asset(self) -> str:
        return f"{self.name}_adapter"

    @property
    def dataset_asset(self) -> str:
        return f"{self.dataset}_dataset"


STAGES: tuple[Stage, ...] = (
    Stage("sft", "sft", None, "sft", "stage1_sft.yaml", ("prompt", "completion")),
    Stage("dpo_v3", "dpo_v3", "sft", "dpo", "stage2_dpo_v3.yaml", ("prompt", "chosen", "rejected")),
    Stage("kto", "kto", "dpo_v3", "kto", "stage3_kto.yaml", ("prompt", "completion", "label")),
)
STAGE_NAMES: tuple[str, ...] = tuple(s.name for s in STAGES)
_BY_NAME = {s.name: s for s in STAGES}


def stage(name: str) -> Stage:
    """The stage called ``name``; an unknown name lists the valid ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigError(
            f"unknown stage '{name}'.{did_you_mean(name, STAGE_NAMES)} Valid stages: {', '.join(STAGE_NAMES)}."
        ) from None
