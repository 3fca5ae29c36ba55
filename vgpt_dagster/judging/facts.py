"""Facts stated in a prose answer, checked against the catalog.

The judge reads SQL with the analyzer; this module reads what the prose *claims*: which objects and
columns it names (exact spelling, case-only differences flagged), the business key it states, the
data type of a column (the UDT ``bVendor`` and its base type ``int`` are both right), the company column,
view/base-table relations ("bAPTH is a view of APTH" is inverted), the tables listed for a module, and
``Object.Column`` references (a join column that does not exist). Each finding is a :class:`Fact`;
``hallucination`` says whether it treats an invented *object* or *column* as real.

Examples:
    >>> from vgpt_dagster.catalog.load import load_default_catalog
    >>> from vgpt_dagster.judging.question import classify_question
    >>> cat = load_default_catalog()
    >>> q = classify_question("What is the primary key of JCJM?", cat)
    >>> [f.message for f in check_facts(q, "JCCo, KeyID", cat) if not f.ok]
    ['the business key of JCJM is (JCCo, Job); the answer states (JCCo, KeyID)']
    >>> q = classify_question("What data type is the Vendor column in APTH?", cat)
    >>> [f.ok for f in check_facts(q, "bVendor", cat)]
    [True]
    >>> q = classify_question("Is bAPTH a view of APTH?", cat)
    >>> [f.message for f in check_facts(q, "Yes, bAPTH is a view of APTH.", cat) if not f.ok]
    ['bAPTH is the base table of APTH, not a view of it']
"""

import re
from dataclasses import dataclass

from vgpt_dagster.catalog.model import Catalog, CatalogObject
from vgpt_dagster.judging import scan
from vgpt_dagster.judging.question import QuestionReading

_BASE_TYPES = (
    "tinyint smallint int bigint bit decimal numeric money smallmoney float real date datetime datetime2 "
    "smalldatetime datetimeoffset time char varchar nchar nvarchar text ntext uniqueidentifier varbinary binary "
    "image xml"
).split()
_TYPE_RE = re.compile(
    r"(?<![A-Za-z0-9_])(" + "|".join(sorted(_BASE_TYPES, key=len, reverse=True)) + r")(?![A-Za-z0-9_])"
    r"(?:\s*\(\s*(max|\d+)(?:\s*,\s*(\d+))?\s*\))?",
    re.IGNORECASE,
)
_UDT_RE = re.compile(r"(?<![A-Za-z0-9_])b[A-Z][A-Za-z0-9]+(?![A-Za-z0-9_])")
_IDENT = re.compile(r"(?<![A-Za-z0-9_@#.])[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_])")
_DOTTED = re.compile(r"(?<![A-Za-z0-9_.@])\[?([A-Za-z_][A-Za-z0-9_]*)\]?\.\[?([A-Za-z_][A-Za-z0-9_]*)\]?")
_NEGATED = re.compile(
    r"\b(?:no|not|n['\u2019]t|none|without|neither|nor|never|surrogate|identity|instead)\b", re.IGNORECASE
)
_LIST_TOKEN = re.compile(
    r"^\s*(?:[-*\u2022]|\d+[.)])\s+[`*\[]*([A-Za-z_][A-Za-z0-9_]*)|`([A-Za-z_][A-Za-z0-9_]*)`|^\s*\|\s*`?([A-Za-z_][A-Za-z0-9_]*)`?\s*\|",
    re.MULTILINE,
)
_COLUMN_LIST = re.compile(r"\b(?:columns?|fields?)\b[^:\n]{0,30}:[ \t]*([^\n]+)", re.IGNORECASE)
_VIEW_CLAIMS = (
    # (pattern, claim): groups a, b name objects
    (
        r"{A}\s+is\s+(?:a|the|an)\s+(?:\w+\s+)?view\s+(?:of|over|on|for|onto|on\s+top\s+of)\s+(?:the\s+)?(?:base\s+table\s+)?{B}",
        "view_of",
    ),
    (
        r"{A}\s+is\s+(?:the\s+)?(?:base|underlying|physical)\s+table\s+(?:of|for|behind|under|beneath)\s+(?:the\s+)?(?:view\s+)?{B}",
        "base_of",
    ),
    (r"(?:the\s+)?(?:base|underlying)\s+table\s+(?:of|for|behind)\s+(?:the\s+)?(?:view\s+)?{A}\s+is\s+{B}", "has_base"),
    (r"{A}(?:'s|\u2019s)\s+(?:base|underlying)\s+table\s+is\s+{B}", "has_base"),
    (
        r"{A}\s+(?:is\s+built\s+on|sits\s+on(?:\s+top\s+of)?|selects\s+from|reads\s+from|wraps)\s+(?:the\s+)?(?:base\s+table\s+)?{B}",
        "has_base",
    ),
)
_KIND_CLAIM = re.compile(
    r"{A}\s+is\s+(?:a|an|the)\s+(?P<kind>view|(?:base\s+|physical\s+)?table)\b".replace(
        "{A}", r"[`'\"*]*(?P<a>[A-Za-z_][A-Za-z0-9_]*)[`'\"*]*"
    ),
    re.IGNORECASE,
)
_WORDS = frozenset(
    """The A An And Or Of In On To For With By From Is Are Key Keys Note Notes Primary Business Unique Column Columns
    Type Types Table Tables View Views Name Description Example Yes No It This That These Each Every Use Using SQL
    Vista Viewpoint NOLOCK SELECT FROM WHERE JOIN ON AND TOP ID Field Fields Data Other Also Company Module
    If""".split()
)


@dataclass(frozen=True)
class Fact:
    """One claim of the answer and whether the catalog agrees."""

    kind: str  # object | column | business_key | column_type | company_column | view_base | module_table
    ok: bool
    message: str
    hallucination: str | None = None  # "object" / "column" when the claim treats an invented name as real


_VOCAB: dict[int, tuple[Catalog, frozenset[str], frozenset[str]]] = {}


def vocabulary(catalog: Catalog) -> tuple[frozenset[str], frozenset[str]]:
    """(every column name, every UDT name) of the catalog, computed once per catalog (the last 4 kept)."""
    hit = _VOCAB.get(id(catalog))
    if hit is None or hit[0] is not catalog:
        cols = frozenset(c.name for o in catalog.objects.values() for c in o.columns)
        udts = frozenset(c.data_type for o in catalog.objects.values() for c in o.columns if c.data_type)
        if len(_VOCAB) >= 4:
            _VOCAB.clear()
        hit = _VOCAB[id(catalog)] = (catalog, cols, udts)
    return hit[1], hit[2]


def object_shaped(token: str, catalog: Catalog) -> bool:
    """A Vista-style object name: a module code (``b``/``v`` first or not) and more: APTH, bAPVendor, vSMWorkOrder."""
    m = re.match(r"^[bv]?([A-Z]{2})[A-Za-z0-9_]{2,}$", token)
    if not m or m.group(1) not in catalog.modules:
        return False
    cols, udts = vocabulary(catalog)
    return token not in cols and token not in udts


def named_objects(text: str, catalog: Catalog) -> tuple[list[str], list[tuple[str, str]], list[str]]:
    """(exact real objects, (written, exact) case-only variants, invented object-shaped names) in ``text``."""
    real, variants, fake = [], [], []
    for tok in dict.fromkeys(_IDENT.findall(text)):
        if tok in catalog.objects:
            real.append(tok)
        elif object_shaped(tok, catalog) or (tok.lower() != tok and catalog.resolve(tok) and len(tok) > 3):
            obj = catalog.resolve(tok)
            if obj is None:
                fake.append(tok)
            elif tok not in vocabulary(catalog)[0]:
                variants.append((tok, obj.name))
    return real, variants, fake


def _subject(reading: QuestionReading, catalog: Catalog) -> CatalogObject | None:
    for o in reading.objects:
        if o.real:
            return catalog.resolve(o.exact)
    for c in reading.columns:
        if c.owner:
            return catalog.resolve(c.owner)
    return None


def _key_sentences(text: str, obj: CatalogObject) -> str:
    """The part of the answer that states the key: what follows "key"/"keyed by" in each sentence naming it
    (the whole sentence when the columns come first: "Employee is the key"); the whole answer otherwise."""
    parts = []
    for sentence in re.split(r"(?<=[.;!?])\s+|\n", text):
        m = re.search(r"\bkey(?:s|ed)?\b", sentence, re.IGNORECASE)
        if m:
            tail = sentence[m.end() :]
            names_a_column = any(obj.column(t) for t in scan.identifiers(tail))
            parts.append(tail if names_a_column else sentence)
    return " ".join(parts) if parts else text


def _business_key(reading: QuestionReading, text: str, catalog: Catalog) -> list[Fact]:
    obj = _subject(reading, catalog)
    key = catalog.business_key(obj.name) if obj else ()
    if not obj or not key:
        return []
    scope = _key_sentences(text, obj)
    words = {t.lower() for t in scan.identifiers(scope)}
    stated = [c.name for c in obj.columns if c.name.lower() in words]
    stated = sorted(stated, key=lambda c: scope.lower().find(c.lower()))
    foreign = [t for t in scan.identifiers(scope) if t in vocabulary(catalog)[0] and obj.column(t) is None]
    stated += [t for t in foreign if t not in catalog.objects and t not in _WORDS]
    extras = [c for c in stated if c not in key and not _negated_near(scope, c)]
    if set(key) <= set(stated) and not extras:
        return [Fact("business_key", True, f"states the business key of {obj.name}")]
    if not stated:
        return [Fact("business_key", False, f"names no key column of {obj.name} (the business key is {_tuple(key)})")]
    return [
        Fact(
            "business_key",
            False,
            f"the business key of {obj.name} is {_tuple(key)}; the answer states {_tuple(stated)}",
        )
    ]


def _tuple(cols) -> str:
    return "(" + ", ".join(cols) + ")"


def _negated_near(text: str, name: str) -> bool:
    """The sentence naming ``name`` says it is *not* part of the thing ("KeyID is a surrogate, not the key")."""
    for sentence in re.split(r"(?<=[.;!?])\s+|\n", text):
        if scan.mentions(sentence, name, case_sensitive=False) and _NEGATED.search(sentence):
            return True
    return False


def _column_type(reading: QuestionReading, text: str, catalog: Catalog) -> list[Fact]:
    col = next((c for c in reading.columns if c.real and c.owner), None)
    if col is None:
        return []
    real = catalog.column(col.owner, col.exact)
    udt, base = (real.data_type or ""), (real.base_type or "")
    udts = [u for u in _UDT_RE.findall(text) if u in vocabulary(catalog)[1] or u.lower() == udt.lower()]
    bases = [(m.group(1).lower(), m.group(2), m.group(3)) for m in _TYPE_RE.finditer(text)]
    right_udt = any(u.lower() == udt.lower() for u in udts)
    right_base = any(b == base.lower() and _size_ok(real, sz, sc) for b, sz, sc in bases)
    truth = f"{udt} ({real.base_type_sql})" if udt and udt != base else real.base_type_sql
    if right_udt or right_base:
        return [Fact("column_type", True, f"states the type of {col.owner}.{real.name}")]
    if not udts and not bases:
        return [Fact("column_type", False, f"states no data type for {col.owner}.{real.name} (it is {truth})")]
    said = ", ".join([*udts, *(b for b, _, _ in bases)])
    return [Fact("column_type", False, f"{col.owner}.{real.name} is {truth}, not {said}")]


def _size_ok(col, size: str | None, scale: str | None) -> bool:
    if size is None:
        return True
    want = col.base_type_sql
    got = f"{col.base_type}({size}{',' + scale if scale else ''})" if scale or size else col.base_type
    return got.replace(" ", "").lower() == want.replace(" ", "").lower() or "(" not in want


def _company_column(reading: QuestionReading, text: str, catalog: Catalog) -> list[Fact]:
    obj = _subject(reading, catalog)
    if obj is None:
        return []
    truth = catalog.company_column(obj.name)
    claims = [
        x
        for x in re.split(r"(?<=[.;!?])\s+|\n", text)
        if re.search(r"compan(?:y|ies)\s+(?:column|field|number)|holds?\s+the\s+company", x, re.IGNORECASE)
    ]
    named = [c.name for c in obj.columns if c.name != truth and scan.mentions(" ".join(claims), c.name)]
    stated = [
        t
        for t in dict.fromkeys([*_IDENT.findall(text), *named])
        if (re.fullmatch(r"[A-Z]{2}Co", t) or t in named) and not _negated_near(text, t)
    ]
    if truth is None:
        if stated:
            return [Fact("company_column", False, f"{obj.name} has no company column; the answer names {stated[0]}")]
        return [Fact("company_column", True, f"says {obj.name} is not partitioned by company")]
    if truth in stated or scan.mentions(text, truth):
        return [Fact("company_column", True, f"names the company column {truth} of {obj.name}")]
    if stated:
        return [Fact("company_column", False, f"the company column of {obj.name} is {truth}, not {stated[0]}")]
    return [Fact("company_column", False, f"does not name the company column {truth} of {obj.name}")]


def view_claims(text: str, catalog: Catalog) -> list[Fact]:
    """Every view/base-table statement about two real objects, or the kind of one, checked."""
    out: list[Fact] = []
    covered: set[str] = set()
    name = r"[`'\"*]*(?P<{g}>[A-Za-z_][A-Za-z0-9_]*)[`'\"*]*"
    for pat, claim in _VIEW_CLAIMS:
        rx = re.compile(pat.replace("{A}", name.format(g="a")).replace("{B}", name.format(g="b")), re.IGNORECASE)
        for m in rx.finditer(text):
            a, b = catalog.resolve(m.group("a")), catalog.resolve(m.group("b"))
            if a is None or b is None or a.name == b.name:
                continue
            out.append(_relation_fact(claim, a, b, catalog))
            covered.add(a.name)
    for m in _KIND_CLAIM.finditer(text):
        a = catalog.resolve(m.group("a"))
        if a is None or m.group("a") not in catalog.objects or a.name in covered:
            continue
        said_view = m.group("kind").lower() == "view"
        ok = said_view == a.is_view
        truth = "a view" if a.is_view else "a base table"
        out.append(
            Fact(
                "view_base",
                ok,
                f"{a.name} is {truth}" + ("" if ok else f", not {'a view' if said_view else 'a table'}"),
            )
        )
    return out


def _relation_fact(claim: str, a: CatalogObject, b: CatalogObject, catalog: Catalog) -> Fact:
    if claim == "view_of":
        ok = a.is_view and catalog.base_table_of(a.name) == b.name
    elif claim == "base_of":
        ok = not a.is_view and catalog.base_table_of(b.name) == a.name
    else:  # has_base: a's base table is b
        ok = catalog.base_table_of(a.name) == b.name and a.name != b.name
    if ok:
        return Fact("view_base", True, f"relates {a.name} and {b.name} correctly")
    if catalog.base_table_of(b.name) == a.name and not a.is_view:
        return Fact("view_base", False, f"{a.name} is the base table of {b.name}, not a view of it")
    if catalog.base_table_of(a.name) == b.name:
        return Fact("view_base", False, f"{a.name} is a view of {b.name}, not its base table")
    return Fact("view_base", False, f"{a.name} and {b.name} are not a view and its base table")


def _module_tables(reading: QuestionReading, text: str, catalog: Catalog) -> list[Fact]:
    if not reading.module:
        return []
    real, variants, fake = named_objects(text, catalog)
    listed = [r for r in real if r != reading.module]
    facts = [
        Fact("module_table", False, f"lists {f}, which is not a table or view in Vista", "object")
        for f in fake
        if not scan.denied(text, [f])
    ]
    wrong = [r for r in listed if catalog.objects[r].module != reading.module]
    if wrong:
        facts.append(Fact("module_table", False, f"lists {', '.join(wrong)}, which are not {reading.module} objects"))
    mine = [r for r in listed if catalog.objects[r].module == reading.module]
    total = sum(1 for o in catalog.objects.values() if o.module == reading.module)
    if len(mine) < min(3, total):
        facts.append(
            Fact("module_table", False, f"lists {len(mine)} real {reading.module} object(s); expected at least 3")
        )
    elif not facts:
        facts.append(Fact("module_table", True, f"lists {len(mine)} real {reading.module} objects"))
    return facts


def dotted_columns(text: str, catalog: Catalog) -> list[Fact]:
    """``Object.Column`` references in prose whose object is real: the column must exist on it."""
    out: list[Fact] = []
    for m in _DOTTED.finditer(text):
        obj = catalog.resolve(m.group(1)) if m.group(1) in catalog.objects else None
        if obj is None or m.group(2).lower() in ("dbo",):
            continue
        col = obj.column(m.group(2))
        if col is None and not scan.denied(text, [m.group(2), f"{m.group(1)}.{m.group(2)}"]):
            out.append(Fact("column", False, f"{obj.name}.{m.group(2)} is not a column of {obj.name}", "column"))
        elif col is not None and col.name != m.group(2):
            out.append(
                Fact("column", False, f"{obj.name}.{m.group(2)} is spelled {col.name} (the collation is binary)")
            )
    return out


def listed_columns(obj: CatalogObject, text: str, catalog: Catalog) -> tuple[list[str], list[str]]:
    """(real columns of ``obj``, invented column-shaped names) in list items, code spans and table cells."""
    real, fake = [], []
    cols, udts = vocabulary(catalog)
    tokens = [next(g for g in m.groups() if g) for m in _LIST_TOKEN.finditer(text)]
    for m in _COLUMN_LIST.finditer(text):  # "APVM columns: VendorGroup, Vendor, VendorName"
        tokens += re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"\([^)]*\)", " ", m.group(1)))
    for tok in dict.fromkeys(tokens):
        if obj.column(tok) is not None:
            real.append(obj.column(tok).name)
        elif (
            tok not in _WORDS
            and tok not in catalog.objects
            and tok not in udts
            and not _TYPE_RE.fullmatch(tok)
            and re.search(r"[a-z][A-Z]|^[A-Z][a-z]+(?:ID|YN|Co|Amt|No|Num|Date)$", tok)
            and not scan.denied(text, [tok])
        ):
            fake.append(tok)
    return list(dict.fromkeys(real)), list(dict.fromkeys(fake))


def check_facts(reading: QuestionReading, text: str, catalog: Catalog) -> list[Fact]:
    """Every checkable claim of the prose ``text`` for the question ``reading`` (empty = nothing to check)."""
    facts: list[Fact] = []
    kind = reading.kind
    if kind == "business_key":
        facts += _business_key(reading, text, catalog)
    elif kind == "column_type":
        facts += _column_type(reading, text, catalog)
    elif kind == "company_column":
        facts += _company_column(reading, text, catalog)
    elif kind == "module_tables":
        facts += _module_tables(reading, text, catalog)
    facts += view_claims(text, catalog)
    facts += dotted_columns(text, catalog)
    return facts
