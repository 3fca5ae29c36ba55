"""Record plumbing shared by every dataset: stable ids and splits, TRL message columns, dedup keys.

Examples:
    >>> split_of("Invoices", 0.5) in ("train", "holdout")
    True
    >>> user_text("Fix this query", "SELECT 1")
    'Fix this query\\n\\nSELECT 1'
    >>> a, b = "Show the  APTH rows for company 12!", "show the APTH rows for company 3"
    >>> normalise_instruction(a) == normalise_instruction(b)
    True
"""

import hashlib
import random
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

import polars as pl

from vgpt_dagster.sql.render import fence  # noqa: F401 - the one definition; dataset builders import it here

_WS = re.compile(r"\s+")
_NONWORD = re.compile(r"[^a-z0-9_ ]+")
_DIGITS = re.compile(r"\d+")


def stable_fraction(key: str) -> float:
    """A number in [0, 1) fixed by ``key`` alone (same on every machine and Python version)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big") / 2**64


def split_of(key: str, holdout_fraction: float, names: tuple[str, str] = ("train", "holdout")) -> str:
    """Deterministic split by a hash of ``key``."""
    return names[1] if stable_fraction(key) < holdout_fraction else names[0]


def record_id(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).hexdigest()


def user_text(instruction: str, input_text: str) -> str:
    """The user message: instruction, plus a blank line and the input when there is one."""
    return f"{instruction}\n\n{input_text}" if input_text else instruction


@lru_cache(maxsize=1 << 18)  # the same instruction is keyed by generation, dedup and the audit
def normalise_instruction(text: str) -> str:
    """Dedup key for near-duplicates: case, punctuation, whitespace and numbers ignored."""
    t = _DIGITS.sub("0", text.lower())
    return _WS.sub(" ", _NONWORD.sub(" ", t)).strip()


def sft_record(category: str, instruction: str, output: str, sqls: list[str], input_text: str = "") -> dict:
    """A candidate SFT record: the contract text fields plus ``sqls``, the statements its output contains."""
    return {"category": category, "instruction": instruction, "input": input_text, "output": output, "sqls": sqls}


def messages(system: str, user: str) -> list[dict[str, str]]:
    out = [{"role": "system", "content": system}] if system else []
    return [*out, {"role": "user", "content": user}]


def assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def dedup(records: Iterable[dict], key: str = "instruction") -> tuple[list[dict], int]:
    """Keep the first record of each normalised ``key`` (plus input); return (kept, removed count)."""
    seen: set[str] = set()
    kept, removed = [], 0
    for r in records:
        k = normalise_instruction(r[key]) + "\x1f" + normalise_instruction(r.get("input", ""))
        if k in seen:
            removed += 1
            continue
        seen.add(k)
        kept.append(r)
    return kept, removed


def sample(records: list, n: int, rng: random.Random) -> list:
    """``n`` records drawn without replacement (all of them, shuffled, when there are fewer)."""
    if n >= len(records):
        out = list(records)
        rng.shuffle(out)
        return out
    return rng.sample(records, n)


def to_frame(
    records: list[dict],
    kind: str,
    system: str,
    holdout_fraction: float,
    context: Callable[[str], str] | None = None,
) -> pl.DataFrame:
    """Contract columns for ``kind`` (sft | dpo_v3 | kto) plus ``split`` (train/eval by hash of id).

    ``context`` turns the user text into the user turn (``schema_context: retrieved``, see ``datasets.context``).
    """
    rows = []
    for r in records:
        rid = record_id(kind, r["category"], r["instruction"], r.get("input", ""))
        user = user_text(r["instruction"], r.get("input", ""))
        row = {
            "id": rid,
            "category": r["category"],
            "instruction": r["instruction"],
            "input": r.get("input", ""),
            "prompt": messages(system, context(user) if context else user),
        }
        if kind == "sft":
            row["output"] = r["output"]
            row["completion"] = assistant(r["output"])
        elif kind == "dpo_v3":
            row["chosen"] = assistant(r["chosen"])
            row["rejected"] = assistant(r["rejected"])
            row["phase"] = r["phase"]
        else:
            row["completion"] = assistant(r["completion"])
            row["label"] = bool(r["label"])
        row["split"] = split_of(rid, holdout_fraction, ("train", "eval"))
        rows.append(row)
    msg = pl.List(pl.Struct({"role": pl.String, "content": pl.String}))
    schema = {c: pl.String for c in ("id", "category", "instruction", "input")} | {"prompt": msg}
    schema |= {
        "sft": {"output": pl.String, "completion": msg},
        "dpo_v3": {"chosen": msg, "rejected": msg, "phase": pl.String},
        "kto": {"completion": msg, "label": pl.Boolean},
    }[kind]
    schema["split"] = pl.String
    return pl.DataFrame(rows, schema=schema)


CONTRACT_COLUMNS = {
    "sft": ("id", "category", "instruction", "input", "output", "prompt", "completion"),
    "dpo_v3": ("id", "category", "instruction", "input", "prompt", "chosen", "rejected", "phase"),
    "kto": ("id", "category", "instruction", "input", "prompt", "completion", "label"),
}


def last_content(msgs: list[dict] | None) -> str:
    """Text of the last message of a TRL message list ('' when empty)."""
    return msgs[-1]["content"] if msgs else ""
