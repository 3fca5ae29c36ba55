"""The ``holdout_leak`` audit: held-out fake names and validation prompts must never reach training data.

The validation suite tests generalisation with fake names that training never saw; one leaked name
turns that test into a memory test.
"""

import re
from collections.abc import Callable, Iterable

import polars as pl

from vgpt_dagster.datasets.audit_checks import AuditResult, result
from vgpt_dagster.datasets.records import last_content, normalise_instruction

_WORD_NAME = re.compile(r"[A-Za-z0-9_]+")
# Candidates for the fast path: a word right after a quote (closing quote next), or after FROM/JOIN.
# Lookaheads consume only the quote or ``FROM ``, so no later candidate is skipped.
_CANDIDATE = re.compile(r"['\"`\[](?=([A-Za-z0-9_]+)['\"`\]])|\b(?i:FROM|JOIN)\s+(?=(\w+)\b)")


def holdout_matcher(names: Iterable[str]) -> Callable[[str], str | None]:
    """``text -> name`` of the first holdout name used as a table in ``text`` (quoted, or after FROM/JOIN).

    Quoted names match in exact case (a column 'contract' is not the fake table 'Contract'); after
    FROM/JOIN in any case. One regex over the alternation of every name is exact but tries each name at
    each quote; when every name is a plain word the matcher finds candidate words and looks them up instead.

    Examples:
        >>> m = holdout_matcher(["Invoices", "JobCost"])
        >>> m("SELECT * FROM invoices"), m("Use 'JobCost'?"), m("a 'jobcost' column"), m("FROM APTH")
        ('invoices', 'JobCost', None, None)
    """
    names = sorted({n for n in names if n})
    if not names:
        return lambda text: None
    alt = "|".join(map(re.escape, names))
    full = re.compile(rf"['\"`\[]({alt})['\"`\]]|\b(?i:FROM|JOIN)\s+((?i:{alt}))\b")
    if not all(_WORD_NAME.fullmatch(n) for n in names):

        def slow(text: str) -> str | None:
            m = full.search(text)
            return (m.group(1) or m.group(2)) if m else None

        return slow
    exact, lower = frozenset(names), frozenset(n.lower() for n in names)
    any_case = re.compile(rf"(?i:{alt})")  # re.I semantics for non-ASCII words (e.g. the Kelvin sign)

    def fast(text: str) -> str | None:
        for quoted, word in _CANDIDATE.findall(text):  # an unused group is ""
            if quoted:
                if quoted in exact:
                    return quoted
            elif (word.lower() in lower) if word.isascii() else any_case.fullmatch(word):
                return word
        return None

    return fast


def audit_holdout_leak(
    train_frames: dict[str, pl.DataFrame], holdout_names: Iterable[str], holdout_prompts: Iterable[str] = ()
) -> AuditResult:
    """No holdout fake name used as a table (quoted, or after FROM/JOIN) and no holdout prompt in training data."""
    names = {n for n in holdout_names if n}
    leak = holdout_matcher(names)
    prompts = {normalise_instruction(p) for p in holdout_prompts}
    failures = []
    for kind, df in train_frames.items():
        cols = [c for c in ("instruction", "input", "output") if c in df.columns]
        msg_cols = [c for c in ("chosen", "rejected", "completion") if c in df.columns and c != "output"]
        ids = df["id"].to_list() if "id" in df.columns else list(range(df.height))
        texts: list[list[str]] = []
        for column in [df[c].to_list() for c in cols] + [[last_content(m) for m in df[c].to_list()] for c in msg_cols]:
            if column not in texts:  # SFT completion repeats output: scan it once
                texts.append(column)
        instructions = df["instruction"].to_list() if prompts else []
        for i, rid in enumerate(ids):
            if prompts and normalise_instruction(instructions[i]) in prompts:
                failures.append({"dataset": kind, "id": rid, "leak": "holdout prompt"})
            if names:
                for t in texts:
                    hit = leak(t[i])
                    if hit:
                        failures.append({"dataset": kind, "id": rid, "leak": hit})
                        break
    m = {"holdout_names": len(names), "holdout_prompts": len(prompts), "leaks": len(failures)}
    return result(
        "holdout_leak",
        not failures,
        m,
        failures,
        "Held-out fake names and validation prompts must never appear in training data.",
    )
