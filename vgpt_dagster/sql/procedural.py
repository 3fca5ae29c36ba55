"""T-SQL's procedural layer: module headers (CREATE PROCEDURE/FUNCTION/TRIGGER/VIEW) and control statements.

sqlglot parses T-SQL *statements* well but not the code around them: a procedure header with a parameter
list and ``AS`` but no ``BEGIN``, labels (``bspexit:``), ``GOTO``, cursor commands (``OPEN``/``FETCH``/
``CLOSE``/``DEALLOCATE``), ``RETURN @rcode``, ``PRINT``, ``RAISERROR ... WITH NOWAIT``, ``THROW``. The
splitter in :mod:`vgpt_dagster.sql.parse` cuts those out as statements of their own; this module names
them: a module header becomes a :class:`Module` (kind, name, the trigger's table) and a control
statement a ``Command`` node (``GOTO bspexit``) that no rule reads tables from. Data statements (SELECT,
INSERT, UPDATE, DELETE, MERGE, cursor queries, ``RETURN (SELECT ...)`` of an inline function) are left
to sqlglot.

Examples:
    >>> from vgpt_dagster.sql.parse import parse_all
    >>> p = parse_all("CREATE PROCEDURE dbo.bspX (@co bCompany) AS\\nSELECT 1\\nbspexit:\\nRETURN 0")
    >>> [(s.kind, s.line, s.module.name) for s in p.statements]  # doctest: +NORMALIZE_WHITESPACE
    [('CREATE PROCEDURE', 1, 'dbo.bspX'), ('SELECT', 2, 'dbo.bspX'), ('LABEL', 3, 'dbo.bspX'),
     ('RETURN', 4, 'dbo.bspX')]
"""

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

MODULE_KINDS = {"PROCEDURE": "PROCEDURE", "PROC": "PROCEDURE", "FUNCTION": "FUNCTION", "TRIGGER": "TRIGGER",
                "VIEW": "VIEW"}  # fmt: skip

# Reserved words that always open a control statement (they cannot be unquoted column names).
CONTROL_WORDS = frozenset(
    {
        "GOTO", "RETURN", "OPEN", "CLOSE", "DEALLOCATE", "FETCH", "PRINT", "RAISERROR", "THROW", "BREAK",
        "CONTINUE", "WAITFOR", "SAVE", "GRANT", "REVOKE", "DENY", "CHECKPOINT", "DBCC", "READTEXT", "WRITETEXT",
        "UPDATETEXT", "REVERT", "SETUSER", "RECONFIGURE", "KILL",
    }
)  # fmt: skip
# Control statements kept as a ``Command`` without asking sqlglot (which cannot parse most of them).
COMMAND_WORDS = CONTROL_WORDS - {"GRANT", "REVOKE", "DENY"}
_NAME_PARTS = (TokenType.VAR, TokenType.IDENTIFIER)


@dataclass(frozen=True)
class Module:
    """A code object defined in the script: ``CREATE PROCEDURE dbo.bspAPVal`` (kind PROCEDURE)."""

    kind: str  # PROCEDURE, FUNCTION, TRIGGER, VIEW
    name: str
    line: int
    col: int
    action: str = "CREATE"  # CREATE, ALTER, CREATE OR ALTER
    table: str | None = None  # a trigger's table or view (``ON bAPTH``)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "action": self.action, "table": self.table,
                "line": self.line, "col": self.col}  # fmt: skip


def dotted_name(tokens: list[Token], i: int) -> tuple[str, int]:
    """The (possibly bracketed, dotted) object name starting at ``tokens[i]`` and the index after it."""
    parts: list[str] = []
    while i < len(tokens) and tokens[i].token_type in _NAME_PARTS:
        parts.append(tokens[i].text)
        if i + 2 < len(tokens) and tokens[i + 1].token_type == TokenType.DOT:
            i += 2  # schema.name
        else:
            return ".".join(parts), i + 1
    return ".".join(parts), i


def module_at(tokens: list[Token], i: int) -> tuple[str, str, int] | None:
    """(action, kind, index of the kind keyword) when ``tokens[i]`` (CREATE/ALTER) opens a module header."""
    if tokens[i].token_type not in (TokenType.CREATE, TokenType.ALTER):
        return None
    action, j = tokens[i].text.upper(), i + 1
    if j + 1 < len(tokens) and tokens[j].text.upper() == "OR":  # CREATE OR ALTER / OR REPLACE
        action, j = f"{action} OR {tokens[j + 1].text.upper()}", j + 2
    kind = MODULE_KINDS.get(tokens[j].text.upper()) if j < len(tokens) else None
    return (action, kind, j) if kind else None


def _is_header_as(tokens: list[Token], j: int, kind: str, seen_returns: bool) -> bool:
    prev = tokens[j - 1].text.upper() if j else ""
    if prev in ("EXECUTE", "EXEC"):  # WITH EXECUTE AS OWNER
        return False
    if kind == "FUNCTION" and not seen_returns:
        return False
    return not (kind == "PROCEDURE" and j >= 2 and tokens[j - 2].token_type == TokenType.PARAMETER)  # @p AS int


def header_end(tokens: list[Token], start: int, kind: str) -> int | None:
    """Index of the ``AS`` that ends the header opened at ``tokens[start]``, or None (no body)."""
    depth, seen_returns = 0, False
    for j in range(start, len(tokens)):
        tt = tokens[j].token_type
        if tt == TokenType.L_PAREN:
            depth += 1
        elif tt == TokenType.R_PAREN:
            depth = max(depth - 1, 0)
        elif tt == TokenType.SEMICOLON and depth == 0:
            return None
        elif depth == 0 and tokens[j].text.upper() == "RETURNS":
            seen_returns = True
        elif depth == 0 and tt == TokenType.ALIAS and _is_header_as(tokens, j, kind, seen_returns):
            return j
    return None


def read_module(tokens: list[Token], i: int, line: int, col: int) -> tuple[Module, int] | None:
    """The module whose header starts at ``tokens[i]`` and the index of its closing ``AS``."""
    found = module_at(tokens, i)
    if found is None:
        return None
    action, kind, j = found
    end = header_end(tokens, j + 1, kind)
    if end is None:
        return None
    name, k = dotted_name(tokens, j + 1)
    table = None
    if kind == "TRIGGER" and k < end and tokens[k].token_type == TokenType.ON:
        table, _ = dotted_name(tokens, k + 1)
    return Module(kind, name or "?", line, col, action, table), end


def module_node(module: Module) -> exp.Command:
    """The header as a statement: ``Command('CREATE PROCEDURE', 'dbo.bspX')``."""
    return exp.Command(this=f"{module.action} {module.kind}", expression=exp.Literal.string(module.name))


def command_node(word: str, tokens: list[Token], text: str) -> exp.Command:
    """A control statement kept as written: ``Command('GOTO', 'bspexit')``."""
    rest = text[tokens[1].start : tokens[-1].end + 1] if len(tokens) > 1 else ""
    return exp.Command(this=word, expression=exp.Literal.string(rest))


def is_cursor_declaration(tokens: list[Token]) -> str | None:
    """The cursor's name when the statement is ``DECLARE c [INSENSITIVE|SCROLL] CURSOR ... FOR``."""
    if len(tokens) < 3 or tokens[0].token_type != TokenType.DECLARE:
        return None
    words = [t.text.upper() for t in tokens[2:5]]
    return tokens[1].text if "CURSOR" in words else None


def returned_query(tokens: list[Token]) -> list[Token] | None:
    """The query of ``RETURN (SELECT ...)`` (an inline table-valued function's body), else None."""
    if len(tokens) < 4 or tokens[1].token_type != TokenType.L_PAREN or tokens[-1].token_type != TokenType.R_PAREN:
        return None
    if tokens[2].token_type not in (TokenType.SELECT, TokenType.WITH):
        return None
    depth = 0
    for t in tokens[1:-1]:  # the first ( must close at the last token
        depth += t.token_type == TokenType.L_PAREN
        depth -= t.token_type == TokenType.R_PAREN
        if depth == 0:
            return None
    return tokens[2:-1]
