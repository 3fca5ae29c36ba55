"""Code versions (hash of the domain package's source) and data versions (hash of output files).

Dagster compares them to mark assets stale in the UI: when the dataset code or a dataset file changes,
every adapter trained on it shows as stale.
"""

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import dagster as dg

from vgpt_dagster.artifacts import sha256_file

_PACKAGE = Path(__file__).resolve().parent.parent


@cache
def code_version(*packages: str) -> str:
    """Short hash over the .py files of ``vgpt_dagster/<package>`` (modules or folders)."""
    h = hashlib.sha256()
    for pkg in packages:
        target = _PACKAGE / pkg
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
        for f in files:
            h.update(f.relative_to(_PACKAGE).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def data_version(paths: Iterable[Path]) -> dg.DataVersion:
    """Content hash of the artifact files (sorted), as Dagster's data version."""
    h = hashlib.sha256()
    for p in sorted(Path(p) for p in paths):
        h.update(p.name.encode())
        h.update(sha256_file(p).encode())
    return dg.DataVersion(h.hexdigest()[:16])
