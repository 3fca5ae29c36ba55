"""The package's import graph: no cycles (lazy imports inside functions included), no Dagster in the domain.

The graph is read from the source with ``ast``, so an import a function makes lazily counts the same as one
at the top of the file: a cycle "hidden" by a lazy import is still a cycle. Type-only imports under
``if TYPE_CHECKING:`` count too (they are a dependency, just one Python forgives at run time).
"""

import ast
import subprocess
import sys
from pathlib import Path

import vgpt_dagster

PACKAGE = Path(vgpt_dagster.__file__).resolve().parent
THIN_LAYERS = ("vgpt_dagster.defs", "vgpt_dagster.definitions")  # the only code that may import Dagster


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_names(path: Path, name: str, known: set[str]) -> set[str]:
    """Every absolute name ``path`` imports, anywhere in the file. ``from a import b`` gives ``a.b`` when that
    is a module in ``known``, else ``a`` (Python initialises parent packages anyway, so a package's
    ``__init__`` is an edge only when something is imported from it, e.g. a re-exported class)."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative: resolve against this module's package
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            out.update(f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: {m for m in imported_names(p, name, known) if m in known and m != name} for name, p in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def describe(comp: list[str], graph: dict[str, set[str]]) -> str:
    edges = [f"{a} -> {b}" for a in comp for b in sorted(graph[a]) if b in comp]
    return "cycle among " + ", ".join(comp) + ":\n    " + "\n    ".join(edges)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_lazy_and_relative_imports_are_edges(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from vgpt_dagster.catalog import model\n    from . import store\n")
    known = {"vgpt_dagster.catalog.model", "vgpt_dagster.catalog.store"}
    assert imported_names(f, "vgpt_dagster.catalog.m", known) == known


def test_no_import_cycles_in_the_package():
    graph = import_graph()
    assert len(graph) > 50  # the walk saw the whole package
    found = cycles(graph)
    assert not found, "import cycles (a lazy import does not make one go away):\n" + "\n".join(
        describe(c, graph) for c in found
    )


def test_domain_modules_never_import_dagster():
    """dagster_pipes (the training subprocess's side of Pipes) is a separate, Dagster-free package."""
    offenders = [
        name
        for name, path in modules().items()
        if not name.startswith(THIN_LAYERS)
        and "dagster" in {m.split(".")[0] for m in imported_names(path, name, set())}
    ]
    assert offenders == []


def test_every_module_imports():
    """Each module imports (in one interpreter): catches a module deleted or renamed under its importers."""
    names = [n for n in modules() if not n.endswith("__main__")]
    code = "import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)\n"
    proc = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
