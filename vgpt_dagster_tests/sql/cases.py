"""Loader of the analyzer fixture files ``fixtures/<rule>.sql`` (sqlglot-style input/expected pairs).

Format: each case starts with ``-- title: <text>``; an optional ``-- options:`` line lists any of
``allow_writes no_nolock no_company_filter``; then the SQL (any number of lines, blank lines included);
the case ends with ``-- expect:`` followed by ``ok`` (no finding at all) or the findings' rules, comma
separated, each optionally pinned to a position as ``rule@line:col``. The expected rules must equal the
rules found (as a multiset); pinned entries must also match a finding's position.
"""

from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OPTIONS = {
    "allow_writes": "require_select",
    "no_nolock": "require_nolock",
    "no_company_filter": "require_company_filter",
}


@dataclass(frozen=True)
class Expected:
    rule: str
    line: int | None = None
    col: int | None = None


@dataclass(frozen=True)
class Case:
    file: str
    title: str
    sql: str
    expected: tuple[Expected, ...]
    options: dict

    @property
    def id(self) -> str:
        return f"{self.file}::{self.title}"


def _parse_expected(text: str, where: str) -> tuple[Expected, ...]:
    text = text.strip()
    if text == "ok":
        return ()
    out = []
    for item in (i.strip() for i in text.split(",")):
        rule, _, pos = item.partition("@")
        if pos:
            line, _, col = pos.partition(":")
            out.append(Expected(rule, int(line), int(col)))
        elif rule:
            out.append(Expected(rule))
        else:
            raise ValueError(f"{where}: empty entry in '-- expect: {text}'")
    return tuple(out)


def load_cases(path: Path) -> list[Case]:
    """All cases of one fixture file; a malformed file raises ValueError naming the line."""
    cases: list[Case] = []
    title = None
    options: dict = {}
    sql_lines: list[str] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{n}"
        if line.startswith("-- title:"):
            if title is not None:
                raise ValueError(f"{where}: case '{title}' has no '-- expect:' line")
            title, options, sql_lines = line.split(":", 1)[1].strip(), {}, []
        elif line.startswith("-- options:"):
            for opt in line.split(":", 1)[1].split():
                if opt not in OPTIONS:
                    raise ValueError(f"{where}: unknown option '{opt}' (valid: {', '.join(OPTIONS)})")
                options[OPTIONS[opt]] = False
        elif line.startswith("-- expect:"):
            if title is None:
                raise ValueError(f"{where}: '-- expect:' before any '-- title:'")
            sql = "\n".join(sql_lines).strip("\n")
            cases.append(Case(path.stem, title, sql, _parse_expected(line.split(":", 1)[1], where), options))
            title = None
        elif title is not None:
            sql_lines.append(line)
    if title is not None:
        raise ValueError(f"{path.name}: case '{title}' has no '-- expect:' line")
    return cases


def all_cases() -> list[Case]:
    return [c for path in sorted(FIXTURES.glob("*.sql")) for c in load_cases(path)]
