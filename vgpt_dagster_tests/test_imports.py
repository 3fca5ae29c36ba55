"""The package's import graph: packages depend only downward, no cycles, no Dagster in the domain.

The graph is read from the source with ``ast``, so an import a function makes lazily counts the same as one
at the top of the file: a dependency "hidden" by a lazy import is still a dependency. Type-only imports under
``if TYPE_CHECKING:`` count too (they are a dependency, just one Python forgives at run time).

:data:`LAYERS` is the floor plan, bottom first (docs/architecture.md draws it): a module may import modules of
its own package and of packages in lower layers, nothing above and nothing beside it.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import vgpt_dagster

PACKAGE = Path(vgpt_dagster.__file__).resolve().parent
THIN_LAYERS = ("vgpt_dagster.defs", "vgpt_dagster.definitions")  # the only code that may import Dagster
ARCHITECTURE_DOC = PACKAGE.parent / "docs" / "architecture.md"

# Bottom first. Packages in one tuple share a layer and may not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "paths", "artifacts"),  # foundation: no project imports
    ("config",),  # YAML -> validated dataclasses (raises errors.ConfigError)
    ("catalog",),  # the Vista schema
    ("sql",),  # the T-SQL analyzer over the catalog
    ("judging",),  # reading questions, judging answers, metrics
    ("retrieval",),  # schema retrieval for prompts
    ("execution",),  # the read-only sandbox, oracle SQL, execution accuracy
    ("datasets",),  # pairs, SFT / DPO / KTO sets, audits
    ("runtime",),  # model profiles, stages, device, loading, inference, checkpoints
    ("training",),  # TRL/PEFT stages
    ("validation",),  # eval suite, validation runs, comparison, the gate
    ("serving",),  # the engine, guard and OpenAI-compatible server
    ("experiments",),  # ablations and measurements: arms as YAML, one runner
    ("cli", "defs"),  # the two front ends
    ("definitions",),  # Dagster's entry point
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def import_edges(path: Path, name: str, known: set[str]) -> list[tuple[str, int]]:
    """Every absolute name ``path`` imports, anywhere in the file, with its line. ``from a import b`` gives
    ``a.b`` when that is a module in ``known``, else ``a`` (Python initialises parent packages anyway, so a
    package's ``__init__`` is an edge only when something is imported from it, e.g. a re-exported class)."""
    is_pkg = path.name == "__init__.py"
    out: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative: resolve against this module's package
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            out.extend((f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod, node.lineno) for a in node.names)
    return out


def imported_names(path: Path, name: str, known: set[str]) -> set[str]:
    return {target for target, _ in import_edges(path, name, known)}


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


def package_of(module: str) -> str:
    """``vgpt_dagster.judging.judge`` -> ``judging``; a top-level module is its own package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_index() -> dict[str, int]:
    return {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}


def upward_edges(edges: dict[str, list[tuple[str, int, str]]], layers: dict[str, int]) -> list[str]:
    """``file:line: a imports b`` for each import of a package in the same or a higher layer (other package)."""
    bad = []
    for src, targets in sorted(edges.items()):
        for dst, line, file in targets:
            a, b = package_of(src), package_of(dst)
            if a != b and layers[b] >= layers[a]:
                bad.append(f"{file}:{line}: {src} ({a}, layer {layers[a]}) imports {dst} ({b}, layer {layers[b]})")
    return bad


def package_edges() -> dict[str, list[tuple[str, int, str]]]:
    mods = modules()
    known = set(mods)
    root = PACKAGE.parent
    return {
        name: [(t, line, str(p.relative_to(root))) for t, line in import_edges(p, name, known) if t in known]
        for name, p in mods.items()
    }


def test_every_package_has_a_layer():
    packages = {package_of(m) for m in modules() if m != "vgpt_dagster"}
    assert packages - set(layer_index()) == set(), "add the new package to LAYERS and docs/architecture.md"
    assert set(layer_index()) - packages == set(), "LAYERS names a package that does not exist"


def test_the_layer_check_names_file_and_line():
    layers = {"low": 0, "high": 1}
    edges = {"vgpt_dagster.low.a": [("vgpt_dagster.high.b", 7, "vgpt_dagster/low/a.py")], "vgpt_dagster.high.b": []}
    assert upward_edges(edges, layers) == [
        "vgpt_dagster/low/a.py:7: vgpt_dagster.low.a (low, layer 0) imports vgpt_dagster.high.b (high, layer 1)"
    ]
    assert upward_edges({"vgpt_dagster.high.b": [("vgpt_dagster.low.a", 3, "b.py")]}, layers) == []


def test_packages_depend_only_downward():
    found = upward_edges(package_edges(), layer_index())
    assert not found, "imports that go up or sideways in the floor plan (LAYERS):\n" + "\n".join(found)


def drawn_layers(text: str) -> list[set[str]]:
    """The packages on each row of the first ``text`` block, top row first (``name/`` or ``name.py``)."""
    start = text.index("```text") + len("```text")
    drawing = text[start : text.index("```", start)]
    rows = [set(re.findall(r"\b([a-z_]+)(?:/|\.py\b)", line)) for line in drawing.splitlines()]
    return [r for r in rows if r]


def test_the_architecture_doc_draws_the_layers_in_order():
    """docs/architecture.md draws one row per layer, top layer first: the same floor plan as LAYERS."""
    drawn = drawn_layers(ARCHITECTURE_DOC.read_text(encoding="utf-8"))
    assert drawn == [set(layer) for layer in reversed(LAYERS)]
    assert drawn_layers("```text\n top   a/  b.py   note\n\n bottom c/\n```") == [{"a", "b"}, {"c"}]
