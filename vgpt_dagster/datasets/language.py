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
_TABLE_PATTERNS = [
    re.compile(rf"\bno (?:table|view|object)(?: or view)? (?:named|called) {_Q}{_NAME}{_QE}", re.I),
    re.compile(rf"\bno {_Q}{_NAME}{_QE} (?:table|view)\b", re.I),
    re.compile(rf"(?:table|view|object) {_Q}{_NAME}{_QE} (?:does not|doesn't|does not actually) exist", re.I),
    re.compile(rf"{_Q}{_NAME}{_QE} (?:does not|doesn't) exist", re.I),
    re.compile(rf"{_Q}{_NAME}{_QE} is not an? (?:table|view|valid table|real table|Vista table)", re.I),
    re.compile(rf"{_Q}{_NAME}{_QE} is not in the (?:Vista )?catalog", re.I),
]
_COLUMN_PATTERNS = [
    re.compile(rf"{_Q}{_NAME}{_QE} has no column (?:named |called )?{_Q}{_NAME}{_QE}", re.I),
    re.compile(rf"\bno column (?:named |called )?{_Q}{_NAME}{_QE} (?:in|on) {_Q}{_NAME}{_QE}", re.I),
]
_SKIP = frozenset({"the", "a", "an", "it", "this", "that", "column", "table", "view", "such"})


def refused_names(text: str) -> list[str]:
    """Object names the text says do not exist (in order, without duplicates)."""
    out: list[str] = []
    for pat in _TABLE_PATTERNS:
        for m in pat.finditer(text):
            name = m.group(1)
            if name.lower() not in _SKIP and name not in out:
                out.append(name)
    return out


def refused_columns(text: str) -> list[tuple[str, str]]:
    """(object, column) pairs the text says do not exist."""
    out: list[tuple[str, str]] = []
    for i, pat in enumerate(_COLUMN_PATTERNS):
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


def column_refusal(table: str, fake: str, real: list[str]) -> str:
    alts = " or ".join(real)
    return f"{table} has no column named '{fake}'. The column you want is {alts} (spelled exactly like that)."


def false_rejection(name: str) -> str:
    """The wrong answer the original DPO v2 model gave about real tables (used only as rejected/undesirable)."""
    return (
        f"The table '{name}' does not exist in Viewpoint Vista. Vista uses module-prefixed names "
        "(AP, AR, JC, GL, PR), so check the name and try again."
    )
