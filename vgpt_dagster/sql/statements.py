"""What a parsed statement is: its kind (SELECT, INSERT, EXEC, ...), and the parsed script's records."""

from dataclasses import dataclass, field

from sqlglot import exp

from vgpt_dagster.sql.findings import Finding
from vgpt_dagster.sql.procedural import (
    Module,
)

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
