"""One line describing the machine a benchmark ran on (every bench_*.py prints it with its results)."""

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def describe_machine() -> str:
    """nproc, CPU model, Python, and the 1-minute load average (a busy machine makes every figure slower)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"machine: nproc={os.cpu_count()}, CPU {cpu_model()!r}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, load average {load:.1f}"
    )
