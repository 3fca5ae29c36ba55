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
    # None = the model profile's launcher / process count (precedence: this request > profile > python, 1)
    launcher: Literal["python", "accelerate"] | None = None
    num_processes: int | None = None


@dataclass(frozen=True)
class CudaFacts:
    """What torch reports about the GPUs (injected in tests)."""

    available: bool
    name: str = ""
    memory_gb: float = 0.0
    bf16_supported: bool = False
    count: int = 0


@dataclass(frozen=True)
class CpuMatmulProbe:
    """Measured CPU matmul throughput per dtype (GFLOP/s): bf16 is chosen on the CPU only when it measures faster."""

    fp32_gflops: float
    bf16_gflops: float

    @property
    def bf16_faster(self) -> bool:
        return self.bf16_gflops >= BF16_MIN_SPEEDUP * self.fp32_gflops


BF16_MIN_SPEEDUP = 1.3  # below this, bf16's rounding is not worth it on the CPU


def probe_cpu_matmul(n: int = 512, repeats: int = 5) -> CpuMatmulProbe:
    """Median of ``repeats`` n x n matmuls in fp32 and bf16 (about a second in all)."""
    import statistics
    import time

    import torch

    def gflops(dtype) -> float:
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        a @ b  # warm-up (kernel selection)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ b
            times.append(time.perf_counter() - t0)
        return round(2 * n**3 / max(statistics.median(times), 1e-9) / 1e9, 1)

    return CpuMatmulProbe(fp32_gflops=gflops(torch.float32), bf16_gflops=gflops(torch.bfloat16))


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
    cpu_probe: dict | None = None  # the CPU matmul probe that chose the precision (GFLOP/s per dtype), if one ran

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


def plan_device(
    request: DeviceRequest,
    cuda: CudaFacts | None = None,
    cpu_probe: "CpuMatmulProbe | bool | None" = None,
    profile=None,
) -> DevicePlan:
    """Turn a request into a plan; asking for what the machine lacks is a TrainingError.

    Launcher and process count: the request's when set, else the ``profile``'s (``launcher``, ``num_processes``,
    e.g. qwen2.5-7b-full: accelerate x 2), else python x 1. On the CPU with ``precision: auto`` the plan is fp32,
    unless ``cpu_probe`` is given (True = measure now with :func:`probe_cpu_matmul`, or a measured
    :class:`CpuMatmulProbe`) and bf16 measured faster: then bf16.

    Examples:
        >>> plan_device(DeviceRequest(), CudaFacts(False)).device
        'cpu'
        >>> p = plan_device(DeviceRequest(), CudaFacts(True, "NVIDIA RTX A6000", 47.5, True, 1))
        >>> (p.device, p.precision, p.tf32)
        ('cuda', 'bf16', True)
        >>> plan_device(DeviceRequest(), CudaFacts(False), CpuMatmulProbe(181.0, 1071.0)).precision
        'bf16'
    """
    cuda = cuda if cuda is not None else detect_cuda()
    launcher = request.launcher or (profile.launcher if profile is not None else "python")
    n_proc = request.num_processes or (profile.num_processes if profile is not None else 1)
    if request.device == "cuda" and not cuda.available:
        raise TrainingError(
            "device 'cuda' was requested but torch sees no CUDA GPU (torch.cuda.is_available() is False). "
            "Install a CUDA build of torch and check `nvidia-smi`, or set device: cpu / auto in the gpu resource "
            "(CLI: --device cpu)."
        )
    device = "cuda" if request.device == "cuda" or (request.device == "auto" and cuda.available) else "cpu"
    if device == "cpu" and (request.gpu_ids or n_proc > 1):
        raise TrainingError("gpu_ids / num_processes > 1 need device cuda; this plan runs on the CPU.")
    if device == "cuda" and request.gpu_ids and max(request.gpu_ids) >= max(cuda.count, 1):
        raise TrainingError(f"gpu_ids {request.gpu_ids} but only {cuda.count} GPU(s) are visible.")
    precision = request.precision
    probe = None
    if precision == "auto":
        precision = "bf16" if device == "cuda" and cuda.bf16_supported else ("fp16" if device == "cuda" else "fp32")
        if device == "cpu" and cpu_probe:
            probe = probe_cpu_matmul() if cpu_probe is True else cpu_probe
            precision = "bf16" if probe.bf16_faster else "fp32"
    if precision in ("bf16", "fp16") and device == "cpu" and probe is None:
        raise TrainingError(f"precision '{precision}' needs a GPU here; use precision: fp32 (or auto) on the CPU.")
    if precision == "bf16" and device == "cuda" and not cuda.bf16_supported:
        raise TrainingError(f"GPU '{cuda.name}' does not support bf16; use precision: fp16 or auto.")
    tf32 = device == "cuda" and request.tf32 != "off" and (request.tf32 == "on" or cuda.bf16_supported)
    overrides = {
        k: getattr(request, k)
        for k in ("per_device_train_batch_size", "gradient_accumulation_steps", "dataloader_num_workers")
        if getattr(request, k) is not None
    }
    if request.gradient_checkpointing is not None:
        overrides["gradient_checkpointing"] = request.gradient_checkpointing
    if launcher == "accelerate" and request.gpu_ids and n_proc == 1:
        n_proc = len(request.gpu_ids)
    return DevicePlan(
        device=device,
        precision=precision,
        tf32=tf32,
        gpu_ids=list(request.gpu_ids),
        gpu_name=cuda.name if device == "cuda" else "cpu",
        gpu_memory_gb=cuda.memory_gb if device == "cuda" else 0.0,
        launcher=launcher,
        num_processes=n_proc,
        recipe_overrides=overrides,
        cpu_probe=asdict(probe) if probe is not None else None,
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
