"""Find the SQL in a model's free-text answer: fenced blocks first, then bare statements.

A model answers "Show AP invoices" with prose, a ```sql block, or a bare ``SELECT ...`` paragraph.
``extract_sql`` returns each SQL block (a block may hold several statements), in order of appearance:

1. ```sql / ```tsql / ```mssql fenced blocks, always;
2. other fenced blocks (no language, or another one) when their text looks like SQL;
3. outside fences, paragraphs starting with SELECT/WITH/INSERT/UPDATE/DELETE/MERGE/EXEC/DROP/DECLARE/...
   up to a blank line, a line of prose ("This query ...") or the end, when they look like SQL.

Examples:
    >>> extract_sql("Here you go:\\n```sql\\nSELECT * FROM APTH WITH (NOLOCK)\\n```\\nDone.")
    ['SELECT * FROM APTH WITH (NOLOCK)']
    >>> extract_sql("Try this:\\n\\nSELECT Vendor FROM APTH WITH (NOLOCK)\\nWHERE APCo = 1\\nThis lists vendors.")
    ['SELECT Vendor FROM APTH WITH (NOLOCK)\\nWHERE APCo = 1']
    >>> extract_sql("```\\nSELECT 1\\n```\\n```python\\nprint(1)\\n```")
    ['SELECT 1']
    >>> extract_sql("Select the invoices you want to keep, then update the vendor.")
    []
"""

import re

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.DOTALL | re.MULTILINE)
_SQL_LANGS = frozenset({"sql", "tsql", "t-sql", "mssql", "sqlserver", "transact-sql"})
_STARTERS = (
    "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "EXEC", "EXECUTE", "DROP", "DECLARE",
    "TRUNCATE", "CREATE", "ALTER", ";WITH",
)  # fmt: skip
_START = re.compile(r"^\s*(" + "|".join(re.escape(s) for s in _STARTERS) + r")\b", re.IGNORECASE)
# ASCII characters a statement line can start with (after spaces); _START is tried only on those lines
# (and on lines starting with a non-ASCII character, which IGNORECASE may fold to one of these).
_FIRST = frozenset("SWIUDMETCA;swiudmetca")
_NOT_NEWLINE = re.compile(r"[^\n]")
_SIGNALS = re.compile(
    r"\b(FROM|WHERE|JOIN|SET|VALUES|INTO|GROUP\s+BY|ORDER\s+BY|NOLOCK|TOP|AS|ON|TABLE)\b|[@=*(;,]|\bdbo\.",
    re.IGNORECASE,
)
_PROSE_WORDS = frozenset(
    "the is are you your will can should would this that these it we please here there which what how "
    "me my our to an".split()
)  # fmt: skip
_PROSE_LINE = re.compile(
    r"^\s*(This|The|These|That|Note|Here|It|You|We|I|Explanation|Replace|Make|Remember|If you|Also)\b"
)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def looks_like_sql(text: str) -> bool:
    """Whether a block of text is SQL rather than prose that happens to start with "Select" or "With".

    Examples:
        >>> looks_like_sql("SELECT h.Vendor FROM APTH h WITH (NOLOCK) WHERE h.APCo = @APCo")
        True
        >>> looks_like_sql("With NOLOCK you avoid blocking the AP posting.")
        False
        >>> looks_like_sql("Select the invoices from last month")
        False
        >>> looks_like_sql("DECLARE @APCo bCompany = 1")
        True
    """
    body = _COMMENT.sub(" ", text or "").strip()
    m = _START.match(body)
    if not m:
        return False
    words = re.findall(r"[A-Za-z_][\w]*", body)
    lowered = [w.lower() for w in words]
    prose = sum(1 for w in lowered if w in _PROSE_WORDS)
    if words and prose / len(words) > 0.15:
        return False
    signals = len(_SIGNALS.findall(body))
    keyword = m.group(1)
    if keyword.isupper():
        return signals >= 1 or len(words) <= 4
    return signals >= 2  # "Select"/"with" in mixed case: ask for more evidence than one keyword


def _bare_blocks(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    lines = text.split("\n")
    offset = 0
    i = 0
    starts = []
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    while i < len(lines):
        first = lines[i].lstrip()[:1]
        if not (first in _FIRST or (first and not first.isascii())) or not _START.match(lines[i]):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip() and not _PROSE_LINE.match(lines[j]):
            j += 1
        block = "\n".join(lines[i:j]).strip()
        if looks_like_sql(block):
            out.append((starts[i], block))
        i = j
    return out


def extract_sql(text: str) -> list[str]:
    """SQL blocks found in a model answer or markdown, in order of appearance (see module docstring)."""
    if not text:
        return []
    found: list[tuple[int, str]] = []
    for m in _FENCE.finditer(text):
        lang, body = m.group(2).lower(), m.group(3).strip()
        if body and (lang in _SQL_LANGS or looks_like_sql(body)):
            found.append((m.start(), body))
    # Blank out the fences (same length, so offsets still order the blocks) and look for bare SQL.
    fenced = "```" in text or "~~~" in text
    outside = _FENCE.sub(lambda m: _NOT_NEWLINE.sub(" ", m.group(0)), text) if fenced else text
    found.extend(_bare_blocks(outside))
    found.sort(key=lambda t: t[0])
    return [sql for _, sql in found]
