"""Run T-SQL on the sandbox: transpile to DuckDB with sqlglot, execute read-only with a timeout and a row cap.

Every query ends in one of four outcomes: ``rows`` (with the columns and at most ``row_cap`` rows),
``transpile_error`` (sqlglot cannot read it as T-SQL, or it is not a read-only query), ``execution_error``
(DuckDB refuses it: unknown table or column, a type error, ...) or ``timeout``. Nothing raises for a bad
query: a model's answer is data, not a crash.

What the transpiler does beyond sqlglot's T-SQL -> DuckDB translation (``WITH (NOLOCK)`` dropped, ``TOP`` ->
``LIMIT``, brackets, ``ISNULL`` -> ``COALESCE``, ``DATEADD``/``DATEDIFF``/``YEAR``/``MONTH``...):

* ``GETDATE()``, ``SYSDATETIME()``, ``GETUTCDATE()``, ``CURRENT_TIMESTAMP`` become the sandbox's fixed
  ``reference_date`` (midnight), so date-relative queries are deterministic and hit the synthetic months;
* ``@Param`` placeholders are bound, in this order: a ``DECLARE @p ... = value`` or ``SET @p = value`` earlier in
  the script; ``sandbox.parameters`` in configs/validation.yaml; else by name — a count or threshold
  (``@Days`` 30, ``@Months`` 3, ``@Years`` 1, ``@TopN`` 10, ``@MinAmount`` 1000, ...) is that number, a name
  ending in ``Co`` (or
  ``Company``) is the first configured company, one with ``Date``/``Mth``/``Month`` the first day of the
  reference month, one with ``Year`` its year, anything else the text ``'1'`` (DuckDB casts it where it meets
  a number);
* an integer where T-SQL expects a date (``DATEADD(month, DATEDIFF(month, 0, GETDATE()), 0)``) is that many
  days after 1900-01-01;
* ``dbo.`` / database prefixes are dropped (every table lives in one schema), ``'a' + b`` with a string literal
  becomes ``||``;
* only ``SELECT`` / ``WITH`` / set operations run; ``DECLARE``, ``SET @p`` and ``SET NOCOUNT`` are read for
  bindings; anything else (INSERT, UPDATE, EXEC, ATTACH, ...) is refused before DuckDB sees it — and the file is
  opened read-only with external access disabled, so even a query that got through could not write or read
  anything else.

Examples:
    >>> t = transpile("SELECT TOP 5 APCo FROM dbo.APTH WITH (NOLOCK) WHERE APCo = @APCo", TranspileOptions())
    >>> t.sql, t.limited, t.ordered
    ('SELECT APCo FROM APTH WHERE APCo = 1 LIMIT 5', True, False)
"""

import datetime as dt
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

OUTCOMES = ("rows", "transpile_error", "execution_error", "timeout")
_NOW_NODES = (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentDatetime)
_T_SQL_DAY_ZERO = dt.date(1900, 1, 1)
# @Days, @Months, @TopN, @MinAmount ...: counts and thresholds are numbers (checked before the name rules)
_COUNT_PARAMS = (
    ("days", 30),
    ("weeks", 4),
    ("months", 3),
    ("years", 1),
    ("count", 5),
    ("top", 10),
    ("topn", 10),
    ("limit", 10),
    ("amount", 1000),
    ("threshold", 1000),
    ("pct", 10),
    ("percent", 10),
)
_NOW_NAMES = {"GETUTCDATE", "SYSUTCDATETIME", "SYSDATETIMEOFFSET", "GETDATE", "SYSDATETIME"}


class TranspileError(Exception):
    """The text is not a read-only T-SQL query sqlglot can translate."""


@dataclass(frozen=True)
class TranspileOptions:
    reference_date: dt.date = dt.date(2024, 7, 1)
    company: int = 1
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transpiled:
    sql: str  # DuckDB SQL of the query that answers
    ordered: bool  # the top-level query has ORDER BY
    limited: bool  # ... and a TOP/LIMIT
    unlimited_sql: str  # the same query without its top-level TOP/LIMIT (to compare TOP without ORDER BY)


@dataclass(frozen=True)
class Outcome:
    """What one query did on one sandbox file."""

    status: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    truncated: bool = False
    error: str = ""
    sql: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "rows"

    def to_dict(self, max_rows: int = 50) -> dict[str, Any]:
        return {
            "status": self.status,
            "columns": list(self.columns),
            "rows": [[_jsonable(v) for v in r] for r in self.rows[:max_rows]],
            "row_count": len(self.rows),
            "truncated": self.truncated,
            "error": self.error,
            "sql": self.sql,
            "seconds": round(self.seconds, 4),
        }


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, dt.date | dt.datetime | dt.time):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


# -- transpiling -----------------------------------------------------------------------------------------
def _param_default(name: str, opts: TranspileOptions) -> exp.Expression:
    low = name.lower()
    for k, v in opts.parameters.items():
        if k.lower().lstrip("@") == low:
            return exp.Literal.string(v) if isinstance(v, str) else exp.Literal.number(v)
    ref = opts.reference_date
    for suffix, number in _COUNT_PARAMS:
        if low.endswith(suffix):
            return exp.Literal.number(number)
    if low.endswith("co") or low == "company":
        return exp.Literal.number(opts.company)
    if any(w in low for w in ("date", "mth", "month")):
        return exp.cast(exp.Literal.string(dt.date(ref.year, ref.month, 1).isoformat()), "DATE")
    if "year" in low:
        return exp.Literal.number(ref.year)
    return exp.Literal.string("1")  # compares with text and (cast by DuckDB) with numbers alike


def _bindings(stmt: exp.Expression, bound: dict[str, exp.Expression]) -> bool:
    """Read DECLARE / SET @p bindings into ``bound``; True when ``stmt`` was such a statement (or SET NOCOUNT)."""
    if isinstance(stmt, exp.Declare):
        for item in stmt.expressions:
            default = item.args.get("default")
            for p in item.this if isinstance(item.this, list) else [item.this]:
                if default is not None and isinstance(p, exp.Parameter):
                    bound[p.name.lower()] = default
        return True
    if isinstance(stmt, exp.Set):
        for item in stmt.expressions:
            eq = item.this
            if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Parameter):
                bound[eq.this.name.lower()] = eq.expression
        return True
    return False


def _rewrite(node: exp.Expression, bound: Mapping[str, exp.Expression], opts: TranspileOptions) -> exp.Expression:
    now = exp.cast(exp.Literal.string(f"{opts.reference_date.isoformat()} 00:00:00"), "TIMESTAMP")
    if isinstance(node, _NOW_NODES) or (isinstance(node, exp.Anonymous) and node.name.upper() in _NOW_NAMES):
        return now.copy()
    if isinstance(node, exp.Parameter):
        value = bound.get(node.name.lower())
        return (value if value is not None else _param_default(node.name, opts)).copy()
    if isinstance(node, exp.DateAdd) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        # T-SQL reads an integer as a date: 0 is 1900-01-01 (DATEADD(month, DATEDIFF(month, 0, x), 0) idiom)
        day = _T_SQL_DAY_ZERO + dt.timedelta(days=int(float(node.this.name)))
        node.set("this", exp.cast(exp.Literal.string(f"{day.isoformat()} 00:00:00"), "TIMESTAMP"))
    if isinstance(node, exp.Table):
        node.set("db", None)
        node.set("catalog", None)
    if isinstance(node, exp.Add) and any(
        isinstance(side, exp.Literal) and side.is_string for side in (node.this, node.expression)
    ):
        return exp.DPipe(this=node.this, expression=node.expression)
    return node


def transpile(sql: str, opts: TranspileOptions) -> Transpiled:
    """T-SQL text -> the DuckDB query that answers it (the last SELECT of the script)."""
    try:
        stmts = [s for s in sqlglot.parse(sql, read="tsql") if s is not None]
    except SqlglotError as err:
        raise TranspileError(f"not valid T-SQL: {str(err).splitlines()[0][:300]}") from None
    bound: dict[str, exp.Expression] = {}
    queries = []
    for s in stmts:
        if _bindings(s, bound):
            continue
        if not isinstance(s, exp.Query):
            raise TranspileError(
                f"only read-only SELECT queries run on the sandbox; this is a {s.key.upper()} statement."
            )
        queries.append(s)
    if not queries:
        raise TranspileError("no SELECT statement found.")
    tree = queries[-1].transform(lambda n: _rewrite(n, bound, opts))
    ordered = bool(tree.args.get("order"))
    limited = bool(tree.args.get("limit"))
    bare = tree.copy()
    bare.set("limit", None)
    try:
        out = tree.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
        unlimited = bare.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as err:
        raise TranspileError(f"cannot translate to DuckDB: {str(err).splitlines()[0][:300]}") from None
    return Transpiled(out, ordered, limited, unlimited)


# -- executing -------------------------------------------------------------------------------------------
class SandboxConnection:
    """One sandbox file opened read-only; ``run`` never raises for a bad query."""

    def __init__(self, path: Path, timeout_s: float = 10.0, row_cap: int = 10000):
        import duckdb  # noqa: PLC0415

        self.path = Path(path)
        if not self.path.is_file():
            from vgpt_dagster.errors import ValidationError  # noqa: PLC0415

            raise ValidationError(
                f"{path}: sandbox database not found. Materialize the `vista_sandbox` asset (`dagster asset "
                "materialize -m vgpt_dagster.definitions --select vista_sandbox`), or run `vgpt sql run` once "
                "without --sandbox: it builds the default sandbox."
            )
        self.timeout_s, self.row_cap = timeout_s, row_cap
        self._duckdb = duckdb
        self.con = duckdb.connect(
            str(self.path),
            read_only=True,
            config={"threads": 1, "enable_external_access": False, "lock_configuration": True},
        )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "SandboxConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def execute(self, duck_sql: str) -> Outcome:
        """Run DuckDB SQL (already transpiled) with the timeout and the row cap."""
        t0 = time.perf_counter()
        timer = threading.Timer(self.timeout_s, self.con.interrupt)
        timer.start()
        try:
            cur = self.con.execute(duck_sql)
            cols = tuple(d[0] for d in cur.description or ())
            rows = cur.fetchmany(self.row_cap + 1)
        except self._duckdb.InterruptException:
            return Outcome("timeout", error=f"interrupted after {self.timeout_s:g}s", sql=duck_sql, seconds=_since(t0))
        except self._duckdb.Error as err:
            msg = str(err).splitlines()[0][:300]
            return Outcome("execution_error", error=msg, sql=duck_sql, seconds=_since(t0))
        finally:
            timer.cancel()
        truncated = len(rows) > self.row_cap
        return Outcome("rows", cols, tuple(rows[: self.row_cap]), truncated, sql=duck_sql, seconds=_since(t0))

    def run(self, sql: str, opts: TranspileOptions) -> Outcome:
        """Transpile T-SQL and execute it; every failure is an outcome, not an exception."""
        try:
            t = transpile(sql, opts)
        except TranspileError as err:
            return Outcome("transpile_error", error=str(err))
        return self.execute(t.sql)


def _since(t0: float) -> float:
    return time.perf_counter() - t0


def outcome_counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    return {k: sum(o.status == k for o in outcomes) for k in OUTCOMES}
