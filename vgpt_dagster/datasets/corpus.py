"""Mine the user's own .sql files (report and expert queries) into sql_generation SFT examples.

Each statement (files are split on ``GO`` lines) goes through the analyzer. Statements that reference
only real objects and columns are normalised to the conventions (``add_nolock``) and kept if they then
pass every rule; the rest are listed with the reason (an incomplete join or a missing company filter
cannot be fixed without knowing the author's intent, so those are skipped, not guessed).
"""

import re
from pathlib import Path

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.sft_sources import fence
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.errors import DatasetError, SqlAnalysisError

_GO = re.compile(r"^\s*GO\s*;?\s*$", re.IGNORECASE | re.MULTILINE)
_COMMENT = re.compile(r"^\s*--\s*(?:title:)?\s*(.+)$", re.MULTILINE)


EXAMPLE_SCHEMA = {
    "category": pl.String,
    "instruction": pl.String,
    "input": pl.String,
    "output": pl.String,
    "sqls": pl.List(pl.String),
    "file": pl.String,
}
SKIPPED_SCHEMA = {"file": pl.String, "index": pl.Int64, "reason": pl.String, "sql": pl.String}


def empty_corpus() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(examples, skipped) with no rows: what ``sql_corpus`` writes when no ``user_sql_dir`` is set."""
    return pl.DataFrame(schema=EXAMPLE_SCHEMA), pl.DataFrame(schema=SKIPPED_SCHEMA)


def _instruction(chunk: str, objects: tuple[str, ...], file: str) -> str:
    m = _COMMENT.search(chunk)
    if m and len(m.group(1)) > 10:
        return f"Write a Vista query: {m.group(1).strip().rstrip('.')}."
    return f"Write the Vista query from {file} over {', '.join(objects) or 'the catalog'}."


def mine_sql_corpus(
    sql_dir: Path, catalog: Catalog, checker: SqlChecker | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(examples, skipped): examples have SFT source columns (+ file, sqls); skipped has file, index, reason."""
    from vgpt_dagster.sql.rewrite import add_nolock

    sql_dir = Path(sql_dir)
    if not sql_dir.is_dir():
        raise DatasetError(f"user_sql_dir {sql_dir} is not a folder. Fix 'user_sql_dir' in configs/datasets.yaml.")
    checker = checker or SqlChecker(catalog)
    examples, skipped = [], []
    for path in sorted(sql_dir.rglob("*.sql")):
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        for idx, chunk in enumerate(c.strip() for c in _GO.split(text)):
            if not chunk or not re.search(r"\bSELECT\b", chunk, re.I):
                continue
            where = {"file": str(path.relative_to(sql_dir)), "index": idx}
            first = checker.analyze(chunk)
            fatal = [f for f in first.errors if f.rule not in ("missing_nolock",)]
            if not first.parsed or fatal:
                f = (fatal or first.errors or [None])[0]
                reason = f"{f.rule}: {f.message}" if f else "could not parse"
                skipped.append(where | {"reason": reason, "sql": chunk[:500]})
                continue
            try:
                fixed = add_nolock(chunk, catalog)
            except SqlAnalysisError as err:
                skipped.append(where | {"reason": f"parse_error: {err}", "sql": chunk[:500]})
                continue
            a = checker.analyze(fixed)
            if not a.ok:
                skipped.append(
                    where | {"reason": "; ".join(f"{f.rule}: {f.message}" for f in a.errors), "sql": chunk[:500]}
                )
                continue
            note = (
                "Uses WITH (NOLOCK) on every table"
                + (", filters by company" if a.company_filter else "")
                + " and joins on complete keys."
            )
            examples.append(
                {
                    "category": "sql_generation",
                    "instruction": _instruction(chunk, a.catalog_objects, where["file"]),
                    "input": "",
                    "output": f"{fence(fixed)}\n\n{note}",
                    "sqls": [fixed],
                    "file": where["file"],
                }
            )
    ex_schema = {
        "category": pl.String,
        "instruction": pl.String,
        "input": pl.String,
        "output": pl.String,
        "sqls": pl.List(pl.String),
        "file": pl.String,
    }
    sk_schema = {"file": pl.String, "index": pl.Int64, "reason": pl.String, "sql": pl.String}
    return pl.DataFrame(examples, schema=ex_schema), pl.DataFrame(skipped, schema=sk_schema)
