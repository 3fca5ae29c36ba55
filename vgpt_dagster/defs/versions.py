"""Code versions (hash of the source an asset really runs) and data versions (hash of output files).

Dagster compares them to mark assets stale in the UI. An asset's code version hashes the domain modules it
calls and every project module those import, transitively, lazy imports inside functions included (read with
``ast``, nothing imported): editing an experiment leaves the adapters current, and editing the sandbox builder
marks ``vista_sandbox`` stale.
"""

import ast
import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import dagster as dg

from vgpt_dagster.artifacts import sha256_file

_PACKAGE = Path(__file__).resolve().parent.parent
_ROOT = "vgpt_dagster"


@cache
def _module_file(name: str) -> Path | None:
    """The file of a dotted module name under the package (a package's ``__init__.py``), or None."""
    rel = Path(*name.split(".")[1:])
    for candidate in (_PACKAGE / rel.with_suffix(".py"), _PACKAGE / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _imports(name: str, path: Path) -> frozenset[str]:
    """Project modules ``path`` imports anywhere in the file (``from a import b``: ``a.b`` when a module); parsed
    once per module however many assets' closures include it."""
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            out.update(f"{base}.{a.name}" if _module_file(f"{base}.{a.name}") else base for a in node.names)
    return frozenset(
        m for m in out if m.startswith(_ROOT + ".") and _module_file(m) and not m.startswith(_ROOT + ".defs")
    )


@cache
def source_closure(*modules: str) -> tuple[Path, ...]:
    """Files of ``modules`` (dotted, under vgpt_dagster) and of every project module they import, transitively."""
    seen: set[str] = set()
    todo = [m if m.startswith(_ROOT + ".") else f"{_ROOT}.{m}" for m in modules]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or path is None:
            if path is None and name not in seen:
                raise ValueError(f"code_version: no module {name} under {_PACKAGE}")
            continue
        seen.add(name)
        todo.extend(_imports(name, path) - seen)
    return tuple(sorted({_module_file(m) for m in seen}))


@cache
def code_version(*modules: str) -> str:
    """Short hash over the source :func:`source_closure` finds for ``modules`` (e.g. ``"execution.accuracy"``)."""
    h = hashlib.sha256()
    for f in source_closure(*modules):
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
