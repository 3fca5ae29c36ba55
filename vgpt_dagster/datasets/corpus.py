"""Mine the user's own .sql files (report and expert queries, procedures, views) into sql_generation SFT examples.

Each file is parsed once with the analyzer's procedural walker (``sql.parse.parse_all``), which enters
``CREATE PROCEDURE/FUNCTION/TRIGGER/VIEW`` bodies and control flow. Every SELECT that returns rows from a
table (a plain query, a view's body, a cursor query, an inline function's ``RETURN (SELECT ...)``) is a
candidate, with the module's name as provenance (``procedure``). Candidates that reference only real
objects and columns are normalised to the conventions (``add_nolock``) and kept if they then pass every
rule; the rest are listed with the reason (an incomplete join or a missing company filter cannot be fixed
without knowing the author's intent, so those are skipped, not guessed). Statements that do not parse are
listed too; assignments (``SELECT @x = ...``) and statements that are not SELECTs are counted per file
(:func:`mine_sql_corpus_files`) but not listed one by one.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlglot import exp

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.sft_sources import fence
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.errors import DatasetError, SqlAnalysisError
from vgpt_dagster.sql.parse import parse_all
from vgpt_dagster.sql.statements import Statement

_COMMENT = re.compile(r"^\s*--\s*(?:title:)?\s*(.+)$", re.MULTILINE)


EXAMPLE_SCHEMA = {
    "category": pl.String,
    "instruction": pl.String,
    "input": pl.String,
    "output": pl.String,
    "sqls": pl.List(pl.String),
    "file": pl.String,
    "procedure": pl.String,
}
SKIPPED_SCHEMA = {"file": pl.String, "index": pl.Int64, "reason": pl.String, "sql": pl.String, "procedure": pl.String}
FILES_SCHEMA = {
    "file": pl.String,
    "statements": pl.Int64,
    "unparseable": pl.Int64,
    "selects": pl.Int64,
    "assignments": pl.Int64,
    "mined": pl.Int64,
    "skipped": pl.Int64,
}


def empty_corpus() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(examples, skipped) with no rows: what ``sql_corpus`` writes when no ``user_sql_dir`` is set."""
    return pl.DataFrame(schema=EXAMPLE_SCHEMA), pl.DataFrame(schema=SKIPPED_SCHEMA)


def _instruction(lead: str, objects: tuple[str, ...], file: str, procedure: str | None) -> str:
    comments = [m.group(1).strip() for m in _COMMENT.finditer(lead)]
    if comments and len(comments[-1]) > 10:
        return f"Write a Vista query: {comments[-1].rstrip('.')}."
    where = f"procedure {procedure} in {file}" if procedure else file
    return f"Write the Vista query from {where} over {', '.join(objects) or 'the catalog'}."


def _is_assignment(node: exp.Expression) -> bool:
    """``SELECT @x = col FROM ...`` sets variables; it returns no rows."""
    return isinstance(node, exp.Select) and any(
        isinstance(e, exp.EQ) and isinstance(e.this, exp.Parameter) for e in node.expressions
    )


def _reads_a_table(node: exp.Expression) -> bool:
    return node.find(exp.Table) is not None


@dataclass
class _FileMining:
    """Examples, skipped rows and counts of one file."""

    file: str
    examples: list[dict]
    skipped: list[dict]
    counts: dict[str, int]


def _mine_statement(stmt: Statement, text: str, lead: str, where: dict, catalog: Catalog, checker: SqlChecker):
    """(example, None) or (None, reason) for one candidate SELECT."""
    from vgpt_dagster.sql.rewrite import add_nolock

    chunk = text[stmt.start : stmt.end]
    first = checker.analyze(chunk)
    fatal = [f for f in first.errors if f.rule not in ("missing_nolock",)]
    if not first.parsed or fatal:
        f = (fatal or first.errors or [None])[0]
        return None, (f"{f.rule}: {f.message}" if f else "could not parse")
    if not first.catalog_objects:
        return None, "reads no Vista table or view (only SQL Server's catalog, temp tables or variables)"
    try:
        fixed = add_nolock(chunk, catalog)
    except SqlAnalysisError as err:
        return None, f"parse_error: {err}"
    a = checker.analyze(fixed)
    if not a.ok:
        return None, "; ".join(f"{f.rule}: {f.message}" for f in a.errors)
    note = (
        "Uses WITH (NOLOCK) on every table"
        + (", filters by company" if a.company_filter else "")
        + " and joins on complete keys."
    )
    example = {
        "category": "sql_generation",
        "instruction": _instruction(lead, a.catalog_objects, where["file"], where["procedure"]),
        "input": "",
        "output": f"{fence(fixed)}\n\n{note}",
        "sqls": [fixed],
    } | where
    return example, None


def _mine_file(path: Path, sql_dir: Path, catalog: Catalog, checker: SqlChecker) -> _FileMining:
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    file = str(path.relative_to(sql_dir))
    parsed = parse_all(text)
    m = _FileMining(file, [], [], {"statements": parsed.found, "unparseable": len(parsed.unparsed)})
    for k in ("selects", "assignments", "mined", "skipped"):
        m.counts[k] = 0
    items = sorted([*parsed.statements, *parsed.unparsed], key=lambda s: s.start or 0)
    prev_end = 0
    for idx, item in enumerate(items):
        lead, prev_end = text[prev_end : item.start or 0], item.end or prev_end
        proc = item.module.name if item.module else None
        where = {"file": file, "procedure": proc}
        if not isinstance(item, Statement):
            m.skipped.append(where | {"index": idx, "reason": f"parse_error: {item.finding.message}",
                                      "sql": text[item.start : item.end][:500]})  # fmt: skip
            continue
        if item.kind != "SELECT" or item.role == "header" or not _reads_a_table(item.node):
            continue
        if _is_assignment(item.node):
            m.counts["assignments"] += 1
            continue
        m.counts["selects"] += 1
        example, reason = _mine_statement(item, text, lead, where, catalog, checker)
        if example is not None:
            m.examples.append(example)
        else:
            m.skipped.append(where | {"index": idx, "reason": reason, "sql": text[item.start : item.end][:500]})
    m.counts["mined"], m.counts["skipped"] = len(m.examples), len(m.skipped)
    return m


def mine_sql_corpus_files(
    sql_dir: Path, catalog: Catalog, checker: SqlChecker | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(examples, skipped, files): ``files`` has one row per file with its counts (``FILES_SCHEMA``)."""
    sql_dir = Path(sql_dir)
    if not sql_dir.is_dir():
        raise DatasetError(f"user_sql_dir {sql_dir} is not a folder. Fix 'user_sql_dir' in configs/datasets.yaml.")
    checker = checker or SqlChecker(catalog)
    examples, skipped, files = [], [], []
    for path in sorted(sql_dir.rglob("*.sql")):
        m = _mine_file(path, sql_dir, catalog, checker)
        examples += m.examples
        skipped += m.skipped
        files.append({"file": m.file} | m.counts)
    return (
        pl.DataFrame(examples, schema=EXAMPLE_SCHEMA),
        pl.DataFrame(skipped, schema=SKIPPED_SCHEMA),
        pl.DataFrame(files, schema=FILES_SCHEMA),
    )


def mine_sql_corpus(
    sql_dir: Path, catalog: Catalog, checker: SqlChecker | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(examples, skipped): examples have SFT source columns (+ file, procedure, sqls); skipped has file,
    index, reason, sql, procedure."""
    examples, skipped, _ = mine_sql_corpus_files(sql_dir, catalog, checker)
    return examples, skipped
