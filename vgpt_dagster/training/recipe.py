"""Stage recipes with LLaMA-Factory key names, and their mapping onto TRL/PEFT config objects.

Resolution order (later wins): defaults in :class:`StageRecipe` < ``configs/stage*.yaml`` < the model
profile's ``recipe_defaults`` < the profile's ``stages.<stage>`` < run overrides (CLI ``--set`` / Dagster run config).
"""

import re
from pathlib import Path
from typing import Any, Literal

import pydantic

from vgpt_dagster.config import StrictModel, build_config, deep_merge, read_yaml
from vgpt_dagster.errors import ConfigError, TrainingError
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.stages import STAGES

STAGE_FILES = {s.name: s.recipe_file for s in STAGES}
TRAINER_STAGE = {s.name: s.trainer for s in STAGES}  # our stage name -> LLaMA-Factory `stage`
KTO_RATIO_RANGE = (1.0, 4 / 3)  # weighted desirable:undesirable between 1:1 and 4:3 (KTO paper / TRL docs)


class StageRecipe(StrictModel):
    """Hyperparameters of one training stage; keys as LLaMA-Factory names them."""

    stage: Literal["sft", "dpo", "kto"] = "sft"
    # -- optimisation
    learning_rate: float = pydantic.Field(1.5e-4, gt=0)  # LoRA SFT; DPO 5e-6, KTO 1e-6 in their YAML
    num_train_epochs: float = pydantic.Field(1.0, gt=0)
    max_steps: int = -1  # > 0 overrides num_train_epochs
    per_device_train_batch_size: int = pydantic.Field(2, ge=1)
    per_device_eval_batch_size: int = pydantic.Field(2, ge=1)
    gradient_accumulation_steps: int = pydantic.Field(8, ge=1)
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = pydantic.Field(0.03, ge=0, lt=1)
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    # -- LoRA
    lora_rank: int = pydantic.Field(16, ge=1)
    lora_alpha: int = pydantic.Field(32, ge=1)
    lora_dropout: float = pydantic.Field(0.05, ge=0, lt=1)
    lora_target: str | list[str] = "all"  # "all" = every linear layer except the LM head
    # -- data
    cutoff_len: int = pydantic.Field(4096, ge=16)
    packing: bool = False  # SFT only
    # SFT only: batches of similar length (transformers' length-grouped sampler), so little of each batch is padding
    group_by_length: bool = False
    max_train_samples: int | None = pydantic.Field(None, ge=1)
    max_eval_samples: int | None = pydantic.Field(None, ge=1)
    dataloader_num_workers: int = pydantic.Field(0, ge=0)
    gradient_checkpointing: bool = False
    # -- preference
    pref_beta: float = pydantic.Field(0.1, gt=0)
    pref_ftx: float = pydantic.Field(0.0, ge=0)  # weight of the SFT (NLL) loss mixed into DPO, against forgetting
    pref_loss: str = "sigmoid"  # DPO: sigmoid|ipo|hinge|...; KTO: kto|apo_zero_unpaired
    # "auto": solved from the train split's label counts (after sampling) so the weighted ratio = kto_target_ratio
    kto_desirable_weight: float | Literal["auto"] = "auto"
    kto_undesirable_weight: float | Literal["auto"] = 1.0
    kto_target_ratio: float = 1.15  # weighted desirable:undesirable that "auto" aims at; must lie in [1, 4/3]
    curriculum: bool = False  # DPO: train `phase == hallucination` pairs first, then `style`
    # -- bookkeeping
    logging_steps: int = pydantic.Field(5, ge=1)
    save_steps: int = pydantic.Field(100, ge=1)
    eval_steps: int | None = pydantic.Field(None, ge=1)  # default: save_steps
    save_total_limit: int = pydantic.Field(2, ge=1)
    keep_checkpoints: bool = False  # false: a stage that succeeded deletes its checkpoints (saves/<p>/<stage>.work/)
    early_stopping_patience: int | None = pydantic.Field(3, ge=1)  # evals without eval-loss improvement; null = off

    @pydantic.field_validator("kto_desirable_weight", "kto_undesirable_weight", mode="before")
    @classmethod
    def _auto_or_positive(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("expected 'auto' or a positive number") from None
        if isinstance(value, bool) or not number > 0:
            raise ValueError("expected 'auto' or a positive number")
        return number

    @pydantic.model_validator(mode="after")
    def _check(self) -> "StageRecipe":
        if self.stage == "kto" and self.per_device_train_batch_size < 2:
            raise ValueError(
                "KTO needs per_device_train_batch_size > 1 (its KL term pairs each completion with another prompt "
                f"in the batch); got {self.per_device_train_batch_size}."
            )
        lo, hi = KTO_RATIO_RANGE
        if not lo <= self.kto_target_ratio <= hi:
            raise ValueError(
                f"kto_target_ratio must lie in [1, 4/3] (weighted desirable:undesirable between 1:1 and 4:3, "
                f"TRL's KTO guidance); got {self.kto_target_ratio}."
            )
        if self.curriculum and self.stage != "dpo":
            raise ValueError("curriculum is a DPO option (phase column of dpo_v3); set it false for this stage.")
        if self.early_stopping_patience and self.save_steps % (self.eval_steps or self.save_steps):
            raise ValueError(
                f"early stopping keeps the best checkpoint, so save_steps ({self.save_steps}) must be a multiple of "
                f"eval_steps ({self.eval_steps})."
            )
        return self


def _recipe_source(stage: str, paths: ProjectPaths) -> Path:
    if stage not in STAGE_FILES:
        raise ConfigError(f"unknown stage '{stage}'. Valid stages: {', '.join(STAGE_FILES)}.")
    return paths.configs / STAGE_FILES[stage]


def load_recipe(stage: str, paths: ProjectPaths, profile: Any = None, overrides: dict | None = None) -> StageRecipe:
    """Resolve a stage's recipe: stage YAML + profile overrides + run overrides, validated as one mapping."""
    path = _recipe_source(stage, paths)
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of recipe keys at the top level.")
    sources = [str(path)]
    if profile is not None and profile.stage_overrides(stage):
        data = deep_merge(data, profile.stage_overrides(stage))
        sources.append(f"configs/model_options/{profile.name}.yaml (stages.{stage})")
    if overrides:
        data = deep_merge(data, dict(overrides))
        sources.append("run overrides")
    data.setdefault("stage", TRAINER_STAGE[stage])
    if data["stage"] != TRAINER_STAGE[stage]:
        raise ConfigError(
            f"{path}: stage '{data['stage']}' does not match {stage} (expected '{TRAINER_STAGE[stage]}')."
        )
    try:
        return build_config(StageRecipe, data, source=" + ".join(sources))
    except ConfigError as err:  # cross-field rules: drop the echo of the whole mapping
        raise ConfigError(
            re.sub(r"key '\(top level\)': Value error, (.*) \(got \{.*\} of type dict\)\.", r"\1", str(err))
        ) from None


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``["learning_rate=1e-4", "packing=true"]`` -> typed dict (values parsed as YAML scalars).

    Examples:
        >>> parse_overrides(["learning_rate=1e-4", "packing=true", "lora_target=[q_proj, v_proj]"])
        {'learning_rate': 0.0001, 'packing': True, 'lora_target': ['q_proj', 'v_proj']}
    """
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{pair}' is not key=value (e.g. --set learning_rate=1e-4).")
        parsed = yaml.safe_load(value)
        if (
            isinstance(parsed, str)
            and value.strip().lower().replace("e", "").replace(".", "").replace("-", "").isdigit()
        ):
            parsed = float(value)  # YAML 1.1 reads 1e-4 as a string
        out[key.strip()] = parsed
    return out


def apply_device_overrides(recipe: StageRecipe, plan: Any) -> StageRecipe:
    """The GPU resource's batch/accumulation/workers/checkpointing overrides win over the recipe."""
    if not plan.recipe_overrides:
        return recipe
    return build_config(StageRecipe, {**recipe.model_dump(), **plan.recipe_overrides}, source="gpu resource overrides")


def to_lora_config(recipe: StageRecipe):
    """PEFT LoraConfig for a new adapter (``lora_target: all`` -> every linear layer but the LM head)."""
    from peft import LoraConfig

    target = "all-linear" if recipe.lora_target == "all" else recipe.lora_target
    return LoraConfig(
        r=recipe.lora_rank,
        lora_alpha=recipe.lora_alpha,
        lora_dropout=recipe.lora_dropout,
        target_modules=target,
        task_type="CAUSAL_LM",
        bias="none",
    )


def training_arguments(
    recipe: StageRecipe, plan: Any, output_dir: Path, has_eval: bool, deepspeed: Path | None = None
) -> dict[str, Any]:
    """The TrainingArguments keys every stage shares: recipe, device plan, checkpoint policy, DeepSpeed file.

    ``deepspeed`` (the profile's ``configs/<deepspeed>`` JSON) reaches TrainingArguments as ``deepspeed=``; with
    the accelerate launcher each process then runs under that ZeRO config.
    """
    eval_steps = recipe.eval_steps or recipe.save_steps
    common: dict[str, Any] = dict(
        output_dir=str(output_dir),
        learning_rate=recipe.learning_rate,
        num_train_epochs=recipe.num_train_epochs,
        max_steps=recipe.max_steps,
        per_device_train_batch_size=recipe.per_device_train_batch_size,
        per_device_eval_batch_size=recipe.per_device_eval_batch_size,
        gradient_accumulation_steps=recipe.gradient_accumulation_steps,
        lr_scheduler_type=recipe.lr_scheduler_type,
        warmup_steps=recipe.warmup_ratio,  # a float in [0, 1) is a ratio of total steps in transformers 5
        weight_decay=recipe.weight_decay,
        max_grad_norm=recipe.max_grad_norm,
        seed=recipe.seed,
        data_seed=recipe.seed,
        logging_steps=recipe.logging_steps,
        logging_first_step=True,
        save_strategy="steps",
        save_steps=recipe.save_steps,
        save_total_limit=recipe.save_total_limit,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=eval_steps if has_eval else None,
        load_best_model_at_end=bool(has_eval and recipe.early_stopping_patience),
        metric_for_best_model="eval_loss" if has_eval else None,
        greater_is_better=False,
        dataloader_num_workers=recipe.dataloader_num_workers,
        activation_checkpointing=recipe.gradient_checkpointing,  # renamed from gradient_checkpointing
        bf16=plan.precision == "bf16",
        fp16=plan.precision == "fp16",
        tf32=plan.tf32 if plan.device == "cuda" else None,
        use_cpu=plan.device == "cpu",
        report_to="none",
        disable_tqdm=True,
        include_num_input_tokens_seen="non_padding",  # -> train_tokens_per_second
        max_length=recipe.cutoff_len,
    )
    if deepspeed is not None:
        common["deepspeed"] = str(deepspeed)
    return common


def to_trl_config(
    recipe: StageRecipe,
    plan: Any,
    output_dir: Path,
    has_eval: bool,
    kto_weights: Any = None,
    deepspeed: Path | None = None,
):
    """SFTConfig / DPOConfig / KTOConfig carrying :func:`training_arguments` plus the stage's own keys.

    KTO needs ``kto_weights`` from :func:`kto_balance.resolve_kto_weights` (the class weights depend on the data).
    """
    from trl import DPOConfig, KTOConfig, SFTConfig

    common = training_arguments(recipe, plan, output_dir, has_eval, deepspeed)
    if recipe.stage == "sft":
        sampling = "group_by_length" if recipe.group_by_length else "random"
        return SFTConfig(**common, packing=recipe.packing, completion_only_loss=True, train_sampling_strategy=sampling)
    if recipe.stage == "dpo":
        loss_type = [recipe.pref_loss] + (["sft"] if recipe.pref_ftx > 0 else [])
        weights = [1.0, recipe.pref_ftx] if recipe.pref_ftx > 0 else None
        # a curriculum is a fixed order (hallucination phase first), so the sampler must not shuffle it
        sampling = "sequential" if recipe.curriculum else "random"
        return DPOConfig(
            **common,
            beta=recipe.pref_beta,
            loss_type=loss_type,
            loss_weights=weights,
            train_sampling_strategy=sampling,
        )
    if kto_weights is None:
        raise TrainingError(
            "internal: KTO's class weights must be resolved from the data first (kto_balance.resolve_kto_weights)."
        )
    return KTOConfig(
        **common,
        beta=recipe.pref_beta,
        loss_type=recipe.pref_loss if recipe.pref_loss != "sigmoid" else "kto",
        desirable_weight=kto_weights.desirable,
        undesirable_weight=kto_weights.undesirable,
    )
