"""Resources: where artifacts live, which model profile a run trains, and the GPU/device policy."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.profiles import PROFILE_ENV, default_profile_name


class VgptPaths(dg.ConfigurableResource):
    """The project root holding configs/, data/ and saves/ (default: $VGPT_ROOT or this checkout)."""

    root: str | None = Field(default=None, description="Project root; tests point it at a temporary copy.")

    def get(self) -> ProjectPaths:
        return ProjectPaths(Path(self.root).resolve()) if self.root else ProjectPaths.from_env()


class ModelSelection(dg.ConfigurableResource):
    """Which model profile (configs/model_options/<profile>.yaml) every stage of a run uses."""

    profile: str = Field(
        default=default_profile_name(),  # read when the code location loads: ${PROFILE_ENV} or the project default
        description="smollm2-135m (default: real pretrained SmolLM2-135M-Instruct, CPU-sized), tiny (smoke-scale "
        f"model built locally, tests), qwen2.5-7b-lora, qwen2.5-7b-full, qwen2.5-32b-qlora. ${PROFILE_ENV} changes "
        "the default.",
    )


class GpuResource(dg.ConfigurableResource):
    """Owns device decisions for training and validation; validated by runtime.device.DeviceRequest.

    ``device: auto`` picks CUDA when present and the CPU otherwise and records which in the run's
    metadata; ``device: cuda`` without a GPU is an error, never a quiet CPU fallback.
    """

    device: str = Field(default="auto", description="auto | cuda | cpu")
    gpu_ids: list[int] = Field(default=[], description="CUDA device ids to use (CUDA_VISIBLE_DEVICES); [] = all")
    precision: str = Field(default="auto", description="auto | bf16 | fp16 | fp32 (auto: bf16 where supported)")
    tf32: str = Field(default="auto", description="auto | on | off")
    per_device_train_batch_size: int | None = Field(default=None, description="override the stage recipe")
    gradient_accumulation_steps: int | None = Field(default=None, description="override the stage recipe")
    dataloader_num_workers: int | None = Field(default=None, description="the seeds found 0 starved the GPU")
    gradient_checkpointing: bool | None = Field(default=None, description="override the stage recipe")
    launcher: str | None = Field(
        default=None, description="python (one process) | accelerate (multi-GPU); unset: the model profile's"
    )
    num_processes: int | None = Field(
        default=None, description="processes for the accelerate launcher (one per GPU); unset: the profile's"
    )

    def request_dict(self) -> dict:
        return {
            "device": self.device,
            "gpu_ids": list(self.gpu_ids),
            "precision": self.precision,
            "tf32": self.tf32,
            "per_device_train_batch_size": self.per_device_train_batch_size,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
            "dataloader_num_workers": self.dataloader_num_workers,
            "gradient_checkpointing": self.gradient_checkpointing,
            "launcher": self.launcher,
            "num_processes": self.num_processes,
        }


def default_resources() -> dict:
    return {
        "paths": VgptPaths(),
        "model": ModelSelection(),
        "gpu": GpuResource(),
        "pipes_subprocess_client": dg.PipesSubprocessClient(),
    }
