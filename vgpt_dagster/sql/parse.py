"""Parse a T-SQL script, procedures and triggers included, into sqlglot statements without ever raising.

sqlglot needs ``;`` between statements, but real T-SQL rarely has them (``DECLARE @APCo bCompany = 1``
then ``SELECT ...`` on the next line). So the script is tokenized once, ``GO`` batch separators are
blanked, and the token stream is cut into statements at top-level statement keywords (``SELECT`` after a
complete statement, ``DECLARE``, ``EXEC``, ``GOTO``, a label, ...). Each statement is parsed on its own
from the original tokens, so positions stay true to the input and one bad statement does not hide the
others: every statement that does not parse is reported alone, with its position.

The procedural layer (see :mod:`vgpt_dagster.sql.procedural`): a ``CREATE/ALTER PROCEDURE|FUNCTION|
TRIGGER|VIEW`` header becomes a statement of its own and every statement after it, up to the end of the
batch (``GO``), belongs to that module (``Statement.module``); control flow is flattened (``BEGIN``/
``END``/``ELSE``/``TRY``/``CATCH`` dropped, ``IF cond`` and ``WHILE cond`` statements of their own) and
control statements (``GOTO``, labels, cursor commands, ``RETURN``, ``PRINT``, ``RAISERROR``) are kept as
``Command`` nodes. The analyzer checks what each branch reads or writes, not which branch runs.

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
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from vgpt_dagster.sql import DIALECT
from vgpt_dagster.sql.findings import ERROR, PARSE_ERROR, Finding
from vgpt_dagster.sql.procedural import (
    COMMAND_WORDS,
    CONTROL_WORDS,
    Module,
    command_node,
    is_cursor_declaration,
    module_node,
    read_module,
    returned_query,
)

_TSQL = type(Dialect.get_or_raise(DIALECT))


class _ScriptTSQL(_TSQL):
    """T-SQL whose tokenizer never swallows the rest of a script into one ``Command`` string.

    sqlglot's tokenizer reads ``PRINT ...``/``FETCH ...`` as a command that runs to the next ``;``, which in
    a procedure without semicolons is the rest of the file; the splitter cuts those statements itself.
    """

    class Tokenizer(_TSQL.Tokenizer):
        COMMANDS = _TSQL.Tokenizer.COMMANDS - {TokenType.COMMAND, TokenType.FETCH, TokenType.END}


_DIALECT = _ScriptTSQL()
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
    TokenType.VAR, TokenType.FETCH, TokenType.GRANT, TokenType.REVOKE,
}  # fmt: skip
_NAME_PREFIX = frozenset({TokenType.DOT, TokenType.HASH, TokenType.PARAMETER})  # x.open, #open, @open: names
_TARGET_NAME = frozenset({TokenType.VAR, TokenType.IDENTIFIER, TokenType.DOT, TokenType.HASH, TokenType.PARAMETER})
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
_KINDS = {
    exp.Insert: "INSERT",
    exp.Update: "UPDATE",
    exp.Delete: "DELETE",
    exp.Merge: "MERGE",
    exp.Drop: "DROP",
    exp.TruncateTable: "TRUNCATE",
    exp.Create: "CREATE",
    exp.Alter: "ALTER",
    exp.Execute: "EXEC",
    exp.Declare: "DECLARE",
    exp.Set: "SET",
    exp.IfBlock: "IF",
    exp.WhileBlock: "WHILE",
    exp.Grant: "GRANT",
    exp.Revoke: "REVOKE",
    exp.Use: "USE",
    exp.Transaction: "BEGIN TRANSACTION",
    exp.Commit: "COMMIT",
    exp.Rollback: "ROLLBACK",
}


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


def statement_kind(node: exp.Expression) -> str:
    """SELECT, SELECT INTO, INSERT, UPDATE, ... or the keyword of a raw command (PRINT, GOTO, LABEL)."""
    if isinstance(node, exp.Select):
        return "SELECT INTO" if node.args.get("into") else "SELECT"
    if isinstance(node, exp.SetOperation):
        return "SELECT"
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, (exp.Column, exp.Anonymous)):  # BREAK / CONTINUE / RETURN / RAISERROR(...)
        return node.name.upper()
    for typ, kind in _KINDS.items():
        if isinstance(node, typ):
            return kind
    return type(node).__name__.upper()


@dataclass(frozen=True)
class Statement:
    """One parsed statement: the 1-based position of its first token, its text span, its module.

    ``role``: ``header`` (a module's CREATE ... AS), ``cursor`` (the query of a cursor declaration),
    ``returned`` (an inline function's ``RETURN (SELECT ...)``), ``label``, or None.
    """

    node: exp.Expression
    line: int
    col: int
    module: Module | None = None
    role: str | None = None
    start: int | None = None  # character offsets of the statement's text: sql[start:end]
    end: int | None = None

    @property
    def kind(self) -> str:
        return statement_kind(self.node)


@dataclass(frozen=True)
class Unparsed:
    """A statement sqlglot could not parse: where it starts, why, and the module it belongs to."""

    line: int
    col: int
    finding: Finding
    module: Module | None = None
    start: int | None = None  # character offsets of the statement's text: sql[start:end]
    end: int | None = None

    def to_dict(self) -> dict:
        return {"line": self.line, "col": self.col, "error_line": self.finding.line, "error_col": self.finding.col,
                "reason": self.finding.message, "module": self.module.name if self.module else None}  # fmt: skip


@dataclass(frozen=True)
class ParsedScript:
    """Everything :func:`parse_all` found: statements, unparseable statements (and other errors), modules."""

    statements: tuple[Statement, ...]
    errors: tuple[Finding, ...]
    unparsed: tuple[Unparsed, ...] = ()
    modules: tuple[Module, ...] = field(default=())

    @property
    def found(self) -> int:
        return len(self.statements) + len(self.unparsed)


def position(sql: str, offset: int) -> tuple[int, int]:
    """1-based (line, col) of a character offset.

    Examples:
        >>> position("SELECT 1\\nFROM x", 9)
        (2, 1)
    """
    line = sql.count("\n", 0, offset) + 1
    return line, offset - sql.rfind("\n", 0, offset)


def _blank_go(sql: str) -> tuple[str, frozenset[int]]:
    """Replace ``GO`` batch separators by ``;`` padded to the same length (positions are kept).

    Returns the text and the offsets of the ``;`` that end a batch (a module ends with its batch)."""
    ends: list[int] = []

    def repl(m: re.Match) -> str:
        ends.append(m.start())
        return ";" + " " * (len(m.group(0)) - 1)

    return _GO.sub(repl, sql), frozenset(ends)


def _fix_tokens(tokens: list[Token]) -> list[Token]:
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


def _normalise_delete(tokens: list[Token]) -> list[Token]:
    """T-SQL's ``FROM`` is optional and may appear twice; sqlglot wants exactly one before the target.

    ``DELETE FROM t FROM t, u WHERE ...``: the first FROM is dropped; ``DELETE bHQBE WHERE Co = @co``
    (no FROM at all): a FROM is added before the target (sqlglot would read ``bHQBE`` as an alias list).
    """
    if len(tokens) < 2:
        return tokens
    depth, froms = 0, []
    for j, t in enumerate(tokens):
        depth += (t.token_type == TokenType.L_PAREN) - (t.token_type == TokenType.R_PAREN)
        if depth == 0 and t.token_type == TokenType.FROM:
            froms.append(j)
    if len(froms) >= 2 and froms[0] == 1:
        return [tokens[0], *tokens[2:]]
    if not froms and tokens[1].token_type in _TARGET_NAME:
        t = tokens[1]
        return [tokens[0], Token(TokenType.FROM, "FROM", t.line, t.col, t.start, t.start), *tokens[1:]]
    return tokens


def _matching_paren(tokens: list[Token], i: int) -> int:
    """Index of the ``)`` that closes the ``(`` at ``tokens[i]`` (the last index when it never closes)."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += (tokens[j].token_type == TokenType.L_PAREN) - (tokens[j].token_type == TokenType.R_PAREN)
        if depth == 0:
            return j
    return len(tokens) - 1


def _drop_output_columns(tokens: list[Token]) -> list[Token]:
    """``OUTPUT inserted.ID INTO @keys (ID)``: sqlglot reads OUTPUT ... INTO without the column list."""
    depth, seen_output = 0, False
    for i, t in enumerate(tokens):
        depth += (t.token_type == TokenType.L_PAREN) - (t.token_type == TokenType.R_PAREN)
        if depth or i + 1 >= len(tokens):
            continue
        if t.text.upper() == "OUTPUT":
            seen_output = True
        elif seen_output and t.token_type == TokenType.INTO:
            j = i + 1
            while j < len(tokens) and tokens[j].token_type in _TARGET_NAME:
                j += 1
            if j < len(tokens) and tokens[j].token_type == TokenType.L_PAREN:
                return tokens[:j] + tokens[_matching_paren(tokens, j) + 1 :]
            return tokens
    return tokens


def _drop_cursor_options(tokens: list[Token]) -> list[Token]:
    """A cursor query's trailing ``FOR UPDATE [OF cols]`` / ``FOR READ ONLY`` is the cursor's, not the query's."""
    depth = 0
    for i, t in enumerate(tokens):
        depth += (t.token_type == TokenType.L_PAREN) - (t.token_type == TokenType.R_PAREN)
        nxt = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
        if depth == 0 and t.token_type == TokenType.FOR and nxt in ("UPDATE", "READ"):
            return tokens[:i]
    return tokens


def _parse_condition(tokens: list[Token], text: str) -> exp.Expression:
    """``IF (SELECT COUNT(*) FROM x) > 0``, which sqlglot's IF cannot read: the condition parsed as a
    SELECT expression, wrapped back into an IF/WHILE block."""
    first = tokens[0]
    select = Token(TokenType.SELECT, "SELECT", first.line, first.col, first.start, first.end)
    query = _DIALECT.parser().parse([select, *tokens[1:]], text)[0]
    if not isinstance(query, exp.Select) or len(query.expressions) != 1 or query.args.get("from_"):
        raise ParseError(f"cannot read the condition of {first.text.upper()}")
    block = exp.IfBlock if first.text.upper() == "IF" else exp.WhileBlock
    return block(this=query.expressions[0])


def _parse_insert_exec(tokens: list[Token], text: str) -> exp.Insert | None:
    """``INSERT INTO #t (a, b) EXEC bspX @co = 1`` (sqlglot cannot read it): the INSERT with an EXEC as its source."""
    k = next((j for j, t in enumerate(tokens) if t.token_type == TokenType.EXECUTE), None)
    if tokens[0].token_type != TokenType.INSERT or not k or k + 1 >= len(tokens):
        return None
    last = tokens[k - 1]
    select = Token(TokenType.SELECT, "SELECT", last.line, last.col, last.start, last.end)
    one = Token(TokenType.NUMBER, "1", last.line, last.col, last.start, last.end)
    insert = _DIALECT.parser().parse([*tokens[:k], select, one], text)[0]
    try:
        source = _DIALECT.parser().parse(tokens[k:], text)[0]
    except ParseError:
        source = command_node("EXEC", tokens[k:], text)  # INSERT ... EXEC (@sql)
    if not isinstance(insert, exp.Insert):
        return None
    insert.set("expression", source)
    return insert


def _parse_tokens(tokens: list[Token], text: str, role: str | None) -> list[exp.Expression]:
    word = tokens[0].text.upper()
    if word == "DELETE":
        tokens = _normalise_delete(tokens)
    if word in ("INSERT", "UPDATE", "DELETE", "MERGE", "WITH"):
        tokens = _drop_output_columns(tokens)
    if role == "cursor":
        tokens = _drop_cursor_options(tokens)
    try:
        return _DIALECT.parser().parse(tokens, text)
    except ParseError:
        if word in ("EXEC", "EXECUTE") and len(tokens) > 1 and tokens[1].token_type == TokenType.L_PAREN:
            return [command_node("EXEC", tokens, text)]  # EXEC (@sql + @where): dynamic SQL
        insert = _parse_insert_exec(tokens, text) if word == "INSERT" else None
        if insert is not None:
            return [insert]
        if word not in ("IF", "WHILE") or len(tokens) < 2:
            raise
        try:
            return [_parse_condition(tokens, text)]
        except ParseError:
            pass
        raise


_ALONE = frozenset({"BREAK", "CONTINUE", "CHECKPOINT", "REVERT"})
_CURSOR_COMMANDS = frozenset({"OPEN", "CLOSE", "DEALLOCATE"})
_FETCH_DIRECTIONS = frozenset({"NEXT", "PRIOR", "FIRST", "LAST", "ABSOLUTE", "RELATIVE", "FROM"})
_NEXT_WORD = {"WAITFOR": ("DELAY", "TIME"), "SAVE": ("TRAN", "TRANSACTION"), "FETCH": tuple(_FETCH_DIRECTIONS)}


def _one_expression(tokens: list[Token], text: str) -> bool:
    """``@rcode``, ``'Done: ' + @msg``: one expression (``the unpaid invoices`` is prose, not an expression)."""
    first = tokens[0]
    select = Token(TokenType.SELECT, "SELECT", first.line, first.col, first.start, first.start)
    try:
        q = _DIALECT.parser().parse([select, *tokens], text)[0]
    except ParseError:
        return False
    return isinstance(q, exp.Select) and len(q.expressions) == 1 and not isinstance(q.expressions[0], exp.Alias)


def _command_ok(word: str, tokens: list[Token], text: str) -> bool:
    """Whether a control statement has its T-SQL shape, so that prose starting with a keyword ("Return the
    unpaid invoices", "Open invoices by vendor") is still reported as not T-SQL."""
    rest = tokens[1:]
    nxt = rest[0].text.upper() if rest else ""
    if word in _ALONE:
        return not rest
    if word == "GOTO":
        return len(rest) == 1 and rest[0].token_type == TokenType.VAR
    if word in _CURSOR_COMMANDS:
        names = rest[1:] if nxt == "GLOBAL" else rest
        plain = len(names) == 1 and names[0].token_type in (TokenType.VAR, TokenType.IDENTIFIER)
        return plain or (len(names) == 2 and names[0].token_type == TokenType.PARAMETER)  # a cursor variable
    if word == "FETCH" and len(rest) >= 1 and rest[0].token_type == TokenType.VAR:  # FETCH c INTO @a
        return len(rest) == 1 or rest[1].token_type == TokenType.INTO or nxt in _FETCH_DIRECTIONS
    if word in _NEXT_WORD:
        return nxt in _NEXT_WORD[word]
    if word == "RAISERROR":  # RAISERROR (@msg, 11, -1) or the old RAISERROR 50000 @msg
        return bool(rest) and rest[0].token_type in (TokenType.L_PAREN, TokenType.NUMBER)
    if word == "THROW":
        return not rest or rest[0].token_type in (TokenType.NUMBER, TokenType.PARAMETER)
    if word == "KILL":
        return bool(rest) and rest[0].token_type in (TokenType.NUMBER, TokenType.STRING)
    if word in ("RETURN", "PRINT"):
        return (word == "RETURN" and not rest) or (bool(rest) and _one_expression(rest, text))
    return True  # DBCC, READTEXT, WRITETEXT, UPDATETEXT, SETUSER, RECONFIGURE


def _parse_chunk(chunk: Chunk, text: str) -> tuple[list[exp.Expression], bool]:
    """The statement node(s) of one chunk and whether they are known statements (not possibly prose);
    raises ParseError when sqlglot cannot parse it."""
    tokens = chunk.tokens
    if chunk.module_header is not None:
        return [module_node(chunk.module_header)], True
    word = tokens[0].text.upper()
    if chunk.role == "label":
        return [exp.Command(this="LABEL", expression=exp.Literal.string(tokens[0].text))], True
    if word == "RETURN" and chunk.role == "returned":
        return _DIALECT.parser().parse(returned_query(tokens), text), True
    if word in COMMAND_WORDS and _command_ok(word, tokens, text):
        return [command_node(word, tokens, text)], True
    if is_cursor_declaration(tokens):
        return [command_node("DECLARE CURSOR", tokens, text)], True
    return _parse_tokens(tokens, text, chunk.role), False


def _prose(text: str, start: int, line: int, col: int) -> Finding:
    snippet = " ".join(text[start : start + 60].split())
    return Finding(PARSE_ERROR, ERROR, f"not a T-SQL statement: '{snippet}'", line, col)


def parse_all(sql: str) -> ParsedScript:
    """Every statement with its position and module, and one ``parse_error`` per statement that does not parse."""
    if not sql or not sql.strip():
        return ParsedScript((), (Finding(PARSE_ERROR, ERROR, "no SQL: the text is empty"),))
    text, batch_ends = _blank_go(sql)
    try:
        tokens = _fix_tokens(_DIALECT.tokenize(text))
    except TokenError as err:
        return ParsedScript((), (_error_finding(err, sql),))
    out: list[Statement] = []
    errors: list[Finding] = []
    unparsed: list[Unparsed] = []
    modules: list[Module] = []
    for chunk in split_statements(tokens, text, batch_ends):
        start, end = chunk.tokens[0].start, chunk.tokens[-1].end + 1
        query = returned_query(chunk.tokens) if chunk.tokens[0].text.upper() == "RETURN" else None
        if query is not None:  # RETURN (SELECT ...): an inline function's body, where its query starts
            chunk.role, start, end = "returned", query[0].start, query[-1].end + 1
        line, col = position(text, start)
        if chunk.module_header is not None:
            modules.append(chunk.module_header)
        try:
            parsed, known = _parse_chunk(chunk, text)
        except ParseError as err:
            finding = _error_finding(err, sql)
            errors.append(finding)
            unparsed.append(Unparsed(line, col, finding, chunk.module, start, end))
            continue
        for node in (n for n in parsed if n is not None):
            if not known and not is_statement(node):
                finding = _prose(text, start, line, col)
                errors.append(finding)
                unparsed.append(Unparsed(line, col, finding, chunk.module, start, end))
                continue
            out.append(Statement(node, line, col, chunk.module, chunk.role, start, end))
    if not out and not errors:
        errors.append(Finding(PARSE_ERROR, ERROR, "no SQL statement found in the text"))
    return ParsedScript(tuple(out), tuple(errors), tuple(unparsed), tuple(modules))


def parse_statements(sql: str) -> tuple[list[Statement], Finding | None]:
    """Statements with positions, and the first parse error (if any) as a ``parse_error`` finding."""
    p = parse_all(sql)
    return list(p.statements), (p.errors[0] if p.errors else None)


def parse_script(sql: str) -> tuple[list[exp.Expression], Finding | None]:
    """Parse a script with the tsql dialect; errors become a ``parse_error`` Finding (never raises)."""
    stmts, err = parse_statements(sql)
    return [s.node for s in stmts], err
