"""Error tree for user mistakes.

Every error a user can cause (bad config, bad schema file, bad dataset, missing upstream artifact) is a
``VgptError``: the CLI prints its message without a traceback and exits 2, Dagster shows it as the
run failure. Any other exception is a bug and keeps its traceback.
"""

import difflib
from collections.abc import Iterable


class VgptError(Exception):
    """Base class of every user-facing error; the message says what, where and how to fix it."""


class ConfigError(VgptError):
    """A YAML config or run-config value is unknown, mistyped or out of range."""


class CatalogError(VgptError):
    """A schema export is missing, malformed or empty, or a name is not in the catalog."""


class SqlAnalysisError(VgptError):
    """The analyzer was called with something it cannot analyse (not a parse error: those are findings)."""


class DatasetError(VgptError):
    """A dataset file is missing, malformed, or has the wrong columns for its kind."""


class TrainingError(VgptError):
    """A training stage cannot start: missing model weights, missing upstream adapter, bad device request."""


class ValidationError(VgptError):
    """A validation run cannot start: missing or unreadable adapter, missing suite."""


class MissingUpstreamError(VgptError):
    """An artifact an asset reads does not exist yet."""

    def __init__(self, what: str, paths: Iterable[str], selection: str):
        paths = list(paths)
        listed = "\n".join(f"  - {p}" for p in paths)
        super().__init__(
            f"{what} needs files that do not exist yet:\n{listed}\n"
            f"Build them first, e.g. `dagster asset materialize -m vgpt_dagster.definitions --select '{selection}'`."
        )
        self.paths = paths
        self.selection = selection


def did_you_mean(name: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> str:
    """Return ``" Did you mean 'x'?"`` (or ``" Did you mean one of 'x', 'y'?"``), or "" when nothing is close.

    Examples:
        >>> did_you_mean("lora_rnk", ["lora_rank", "lora_alpha"])
        " Did you mean 'lora_rank'?"
        >>> did_you_mean("zzz", ["lora_rank"])
        ''
    """
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=cutoff)
    matches = [lowered[m] for m in matches]
    if not matches:
        return ""
    if len(matches) == 1:
        return f" Did you mean '{matches[0]}'?"
    return " Did you mean one of " + ", ".join(f"'{m}'" for m in matches) + "?"
