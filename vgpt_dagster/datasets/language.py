"""How answers refuse: the refusal phrases the generators write and the audits recognise.

The original team's validation failed correct answers because it looked for one phrase ("does not
exist"); here one set of patterns is shared by generation and audit, and also recognises the common
phrasings found in imported data.

Examples:
    >>> refused_names("There is no table or view named 'Invoice' in Viewpoint Vista. Use APTH.")
    ['Invoice']
    >>> refused_names("The table 'APTL' does not exist in Viewpoint Vista.")
    ['APTL']
    >>> refused_names("There is no 'Invoices' table in Vista.")
    ['Invoices']
    >>> refused_columns("ARCM has no column named 'CustomerName'; use Name.")
    [('ARCM', 'CustomerName')]
    >>> is_refusal("APTL is a view over bAPTL.")
    False
"""

import re

_Q = r"['\"`\[]?"
_QE = r"['\"`\]]?"
_NAME = r"([A-Za-z_][A-Za-z0-9_]*)"
# Each pattern with the word it cannot match without. The patterns that open with a name try a match
# at every word of the text, so a case-insensitive search for that word first skips most texts cheaply
# (same result: a text without the word cannot match the pattern).
_TABLE_PATTERNS = [
    ("no ", re.compile(rf"\bno (?:table|view|object)(?: or view)? (?:named|called) {_Q}{_NAME}{_QE}", re.I)),
    ("no ", re.compile(rf"\bno {_Q}{_NAME}{_QE} (?:table|view)\b", re.I)),
    (
        "exist",
        re.compile(rf"(?:table|view|object) {_Q}{_NAME}{_QE} (?:does not|doesn't|does not actually) exist", re.I),
    ),
    ("exist", re.compile(rf"{_Q}{_NAME}{_QE} (?:does not|doesn't) exist", re.I)),
    ("is not", re.compile(rf"{_Q}{_NAME}{_QE} is not an? (?:table|view|valid table|real table|Vista table)", re.I)),
    ("is not", re.compile(rf"{_Q}{_NAME}{_QE} is not in the (?:Vista )?catalog", re.I)),
]
_COLUMN_PATTERNS = [
    ("no column", re.compile(rf"{_Q}{_NAME}{_QE} has no column (?:named |called )?{_Q}{_NAME}{_QE}", re.I)),
    ("no column", re.compile(rf"\bno column (?:named |called )?{_Q}{_NAME}{_QE} (?:in|on) {_Q}{_NAME}{_QE}", re.I)),
]
_WORDS = {w: re.compile(re.escape(w), re.I) for w, _ in _TABLE_PATTERNS + _COLUMN_PATTERNS}


def _present(text: str) -> set[str]:
    """The gating words found in ``text`` (case-insensitively, as the patterns match).

    ASCII text: a substring test on the lower-cased text. Other text: the regex, whose IGNORECASE also
    folds a few non-ASCII letters (dotless i, long s) to the ASCII ones.
    """
    if text.isascii():
        low = text.lower()
        return {w for w in _WORDS if w in low}
    return {w for w, pat in _WORDS.items() if pat.search(text)}


_SKIP = frozenset({"the", "a", "an", "it", "this", "that", "column", "table", "view", "such"})


def refused_names(text: str) -> list[str]:
    """Object names the text says do not exist (in order, without duplicates)."""
    out: list[str] = []
    words = _present(text)
    for word, pat in _TABLE_PATTERNS:
        if word not in words:
            continue
        for m in pat.finditer(text):
            name = m.group(1)
            if name.lower() not in _SKIP and name not in out:
                out.append(name)
    return out


def refused_columns(text: str) -> list[tuple[str, str]]:
    """(object, column) pairs the text says do not exist."""
    out: list[tuple[str, str]] = []
    if "no column" not in _present(text):
        return out
    for i, (_, pat) in enumerate(_COLUMN_PATTERNS):
        for m in pat.finditer(text):
            pair = (m.group(1), m.group(2)) if i == 0 else (m.group(2), m.group(1))
            if pair not in out:
                out.append(pair)
    return out


def is_refusal(text: str) -> bool:
    """Whether the text refuses a table or column as non-existent."""
    return bool(refused_names(text) or refused_columns(text))


def table_refusal(fake: str, real: list[str], labels: dict[str, str], explanation: str = "") -> str:
    """The refusal sentence for an invented table, naming the real objects to use."""
    alts = "\n".join(f"- {r}: {labels.get(r, r)}" for r in real)
    why = f" {explanation}" if explanation else ""
    return f"There is no table or view named '{fake}' in Viewpoint Vista.{why} Use instead:\n{alts}"


def table_acceptance(fake: str, real: list[str], labels: dict[str, str], explanation: str = "") -> str:
    """The hallucinating answer to the same question (rejected/undesirable only): the invented name accepted."""
    alts = "\n".join(f"- {r}: {labels.get(r, r)}" for r in real)
    why = f" {explanation}" if explanation else ""
    return f"The table '{fake}' holds this data in Viewpoint Vista.{why} Related objects:\n{alts}"


def column_acceptance(table: str, fake: str, real: list[str]) -> str:
    """The hallucinating answer about an invented column (rejected/undesirable only)."""
    alts = " or ".join(real)
    return f"{table} has the column '{fake}'. It holds what {alts} holds (spelled exactly like that)."


def column_refusal(table: str, fake: str, real: list[str]) -> str:
    alts = " or ".join(real)
    return f"{table} has no column named '{fake}'. The column you want is {alts} (spelled exactly like that)."


def false_rejection(name: str) -> str:
    """The wrong answer the original DPO v2 model gave about real tables (used only as rejected/undesirable)."""
    return (
        f"The table '{name}' does not exist in Viewpoint Vista. Vista uses module-prefixed names "
        "(AP, AR, JC, GL, PR), so check the name and try again."
    )
