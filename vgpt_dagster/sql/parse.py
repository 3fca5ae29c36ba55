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

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from vgpt_dagster.sql.dialect import SCRIPT_DIALECT, TOKEN_REPR, quiet_command_fallback
from vgpt_dagster.sql.findings import ERROR, PARSE_ERROR, Finding
from vgpt_dagster.sql.procedural import (
    COMMAND_WORDS,
    Module,
    command_node,
    is_cursor_declaration,
    module_node,
    returned_query,
)
from vgpt_dagster.sql.split import TARGET_NAME, Chunk, blank_go, fix_tokens, position, split_statements
from vgpt_dagster.sql.statements import ParsedScript, Statement, Unparsed, is_statement


def _error_finding(err: ParseError | TokenError, sql: str) -> Finding:
    errors = getattr(err, "errors", None) or []
    if errors:
        e = errors[0]
        highlight = e.get("highlight") or ""
        line, col = e.get("line"), e.get("col")
        if isinstance(col, int) and highlight and "\n" not in highlight:
            col = max(col - len(highlight) + 1, 1)  # sqlglot reports the token's last column
        desc = TOKEN_REPR.sub(r"'\1'", e.get("description") or "invalid SQL")
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
    if not froms and tokens[1].token_type in TARGET_NAME:
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
            while j < len(tokens) and tokens[j].token_type in TARGET_NAME:
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
    query = SCRIPT_DIALECT.parser().parse([select, *tokens[1:]], text)[0]
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
    insert = SCRIPT_DIALECT.parser().parse([*tokens[:k], select, one], text)[0]
    try:
        source = SCRIPT_DIALECT.parser().parse(tokens[k:], text)[0]
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
        return SCRIPT_DIALECT.parser().parse(tokens, text)
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
        q = SCRIPT_DIALECT.parser().parse([select, *tokens], text)[0]
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
        return SCRIPT_DIALECT.parser().parse(returned_query(tokens), text), True
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
    quiet_command_fallback()
    text, batch_ends = blank_go(sql)
    try:
        tokens = fix_tokens(SCRIPT_DIALECT.tokenize(text))
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
