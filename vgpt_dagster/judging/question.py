"""What a question asks, read from the question alone (no case metadata), checked against the catalog.

:func:`classify_question` returns a frozen :class:`QuestionReading`. The judge (free-form path), the
serving layer and the calibration tests all use it, so its API is stable:

* ``kind``: one of :data:`QUESTION_KINDS`
  ``exists`` (is X a real table?), ``describe`` (columns / structure of X), ``business_key`` (primary,
  business or key columns of X), ``column_type`` (data type of X.Col), ``company_column`` (which column
  holds the company), ``view_or_table`` (is X a view or a base table, what is its base table),
  ``module_tables`` (list the tables of a module), ``write_sql`` (a query on named objects), ``fix_sql``
  (the question carries SQL to correct), ``join`` (how to join A and B), ``business_question`` (a
  question in business words that names no object: "unpaid AP invoices for company 1"), ``other``.
* ``objects``: every object the question names, in order, as :class:`NamedObject` (``text`` as written,
  ``exact`` the catalog spelling or None when invented, ``case_only`` when the spelling differs only by
  case — Vista's collation is binary, so ``apth`` is not ``APTH``);
* ``columns``: columns the question names as :class:`NamedColumn` (with the owning object when given);
* ``module``: the module code asked about (``AP``), from a code or a name ("Accounts Payable");
* ``company``: the company number asked for ("for company 1"), else None;
* ``sql``: SQL statements inside the question (for ``fix_sql``).

Examples:
    >>> from vgpt_dagster.catalog.load import load_default_catalog
    >>> cat = load_default_catalog()
    >>> i = classify_question("How do I join Invoice and Customer?", cat)
    >>> i.kind, [o.text for o in i.fake_objects]
    ('join', ['Invoice', 'Customer'])
    >>> i = classify_question("What data type is the Vendor column in APTH?", cat)
    >>> i.kind, i.columns[0].exact, i.columns[0].owner
    ('column_type', 'Vendor', 'APTH')
    >>> classify_question("List all tables in the AP module", cat).module
    'AP'
    >>> i = classify_question("Does apth exist?", cat)
    >>> i.kind, i.objects[0].exact, i.objects[0].case_only
    ('exists', 'APTH', True)
"""

import re
from dataclasses import dataclass

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.judging import scan
from vgpt_dagster.sql.extract import extract_sql

QUESTION_KINDS = (
    "exists",
    "describe",
    "business_key",
    "column_type",
    "company_column",
    "view_or_table",
    "module_tables",
    "write_sql",
    "fix_sql",
    "join",
    "business_question",
    "other",
)

MODULE_NAMES: dict[str, str] = {
    "accounts payable": "AP",
    "accounts receivable": "AR",
    "job cost": "JC",
    "job costing": "JC",
    "payroll": "PR",
    "general ledger": "GL",
    "equipment": "EM",
    "equipment management": "EM",
    "purchase order": "PO",
    "purchase orders": "PO",
    "purchasing": "PO",
    "subcontract": "SL",
    "subcontracts": "SL",
    "inventory": "IN",
    "head quarters": "HQ",
    "headquarters": "HQ",
    "project management": "PM",
    "cash management": "CM",
    "service management": "SM",
    "human resources": "HR",
    "job billing": "JB",
    "material sales": "MS",
}

# Capitalised words that are never object names in a question.
_STOP = frozenset(
    """SQL TSQL T Vista Viewpoint NOLOCK SELECT JOIN WHERE FROM ON AND OR NOT NULL I A How What Which Does Do
    Is Are Write Show List Get Describe Query Fix Give Can Could Would Should The Find Count ID Why When Where
    Who Tell Explain Please Me My Our It In Of For To With Table View Column Columns Tables Views Yes No Help
    Return Select Join Create Update Delete Insert Need Want Using Use TOP KeyID This That These Those Also
    If Hi Hello Thanks Module Each Every All Any By Sum Total Top""".split()
)
_QUOTED = r"['\"`\[\u2018\u201c]([A-Za-z_][A-Za-z0-9_.]*)['\"`\]\u2019\u201d]"
_NAME = r"['\"`\[\u2018\u201c]?(?:dbo\.)?([A-Za-z_][A-Za-z0-9_]*)['\"`\]\u2019\u201d]?"
_OBJ_WORD = r"(?:table|view|object|entity)"
_OBJECT_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"{_NAME}\s+{_OBJ_WORD}s?\b",
        rf"\b{_OBJ_WORD}s?\s+(?:named\s+|called\s+)?{_NAME}",
        rf"\b(?:from|join|into|update|in|of|on|against)\s+(?:the\s+)?{_NAME}",
        rf"\b(?:does|is|are)\s+{_NAME}\s+(?:exist|a|an|real|valid|in|part|something)\b",
        rf"\bjoin(?:ing)?\s+{_NAME}\s+(?:and|to|with|on)\s+{_NAME}",
        rf"\bbetween\s+{_NAME}\s+and\s+{_NAME}",
        rf"\b{_NAME}\s+(?:and|to|with)\s+{_NAME}\s+(?:tables?|views?)?\s*(?:join|together)",
        rf"\bdescribe\s+(?:the\s+)?{_NAME}",
        rf"\b(?:key|keys)\s+(?:of|for|on)\s+(?:the\s+)?{_NAME}",
    )
)
_COLUMN_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # (column, owner)
        rf"{_NAME}\s+(?:column|field)\s+(?:in|of|on|from)\s+(?:the\s+)?(?:table\s+|view\s+)?{_NAME}",
        rf"\b(?:column|field)\s+{_NAME}\s+(?:in|of|on|from)\s+(?:the\s+)?(?:table\s+|view\s+)?{_NAME}",
        rf"\btype\s+(?:of|is|for)\s+(?:the\s+)?{_NAME}(?:\s+(?:column|field))?\s+(?:in|of|on)\s+(?:the\s+)?{_NAME}",
    )
)
_HAS_COLUMN = re.compile(
    rf"\b(?:does|do|is)\s+(?:the\s+)?{_NAME}(?:\s+{_OBJ_WORD})?\s+(?:have|has|contain|include)\s+(?:a|an|any)?\s*"
    rf"(?:column|field)\s+(?:named\s+|called\s+)?{_NAME}",
    re.IGNORECASE,
)
_DOTTED = re.compile(r"(?<![A-Za-z0-9_.])(?:dbo\.)?([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)")
_SELECT_COLS = re.compile(
    r"\bselect\s+(?:(?:of|the)\s+)*([A-Za-z_*][A-Za-z0-9_, ]*?)(?:,?\s+and\s+more)?\s+from\s+([A-Za-z_][A-Za-z0-9_]*)",
    re.IGNORECASE,
)
_COL_LIST = re.compile(r"\b([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+)(?:,?\s+and\s+more)?\s+from\s+([A-Za-z_]\w*)", re.I)
_COL_SEP = re.compile(r"\s*,\s*|\s+and\s+")
# A quoted token right after a comparison is a literal ("Approve = 'N'", "LIKE 'AP%'", "IN ('A', 'B')").
_LITERAL_BEFORE = re.compile(r"(?:=|<>|!=|<|>|\blike|\bin\s*\((?:\s*'[^']*'\s*,)*)\s*$", re.IGNORECASE)
# "company 3", "APCo = 3", "co #3"; not a column whose name runs on into digits ("EMCo1 = 114" names no company)
_COMPANY = re.compile(
    r"\b(?:company|co|[A-Z]{2}Co)(?![A-Za-z0-9_])\s*(?:#|no\.?|number|=)?\s*(\d{1,3})\b", re.IGNORECASE
)
# Inline SQL in a question: upper-case keywords with the clause that makes them a statement ("SELECT a FROM t",
# "UPDATE t SET", "DELETE FROM", "INSERT INTO"); "I want a SELECT of the number of ..." is prose about SQL.
_INLINE_SQL = re.compile(
    r"\b(?:SELECT\s+(?!(?:of|a|an|the|that|this|statement|query|for|to|which|on|with)\b)[^.?!]*?\b(?i:from)\b"
    r"|UPDATE\s+\S+\s+(?i:set)\b|DELETE\s+(?i:from)\b|INSERT\s+(?i:into)\b)[\s\S]*"
)
_MNEMONIC = re.compile(r"(?:[bv]?[A-Z]{2}[A-Za-z0-9_]{1,40})")
_BUSINESS_WORDS = re.compile(
    r"\b(invoices?|vendors?|customers?|jobs?|employees?|payments?|checks?|timecards?|hours|costs?|contracts?|"
    r"phases?|equipment|purchase orders?|subcontracts?|retainage|balances?|billings?|receivables?|payables?|"
    r"materials?|work orders?|projects?|gl accounts?|accounts?|journal|batch(?:es)?|unpaid|open|paid|overdue)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NamedObject:
    """An object name in the question: as written (``text``) and its catalog spelling (``exact``; None = invented)."""

    text: str
    exact: str | None

    @property
    def real(self) -> bool:
        return self.exact is not None

    @property
    def exact_spelling(self) -> bool:
        return self.exact == self.text

    @property
    def case_only(self) -> bool:
        """Real, but spelled with a different case (``apth`` for ``APTH``): wrong under a binary collation."""
        return self.exact is not None and self.exact != self.text


@dataclass(frozen=True)
class NamedColumn:
    """A column name in the question; ``owner`` is the object it was named on (catalog spelling) or None."""

    text: str
    owner: str | None
    exact: str | None

    @property
    def real(self) -> bool:
        return self.exact is not None

    @property
    def case_only(self) -> bool:
        return self.exact is not None and self.exact != self.text

    @property
    def qualified(self) -> str:
        return f"{self.owner}.{self.exact or self.text}" if self.owner else (self.exact or self.text)


@dataclass(frozen=True)
class QuestionReading:
    """What one question asks (see the module docstring for every field)."""

    question: str
    kind: str
    objects: tuple[NamedObject, ...] = ()
    columns: tuple[NamedColumn, ...] = ()
    module: str | None = None
    company: int | None = None
    sql: tuple[str, ...] = ()

    @property
    def real_objects(self) -> tuple[NamedObject, ...]:
        return tuple(o for o in self.objects if o.real)

    @property
    def fake_objects(self) -> tuple[NamedObject, ...]:
        return tuple(o for o in self.objects if not o.real)

    @property
    def case_variants(self) -> tuple[NamedObject, ...]:
        return tuple(o for o in self.objects if o.case_only)

    @property
    def fake_columns(self) -> tuple[NamedColumn, ...]:
        return tuple(c for c in self.columns if not c.real and c.owner)

    @property
    def subject(self) -> NamedObject | None:
        return self.objects[0] if self.objects else None


def _strip(name: str) -> str:
    return name.split(".")[-1].strip("[]'\"`")


def _is_candidate(token: str, catalog: Catalog) -> bool:
    """Capitalised tokens; an all-lower-case one only when it is a wrong-case spelling of a real object."""
    if not token or token in _STOP or token.title() in _STOP:
        return False
    return bool(re.search(r"[A-Z]", token)) or (len(token) >= 3 and catalog.resolve(token) is not None)


def _resolve(name: str, catalog: Catalog) -> str | None:
    obj = catalog.resolve(name)
    return obj.name if obj is not None else None


def _column_mentions(text: str, catalog: Catalog) -> list[tuple[str, str]]:
    """(column as written, owner as written) pairs named in the question's prose."""
    pairs: list[tuple[str, str]] = []
    for pat in _COLUMN_PATTERNS:
        pairs += [(m.group(1), m.group(2)) for m in pat.finditer(text)]
    pairs += [(m.group(2), m.group(1)) for m in _HAS_COLUMN.finditer(text)]
    pairs += [(m.group(2), m.group(1)) for m in _DOTTED.finditer(text) if catalog.resolve(m.group(1))]
    m = _SELECT_COLS.search(text)
    if m and catalog.resolve(m.group(2)):
        pairs += [(c, m.group(2)) for c in _COL_SEP.split(m.group(1).strip()) if c and c != "*"]
    for m in _COL_LIST.finditer(text):  # "Query SMCo, SMStandardTask, Seq and more from X": X's real columns
        obj = catalog.resolve(m.group(2))
        pairs += [(c, m.group(2)) for c in _COL_SEP.split(m.group(1).strip()) if obj and obj.column(c)]
    return [(c, o) for c, o in pairs if re.search(r"[A-Z]", c) or catalog.column(o, c) is not None]


def _columns(text: str, catalog: Catalog) -> tuple[NamedColumn, ...]:
    out: dict[tuple[str, str | None], NamedColumn] = {}
    for col, owner in _column_mentions(text, catalog):
        obj = catalog.resolve(owner)
        if obj is None:
            continue
        real = obj.column(col)
        out.setdefault((col, obj.name), NamedColumn(col, obj.name, real.name if real else None))
    return tuple(out.values())


def _object_names(text: str, sqls: list[str], column_texts: set[str], catalog: Catalog) -> list[str]:
    """Names the question treats as objects, in order of appearance."""
    found: list[tuple[int, str]] = []
    for m in re.finditer(_QUOTED, text):
        if not _LITERAL_BEFORE.search(text[: m.start()]):  # "where Approve = 'N'": a value, not a name
            found.append((m.start(), _strip(m.group(1))))
    for pat in _OBJECT_PATTERNS:
        for m in pat.finditer(text):
            found += [(m.start(g), m.group(g)) for g in range(1, (m.lastindex or 0) + 1) if m.group(g)]
    for m in re.finditer(r"(?<![A-Za-z0-9_@#.])[A-Za-z_][A-Za-z0-9_]*", text):
        tok = m.group(0)
        if (_MNEMONIC.fullmatch(tok) or tok in catalog.objects) and re.search(r"[A-Z].*[A-Z]", tok):
            found.append((m.start(), tok))
    for s in sqls:  # SQL in the question contributes its objects, not its column names
        found += [(10**6, t) for t in re.findall(r"\b(?:from|join|update|into)\s+(?:dbo\.)?\[?(\w+)", s, re.I)]
    ordered = [name for _, name in sorted(found, key=lambda t: t[0])]
    return [n for n in dict.fromkeys(ordered) if _is_candidate(n, catalog) and n not in column_texts]


def _objects(text: str, sqls: list[str], columns: tuple[NamedColumn, ...], catalog: Catalog) -> tuple[NamedObject, ...]:
    col_texts = {c.text for c in columns}
    low = text.lower()
    module_words = {
        w.title()
        for name, (named, listed) in _MODULE_RE.items()
        if name in low and (named.search(text) or listed.search(text))
        for w in name.split()
    }
    names = _object_names(text, sqls, col_texts, catalog)
    real = [catalog.resolve(n) for n in names if catalog.resolve(n) is not None]
    out: list[NamedObject] = []
    for name in names:
        exact = _resolve(name, catalog)
        if exact is None and (name in module_words or name in catalog.modules or name in _NOT_OBJECTS):
            continue  # module codes and words of a module's name ("Accounts Payable") are not object names
        if name not in catalog.objects and any(o.name != exact and name in o.column_names for o in real):
            continue  # "list GLTrans, GLAcct from GLDT", "SMCo values in SMWork...": columns of a named object
        if exact is None and (re.fullmatch(r"[A-Z]{2,4}s", name) or not _looks_like_object(name, text, catalog)):
            continue
        out.append(NamedObject(name, exact))
    owners = [c.owner for c in columns if c.owner and c.owner not in {o.exact for o in out}]
    out += [NamedObject(o, o) for o in dict.fromkeys(owners)]
    return tuple(dict.fromkeys(out))


_NOT_OBJECTS = frozenset(
    """January February March April May June July August September October November December Monday Tuesday
    Wednesday Thursday Friday Saturday Sunday YTD MTD QTD Q1 Q2 Q3 Q4 USD CSV JSON Excel""".split()
)


def _looks_like_object(name: str, text: str, catalog: Catalog) -> bool:
    """An unknown capitalised word counts as an (invented) object only where the question uses it as one."""
    m = re.match(r"^[bv]?([A-Z]{2})", name)
    if (m and m.group(1) in catalog.modules and re.search(r"[A-Z].*[A-Z]", name)) or "_" in name:
        return True
    n = re.escape(name)
    contexts = (
        rf"{_Q}{n}{_Q}",
        rf"\b{n}['\"`\]]?\s+{_OBJ_WORD}",
        rf"\b{_OBJ_WORD}s?\s+(?:named\s+|called\s+)?['\"`\[]?{n}\b",
        rf"\b(?:from|join|into|update|describe)\s+(?:the\s+)?['\"`\[]?{n}\b",
        rf"\b(?:does|is|are)\s+['\"`\[]?{n}['\"`\]]?\s+(?:exist|a\s|an\s|real|valid|part|something)",
        rf"\bjoin(?:ing)?\s+\w+\s+(?:and|to|with)\s+['\"`\[]?{n}\b",
        rf"\bbetween\s+\w+\s+and\s+['\"`\[]?{n}\b",
        rf"\b(?:key|keys)\s+(?:of|for|on)\s+(?:the\s+)?['\"`\[]?{n}\b",
        rf"\b(?:columns?|fields?|structure)\s+(?:in|of|for)\s+(?:the\s+)?['\"`\[]?{n}\b",
    )
    return any(re.search(p, text, re.IGNORECASE) for p in contexts)


_Q = r"['\"`\[\u2018\u201c]"


# Per module name: (the name as a module's, "payroll tables"; the name after "tables ... of"), compiled once.
_MODULE_RE = {
    name: (
        re.compile(rf"\b{name}\s+(?:module|tables|views|objects)\b", re.IGNORECASE),
        re.compile(rf"\b(?:tables|views)\b.{{0,30}}\b{name}\b", re.IGNORECASE),
    )
    for name in MODULE_NAMES
}
_MODULE_WORD_RE = {name: re.compile(rf"\b{name}\b", re.IGNORECASE) for name in MODULE_NAMES}


def _module(text: str, catalog: Catalog) -> str | None:
    low = text.lower()
    for name, code in MODULE_NAMES.items():
        if name in low and _MODULE_WORD_RE[name].search(text) and code in catalog.modules:
            return code
    for m in re.finditer(r"\b([A-Z]{2})\b", text):
        if m.group(1) in catalog.modules:
            return m.group(1)
    return None


_KIND_RULES: tuple[tuple[str, re.Pattern], ...] = tuple(
    (kind, re.compile(p, re.IGNORECASE))
    for kind, p in (
        ("column_type", r"\b(?:data\s*type|datatype|what\s+type|which\s+type|type\s+of|sql\s+type|udt)\b"),
        ("company_column", r"\bcompany\s+(?:column|field)|\bcolumn\s+(?:holds?|stores?|has|for)\s+the\s+company"),
        ("business_key", r"\b(?:primary|business|unique|natural|clustered)\s+key|\bkey\s+columns?\b|\bkeyed\b"),
        (
            "view_or_table",
            r"\bbase\s+table\b|\bis\s+\S+\s+a\s+(?:base\s+|physical\s+)?table\s*\?|\ba\s+view\s+or\s+(?:a\s+)?table\b|\bview\s+or\s+(?:a\s+)?base\b|\bis\s+\S+\s+a\s+view\b"
            r"|\bunderlying\s+table\b|\bview\s+of\b",
        ),
        (
            "module_tables",
            r"\b(?:tables|views|objects)\s+(?:are\s+)?(?:in|of|for|belong\s+to|make\s+up)\s+(?:the\s+)?"
            r"(?:[A-Z]{2}|[a-z]+(?:\s+[a-z]+)?)\s+module\b|\b(?:list|which|what|show|name)\b.{0,30}\b[A-Z]{2}\s+(?:tables|views)\b"
            r"|\bmodule\s+[A-Z]{2}\b.{0,20}\btables\b|\b(?:tables|views)\s+(?:in|of|for)\s+(?:the\s+)?[A-Z]{2}\b"
            r"|\b(?:tables|views)\s+(?:belong\s+to|are\s+(?:in|part\s+of)|make\s+up|does)\b"
            r"|\b[A-Z]{2}\s+module(?:'s)?\s+(?:tables|views|objects)\b",
        ),
    )
)
_EXISTS = re.compile(
    r"\bsomething\s+(?:I|you|we)\s+can\s+(?:query|use|select\s+from)\b|\bexists?\b|\breal\s+(?:vista\s+)?(?:table|view|object)|\bis\s+there\s+(?:a|an|any)\b|\bdoes\s+vista\s+have\b"
    r"|\bis\s+\S+\s+(?:a\s+)?(?:valid|real)\b|\bis\s+\S+\s+a\s+(?:table|view)\s+(?:or\s+(?:a\s+)?view\s+)?in\b"
    r"|\bis\s+\S+\s+(?:in|part\s+of)\s+(?:viewpoint\s+)?vista\b|\bhave\s+a\s+column\s+(?:named|called)\b"
    r"|\b(?:has|have)\s+an?\s+\S+\s+(?:column|field)\b",
    re.IGNORECASE,
)
_DESCRIBE = re.compile(
    r"\bdescribe\b|\bdescription\s+of\b|\bcolumns?\b|\bstructure\b|\bfields?\b|\bschema\s+of\b|\bwhat\s+(?:is|does)\s+\S+\s+(?:contain|hold|store)"
    r"|\bwhat\s+is\s+(?:in\s+)?(?:the\s+)?\S+\s*(?:table|view)?\s*\??$|\btell\s+me\s+about\b|\bwhat\s+is\s+stored\b",
    re.IGNORECASE,
)
_SQL_WORDS = re.compile(
    r"\b(?:write|sql|query|select|show|list|get|find|count|return|give\s+me|fetch|pull|retrieve|sum|total|top\s+\d+"
    r"|how\s+many|report)\b",
    re.IGNORECASE,
)
_FIX_WORDS = re.compile(
    r"\b(?:fix|correct|wrong|error|fails?|failing|broken|debug|why\s+does|what'?s\s+wrong|invalid)\b", re.I
)
_JOIN_WORDS = re.compile(r"\bjoin(?:s|ed|ing)?\b|\brelate[sd]?\b|\blink(?:ed)?\b|\bconnect\b", re.IGNORECASE)


_CAN_QUERY = re.compile(
    r"\bsomething\s+(?:I|you|we)\s+can\s+(?:query|use|select)|^\W*can\s+I\s+(?:query|use|select\s+from)\s+"
    r"(?:the\s+)?\S+(?:\s+(?:table|view))?(?:\s+directly)?\s*\?\s*$",
    re.IGNORECASE,
)
_WRITE = re.compile(r"\b(?:write|query|select)\b", re.IGNORECASE)


def _kind(text: str, question: str, sqls: list[str], objects: tuple[NamedObject, ...], module: str | None) -> str:
    if sqls and _FIX_WORDS.search(text):
        return "fix_sql"
    if _JOIN_WORDS.search(text) and len(objects) >= 2:
        return "join"
    for kind, pat in _KIND_RULES:
        if pat.search(text) and (objects or kind == "module_tables"):
            if kind != "module_tables" or module:
                return kind
    if _CAN_QUERY.search(text) or (_EXISTS.search(text) and not _WRITE.search(text)):
        return "exists" if objects else "other"
    if _DESCRIBE.search(text) and not re.search(r"\b(?:write|sql|query)\b", text, re.IGNORECASE):
        if objects or re.search(r"\b(?:table|view|master)\b", text, re.IGNORECASE):
            return "describe"  # "Describe the vendor master table": the answer must name the object
    if _JOIN_WORDS.search(text) and objects:
        return "join"
    if objects and (_SQL_WORDS.search(text) or sqls):
        return "write_sql"
    if _BUSINESS_WORDS.search(text) and (_SQL_WORDS.search(text) or "?" in question):
        return "business_question"
    return "describe" if objects else "other"


def _mask_columns(text: str, columns: tuple[NamedColumn, ...]) -> str:
    """The question with its named real columns blanked, so a column called ``Datatype`` or ``Description``
    does not read as "what data type" or "describe" (names as written, case-sensitive)."""
    for c in columns:
        if c.exact:
            text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(c.text)}(?![A-Za-z0-9_])", "Col", text)
    return text


def classify_question(question: str, catalog: Catalog) -> QuestionReading:
    """Read ``question`` against ``catalog``: its kind, the names it uses, module and company (module docstring)."""
    question = question or ""
    sqls = extract_sql(question)
    inline = _INLINE_SQL.search(question)
    if not sqls and inline:
        sqls = extract_sql(inline.group(0)) or [inline.group(0)]
    text = scan.prose(question, sqls)
    columns = _columns(text, catalog)
    objects = _objects(text, sqls, columns, catalog)
    module = _module(text, catalog)
    co = _COMPANY.search(text) or _COMPANY.search(" ".join(sqls))
    kind = _kind(_mask_columns(text, columns), question, sqls, objects, module)
    return QuestionReading(
        question=question,
        kind=kind,
        objects=objects,
        columns=columns,
        module=module,
        company=int(co.group(1)) if co else None,
        sql=tuple(sqls),
    )
