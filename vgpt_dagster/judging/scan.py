"""Read what a response *does* with a name: deny it, affirm it, or just mention it.

Detection is scoped to the name: "Invoice does not exist; use APTH" denies ``Invoice`` and says nothing
against ``APTH``. Patterns cover the phrasings models use ("does not exist", "there is no table or view
named", "isn't a Vista table", "Vista doesn't have ...", "not a valid ...", "instead of ...") rather
than one keyword. SQL (fenced blocks and extracted statements) is removed before reading the prose.

Examples:
    >>> sorted(denied("There is no table or view named 'Invoice' in Viewpoint Vista. Use APTH.", ["Invoice", "APTH"]))
    ['Invoice']
    >>> sorted(denied("The table 'APTL' does not exist in Viewpoint Vista.", ["APTL"]))
    ['APTL']
    >>> sorted(denied("Vista doesn't have a Customers table; customers live in ARCM.", ["Customer", "ARCM"], plural=True))
    ['Customer']
    >>> sorted(affirmed("Yes. APTL exists: it is the AP Transaction Lines view.", ["APTL"]))
    ['APTL']
    >>> yes_no("No, Invoice isn't a Vista table."), yes_no("**Yes** - it exists.")
    ('no', 'yes')
"""

import re
from collections.abc import Iterable
from functools import lru_cache

_Q = r"[\[\"'`\u2018\u2019\u201c\u201d*]*"  # quotes, brackets or markdown emphasis around a name
_NOUN = r"(?:table|view|object|column|field|name|identifier|entity|database object)s?"
_WHERE = r"(?:\s+(?:in|within|on|of)\s+(?:the\s+)?(?:Viewpoint\s+)?(?:Vista|database|schema|catalog|[A-Z][A-Za-z0-9]{1,30}))?"
_GAP = rf"(?:\s+{_NOUN})?(?:\s*\([^()\n]{{0,60}}\))?{_WHERE}(?:\s+{_NOUN})?"
_NOT = r"(?:\s+not|n['\u2019]?t)"
_APOS = r"['\u2019]?"
_ADJ = r"(?:valid|real|actual|standard|known|existing|recogni[sz]ed|genuine|built-in|stock)"
_FAKE_ADJ = r"(?:non-?existent|fictional|fictitious|invented|made[- ]up|fake|imaginary|hallucinated|bogus)"
_VISTA = r"(?:Viewpoint\s+)?(?:Vista\s+)?"

# Patterns with {N} where the name goes; the name is the thing the pattern denies.
_DENY = (
    rf"{{N}}{_GAP}\s+(?:does|do|did){_NOT}\s+(?:exist|appear|show up)",
    # "X is not a real Vista table" (but not "JCJM is not a table but a view": that affirms it)
    rf"{{N}}{_GAP}\s+(?:is|are|was|were){_NOT}\s+(?:(?:a|an)\s+)?(?:{_ADJ}\s+)?{_VISTA}{_NOUN}"
    r"(?!\s*[,;\u2014-]?\s*(?:but|rather|it['\u2019]?s\s+a\s+view|it\s+is\s+a\s+view)\b)",
    rf"\b(?:do\s+not|don{_APOS}t)\s+(?:think|believe)\s+{{N}}{_GAP}\s+(?:is|exists?|is\s+(?:a\s+)?real)\b",
    rf"{{N}}{_GAP}\s+(?:is|are|was|were){_NOT}\s+(?:in|part\s+of|found|present|defined|available|listed|recogni[sz]ed)\b",
    rf"{{N}}{_GAP}\s+(?:could|can|cannot|can['\u2019]t)(?:\s+not)?\s+(?:be\s+)?found",
    rf"{{N}}{_GAP}\s+(?:is|are|was)\s+(?:(?:a|an)\s+)?{_FAKE_ADJ}",
    rf"{{N}}{_GAP}\s+(?:has|have)\s+no\s+(?:equivalent|counterpart|such\s+(?:table|view|object))",
    rf"(?:there\s+is|there['\u2019]s|there\s+are|there\s+exists?)\s+no\s+(?:such\s+)?(?:{_VISTA}{_NOUN}\s+(?:or\s+{_NOUN}\s+)?)?(?:(?:named|called|as)\s+)?{{N}}",
    rf"\bno\s+{_VISTA}{_NOUN}\s+(?:or\s+{_NOUN}\s+)?(?:named|called)\s+{{N}}",
    rf"\b(?:has|have|contains?|includes?)\s+no\s+(?:{_NOUN}\s+)?(?:(?:named|called)\s+)?{{N}}",
    rf"(?:does|do|did){_NOT}\s+(?:have|contain|include|ship|provide|define|use)\s+(?:(?:a|an|any)\s+)?(?:{_NOUN}\s+(?:named|called)\s+)?{{N}}",
    rf"\bnot\s+(?:(?:a|an)\s+)?{_ADJ}\s+{_VISTA}{_NOUN}(?:\s+name)?\s*[:,\-\u2014]?\s*{{N}}",
    rf"\binstead\s+of\s+(?:(?:the|a|an)\s+)?(?:{_FAKE_ADJ}\s+)?{{N}}",
    rf"\b{_FAKE_ADJ}\s+(?:{_NOUN}\s+)?{{N}}",
    rf"\bno\s+such\s+{_NOUN}\s*(?:as\s+|named\s+|called\s+|:\s*)?{{N}}",
    rf"\bunknown\s+{_NOUN}\s*:?\s*{{N}}",
    # "Neither 'Invoice' nor 'Customer' exist", "neither X nor Y is a Vista table"
    rf"\bneither\s+(?:the\s+)?(?:{_NOUN}\s+)?{{N}}\s+nor\b",
    rf"\bneither\s+(?:the\s+)?(?:{_NOUN}\s+)?\S+(?:\s+{_NOUN})?\s+nor\s+(?:the\s+)?(?:{_NOUN}\s+)?{{N}}",
    # "I couldn't find a table named X", "I can't see X in the catalog", "I was unable to locate X"
    rf"\b(?:couldn{_APOS}t|could\s+not|can{_APOS}t|cannot|can\s+not|didn{_APOS}t|did\s+not|don{_APOS}t|do\s+not"
    rf"|(?:was|am|were)\s+(?:unable|not\s+able)\s+to|failed\s+to)\s+(?:find|see|locate)\s+"
    rf"(?:(?:a|an|any)\s+)?(?:{_VISTA}{_NOUN}\s+)?(?:(?:named|called)\s+)?{{N}}",
    r"\bnothing\s+(?:called|named)\s+{N}",
    rf"\bthere\s+(?:is|are|was|were){_NOT}\s+(?:(?:a|an|any)\s+)?(?:{_VISTA}{_NOUN}\s+(?:(?:named|called)\s+)?)?{{N}}",
    # "JCJM and Projects are not Vista tables", "APTH or Invoice don't exist"
    rf"{{N}}\s*(?:,|\s(?:and|or|nor))\s+{_Q}[A-Za-z_]\w*{_Q}{_GAP}\s+(?:(?:are|were){_NOT}|(?:do|did){_NOT}\s+exist)",
    rf"{_Q}[A-Za-z_]\w*{_Q}\s*(?:,|\s(?:and|or))\s+{{N}}{_GAP}\s+(?:(?:are|were){_NOT}|(?:do|did){_NOT}\s+exist)",
    rf"\bno\s+{{N}}\s+{_NOUN}",
    rf"\bno\s+(?:such\s+)?(?:{_VISTA}{_NOUN}\s+)?(?:named|called)\s+\S+\s+(?:or|and|nor)\s+{{N}}",
    rf"{{N}}{_GAP}\s+(?:appears|seems|looks)\s+to\s+be\s+(?:(?:a|an)\s+)?{_FAKE_ADJ}",
    rf"{{N}}{_GAP}\s+(?:does|do){_NOT}\s+(?:correspond|map|match)\s+to\b",
    rf"{{N}}\s*[:\u2014\u2013\-]+\s*(?:(?:does|do){_NOT}\s+exist|not\s+(?:(?:a|an)\s+)?(?:{_ADJ}\s+)?(?:{_VISTA}{_NOUN}|part\s+of|found|in\b))",
)
_AFFIRM = (
    rf"{{N}}{_GAP}\s+(?:exists|does\s+exist|is\s+(?:(?:a|an|the)\s+)?(?:{_ADJ}\s+)?{_VISTA}(?:[A-Z]{{2}}\s+)?(?:table|view))",
    r"{N}\s+is\s+(?:a|an|the)\s+(?:[A-Za-z-]+\s+){1,4}(?:table|view)\b",  # "X is the AP vendor master table"
    rf"{{N}}{_GAP}\s+(?:contains|stores|holds|tracks|records|lists|has\s+(?:the\s+)?(?:following\s+)?(?:columns|fields))\b",
    r"\b(?:columns|fields|structure)\s+(?:in|of)\s+(?:the\s+)?{N}",
)
# A denial without a name ("That table does not exist.", "No such table exists."): about the question's subject.
_GENERIC_DENY = re.compile(
    rf"\b(?:it|this|that|such)(?:\s+(?:a\s+)?{_NOUN})?{_WHERE}\s+(?:(?:does|do){_NOT}\s+exist|(?:is|was){_NOT}\s+(?:(?:a|an)\s+)?(?:{_ADJ}\s+)?{_VISTA}{_NOUN})"
    rf"|\bno\s+such\s+{_NOUN}\s+exists?\b|\bnot\s+(?:by|under|with)\s+(?:that|this)\s+name\b"
    rf"|\b(?:do\s+not|don['\u2019]?t)\s+(?:think|believe)\s+(?:that|it|this)(?:['\u2019]?s|\s+is)\s+(?:(?:a|an)\s+)?"
    rf"(?:{_ADJ}\s+)?{_VISTA}{_NOUN}",
    re.IGNORECASE,
)
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_YES_NO = re.compile(r"^\W*(yes|yep|correct|no|nope)\b", re.IGNORECASE)
_IDENT = re.compile(r"(?<![A-Za-z0-9_@#])[A-Za-z_][A-Za-z0-9_]*")


def prose(text: str, sql: Iterable[str] = ()) -> str:
    """The response without fenced code blocks and without the given SQL statements."""
    out = _FENCE.sub(" ", text)
    for stmt in sql:
        out = out.replace(stmt, " ")
    return out


# One compiled pattern per phrasing, with a generic name slot: the captured name is compared with the names
# asked about, so judging answers that name thousands of different objects compiles nothing new.
_ANY_NAME = rf"{_Q}(?<![A-Za-z0-9_.])(?P<n>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)(?![A-Za-z0-9_]){_Q}"
_DENY_RE = tuple(re.compile(p.replace("{N}", _ANY_NAME), re.IGNORECASE) for p in _DENY)
_AFFIRM_RE = tuple(re.compile(p.replace("{N}", _ANY_NAME), re.IGNORECASE) for p in _AFFIRM)


@lru_cache(maxsize=512)
def _captures(text: str, deny: bool) -> tuple[str, ...]:
    """Every name a phrasing captures, overlapping matches included (a match is retried one character on)."""
    out: list[str] = []
    for pat in _DENY_RE if deny else _AFFIRM_RE:
        pos = 0
        while (m := pat.search(text, pos)) is not None:
            out.append(m.group("n"))
            pos = m.start("n") + 1 if m.start("n") >= pos else m.start() + 1
    return tuple(out)


def _matches(text: str, names: Iterable[str], plural: bool, deny: bool) -> dict[str, list[str]]:
    wanted = [n for n in dict.fromkeys(names) if n and n.lower() in text.lower()]
    if not wanted:
        return {}
    caps = _captures(text, deny)
    out: dict[str, list[str]] = {}
    for name in wanted:
        low = name.lower()
        forms = {low, low + "s", low + "es"} if plural else {low}
        hits = [c for c in caps if c.lower() in forms]
        if hits:
            out[name] = hits
    return out


def denied(text: str, names: Iterable[str], plural: bool = False) -> dict[str, list[str]]:
    """Names the text says do not exist -> the spellings used in the denials (matching is case-insensitive)."""
    return _matches(text, names, plural, deny=True)


def affirmed(text: str, names: Iterable[str]) -> dict[str, list[str]]:
    """Names the text treats as existing ("X exists", "X is a view", "X contains", "columns of X")."""
    return _matches(text, names, plural=False, deny=False)


def generic_denial(text: str) -> bool:
    """True when the text denies existence without naming anything ("That table does not exist.")."""
    return _GENERIC_DENY.search(text) is not None


def yes_no(text: str) -> str | None:
    """'yes' / 'no' when the response opens with one, else None."""
    m = _YES_NO.match(text.strip())
    if not m:
        return None
    return "yes" if m.group(1).lower() in ("yes", "yep", "correct") else "no"


def mentions(text: str, name: str, case_sensitive: bool = True) -> bool:
    """Whole-word mention of a name (``APTH`` does not match inside ``APTHs`` or ``bAPTH``)."""
    return _word(name, case_sensitive).search(text) is not None


@lru_cache(maxsize=8192)
def _word(name: str, case_sensitive: bool) -> re.Pattern:
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", flags)


def identifiers(text: str) -> list[str]:
    """Identifier-shaped tokens in order of appearance (deduplicated)."""
    return list(dict.fromkeys(_IDENT.findall(text)))
