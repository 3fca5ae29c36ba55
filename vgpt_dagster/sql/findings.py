"""Result types of the T-SQL analyzer: findings, table references, joins and the whole analysis.

These are the contract between the analyzer (``sql.analyze``) and its users (dataset audits, the
validation judge, the CLI). ``Analysis.to_dict()`` is the stable ``--json`` shape documented in docs/cli.md.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"

# Rule names (Finding.rule). Each non-parse rule is one module in sql/rules/.
PARSE_ERROR = "parse_error"
NOT_SELECT = "not_select"  # INSERT/UPDATE/DELETE/DROP/EXEC/... where data was asked for
UNKNOWN_OBJECT = "unknown_object"  # table/view not in the catalog
OBJECT_CASE = "object_case"  # exists, but spelled with other case (binary collation)
UNKNOWN_COLUMN = "unknown_column"
COLUMN_CASE = "column_case"
MISSING_NOLOCK = "missing_nolock"
INCOMPLETE_JOIN = "incomplete_join"  # join misses columns of the composite key
MISSING_COMPANY_FILTER = "missing_company_filter"
UNQUALIFIED_AMBIGUOUS_COLUMN = "ambiguous_column"


@dataclass(frozen=True)
class Finding:
    """One problem (or note) found in a statement; ``line``/``col`` are 1-based when known."""

    rule: str
    severity: str
    message: str
    line: int | None = None
    col: int | None = None
    object: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class TableRef:
    """A table reference in FROM/JOIN/APPLY. ``kind``: catalog, cte, temp, table_variable, unknown."""

    name: str
    resolved: str | None
    alias: str | None
    nolock: bool
    kind: str


@dataclass(frozen=True)
class JoinInfo:
    """A join between two catalog objects; ``complete`` is None when the catalog knows no relationship."""

    left: str
    right: str
    kind: str
    on_pairs: tuple[tuple[str, str], ...]
    required: tuple[tuple[str, str], ...]
    complete: bool | None

    @property
    def missing(self) -> tuple[tuple[str, str], ...]:
        used = {(a.lower(), b.lower()) for a, b in self.on_pairs} | {(b.lower(), a.lower()) for a, b in self.on_pairs}
        return tuple(p for p in self.required if (p[0].lower(), p[1].lower()) not in used)


@dataclass(frozen=True)
class StatementReport:
    """One statement that reads or writes rows: where it is, its kind, its module, the objects it uses."""

    line: int
    col: int
    kind: str
    module: str | None
    role: str | None
    objects: tuple[str, ...]


@dataclass(frozen=True)
class ScriptReport:
    """Per file: statements found, analysed (parsed and checked), unparseable (with reasons), objects used.

    ``data`` counts the analysed statements that read or write rows (``statements`` lists them);
    ``objects`` maps a source kind (catalog, system, pseudo, temp, table_variable, cte, function, created,
    unknown) to the names used; ``modules`` are the procedures/functions/triggers/views the file defines.
    """

    found: int
    analysed: int
    data: int
    unparseable: tuple[dict[str, Any], ...] = ()
    modules: tuple[dict[str, Any], ...] = ()
    objects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    statements: tuple[StatementReport, ...] = ()

    @property
    def analysed_share(self) -> float:
        return self.analysed / self.found if self.found else 0.0


@dataclass(frozen=True)
class Analysis:
    """Everything the analyzer found in one statement or script."""

    sql: str
    parsed: bool
    statements: tuple[str, ...] = ()
    tables: tuple[TableRef, ...] = ()
    joins: tuple[JoinInfo, ...] = ()
    findings: tuple[Finding, ...] = ()
    company_filter: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    report: ScriptReport | None = None

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def ok(self) -> bool:
        """Parsed and no error-level finding: the bar every SQL in training data must clear."""
        return self.parsed and not self.errors

    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    @property
    def catalog_objects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.resolved for t in self.tables if t.resolved))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        d["error_count"] = len(self.errors)
        return d
