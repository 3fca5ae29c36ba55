""" "Did you mean": the nearest real Vista objects for a name that is not in the catalog.

Suggestions name the objects users query (the view ``APTH`` rather than its table ``bAPTH``, unless
the typed name starts with ``b``/``v``). Steps, in order, each adding what it finds:

1. separator/case variants (``AP_TH`` -> APTH) and the name without a ``b``/``v`` prefix;
2. plain-English concepts from :data:`vocabulary.CONCEPTS` (``Invoices`` -> APTH, APTL), objects of
   the module the name starts with first (``ARInvoice`` -> ARTH);
3. spelled-out mnemonics via :data:`vocabulary.ABBREVIATIONS` (``APTransactionHeader`` -> APTH);
4. label words within the module (``APHeader`` -> APTH "AP Transaction Header", APHB "AP Entry Batch Header");
5. close spellings (difflib), objects of the same module first (``APTHX`` -> APTH, then other AP objects).

Examples:
    >>> singular("Invoices"), singular("Class"), singular("Bus")
    ('Invoice', 'Class', 'Bus')
    >>> concept_objects("invoice")[:2]
    ('APTH', 'APTL')
"""

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from vgpt_dagster.catalog import vocabulary


class _Objects(Protocol):
    """What a suggester reads of a catalog (``Catalog`` has it; this module sits below ``model``)."""

    objects: Mapping[str, Any]
    modules: Iterable[str]

    def views_of(self, name: str) -> Any: ...


_CONCEPTS_LOWER = {k.lower(): v for k, v in vocabulary.CONCEPTS.items()}


def singular(word: str) -> str:
    """``Invoices`` -> ``Invoice``; short words and ``...ss`` stay as they are."""
    return word[:-1] if word.lower().endswith("s") and not word.lower().endswith("ss") and len(word) > 3 else word


def concept_objects(word: str) -> tuple[str, ...]:
    """The curated objects for a plain-English word (case-insensitive), or ()."""
    return _CONCEPTS_LOWER.get(word.lower(), ())


def split_words(name: str) -> list[str]:
    """``APTransactionHeader`` -> ['AP', 'Transaction', 'Header']; ``ap_th`` -> ['ap', 'th']."""
    return re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)


def _module_first(targets: Iterable[str], module: str | None) -> list[str]:
    return sorted(targets, key=lambda t: module is not None and not t.startswith(module))


class Suggester:
    """Indexes of one catalog for suggestions (built once, on the first unknown name)."""

    def __init__(self, catalog: _Objects):
        self.catalog = catalog
        self.modules = frozenset(catalog.modules)
        views_of = {t: catalog.views_of(t) for t in catalog.objects}
        # Upper-cased names of the objects users should query (views over their b-tables).
        self.pool: dict[str, str] = {}
        for o in catalog.objects.values():
            if not (o.kind == "table" and views_of.get(o.name)):
                self.pool.setdefault(o.name.upper(), o.name)
        # module -> [(object, lower-case label)], curated vocabulary labels before export descriptions.
        self.labels: dict[str, list[tuple[str, str]]] = {}
        for cname, text in vocabulary.LABELS.items():
            obj = catalog.objects.get(cname)
            if obj is not None and obj.module:
                self.labels.setdefault(obj.module, []).append((cname, text.lower()))
        for pname in self.pool.values():
            obj = catalog.objects[pname]
            if obj.module and obj.description and pname not in vocabulary.LABELS:
                self.labels.setdefault(obj.module, []).append((pname, obj.description.lower()))

    def _label_matches(self, module: str, words: list[str]) -> list[str]:
        want = [w.lower() for w in words if len(w) > 1]
        if not want:
            return []
        return [name for name, text in self.labels.get(module, ()) if all(w in text for w in want)]

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` real object names, best first; [] when nothing is close."""
        cat = self.catalog
        bare = re.sub(r"^.*\.", "", name.strip()).strip('[]"` ')
        out: list[str] = []

        def add(cands: Iterable[str]) -> None:
            for c in cands:
                obj = cat.resolve(c)
                if obj is None:
                    continue
                views = cat.views_of(obj.name)
                pick = views[0] if views and not bare.startswith(("b", "v")) else obj.name
                if pick not in out:
                    out.append(pick)

        squashed = re.sub(r"[^A-Za-z0-9]", "", bare)
        if not squashed:
            return []
        add([squashed])
        unprefixed = squashed[1:] if squashed[:1] in ("b", "v") and squashed[1:2].isupper() else squashed
        add([unprefixed])
        module = unprefixed[:2] if unprefixed[:2].isupper() and unprefixed[:2] in self.modules else None
        words = split_words(unprefixed)
        rest = words[1:] if module and words and words[0] == module else words
        singulars = [singular(w) for w in rest]
        for cand in ("".join(rest), "".join(singulars)):
            add(_module_first(concept_objects(cand), module))
        if module and rest and all(w[:1].isupper() and w[1:].islower() for w in rest):  # AP + Transaction Header
            add([module + "".join(vocabulary.ABBREVIATIONS.get(w, w[:1].upper()) for w in rest)])
            add(self._label_matches(module, singulars))
        for w in singulars:  # one word of several: only its in-module objects when the module is known
            targets = _module_first(concept_objects(w), module)
            add([t for t in targets if t.startswith(module)] if module and len(rest) > 1 else targets)
        if len(out) < n:
            close = difflib.get_close_matches(unprefixed.upper(), list(self.pool), n=n * 3, cutoff=0.5)
            add(self.pool[c] for c in _module_first(close, module))
        return out[:n]
