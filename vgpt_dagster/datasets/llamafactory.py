"""Export for ``llamafactory-cli``: dataset_info.json + alpaca SFT, ranking DPO and KTO JSON files.

KTO labels are written as JSON booleans. The original team's review said LLaMA-Factory wants the
strings "true"/"false"; its converter actually checks ``isinstance(example[kto_tag], bool)`` and a
string fails that test, so the record is not treated as a KTO example at all (no error, just wrong
training data). See docs/datasets.md.
"""

from pathlib import Path

import polars as pl

from vgpt_dagster.artifacts import atomic_dir
from vgpt_dagster.datasets.records import last_content

NAMES = {"sft": "vgpt_sft", "dpo_v3": "vgpt_dpo_v3", "kto": "vgpt_kto"}


def _system(df: pl.DataFrame) -> list[str]:
    return [m[0]["content"] if m and m[0]["role"] == "system" else "" for m in df["prompt"].to_list()]


def to_alpaca(df: pl.DataFrame, kind: str) -> list[dict]:
    """Records in LLaMA-Factory's alpaca columns for ``kind``."""
    base = {"instruction": df["instruction"].to_list(), "input": df["input"].to_list(), "system": _system(df)}
    if kind == "sft":
        base["output"] = (
            df["output"].to_list() if "output" in df.columns else [last_content(m) for m in df["completion"]]
        )
    elif kind == "dpo_v3":
        base["chosen"] = [last_content(m) for m in df["chosen"].to_list()]
        base["rejected"] = [last_content(m) for m in df["rejected"].to_list()]
    else:
        base["output"] = [last_content(m) for m in df["completion"].to_list()]
        base["kto_tag"] = [bool(x) for x in df["label"].to_list()]  # JSON true/false, never "true"/"false"
    keys = list(base)
    return [dict(zip(keys, vals, strict=True)) for vals in zip(*base.values(), strict=True)]


def dataset_info() -> dict:
    cols = {"prompt": "instruction", "query": "input", "system": "system"}
    return {
        NAMES["sft"]: {"file_name": "vgpt_sft.json", "columns": {**cols, "response": "output"}},
        NAMES["dpo_v3"]: {
            "file_name": "vgpt_dpo_v3.json",
            "ranking": True,
            "columns": {**cols, "chosen": "chosen", "rejected": "rejected"},
        },
        NAMES["kto"]: {"file_name": "vgpt_kto.json", "columns": {**cols, "response": "output", "kto_tag": "kto_tag"}},
    }


def write_llamafactory_export(sft: pl.DataFrame, dpo: pl.DataFrame, kto: pl.DataFrame, out_dir: Path) -> dict:
    """Write the folder atomically; returns {"files": {...}, "records": {...}} for metadata."""
    import json

    out_dir = Path(out_dir)
    records = {}
    with atomic_dir(out_dir) as tmp:
        for kind, df in (("sft", sft), ("dpo_v3", dpo), ("kto", kto)):
            rows = to_alpaca(df, kind)
            records[NAMES[kind]] = len(rows)
            (tmp / f"{NAMES[kind]}.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        (tmp / "dataset_info.json").write_text(json.dumps(dataset_info(), indent=2), encoding="utf-8")
    files = {k: str(out_dir / f"{k}.json") for k in NAMES.values()} | {
        "dataset_info": str(out_dir / "dataset_info.json")
    }
    return {"files": files, "records": records}
