"""Do two result sets answer the same way? Bag semantics, columns up to permutation, order only when asked.

The rules follow the Spider / BIRD execution-accuracy evaluators and the test-suite evaluator of Zhong, Yu
and Klein (EMNLP 2020), written anew for this project:

* rows are compared as a multiset (bag): duplicates count, order does not — unless the reference query has an
  ``ORDER BY``, then the row order must match too;
* columns may come in any order and under any name: a predicted column stands for a reference column when
  it holds the same multiset of values, and the rows must match under one such assignment;
* ``required``: only these reference columns must be present (the prediction may show more columns); by
  default every reference column is required and the column counts must be equal;
* ``subset_of``: for a reference ``TOP n`` without ``ORDER BY`` (SQL Server may return any n rows) the
  prediction must have as many rows, each drawn (as a bag) from the reference query's rows without the TOP;
* values are normalised before comparing: numbers of any type by value (``1 == 1.0 == Decimal('1.00')``,
  floats to 6 decimals), a midnight timestamp equals its date, trailing blanks of strings are ignored (SQL
  Server's ``char`` padding).

Examples:
    >>> compare_results(("a", "b"), [(1, "x"), (2, "y")], ("b", "a"), [("y", 2), ("x", 1)]).matched
    True
    >>> compare_results(("a",), [(1,), (1,)], ("a",), [(1,)]).reason
    'row count 1, expected 2'
    >>> compare_results(("a", "b"), [(1, "x")], ("b", "a", "c"), [("x", 1, 0)], required=[0]).matched
    True
"""

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_MAX_ASSIGNMENTS = 2000  # column assignments tried before giving up (columns with identical values)


@dataclass(frozen=True)
class Match:
    matched: bool
    reason: str = ""


def normalize(v: Any) -> Any:
    """A comparable, hashable form of one value (see the module docstring)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float | Decimal):
        return round(float(v), 6)
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time(0) and v.tzinfo is None else v
    if isinstance(v, str):
        return v.rstrip()
    if isinstance(v, list | tuple):
        return tuple(normalize(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((str(k), normalize(x)) for k, x in v.items()))
    return v


def _norm_rows(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    return [tuple(normalize(v) for v in r) for r in rows]


def _bag(values) -> Counter:
    return Counter(values)


def _assignments(cands: list[list[int]], limit: int):
    """Injective choices of one predicted column per required reference column, at most ``limit`` of them."""
    chosen: list[int] = []
    used: set[int] = set()
    count = 0

    def walk(i: int):
        nonlocal count
        if count >= limit:
            return
        if i == len(cands):
            count += 1
            yield list(chosen)
            return
        for c in cands[i]:
            if c not in used:
                used.add(c)
                chosen.append(c)
                yield from walk(i + 1)
                chosen.pop()
                used.discard(c)

    yield from walk(0)


def compare_results(
    gold_columns: Sequence[str],
    gold_rows: Sequence[Sequence[Any]],
    pred_columns: Sequence[str],
    pred_rows: Sequence[Sequence[Any]],
    *,
    ordered: bool = False,
    required: Sequence[int] | None = None,
    subset_of: Sequence[Sequence[Any]] | None = None,
) -> Match:
    """Whether the predicted result answers like the reference (``gold``) one; ``reason`` says why not."""
    need = list(range(len(gold_columns))) if required is None else list(required)
    if len(pred_rows) != len(gold_rows):
        return Match(False, f"row count {len(pred_rows)}, expected {len(gold_rows)}")
    if required is None and len(pred_columns) != len(gold_columns):
        return Match(False, f"{len(pred_columns)} column(s), expected {len(gold_columns)}")
    if len(pred_columns) < len(need):
        return Match(False, f"{len(pred_columns)} column(s), expected at least {len(need)}")
    gold = _norm_rows(subset_of if subset_of is not None else gold_rows)
    pred = _norm_rows(pred_rows)
    gold_cols = [_bag(r[g] for r in gold) for g in need]
    pred_cols = [_bag(r[p] for r in pred) for p in range(len(pred_columns))]
    if subset_of is None:
        cands = [[p for p, pc in enumerate(pred_cols) if pc == gc] for gc in gold_cols]
    else:
        cands = [[p for p, pc in enumerate(pred_cols) if not pc - gc] for gc in gold_cols]
    missing = [gold_columns[need[i]] for i, c in enumerate(cands) if not c]
    if missing:
        return Match(False, f"no column with the values of {', '.join(missing[:3])}")
    gold_proj = [tuple(r[g] for g in need) for r in gold]
    gold_bag = _bag(gold_proj)
    for assign in _assignments(cands, _MAX_ASSIGNMENTS):
        proj = [tuple(r[p] for p in assign) for r in pred]
        if subset_of is not None:
            if not _bag(proj) - gold_bag:
                return Match(True)
        elif ordered:
            if proj == gold_proj:
                return Match(True)
        elif _bag(proj) == gold_bag:
            return Match(True)
    return Match(False, "rows differ" + (" (or their order)" if ordered else ""))
