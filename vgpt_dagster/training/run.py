"""Run one training stage (SFT -> DPO v3 -> KTO) with TRL/PEFT: resume-safe, atomically saved.

    result = run_stage("dpo_v3", paths=paths, profile=profile, recipe=recipe, device_plan=plan)

SFT trains a new LoRA on the base model with completion-only loss. DPO v3 continues the SFT adapter (the
reference model is the SFT model with a frozen copy of that adapter), KTO continues the DPO v3 adapter.
"""

import gc
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from vgpt_dagster.artifacts import atomic_dir, sha256_files, write_json_atomic, write_manifest, write_text_atomic
from vgpt_dagster.config import config_to_dict
from vgpt_dagster.errors import TrainingError
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime import checkpoints, model_io
from vgpt_dagster.runtime.environment import environment_record
from vgpt_dagster.runtime.profiles import (
    base_model_reference,
    candidate_model_dirs,
    deepspeed_config,
    resolve_base_model,
)
from vgpt_dagster.runtime.stages import STAGES
from vgpt_dagster.training import report
from vgpt_dagster.training.data import DATASET_KIND, MissingStageInput, load_stage_data, read_kto_label_counts
from vgpt_dagster.training.kto_balance import resolve_kto_weights
from vgpt_dagster.training.recipe import apply_device_overrides, load_recipe, to_lora_config, to_trl_config

log = logging.getLogger(__name__)

INIT_STAGE = {s.name: s.parent for s in STAGES}
REWARD_KEYS = ("rewards/margins", "rewards/accuracies", "rewards/chosen", "rewards/rejected")


@dataclass
class StageResult:
    """What a stage did; ``metadata()`` is what the Dagster asset shows."""

    stage: str
    profile: str
    out_dir: Path
    work_dir: Path
    steps: int
    train_loss_first: float | None
    train_loss_last: float | None
    eval_loss: float | None
    rewards: dict
    tokens_per_second: float | None
    wall_time_s: float
    device: str
    precision: str
    resumed: bool
    resume_reason: str
    data_versions: dict
    rows: dict
    metrics: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)  # stage-specific scalars, e.g. KTO class weights used

    def metadata(self) -> dict:
        skip = ("metrics", "rewards", "data_versions", "rows", "facts")
        out = {k: v for k, v in asdict(self).items() if k not in skip}
        out.update(self.facts)
        out.update({k.replace("/", "_"): v for k, v in self.rewards.items()})
        out.update({f"rows_{k}": v for k, v in self.rows.items()})
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in out.items()}


def _final_eval(trainer) -> dict:
    """The eval metrics of the final weights: the trainer's own evaluation at the last step when it ran one
    (``eval_steps`` divides ``max_steps``) and no best checkpoint was reloaded, else one more evaluation pass."""
    step = trainer.state.global_step
    last = next((r for r in reversed(trainer.state.log_history) if "eval_loss" in r), None)
    if last is not None and last.get("step") == step and not trainer.args.load_best_model_at_end:
        return {k: v for k, v in last.items() if k.startswith("eval_")}
    return trainer.evaluate()


def _first_last(history: list[dict], key: str) -> tuple[float | None, float | None]:
    vals = [r[key] for r in history if key in r]
    return (vals[0], vals[-1]) if vals else (None, None)


def _tokens_per_second(trainer, metrics: dict) -> float | None:
    """Non-padding tokens trained in this session / train runtime (evaluation time included)."""
    seen = trainer.state.num_input_tokens_seen - getattr(trainer, "_initial_num_input_tokens_seen", 0)
    runtime = metrics.get("train_runtime") or 0
    return round(seen / runtime, 1) if seen and runtime else None


class _ProgressCallback:
    """Forwards every log line to ``progress`` (Pipes log stream, CLI) and the module logger."""

    def __new__(cls, stage: str, progress: Callable[[dict], None] | None):
        from transformers import TrainerCallback

        class Cb(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kw):
                row = {"stage": stage, "step": state.global_step, **(logs or {})}
                log.info("%s step %d/%d %s", stage, state.global_step, state.max_steps, logs)
                if progress:
                    progress(row)

        return Cb()


def check_dataset_audit(stage: str, dataset_dir: Path, accept: tuple[str, ...] = ()) -> None:
    """Refuse to train on a dataset whose last build recorded a failed blocking audit (CLI and assets alike);
    ``accept``: audits an experiment's arm fails on purpose (named in its YAML)."""
    from vgpt_dagster.datasets.io import require_audited

    require_audited(dataset_dir, DATASET_KIND[stage], f"{stage} training", accept)


def check_inputs(
    stage: str,
    paths: ProjectPaths,
    profile,
    dataset_dir: Path,
    init_dir: Path | None,
    recipe=None,
    accept_failed_audits: tuple[str, ...] = (),
) -> Path:
    """Fail before importing torch when a dataset, init adapter or base model is missing, or the dataset's
    blocking audits failed; return the base dir.

    For KTO it also checks the class weights against the train split's label counts (one Parquet column), so
    a bad explicit ``kto_desirable_weight`` fails here. ``recipe`` defaults to the stage YAML + profile
    (pass the run's resolved recipe when it has overrides).
    """
    check_dataset_audit(stage, dataset_dir, accept_failed_audits)  # refused data first, whatever else is missing
    missing = []
    if not (Path(dataset_dir) / "train.parquet").is_file():
        missing.append(str(Path(dataset_dir) / "train.parquet") + f"  (asset {DATASET_KIND[stage]}_dataset)")
    if init_dir is not None and not model_io.adapter_is_complete(init_dir, profile.finetuning_type):
        missing.append(str(Path(init_dir) / "adapter_model.safetensors") + f"  (asset {INIT_STAGE[stage]}_adapter)")
    built_locally = profile.kind == "tiny" or profile.gguf is not None  # base_model builds/converts it
    if built_locally and not any((d / "config.json").is_file() for d in candidate_model_dirs(profile, paths)):
        missing.append(str(paths.base_model_dir(profile.name) / "model.safetensors") + "  (asset base_model)")
    if missing:
        raise MissingStageInput(f"{stage} training (profile '{profile.name}')", missing, f"*{stage}_adapter")
    if init_dir is not None:  # present, but is it readable? A truncated file would only fail in the subprocess
        from vgpt_dagster.errors import ValidationError
        from vgpt_dagster.runtime.inference import check_adapter

        try:
            check_adapter(Path(init_dir), profile.finetuning_type)
        except ValidationError as err:
            raise TrainingError(
                f"{stage} training (profile '{profile.name}') continues from {init_dir}, which is damaged: {err} "
                f"Re-materialize {INIT_STAGE[stage]}_adapter."
            ) from None
    base_dir = resolve_base_model(profile, paths)
    if stage == "kto":
        recipe = recipe if recipe is not None else load_recipe(stage, paths, profile)
        train = Path(dataset_dir) / "train.parquet"
        counts = read_kto_label_counts(train, recipe)
        resolve_kto_weights(recipe, counts["desirable"], counts["undesirable"], str(train))
    return base_dir


def run_stage(
    stage: str,
    *,
    paths: ProjectPaths,
    profile,
    recipe,
    device_plan,
    dataset_dir: Path | None = None,
    init_adapter: Path | None = None,
    out_dir: Path | None = None,
    progress: Callable[[dict], None] | None = None,
    accept_failed_audits: tuple[str, ...] = (),
) -> StageResult:
    """Train ``stage`` and write the adapter folder atomically to ``out_dir`` (default saves/<profile>/<stage>/).

    On success the stage's work folder keeps no checkpoint (``keep_checkpoints: true`` keeps them).
    """
    if stage not in INIT_STAGE:
        raise TrainingError(f"unknown stage '{stage}'; stages are {', '.join(INIT_STAGE)}.")
    t0 = time.time()
    dataset_dir = Path(dataset_dir or paths.dataset_dir(DATASET_KIND[stage]))
    if init_adapter is None and INIT_STAGE[stage]:
        init_adapter = paths.stage_dir(profile.name, INIT_STAGE[stage])
    out_dir = Path(out_dir or paths.stage_dir(profile.name, stage))
    work_dir = out_dir.with_name(out_dir.name + ".work")
    base_dir = check_inputs(stage, paths, profile, dataset_dir, init_adapter, recipe, accept_failed_audits)
    recipe = apply_device_overrides(recipe, device_plan)
    resolved = config_to_dict(recipe)
    data, kto_weights, facts = _stage_data(stage, dataset_dir, recipe)

    # ---- resume or fresh (checkpoints trained in another precision are not resumed)
    base_hash = checkpoints.hash_model_dir(base_dir, full=profile.kind == "tiny")
    fp = checkpoints.stage_fingerprint(
        data.files, {**resolved, "precision": device_plan.precision}, init_adapter, base_hash
    )
    decision = checkpoints.prepare_work_dir(work_dir, fp)
    log.info("%s: %s", stage, decision.reason)
    if progress:
        progress({"stage": stage, "event": "resume" if decision.checkpoint else "fresh", "reason": decision.reason})
    write_text_atomic(work_dir / "recipe.yaml", yaml.safe_dump(resolved, sort_keys=False))

    tokenizer, trainer = _build_trainer(
        paths, stage, profile, recipe, device_plan, base_dir, init_adapter, work_dir, data, kto_weights, progress
    )
    ckpt = str(decision.checkpoint) if decision.checkpoint else None
    train_out = trainer.train(resume_from_checkpoint=ckpt)
    eval_metrics = _final_eval(trainer) if data.eval is not None else {}
    history = list(trainer.state.log_history)
    first, last = _first_last(history, "loss")
    rewards = {k: eval_metrics.get(f"eval_{k}", _first_last(history, k)[1]) for k in REWARD_KEYS}
    rewards = {k: v for k, v in rewards.items() if v is not None}
    data_versions = {str(p.relative_to(dataset_dir.parent)): sha256_files([p]) for p in data.files}
    if init_adapter is not None:
        data_versions[f"init:{INIT_STAGE[stage]}"] = checkpoints.hash_model_dir(init_adapter)
    data_versions["base"] = base_hash
    result = StageResult(
        stage=stage,
        profile=profile.name,
        out_dir=out_dir,
        work_dir=work_dir,
        steps=int(trainer.state.global_step),
        train_loss_first=first,
        train_loss_last=last,
        eval_loss=eval_metrics.get("eval_loss"),
        rewards=rewards,
        tokens_per_second=_tokens_per_second(trainer, train_out.metrics),
        wall_time_s=0.0,
        device=device_plan.device,
        precision=device_plan.precision,
        resumed=decision.checkpoint is not None,
        resume_reason=decision.reason,
        data_versions=data_versions,
        rows=data.rows,
        metrics={**train_out.metrics, **eval_metrics},
        facts={**facts, **({"cpu_matmul_gflops": device_plan.cpu_probe} if device_plan.cpu_probe else {})},
    )
    _save_stage(trainer, tokenizer, profile, result, resolved, history, fp, recipe.seed, t0)
    if not recipe.keep_checkpoints:
        checkpoints.prune_work_dir(work_dir)

    # ---- free memory (the Pipes subprocess exits anyway; in-process callers keep going)
    del trainer
    gc.collect()
    if device_plan.device == "cuda":
        import torch

        torch.cuda.empty_cache()
    return result


def _stage_data(stage: str, dataset_dir: Path, recipe):
    """(StageData, KTO class weights or None, facts for the metadata)."""
    data = load_stage_data(stage, dataset_dir, recipe)
    kto_weights, facts = None, {}
    if stage == "kto":
        counts = data.label_counts
        kto_weights = resolve_kto_weights(recipe, counts["desirable"], counts["undesirable"], str(data.files[0]))
        facts = kto_weights.metadata()
        log.info(
            "KTO class weights%s: desirable %s x %d rows, undesirable %s x %d rows -> weighted ratio %.4f",
            " (auto)" if kto_weights.auto else "",
            kto_weights.desirable,
            counts["desirable"],
            kto_weights.undesirable,
            counts["undesirable"],
            kto_weights.ratio,
        )
    if data.phase_counts:
        facts.update({f"rows_{k}": v for k, v in data.phase_counts.items()})
    return data, kto_weights, facts


def _build_trainer(
    paths, stage, profile, recipe, device_plan, base_dir, init_adapter, work_dir, data, kto_weights, progress
):
    """(tokenizer, TRL trainer) for the stage: base model (+ init adapter), the stage's config and callbacks."""
    from transformers import AutoTokenizer, EarlyStoppingCallback, PrinterCallback
    from trl import DPOTrainer, KTOTrainer, SFTTrainer

    tokenizer = AutoTokenizer.from_pretrained(base_dir, trust_remote_code=False)
    if init_adapter is not None and profile.finetuning_type == "full":
        model = model_io.load_base_model(init_adapter, profile, device_plan)
    else:
        model = model_io.load_base_model(base_dir, profile, device_plan)
        if init_adapter is not None:
            model = model_io.load_trainable_adapter(model, init_adapter, base_dir)
    peft_config = to_lora_config(recipe) if stage == "sft" and profile.finetuning_type == "lora" else None
    args = to_trl_config(
        recipe,
        device_plan,
        work_dir,
        has_eval=data.eval is not None,
        kto_weights=kto_weights,
        deepspeed=deepspeed_config(profile, paths),
    )
    callbacks = [_ProgressCallback(stage, progress)]
    if data.eval is not None and recipe.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=recipe.early_stopping_patience))
    trainer_cls = {"sft": SFTTrainer, "dpo": DPOTrainer, "kto": KTOTrainer}[recipe.stage]
    kwargs = dict(model=model, args=args, train_dataset=data.train, eval_dataset=data.eval, processing_class=tokenizer)
    if peft_config is not None:
        kwargs["peft_config"] = peft_config
    if stage != "sft":
        kwargs["ref_model"] = None  # PEFT: TRL copies the init adapter as frozen `ref`; full: a frozen model copy
    trainer = trainer_cls(**kwargs, callbacks=callbacks)
    trainer.remove_callback(PrinterCallback)  # our callback logs each line once, through logging / Pipes
    return tokenizer, trainer


def _save_stage(trainer, tokenizer, profile, result: StageResult, resolved: dict, history, fp, seed, t0) -> None:
    """Write the adapter folder atomically: a kill here leaves the previous good adapter in place."""
    model_io.drop_reference_adapter(trainer.model)
    base_ref = base_model_reference(profile)
    with atomic_dir(result.out_dir) as tmp:
        trainer.save_model(str(tmp))
        # Trainer.save_model pickles TrainingArguments next to the adapter; the deliverable holds no pickles
        # (recipe.yaml records the same settings as text).
        (tmp / "training_args.bin").unlink(missing_ok=True)
        model_io.make_relocatable(tmp, base_ref)
        if (tmp / "ref").exists():
            raise TrainingError(f"internal: a `ref` adapter was saved into {tmp}")
        tokenizer.save_pretrained(tmp)
        write_text_atomic(tmp / "recipe.yaml", yaml.safe_dump(resolved, sort_keys=False))
        report.write_training_log(tmp, history)
        result.wall_time_s = round(time.time() - t0, 2)
        meta = result.metadata()
        write_json_atomic(tmp / "metrics.json", {**meta, "rewards": result.rewards, "metrics": result.metrics})
        report.plot_loss_curve(history, tmp / "loss_curve.png", f"{profile.name} {result.stage}")
        report.write_model_card(
            tmp,
            stage=result.stage,
            profile=profile,
            base_ref=base_ref,
            data_hashes=result.data_versions,
            recipe=resolved,
            metrics=meta,
        )
        write_manifest(
            tmp,
            stage=result.stage,
            profile=profile.name,
            fingerprint=fp,
            data_versions=result.data_versions,
            seed=seed,
            environment=environment_record(),
        )
    log.info(
        "%s adapter written to %s (%d steps, %.0f s)", result.stage, result.out_dir, result.steps, result.wall_time_s
    )
