"""What the SQL in a dataset means, audited: core objects, join evidence, the company asked for, literal types.

Each audit reads the SQL statements of one answer column (through the shared :class:`SqlChecker`, so each
statement is analysed once per build) and returns an :class:`AuditResult` whose metrics are the figures the
Dagster UI shows:

* ``<name>_core_object_share``: share of FROM/JOIN references to the core business objects
  (``core_objects``) and to system objects (``system_modules``, portal ``p*``, ``frl_*``, ``ud*``, no module);
* ``<name>_join_evidence``: share of joins between catalog objects that have evidence
  (:meth:`Catalog.join_evidence`: declared FK, Viewpoint's observed joins, header/detail key extension);
* ``<name>_company_consistency``: an instruction naming "company N" gets SQL whose company filters are all N;
* ``<name>_literal_types``: comparisons of a column with a literal of another type (``Mth = 5``,
  ``InvTotal = 'ABC'``), invented placeholder codes (``'REC1'``) and SUMs over rates or identifiers.

Examples:
    >>> literal_problem("numeric", "'ABC'"), literal_problem("smalldatetime", "'2024-01-01'")
    ('string literal on a numeric column', None)
    >>> company_numbers("Query the Invoice table for company 2."), company_numbers("SL change orders in co 10")
    ({2}, {10})
"""

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import polars as pl

from vgpt_dagster.catalog.evidence import EVIDENCE_KINDS
from vgpt_dagster.catalog.model import CatalogObject
from vgpt_dagster.datasets.audit_checks import AuditResult, result, texts
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.datasets.sqlgen import DATES, INTEGER, NUMERIC, STRINGS, ObjectFacts, is_additive
from vgpt_dagster.sql.lookup import catalog_memo

_COMPANY_ASK = re.compile(r"\b(?:compan(?:y|ies)|co\.?) ?#?(\d+)\b", re.I)  # "company 2", "co 10", "Co. 3"
# column (alias and brackets skipped), operator, literal: "a.[Mth] >= '2024-01-01'" -> ("Mth", ">=", "'2024-01-01'")
_COMPARE = re.compile(r"\b([A-Za-z_]\w*)\]?\s*(=|<>|!=|>=|<=|>|<)\s*(N?'(?:[^']|'')*'|-?\d+(?:\.\d+)?)(?!\w)")
_SUM = re.compile(r"\bSUM\(\s*(?:[A-Za-z_]\w*\.)?\[?([A-Za-z_]\w*)\]?\s*\)", re.I)
_PLACEHOLDER = re.compile(r"^'[A-Z]{3}\d+'$")
_DATE = re.compile(r"^'\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?'$")
_PORTAL = re.compile(r"^(p[A-Z]|pv|ptv|frl_|ud|bud|cv)")


def is_system_object(obj: CatalogObject, system_modules: Iterable[str]) -> bool:
    """Platform objects (data dictionary, portal, workflow, user-defined): not what users ask about."""
    return obj.module is None or obj.module in set(system_modules) or bool(_PORTAL.match(obj.name))


def object_weights(facts: list[ObjectFacts], cfg: DatasetsConfig, base: int = 4) -> dict[str, int]:
    """Query variants per object for the raw-object SQL records: core objects more, system objects fewer."""
    core = set(cfg.core_objects)
    out = {}
    for f in facts:
        if f.name in core:
            out[f.name] = base * cfg.core_object_weight
        elif is_system_object(f.obj, cfg.system_modules):
            out[f.name] = round(base * cfg.system_object_weight)
        else:
            out[f.name] = base
    return out


def company_numbers(instruction: str) -> set[int]:
    """The company numbers an instruction asks for ("for company 2" -> {2})."""
    return {int(m) for m in _COMPANY_ASK.findall(instruction)}


def literal_problem(base_type: str | None, lit: str) -> str | None:
    """Why a literal does not fit a column of ``base_type`` (None when it fits or the type is unknown)."""
    t = (base_type or "").lower()
    is_str = lit.startswith(("'", "N'"))
    if t in NUMERIC | INTEGER | {"bit"} and is_str:
        return f"string literal on a{'n' if t[0] in 'aeiou' else ''} {t} column"
    if t in DATES and not (is_str and _DATE.match(lit.lstrip("N"))):
        return f"{'non-date string' if is_str else 'number'} on a {t} column"
    if t in STRINGS and is_str and _PLACEHOLDER.match(lit.lstrip("N")):
        return f"invented placeholder code {lit}"
    return None


@lru_cache(maxsize=1 << 17)
def _comparisons(sql: str) -> tuple[tuple[str, str, str], ...]:
    """(column, operator, literal) of every column-literal comparison (cached: several audits ask)."""
    if "=" not in sql and "<" not in sql and ">" not in sql:
        return ()
    return tuple(_COMPARE.findall(sql))


def _ids(df: pl.DataFrame) -> list:
    return df["id"].to_list() if "id" in df.columns else list(range(df.height))


def _objects(checker: SqlChecker, sql: str) -> list[CatalogObject]:
    memo = catalog_memo(checker.catalog)
    out = []
    for t in checker.analyze(sql).tables:
        obj = memo.resolve(t.resolved) if t.resolved else None
        if obj is not None and obj not in out:
            out.append(obj)
    return out


def _column_type(objs: list[CatalogObject], column: str) -> str | None:
    for o in objs:
        c = o.column(column)
        if c is not None:
            return c.base_type
    return None


def statement_literal_problems(checker: SqlChecker, sql: str) -> list[str]:
    """Literal-type problems and SUMs over non-additive columns in one statement."""
    objs = _objects(checker, sql)
    out = []
    for col, _op, lit in _comparisons(sql):
        why = literal_problem(_column_type(objs, col), lit)
        if why:
            out.append(f"{col} {lit}: {why}")
    for col in _SUM.findall(sql):
        c = next((o.column(col) for o in objs if o.column(col)), None)
        if c is not None and not is_additive(c):
            out.append(f"SUM({col}): {col} is not an amount, hours or units column")
    return out


def audit_literal_types(name: str, df: pl.DataFrame, col: str, checker: SqlChecker, max_errors: int) -> AuditResult:
    """Literals of the column's type; no placeholder codes; SUM only over money, hours and units."""
    failures, kinds, statements = [], Counter(), 0
    for rid, text in zip(_ids(df), texts(df, col), strict=True):
        for sql in checker.extract(text):
            statements += 1
            for p in statement_literal_problems(checker, sql):
                kinds[p.split(": ", 1)[1].split(" ")[0] if p.startswith("SUM") else p.split(": ", 1)[1]] += 1
                failures.append({"id": rid, "problem": p})
    metrics = {"sql_statements": statements, "literal_type_errors": len(failures), "max_errors": max_errors}
    metrics |= {f"kind: {k}": v for k, v in kinds.most_common(5)}
    return result(
        f"{name}_literal_types",
        len(failures) <= max_errors,
        metrics,
        failures,
        "Every literal must have the column's type (dates for date columns, numbers for numeric ones), no "
        "invented codes such as 'REC1', and SUM only over amounts, hours or units (never rates or identifiers).",
    )


def _company_literals(checker: SqlChecker, sqls: tuple[str, ...]) -> set[int]:
    """Company numbers the statements pin with a literal (``APCo = 2``) on a company column of their objects."""
    memo = catalog_memo(checker.catalog)
    got: set[int] = set()
    for sql in sqls:
        company_cols = {c.lower() for o in _objects(checker, sql) if (c := memo.company_column(o.name))}
        got |= {int(lit) for c, op, lit in _comparisons(sql) if op == "=" and c.lower() in company_cols
                and lit.isdigit()}  # fmt: skip
    return got


def audit_company_consistency(name: str, df: pl.DataFrame, col: str, checker: SqlChecker, max_bad: int) -> AuditResult:
    """An instruction that names company N gets SQL whose literal company filters are all N.

    Also counted (a figure, not blocking): answers to questions naming no company that pin one anyway
    instead of a parameter (``@APCo``).
    """
    asked = mismatched = unasked = invented = 0
    failures = []
    inputs = df["input"].to_list() if "input" in df.columns else [""] * df.height
    for rid, ins, given, text in zip(_ids(df), df["instruction"].to_list(), inputs, texts(df, col), strict=True):
        sqls = checker.extract(text)
        if not sqls:
            continue
        # the company asked for: named in the instruction, or pinned by the user's own SQL in the input
        want = company_numbers(ins) or (_company_literals(checker, checker.extract(given)) if given else set())
        got = _company_literals(checker, sqls)
        if not want:
            unasked += 1
            invented += bool(got)
            continue
        if len(want) != 1:
            continue
        asked += 1
        if got - want:
            mismatched += 1
            failures.append({"id": rid, "asked": sorted(want), "filtered": sorted(got)})
    metrics = {
        "records_naming_a_company": asked,
        "other_company_filtered": mismatched,
        "max_mismatches": max_bad,
        "records_naming_no_company": unasked,
        "of_which_pin_a_company_number": invented,
    }
    return result(
        f"{name}_company_consistency",
        mismatched <= max_bad,
        metrics,
        failures,
        'An answer filters the company the question asked for, with that number ("for company 2" -> = 2); '
        "a question naming no company is answered with a parameter (@APCo).",
    )


def audit_join_evidence(name: str, df: pl.DataFrame, col: str, checker: SqlChecker, min_share: float) -> AuditResult:
    """Every join between two catalog objects rests on evidence (FK, observed in Viewpoint's views, header/detail)."""
    catalog = checker.catalog
    evidence: dict[tuple[str, str], object] = {}
    kinds: Counter = Counter()
    failures = []
    for rid, text in zip(_ids(df), texts(df, col), strict=True):
        for sql in checker.extract(text):
            for j in checker.analyze(sql).joins:
                key = (j.left, j.right)
                ev = evidence[key] if key in evidence else evidence.setdefault(key, catalog.join_evidence(*key))
                kinds[ev.kind if ev else "none"] += 1
                if ev is None:
                    failures.append({"id": rid, "join": f"{j.left} -> {j.right}", "on": list(j.on_pairs)})
    total = sum(kinds.values())
    share = (total - kinds["none"]) / total if total else 1.0
    metrics = {"joins": total, "with_evidence": total - kinds["none"], "evidence_share": share, "min_share": min_share}
    metrics |= {f"evidence: {k}": kinds[k] for k in (*EVIDENCE_KINDS, "none")}
    return result(
        f"{name}_join_evidence",
        share >= min_share,
        metrics,
        failures,
        "Joins only with evidence: a declared foreign key, the join Viewpoint's own views use, or a header/detail "
        "pair whose child key extends the parent's; never a coincidental shared Seq/BatchSeq.",
    )


def audit_core_object_share(
    name: str, df: pl.DataFrame, col: str, checker: SqlChecker, cfg: DatasetsConfig
) -> AuditResult:
    """Share of FROM/JOIN references to the core business objects (at least) and to system objects (at most)."""
    catalog, core = checker.catalog, set(cfg.core_objects)
    core_bases = {catalog.base_table_of(c) for c in core if catalog.resolve(c)}
    refs = n_core = n_system = 0
    top: Counter = Counter()
    for text in texts(df, col):
        for sql in checker.extract(text):
            for obj in _objects(checker, sql):
                refs += 1
                top[obj.name] += 1
                n_core += obj.name in core or catalog.base_table_of(obj.name) in core_bases
                n_system += is_system_object(obj, cfg.system_modules)
    core_share, system_share = n_core / max(refs, 1), n_system / max(refs, 1)
    ok = refs == 0 or (core_share >= cfg.min_core_object_share and system_share <= cfg.max_system_object_share)
    metrics = {
        "references": refs,
        "core_share": core_share,
        "min_core_share": cfg.min_core_object_share,
        "system_share": system_share,
        "max_system_share": cfg.max_system_object_share,
        "distinct_objects": len(top),
    }
    return result(
        f"{name}_core_object_share",
        ok,
        metrics,
        [{"object": o, "references": n} for o, n in top.most_common(5)],
        "SQL should be about the objects Vista users ask about (APTH, JCCD, PREH, ...), not the platform's own "
        "DD/VP/WF/portal tables.",
    )
