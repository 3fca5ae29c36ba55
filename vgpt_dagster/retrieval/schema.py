"""Schema retrieval: the top-k Vista objects for a question, and the compact schema block put in the prompt.

A BM25 index (``bm25s``, built in memory from the catalog in about a second; nothing is downloaded) over
one document per queryable object: views, and base tables that have no view. Each document holds the
object name, its module, its short label and its column names, with camel-case names split into words
(``VendorGroup`` -> vendor, group) and plurals folded (invoices -> invoice). An object named verbatim in
the question always ranks first.

The block format is shared with the datasets (``schema_context: retrieved`` in configs/datasets.yaml), so a
model can be trained on exactly what it is served with: :func:`render_schema_block` and
:func:`with_schema_context`.

Examples:
    >>> from vgpt_dagster.catalog.model import Catalog
    >>> cols = [{"ObjectName": o, "ColumnName": c, "DataType": t} for o in ("bAPTH", "APTH")
    ...         for c, t in (("APCo", "bCompany"), ("Vendor", "bVendor"), ("InvTotal", "bDollar"))]
    >>> cat = Catalog.from_records([{"name": "bAPTH", "type": "TABLE"},
    ...     {"name": "APTH", "type": "VIEW", "base_table": "bAPTH"}], cols)
    >>> print(render_schema_block(cat, ["APTH"], "invoice totals by vendor", columns_per_object=2))
    Vista objects:
    - APTH (view of bAPTH; AP Transaction Header (one row per AP invoice)); company column APCo
      columns: Vendor bVendor, InvTotal bDollar
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from vgpt_dagster.catalog import vocabulary
from vgpt_dagster.catalog.model import Catalog, CatalogObject

_WORD = re.compile(r"[A-Za-z0-9_]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_STOP = frozenset(
    "a an and are as at be by do does for from give get how i in is it list me my of on or show the to what "
    "which with write query sql select all each per vista table tables view views column columns find company co "
    "our us we who whose since last this next month year quarter today by give".split()
)
SCHEMA_HEADER = "Vista objects:"
_SKIP_COLUMNS = frozenset({"KeyID", "UniqueAttchID", "Notes"})
# Report, dimension, user-defined and system views: real, but rarely what a question means.
_SECONDARY = re.compile(r"^(brv|vrv|vi|vf|ud|p[A-Z]|vDD|DD)")
SECONDARY_WEIGHT = 0.6


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens with camel-case parts and folded plurals; stop words dropped.

    Examples:
        >>> tokenize("Show unpaid APTH invoices per VendorGroup")
        ['unpaid', 'apth', 'invoice', 'vendorgroup', 'vendor', 'group']
    """
    out: list[str] = []
    for word in _WORD.findall(text or ""):
        low = word.lower()
        if low in _STOP:
            continue
        out.append(_stem(low))
        parts = _CAMEL.findall(word)
        if len(parts) > 1:
            out.extend(_stem(p.lower()) for p in parts if p.lower() not in _STOP)
    return out


def _query_tokens(text: str) -> list[str]:
    return [t for t in tokenize(text) if not t.isdigit()]  # "company 1", "vendor 5": numbers are values


def _concepts_by_object() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for word, objects in vocabulary.CONCEPTS.items():
        for o in objects:
            out.setdefault(o, []).append(word)
    return out


def _module_words() -> dict[str, list[str]]:
    try:
        from vgpt_dagster.judging.question import MODULE_NAMES  # noqa: PLC0415 - words people use for modules
    except ImportError:  # pragma: no cover - the reading module ships with the package
        return {}
    out: dict[str, list[str]] = {}
    for words, module in MODULE_NAMES.items():
        out.setdefault(module, []).append(words)
    return out


@dataclass(frozen=True)
class Retrieved:
    """One retrieved object: its exact name, BM25 score and whether the question named it verbatim."""

    name: str
    score: float
    named: bool = False


class SchemaIndex:
    """BM25 over the catalog's queryable objects; ``search`` returns the top-k."""

    def __init__(self, catalog: Catalog):
        import logging  # noqa: PLC0415

        import bm25s  # noqa: PLC0415 - a second or so to import; only serving needs it

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index build at DEBUG to stderr
        import numpy as np  # noqa: PLC0415

        self.catalog = catalog
        self.names = [o.name for o in catalog.objects.values() if _queryable(catalog, o)]
        concepts, modules = _concepts_by_object(), _module_words()
        self._bm25 = bm25s.BM25(k1=1.2, b=0.3)  # long column lists must not bury the header table
        self._bm25.index([self._document(n, concepts, modules) for n in self.names], show_progress=False)
        self._position = {n.lower(): i for i, n in enumerate(self.names)}
        self._prior = np.array([SECONDARY_WEIGHT if _SECONDARY.match(n) else 1.0 for n in self.names])
        self._concepts = {  # "invoices" -> the objects the curated vocabulary says people mean
            tuple(tokenize(word)): [self._position[o.lower()] for o in objs if o.lower() in self._position]
            for word, objs in vocabulary.CONCEPTS.items()
        }

    def _document(self, name: str, concepts: dict[str, list[str]], modules: dict[str, list[str]]) -> list[str]:
        """Name, label and concept words weigh three times as much as module words and column names."""
        obj = self.catalog.objects[name]
        strong = " ".join([name, _safe_label(self.catalog, name), *concepts.get(name, ())])
        weak = [obj.module or "", obj.base_table or "", *modules.get(obj.module or "", ())]
        weak += [c.name for c in obj.columns if c.name not in _SKIP_COLUMNS]
        return tokenize(strong) * 3 + tokenize(" ".join(weak)) or [name.lower()]

    def search(self, question: str, k: int = 4) -> list[Retrieved]:
        """The ``k`` best objects for ``question``, verbatim-named ones first."""
        import numpy as np  # noqa: PLC0415

        tokens = _query_tokens(question)
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=float) if tokens else np.zeros(len(self.names))
        scores = scores * self._prior
        named = self._named_positions(question)
        top = float(scores.max()) if len(scores) else 0.0
        present = set(tokens)
        for words, positions in self._concepts.items():
            if words and set(words) <= present:
                for rank, i in enumerate(positions):  # the vocabulary lists the main object first
                    scores[i] += top * (0.5 - 0.1 * rank)
        for i in named:
            scores[i] = top + 1.0 + scores[i]
        order = np.argsort(-scores, kind="stable")[:k]
        return [Retrieved(self.names[i], round(float(scores[i]), 4), i in named) for i in order if scores[i] > 0]

    def _named_positions(self, question: str) -> set[int]:
        out = set()
        for word in _WORD.findall(question or ""):
            obj = self.catalog.resolve(word) if len(word) >= 3 else None
            if obj is None:
                continue
            target = obj.name if obj.name.lower() in self._position else _view_of(self.catalog, obj)
            if target and target.lower() in self._position:
                out.add(self._position[target.lower()])
        return out


def retrieve_objects(index: SchemaIndex, question: str, k: int, reading=None) -> list[Retrieved]:
    """What serving puts in the prompt: named real objects, the did-you-mean of invented ones, then BM25.

    ``reading`` is :func:`vgpt_dagster.judging.question.classify_question`'s answer (computed when None).
    """
    if reading is None:
        from vgpt_dagster.judging.question import classify_question  # noqa: PLC0415

        reading = classify_question(question, index.catalog)
    catalog = index.catalog
    picked: dict[str, Retrieved] = {}
    exact = list(dict.fromkeys(o.exact for o in reading.objects if o.exact))
    for name in exact:
        picked.setdefault(name, Retrieved(name, float("inf"), named=True))
    for o in reading.objects:  # invented names; a column of a named object is not an invented object
        if o.exact is None and not any(catalog.column(e, o.text) for e in exact):
            for alt in catalog.suggest(o.text, 2):
                picked.setdefault(alt, Retrieved(alt, 0.0, named=False))
    for r in index.search(question, k):
        if not any(_same_family(catalog, r.name, p) for p in picked):
            picked[r.name] = r
    return list(picked.values())[: max(k, sum(1 for r in picked.values() if r.named))]


def _queryable(catalog: Catalog, obj: CatalogObject) -> bool:
    """Views, and tables no view exposes (Vista is queried through its views)."""
    return obj.is_view or not catalog.views_of(obj.name)


def _view_of(catalog: Catalog, obj: CatalogObject) -> str | None:
    views = catalog.views_of(obj.name)
    return views[0] if views else None


def _safe_label(catalog: Catalog, name: str) -> str:
    try:
        return catalog.label(name)
    except Exception:  # noqa: BLE001 - a label is decoration
        return ""


def relevant_columns(catalog: Catalog, name: str, question: str, n: int) -> list[str]:
    """Up to ``n`` columns: those the question mentions first, then the remaining ones in table order.

    The business key and company column are listed on the object's header line, so they are not repeated.
    """
    obj = catalog.get(name)
    q = set(tokenize(question))
    shown = set(catalog.business_key(obj.name)) | {catalog.company_column(obj.name)}
    cols = [c for c in obj.columns if c.name not in _SKIP_COLUMNS and c.name not in shown]
    hits = [c.name for c in cols if q & set(tokenize(c.name))]
    rest = [c.name for c in cols if c.name not in hits]
    return (hits + rest)[:n]


def object_line(catalog: Catalog, name: str, question: str, columns_per_object: int) -> str:
    """Two lines per object: name, view/base table, label, business key, company column; columns with types."""
    obj = catalog.get(name)
    kind = f"view of {obj.base_table}" if obj.is_view and obj.base_table else obj.kind
    label = _safe_label(catalog, obj.name)
    head = f"- {obj.name} ({kind}{'; ' + label if label and label != obj.name else ''})"
    key = catalog.business_key(obj.name)
    company = catalog.company_column(obj.name)
    facts = ([f"key {', '.join(key)}"] if key else []) + ([f"company column {company}"] if company else [])
    cols = relevant_columns(catalog, obj.name, question, columns_per_object)
    typed = ", ".join(f"{c} {obj.column(c).type_sql}" for c in cols)
    return head + (f"; {'; '.join(facts)}" if facts else "") + (f"\n  columns: {typed}" if typed else "")


def render_schema_block(catalog: Catalog, names: Iterable[str], question: str = "", columns_per_object: int = 8) -> str:
    """The compact schema block for ``names`` (exact spellings, in order); '' when ``names`` is empty."""
    names = [n for n in dict.fromkeys(names) if catalog.resolve(n) is not None]
    if not names:
        return ""
    return "\n".join([SCHEMA_HEADER, *(object_line(catalog, n, question, columns_per_object) for n in names)])


def with_schema_context(question: str, block: str) -> str:
    """The user turn with the schema block ahead of the question (the same shape in training and serving)."""
    return f"{block}\n\nQuestion: {question}" if block else question


@dataclass
class RecallResult:
    k: int
    cases: int
    hits: int
    misses: tuple[str, ...] = ()

    @property
    def recall(self) -> float | None:
        return round(self.hits / self.cases, 4) if self.cases else None


def _same_family(catalog: Catalog, a: str, b: str) -> bool:
    ta, tb = catalog.base_table_of(a), catalog.base_table_of(b)
    return a.lower() == b.lower() or (ta is not None and ta == tb)


def expected_objects(case) -> tuple[str, ...]:
    """The objects the oracle answers with: ``objects_must_use``, else the refusal's real alternatives."""
    return tuple(case.objects_must_use) or tuple(case.real_alternatives[:1])


def recall_at_k(index: SchemaIndex, cases: Sequence, ks: Sequence[int] = (1, 4, 8)) -> dict[int, RecallResult]:
    """Share of cases whose every oracle object (view/base table counted as one) is in the top k."""
    catalog = index.catalog
    scored = [(c, expected_objects(c)) for c in cases]
    scored = [(c, exp) for c, exp in scored if exp and all(catalog.resolve(e) for e in exp)]
    ranked = {c.id: [r.name for r in retrieve_objects(index, c.question, max(ks))] for c, _ in scored}
    out = {}
    for k in ks:
        misses = [
            c.id
            for c, exp in scored
            if not all(any(_same_family(catalog, e, got) for got in ranked[c.id][:k]) for e in exp)
        ]
        out[k] = RecallResult(k, len(scored), len(scored) - len(misses), tuple(misses))
    return out


class LazyIndex:
    """Builds the :class:`SchemaIndex` on first use (``vgpt ask`` on a schema question never needs it)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    @cached_property
    def index(self) -> SchemaIndex:
        return SchemaIndex(self.catalog)


def retrieved_schema_block(index: SchemaIndex, question: str, top_k: int = 4, columns_per_object: int = 8) -> str:
    """The block serving puts in the prompt for ``question`` (for datasets with ``schema_context: retrieved``).

    Serving may drop objects from the end to fit a model's context; datasets should cut at the same ``top_k``.
    """
    names = [r.name for r in retrieve_objects(index, question, top_k)]
    return render_schema_block(index.catalog, names, question, columns_per_object)
