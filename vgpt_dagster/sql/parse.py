"""Parse a T-SQL script into sqlglot statements without ever raising.

sqlglot needs ``;`` between statements, but real T-SQL rarely has them (``DECLARE @APCo bCompany = 1``
then ``SELECT ...`` on the next line). So the script is tokenized once, ``GO`` batch separators are
blanked, and the token stream is cut into statements at top-level statement keywords (``SELECT`` after a
complete statement, ``DECLARE``, ``EXEC``, ...). Each statement is parsed on its own from the original
tokens, so positions stay true to the input and one bad statement does not hide the others.

Examples:
    >>> stmts, err = parse_script("DECLARE @APCo int = 1\\nSELECT * FROM APTH WHERE APCo = @APCo")
    >>> [type(s).__name__ for s in stmts], err
    (['Declare', 'Select'], None)
    >>> stmts, err = parse_script("SELECT FROM WHERE")
    >>> stmts, err.rule, err.line, err.col
    ([], 'parse_error', 1, 13)
"""

import logging
import re
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from vgpt_dagster.sql import DIALECT
from vgpt_dagster.sql.findings import ERROR, PARSE_ERROR, Finding

_DIALECT = Dialect.get_or_raise(DIALECT)
_TOKEN_REPR = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: .*?>")
_GO = re.compile(r"^[ \t]*GO[ \t]*(\d+)?[ \t]*;?[ \t]*$", re.IGNORECASE | re.MULTILINE)


class _DropCommandFallback(logging.Filter):
    """sqlglot logs a warning when it falls back to ``Command``; we report those ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_DropCommandFallback())

# Keywords that always open a new statement at the top level.
_ALWAYS_NEW = frozenset(
    {
        TokenType.DECLARE,
        TokenType.EXECUTE,
        TokenType.DROP,
        TokenType.CREATE,
        TokenType.ALTER,
        TokenType.TRUNCATE,
        TokenType.USE,
        TokenType.MERGE,
        TokenType.COMMAND,
        TokenType.COMMIT,
        TokenType.ROLLBACK,
    }
)
_CANDIDATES = _ALWAYS_NEW | {  # token types that may open a statement (others are never checked)
    TokenType.SELECT, TokenType.WITH, TokenType.INSERT, TokenType.UPDATE, TokenType.DELETE, TokenType.SET,
    TokenType.VAR,
}  # fmt: skip
_SET_OPS = frozenset({TokenType.UNION, TokenType.ALL, TokenType.EXCEPT, TokenType.INTERSECT, TokenType.DISTINCT})

# Commands sqlglot keeps as raw ``Command`` that are real T-SQL (anything else is prose, not SQL).
TSQL_COMMANDS = frozenset(
    {
        "PRINT", "RAISERROR", "THROW", "GRANT", "REVOKE", "DENY", "BACKUP", "RESTORE", "DBCC", "KILL",
        "SHUTDOWN", "RECONFIGURE", "BULK", "OPEN", "FETCH", "CLOSE", "DEALLOCATE", "WAITFOR", "RETURN",
        "DECLARE", "SET", "EXEC", "EXECUTE", "BEGIN", "END", "COMMIT", "ROLLBACK", "SAVE", "IF", "WHILE",
        "CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "USE", "SELECT", "WITH",
        "BREAK", "CONTINUE", "GOTO", "ELSE", "READTEXT", "WRITETEXT", "UPDATETEXT", "CHECKPOINT", "REVERT",
        "EXECUTE AS", "SETUSER", "ENABLE", "DISABLE", "ADD", "MOVE", "SEND", "RECEIVE", "GET", "OPENXML",
    }
)  # fmt: skip


_STATEMENT_TYPES = (
    exp.Query, exp.DML, exp.DDL, exp.Merge, exp.Drop, exp.TruncateTable, exp.Create, exp.Alter, exp.Declare,
    exp.Set, exp.IfBlock, exp.WhileBlock, exp.Block, exp.Transaction, exp.Commit, exp.Rollback, exp.Use,
    exp.Execute, exp.Grant, exp.Revoke,
)  # fmt: skip
_BARE_KEYWORDS = frozenset({"BREAK", "CONTINUE", "RETURN"})  # parsed as a lone column


def is_statement(node: exp.Expression) -> bool:
    """Whether a parsed node is a T-SQL statement, not a stray expression (prose like ``Vendors and invoices``).

    Examples:
        >>> from sqlglot import parse_one
        >>> is_statement(parse_one("SELECT 1", dialect="tsql")), is_statement(parse_one("Hello", dialect="tsql"))
        (True, False)
    """
    if isinstance(node, exp.Command):
        return str(node.this).upper() in TSQL_COMMANDS
    if isinstance(node, exp.Column):
        return node.name.upper() in _BARE_KEYWORDS and not node.table
    if isinstance(node, exp.Anonymous):
        return node.name.upper() == "RAISERROR"
    return isinstance(node, _STATEMENT_TYPES)


@dataclass(frozen=True)
class Statement:
    """One parsed statement with the 1-based position of its first token."""

    node: exp.Expression
    line: int
    col: int


def position(sql: str, offset: int) -> tuple[int, int]:
    """1-based (line, col) of a character offset.

    Examples:
        >>> position("SELECT 1\\nFROM x", 9)
        (2, 1)
    """
    line = sql.count("\n", 0, offset) + 1
    return line, offset - sql.rfind("\n", 0, offset)


def _blank_go(sql: str) -> str:
    """Replace ``GO`` batch separators by ``;`` padded to the same length (positions are kept)."""
    return _GO.sub(lambda m: ";" + " " * (len(m.group(0)) - 1), sql)


def _cte_follows(tokens: list[Token], i: int) -> bool:
    """``WITH name AS (`` or ``WITH name (cols) AS (`` opens a CTE; ``WITH (NOLOCK)`` is a table hint."""
    nxt = tokens[i + 1].token_type if i + 1 < len(tokens) else None
    if nxt is None or nxt == TokenType.L_PAREN:
        return False
    after = tokens[i + 2].token_type if i + 2 < len(tokens) else None
    return after in (TokenType.ALIAS, TokenType.L_PAREN)


def split_statements(tokens: list[Token]) -> list[list[Token]]:
    """Cut a token stream into statements at ``;`` and at top-level keywords that start a statement.

    Control flow is flattened: ``IF cond`` becomes a statement of its own, its body the next one, and the
    ``BEGIN``/``END``/``ELSE``/``BEGIN TRY`` tokens are dropped: the analyzer checks what each branch reads or
    writes, not which branch runs.
    """
    chunks: list[list[Token]] = []
    cur: list[Token] = []
    depth = case_depth = 0
    head: TokenType | None = None  # first keyword of the current statement
    seen_select = seen_set = False
    drop_next = False

    def flush() -> None:
        nonlocal cur, head, seen_select, seen_set
        if cur:
            chunks.append(cur)
        cur, head, seen_select, seen_set = [], None, False, False

    for i, tok in enumerate(tokens):
        tt = tok.token_type
        if drop_next:  # TRY/CATCH after BEGIN/END
            drop_next = False
            if tok.text.upper() in ("TRY", "CATCH"):
                continue
        if tt == TokenType.SEMICOLON and depth == 0:
            flush()
            continue
        if tt == TokenType.CASE:
            case_depth += 1
        elif tt == TokenType.END and case_depth:
            case_depth -= 1
        elif depth == 0 and not case_depth and tt in (TokenType.END, TokenType.ELSE):
            flush()
            drop_next = tt == TokenType.END
            continue
        elif depth == 0 and not case_depth and tt == TokenType.BEGIN:
            nxt = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
            flush()
            if nxt not in ("TRAN", "TRANSACTION", "DISTRIBUTED"):
                drop_next = True
                continue
        if tt == TokenType.L_PAREN:
            depth += 1
        elif tt == TokenType.R_PAREN:
            depth = max(depth - 1, 0)
        elif (
            depth == 0
            and cur
            and tt in _CANDIDATES
            and _starts_statement(tokens, i, cur[-1].token_type, head, seen_select, seen_set)
        ):
            flush()
        if depth == 0:
            if head is None:
                head = tt
            if tt == TokenType.SELECT and cur:
                seen_select = True
            elif tt == TokenType.SET:
                seen_set = True
        cur.append(tok)
    flush()
    return chunks


def _head_text(tokens: list[Token], i: int) -> str:
    """Text of the first token of the statement that contains ``tokens[i]`` (back to the last ``;``)."""
    j = i
    while j > 0 and tokens[j - 1].token_type != TokenType.SEMICOLON:
        j -= 1
    return tokens[j].text.upper()


def _starts_statement(
    tokens: list[Token], i: int, prev: TokenType, head: TokenType | None, seen_select: bool, seen_set: bool
) -> bool:
    """Whether the top-level token ``tokens[i]`` opens a new statement (see :func:`split_statements`)."""
    tok = tokens[i]
    tt = tok.token_type
    if tt in _ALWAYS_NEW:
        return True
    if head in (TokenType.GRANT, TokenType.REVOKE) or (head == TokenType.VAR and _head_text(tokens, i) == "DENY"):
        return False  # GRANT SELECT, INSERT ON ...: the privileges are not statements
    if tt == TokenType.SELECT:
        return not (prev in _SET_OPS or (head in (TokenType.INSERT, TokenType.WITH) and not seen_select))
    if tt == TokenType.WITH:
        return _cte_follows(tokens, i) and prev not in _SET_OPS
    if tt in (TokenType.INSERT, TokenType.UPDATE, TokenType.DELETE):
        if prev in (TokenType.THEN, TokenType.ON, TokenType.FOR):
            return False  # MERGE ... THEN UPDATE, ON DELETE CASCADE, FOR UPDATE
        return head != TokenType.WITH or seen_select
    if tt == TokenType.SET:
        return not (prev == TokenType.UPDATE or (head == TokenType.UPDATE and not seen_set))
    return tt == TokenType.VAR and tok.text.upper() in ("IF", "WHILE")


def _error_finding(err: ParseError | TokenError, sql: str) -> Finding:
    errors = getattr(err, "errors", None) or []
    if errors:
        e = errors[0]
        highlight = e.get("highlight") or ""
        line, col = e.get("line"), e.get("col")
        if isinstance(col, int) and highlight and "\n" not in highlight:
            col = max(col - len(highlight) + 1, 1)  # sqlglot reports the token's last column
        desc = _TOKEN_REPR.sub(r"'\1'", e.get("description") or "invalid SQL")
        near = f" near '{highlight}'" if highlight else ""
        return Finding(PARSE_ERROR, ERROR, f"not valid T-SQL: {desc}{near}", line, col)
    return Finding(PARSE_ERROR, ERROR, f"cannot tokenize the text as T-SQL: {str(err).splitlines()[0]}")


def parse_statements(sql: str) -> tuple[list[Statement], Finding | None]:
    """Statements with positions, and the first parse error (if any) as a ``parse_error`` finding."""
    if not sql or not sql.strip():
        return [], Finding(PARSE_ERROR, ERROR, "no SQL: the text is empty")
    text = _blank_go(sql)
    try:
        tokens = _DIALECT.tokenize(text)
    except TokenError as err:
        return [], _error_finding(err, sql)
    out: list[Statement] = []
    first_error: Finding | None = None
    for chunk in split_statements(tokens):
        try:
            parsed = _DIALECT.parser().parse(chunk, text)
        except ParseError as err:
            first_error = first_error or _error_finding(err, sql)
            continue
        start = chunk[0]
        line, col = position(text, start.start)
        for node in parsed:
            if node is None:
                continue
            if not is_statement(node):
                snippet = " ".join(text[start.start : start.start + 60].split())
                first_error = first_error or Finding(
                    PARSE_ERROR, ERROR, f"not a T-SQL statement: '{snippet}'", line, col
                )
                continue
            out.append(Statement(node, line, col))
    if not out and first_error is None:
        first_error = Finding(PARSE_ERROR, ERROR, "no SQL statement found in the text")
    return out, first_error


def parse_script(sql: str) -> tuple[list[exp.Expression], Finding | None]:
    """Parse a script with the tsql dialect; errors become a ``parse_error`` Finding (never raises)."""
    stmts, err = parse_statements(sql)
    return [s.node for s in stmts], err
