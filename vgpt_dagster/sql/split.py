"""Splitting a tokenized T-SQL script into statements at top-level statement keywords (``GO`` blanked)."""

import re
from dataclasses import dataclass

from sqlglot.tokens import Token, TokenType

from vgpt_dagster.sql.dialect import GO_LINE
from vgpt_dagster.sql.procedural import (
    CONTROL_WORDS,
    Module,
    is_cursor_declaration,
    read_module,
)

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
    TokenType.VAR, TokenType.FETCH, TokenType.GRANT, TokenType.REVOKE,
}  # fmt: skip
_NAME_PREFIX = frozenset({TokenType.DOT, TokenType.HASH, TokenType.PARAMETER})  # x.open, #open, @open: names
TARGET_NAME = frozenset({TokenType.VAR, TokenType.IDENTIFIER, TokenType.DOT, TokenType.HASH, TokenType.PARAMETER})
_SET_OPS = frozenset({TokenType.UNION, TokenType.ALL, TokenType.EXCEPT, TokenType.INTERSECT, TokenType.DISTINCT})


def position(sql: str, offset: int) -> tuple[int, int]:
    """1-based (line, col) of a character offset.

    Examples:
        >>> position("SELECT 1\\nFROM x", 9)
        (2, 1)
    """
    line = sql.count("\n", 0, offset) + 1
    return line, offset - sql.rfind("\n", 0, offset)


def blank_go(sql: str) -> tuple[str, frozenset[int]]:
    """Replace ``GO`` batch separators by ``;`` padded to the same length (positions are kept).

    Returns the text and the offsets of the ``;`` that end a batch (a module ends with its batch)."""
    ends: list[int] = []

    def repl(m: re.Match) -> str:
        ends.append(m.start())
        return ";" + " " * (len(m.group(0)) - 1)

    return GO_LINE.sub(repl, sql), frozenset(ends)


def fix_tokens(tokens: list[Token]) -> list[Token]:
    """``IF UPDATE(col)`` in a trigger is a function, not an UPDATE statement: retype the token."""
    out = list(tokens)
    for i, tok in enumerate(out[:-1]):
        if tok.token_type == TokenType.UPDATE and out[i + 1].token_type == TokenType.L_PAREN:
            out[i] = Token(TokenType.VAR, tok.text, tok.line, tok.col, tok.start, tok.end, tok.comments)
    return out


def _cte_follows(tokens: list[Token], i: int) -> bool:
    """``WITH name AS (`` or ``WITH name (cols) AS (`` opens a CTE; ``WITH (NOLOCK)`` is a table hint."""
    nxt = tokens[i + 1].token_type if i + 1 < len(tokens) else None
    if nxt is None or nxt == TokenType.L_PAREN:
        return False
    after = tokens[i + 2].token_type if i + 2 < len(tokens) else None
    return after in (TokenType.ALIAS, TokenType.L_PAREN)


@dataclass
class Chunk:
    """The tokens of one statement, the module they belong to and their role (see :class:`Statement`)."""

    tokens: list[Token]
    module: Module | None = None
    role: str | None = None
    module_header: Module | None = None


class _Splitter:
    """Cuts a token stream into :class:`Chunk` s (see :func:`split_statements`)."""

    def __init__(self, tokens: list[Token], text: str, batch_ends: frozenset[int]):
        self.tokens, self.text, self.batch_ends = tokens, text, batch_ends
        self.chunks: list[Chunk] = []
        self.module: Module | None = None
        self.next_role: str | None = None
        self.depth = self.case_depth = 0
        self.drop_next = False
        self._reset()

    def _reset(self) -> None:
        self.cur: list[Token] = []
        self.head: TokenType | None = None  # first keyword of the current statement
        self.seen_select = self.seen_set = self.seen_values = False

    def flush(self, role: str | None = None) -> None:
        if self.cur:
            chunk = Chunk(self.cur, self.module, role or self.next_role)
            self.chunks.append(chunk)
            self.next_role = "cursor" if is_cursor_declaration(self.cur) else None
        self._reset()

    def run(self) -> list[Chunk]:
        i = 0
        while i < len(self.tokens):
            i = self.step(i)
        self.flush()
        return self.chunks

    def step(self, i: int) -> int:
        """Handle ``tokens[i]``; returns the index of the next token to look at."""
        tok = self.tokens[i]
        tt = tok.token_type
        if self.drop_next:  # TRY/CATCH after BEGIN/END
            self.drop_next = False
            if tok.text.upper() in ("TRY", "CATCH"):
                return i + 1
        if tt == TokenType.SEMICOLON and self.depth == 0:
            self.flush()
            if tok.start in self.batch_ends:
                self.module = None
            return i + 1
        top = self.depth == 0 and not self.case_depth
        if top and tt in (TokenType.CREATE, TokenType.ALTER):
            nxt = self._module_header(i)
            if nxt is not None:
                return nxt
        if top and self.module is not None and self._is_label(i):  # labels: in procedure bodies
            self.flush()
            self.cur = [tok, self.tokens[i + 1]]
            self.flush("label")
            return i + 2
        if self._control_flow(i, top):
            return i + 1
        self._track(i)
        return i + 1

    def _module_header(self, i: int) -> int | None:
        line, col = position(self.text, self.tokens[i].start)
        found = read_module(self.tokens, i, line, col)
        if found is None:
            return None
        module, end = found
        self.flush()
        self.module = module
        self.cur = self.tokens[i : end + 1]
        self.chunks.append(Chunk(self.cur, module, "header", module))
        self._reset()
        return end + 1

    def _is_label(self, i: int) -> bool:
        tok = self.tokens[i]
        return (
            tok.token_type == TokenType.VAR
            and i + 1 < len(self.tokens)
            and self.tokens[i + 1].token_type == TokenType.COLON
            and (i == 0 or self.tokens[i - 1].token_type not in _NAME_PREFIX)
        )

    def _control_flow(self, i: int, top: bool) -> bool:
        """BEGIN/END/ELSE at the top level: flush and drop the token (True when it was dropped)."""
        tok = self.tokens[i]
        tt = tok.token_type
        if tt == TokenType.CASE:
            self.case_depth += 1
        elif tt == TokenType.END and self.case_depth:
            self.case_depth -= 1
        elif top and tt in (TokenType.END, TokenType.ELSE):
            self.flush()
            self.drop_next = tt == TokenType.END
            return True
        elif top and tt == TokenType.BEGIN:
            nxt = self.tokens[i + 1].text.upper() if i + 1 < len(self.tokens) else ""
            self.flush()
            if nxt not in ("TRAN", "TRANSACTION", "DISTRIBUTED"):
                self.drop_next = True
                return True
        return False

    def _track(self, i: int) -> None:
        tok = self.tokens[i]
        tt = tok.token_type
        if tt == TokenType.L_PAREN:
            self.depth += 1
        elif tt == TokenType.R_PAREN:
            self.depth = max(self.depth - 1, 0)
        elif self.depth == 0 and self.cur and tt in _CANDIDATES and self._starts_statement(i):
            self.flush()
        if self.depth == 0:
            if self.head is None:
                self.head = tt
            if tt == TokenType.SELECT and self.cur:
                self.seen_select = True
            elif tt == TokenType.SET:
                self.seen_set = True
            elif tt == TokenType.VALUES:
                self.seen_values = True
        self.cur.append(tok)

    def _starts_statement(self, i: int) -> bool:
        """Whether the top-level token ``tokens[i]`` opens a new statement."""
        tok, tokens, head = self.tokens[i], self.tokens, self.head
        tt, prev = tok.token_type, tokens[i - 1].token_type
        head_text = self.cur[0].text.upper()
        if head_text in ("GRANT", "REVOKE", "DENY"):
            return False  # GRANT EXECUTE, SELECT ON ...: the privileges are not statements
        if tt == TokenType.EXECUTE and head == TokenType.INSERT and not (self.seen_select or self.seen_values):
            return False  # INSERT INTO #t EXEC bspX
        if tt in _ALWAYS_NEW:
            return True
        if tok.text.upper() in CONTROL_WORDS:
            offset_fetch = tt == TokenType.FETCH and tokens[i - 1].text.upper() in ("ROW", "ROWS")
            return prev not in _NAME_PREFIX and not offset_fetch
        if tt == TokenType.SELECT:
            opened = self.seen_select or self.seen_values  # INSERT ... SELECT / INSERT ... VALUES (...) SELECT
            return not (prev in _SET_OPS or (head in (TokenType.INSERT, TokenType.WITH) and not opened))
        if tt == TokenType.WITH:
            return _cte_follows(tokens, i) and prev not in _SET_OPS
        if tt in (TokenType.INSERT, TokenType.UPDATE, TokenType.DELETE):
            if prev in (TokenType.THEN, TokenType.ON, TokenType.FOR):
                return False  # MERGE ... THEN UPDATE, ON DELETE CASCADE, FOR UPDATE
            return head != TokenType.WITH or self.seen_select
        if tt == TokenType.SET:
            return not (prev == TokenType.UPDATE or (head == TokenType.UPDATE and not self.seen_set))
        return tt == TokenType.VAR and tok.text.upper() in ("IF", "WHILE")


def split_statements(tokens: list[Token], text: str = "", batch_ends: frozenset[int] = frozenset()) -> list[Chunk]:
    """Cut a token stream into statements at ``;``, at top-level keywords that start a statement, at labels
    and at module headers (see the module docstring)."""
    return _Splitter(tokens, text, batch_ends).run()
