"""Atomic artifact writes and manifests.

Every file under data/ and saves/ is written to a temporary sibling and renamed into place, so a
killed run leaves either the previous file or the new one, never half a file. Folders (adapters) are
built in a temporary sibling folder and swapped in with two renames.
"""

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it over ``path``, on error delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; artifacts are ordinary shared files
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
        _fsync_dir(path.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, obj: Any, indent: int | None = 2) -> Path:
    return write_text_atomic(path, json.dumps(obj, indent=indent, ensure_ascii=False, default=str) + "\n")


def write_jsonl_atomic(path: Path, rows: Iterable[dict]) -> Path:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return Path(path)


def write_figure_atomic(fig: Any, path: Path, dpi: int = 100) -> Path:
    """Save a matplotlib figure as PNG atomically and close it (a plot shown in the Dagster UI)."""
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return Path(path)


def write_parquet_atomic(df: Any, path: Path) -> Path:
    """Write a polars DataFrame to Parquet atomically."""
    with atomic_path(path) as tmp:
        df.write_parquet(tmp)
    return Path(path)


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Build a folder in a temporary sibling, then swap it in for ``path``.

    The old folder is renamed aside first and removed only after the new one is in place, so at any
    instant ``path`` is either the complete old folder or the complete new one (a kill between the
    two renames leaves ``path.old-*`` next to it, which :func:`recover_dir` puts back).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        old = path.with_name(f"{path.name}.old-{int(time.time() * 1000)}")
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


STALE_TMP_SECONDS = 24 * 3600  # a build folder untouched this long belongs to a killed writer, not a live one


def recover_dir(path: Path) -> None:
    """Undo a swap that was killed between its two renames; remove stale leftovers.

    Leftovers are old copies (``<name>.old-*``) and build folders (``.<name>.*.tmp``) of writers that were
    killed; a build folder is only removed once it is a day old, so a concurrent writer's folder is safe.
    """
    path = Path(path)
    if not path.parent.exists():
        return
    now = time.time()
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            if tmp.is_dir() and now - tmp.stat().st_mtime > STALE_TMP_SECONDS:
                shutil.rmtree(tmp, ignore_errors=True)
        except FileNotFoundError:
            pass
    olds = sorted(path.parent.glob(f"{path.name}.old-*"))
    if olds and not path.exists():
        os.replace(olds[-1], path)
        olds = olds[:-1]
    for stale in olds:
        shutil.rmtree(stale, ignore_errors=True)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_files(paths: Iterable[Path]) -> str:
    """One hash over several files (names and contents), order-independent."""
    h = hashlib.sha256()
    for p in sorted(Path(p) for p in paths):
        h.update(p.name.encode())
        h.update(sha256_file(p).encode())
    return h.hexdigest()


def sha256_json(obj: Any) -> str:
    """Hash of a JSON-serialisable value with sorted keys: the config hash recorded in manifests."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def write_manifest(folder: Path, **fields: Any) -> Path:
    """Write ``folder/manifest.json`` (inputs, config hash, seed, counts, ...) atomically."""
    fields.setdefault("written_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    return write_json_atomic(Path(folder) / "manifest.json", fields)


def read_manifest(folder: Path) -> dict:
    p = Path(folder) / "manifest.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
