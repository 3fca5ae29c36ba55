"""Tiny synthetic datasets in the dataset contract format (the real ones are built by the datasets package)."""

from pathlib import Path

import polars as pl

from vgpt_dagster.artifacts import write_parquet_atomic

SYSTEM = "You are a Viewpoint Vista SQL expert."
TABLES = ["APTH", "APTL", "ARCM", "JCJM", "PRTH", "GLDT", "HQCO", "JCCD"]
FAKES = ["Invoice", "Customer", "Vendors", "Payroll"]


def _msg(role: str, content: str) -> dict:
    return {"role": role, "content": content}


def _prompt(q: str) -> list[dict]:
    return [_msg("system", SYSTEM), _msg("user", q)]


def sft_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        t = TABLES[i % len(TABLES)]
        q = f"Write a query that lists rows of {t} for company 1."
        a = f"SELECT * FROM {t} WITH (NOLOCK) WHERE {t[:2]}Co = 1;"
        rows.append(
            dict(
                id=f"s{i}",
                category="sql",
                instruction=q,
                input="",
                output=a,
                prompt=_prompt(q),
                completion=[_msg("assistant", a)],
            )
        )
    return rows


def dpo_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        if i % 2:
            t = FAKES[i % len(FAKES)]
            q = f"Does {t} exist in Vista?"
            good, bad, phase = f"No, {t} is not a Vista table.", f"SELECT * FROM {t};", "hallucination"
        else:
            t = TABLES[i % len(TABLES)]
            q = f"Query {t} for company 1."
            good, bad, phase = f"SELECT * FROM {t} WITH (NOLOCK) WHERE {t[:2]}Co = 1;", f"SELECT * FROM {t};", "style"
        rows.append(
            dict(
                id=f"d{i}",
                category="x",
                instruction=q,
                input="",
                prompt=_prompt(q),
                chosen=[_msg("assistant", good)],
                rejected=[_msg("assistant", bad)],
                phase=phase,
            )
        )
    return rows


def kto_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        t = TABLES[i % len(TABLES)]
        q = f"List {t} rows for company 2."
        good = i % 2 == 0
        a = f"SELECT * FROM {t} WITH (NOLOCK) WHERE {t[:2]}Co = 2;" if good else f"SELECT * FROM {t}s;"
        rows.append(
            dict(
                id=f"k{i}",
                category="x",
                instruction=q,
                input="",
                prompt=_prompt(q),
                completion=[_msg("assistant", a)],
                label=good,
            )
        )
    return rows


def write_datasets(paths, n_train: int = 24, n_eval: int = 8) -> None:
    for kind, make in (("sft", sft_rows), ("dpo_v3", dpo_rows), ("kto", kto_rows)):
        rows = make(n_train + n_eval)
        folder = Path(paths.dataset_dir(kind))
        write_parquet_atomic(pl.DataFrame(rows[:n_train]), folder / "train.parquet")
        write_parquet_atomic(pl.DataFrame(rows[n_train:]), folder / "eval.parquet")


def corpus() -> list[str]:
    return (
        [SYSTEM]
        + [r["instruction"] + "\n" + r["output"] for r in sft_rows(64)]
        + [r["chosen"][0]["content"] + " " + r["rejected"][0]["content"] for r in dpo_rows(16)]
    )
