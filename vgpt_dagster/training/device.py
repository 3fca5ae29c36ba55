"""Device decisions for a training stage: which device, precision, launcher — never a silent downgrade.

:func:`plan_device` is pure when ``cuda`` facts are passed in, so it is unit-tested without a GPU; the
Dagster GPU resource builds a :class:`DeviceRequest` from its config and hands the plan to the Pipes subprocess.
"""

import os
import sys
from dataclasses import asdict, dataclass, field
from typing import Literal

from vgpt_dagster.config import StrictModel
from vgpt_dagster.errors import TrainingError


class DeviceRequest(StrictModel):
    """What the user asked for (resource config or CLI flags)."""

    device: Literal["auto", "cuda", "cpu"] = "auto"
    gpu_ids: list[int] = []  # visible GPUs (CUDA_VISIBLE_DEVICES); empty = all
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    tf32: Literal["auto", "on", "off"] = "auto"
    per_device_train_batch_size: int | None = None  # overrides the recipe
    gradient_accumulation_steps: int | None = None
    dataloader_num_workers: int | None = None  # the seeds found 0 workers starved the A6000; 8 recommended there
    gradient_checkpointing: bool | None = None
    launcher: Literal["python", "accelerate"] = "python"
    num_processes: int = 1


@dataclass(frozen=True)
class CudaFacts:
    """What torch reports about the GPUs (injected in tests)."""

    available: bool
    name: str = ""
    memory_gb: float = 0.0
    bf16_supported: bool = False
    count: int = 0


@dataclass(frozen=True)
class DevicePlan:
    """The decision, recorded in every stage's metadata."""

    device: Literal["cuda", "cpu"]
    precision: Literal["bf16", "fp16", "fp32"]
    tf32: bool
    gpu_ids: list[int] = field(default_factory=list)
    gpu_name: str = ""
    gpu_memory_gb: float = 0.0
    launcher: Literal["python", "accelerate"] = "python"
    num_processes: int = 1
    recipe_overrides: dict = field(default_factory=dict)

    def describe(self) -> dict:
        return asdict(self)


def detect_cuda() -> CudaFacts:
    import torch

    if not torch.cuda.is_available():
        return CudaFacts(False)
    props = torch.cuda.get_device_properties(0)
    return CudaFacts(
        True,
        name=props.name,
        memory_gb=round(props.total_memory / 2**30, 1),
        bf16_supported=torch.cuda.is_bf16_supported(),
        count=torch.cuda.device_count(),
    )


def plan_device(request: DeviceRequest, cuda: CudaFacts | None = None) -> DevicePlan:
    """Turn a request into a plan; asking for what the machine lacks is a TrainingError.

    Examples:
        >>> plan_device(DeviceRequest(), CudaFacts(False)).device
        'cpu'
        >>> p = plan_device(DeviceRequest(), CudaFacts(True, "NVIDIA RTX A6000", 47.5, True, 1))
        >>> (p.device, p.precision, p.tf32)
        ('cuda', 'bf16', True)
    """
    cuda = cuda if cuda is not None else detect_cuda()
    if request.device == "cuda" and not cuda.available:
        raise TrainingError(
            "device 'cuda' was requested but torch sees no CUDA GPU (torch.cuda.is_available() is False). "
            "Install a CUDA build of torch and check `nvidia-smi`, or set device: cpu / auto in the gpu resource "
            "(CLI: --device cpu)."
        )
    device = "cuda" if request.device == "cuda" or (request.device == "auto" and cuda.available) else "cpu"
    if device == "cpu" and (request.gpu_ids or request.num_processes > 1):
        raise TrainingError("gpu_ids / num_processes > 1 need device cuda; this plan runs on the CPU.")
    if device == "cuda" and request.gpu_ids and max(request.gpu_ids) >= max(cuda.count, 1):
        raise TrainingError(f"gpu_ids {request.gpu_ids} but only {cuda.count} GPU(s) are visible.")
    precision = request.precision
    if precision == "auto":
        precision = "bf16" if device == "cuda" and cuda.bf16_supported else ("fp16" if device == "cuda" else "fp32")
    if precision in ("bf16", "fp16") and device == "cpu":
        raise TrainingError(f"precision '{precision}' needs a GPU here; use precision: fp32 (or auto) on the CPU.")
    if precision == "bf16" and not cuda.bf16_supported:
        raise TrainingError(f"GPU '{cuda.name}' does not support bf16; use precision: fp16 or auto.")
    tf32 = device == "cuda" and request.tf32 != "off" and (request.tf32 == "on" or cuda.bf16_supported)
    overrides = {
        k: getattr(request, k)
        for k in ("per_device_train_batch_size", "gradient_accumulation_steps", "dataloader_num_workers")
        if getattr(request, k) is not None
    }
    if request.gradient_checkpointing is not None:
        overrides["gradient_checkpointing"] = request.gradient_checkpointing
    n_proc = request.num_processes
    if request.launcher == "accelerate" and request.gpu_ids and n_proc == 1:
        n_proc = len(request.gpu_ids)
    return DevicePlan(
        device=device,
        precision=precision,
        tf32=tf32,
        gpu_ids=list(request.gpu_ids),
        gpu_name=cuda.name if device == "cuda" else "cpu",
        gpu_memory_gb=cuda.memory_gb if device == "cuda" else 0.0,
        launcher=request.launcher,
        num_processes=n_proc,
        recipe_overrides=overrides,
    )


def launch_command(plan: DevicePlan, module: str = "vgpt_dagster.training.pipes_entry") -> list[str]:
    """The subprocess command that runs a stage: plain python, or accelerate for several processes.

    Examples:
        >>> launch_command(DevicePlan("cpu", "fp32", False))[1:]
        ['-m', 'vgpt_dagster.training.pipes_entry']
        >>> launch_command(DevicePlan("cuda", "bf16", True, [0, 1], launcher="accelerate", num_processes=2))[:5]
        ['accelerate', 'launch', '--num_processes', '2', '-m']
    """
    if plan.launcher == "accelerate":
        return ["accelerate", "launch", "--num_processes", str(plan.num_processes), "-m", module]
    return [sys.executable, "-m", module]


def launch_env(plan: DevicePlan, base: dict | None = None) -> dict[str, str]:
    """Environment for the subprocess: CUDA_VISIBLE_DEVICES from gpu_ids, hidden GPUs on a CPU plan."""
    env = dict(os.environ if base is None else base)
    if plan.gpu_ids:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in plan.gpu_ids)
    return env
