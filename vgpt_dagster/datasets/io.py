"""Dataset files: ``train.parquet`` + ``eval.parquet`` + ``manifest.json`` per kind (sft, dpo_v3, kto).

Examples:
    >>> import tempfile, polars as pl
    >>> from pathlib import Path
    >>> df = pl.DataFrame({"id": ["a"], "split": ["train"]})
    >>> out = write_dataset(df, Path(tempfile.mkdtemp()) / "x", config_hash="abc", seed=1)
    >>> out.rows, out.paths[0].name
    ({'train': 1, 'eval': 0}, 'train.parquet')
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from vgpt_dagster.artifacts import atomic_dir, write_manifest
from vgpt_dagster.datasets.records import CONTRACT_COLUMNS
from vgpt_dagster.errors import DatasetError, MissingUpstreamError

SELECTIONS = {"sft": "sft_dataset", "dpo_v3": "dpo_v3_dataset", "kto": "kto_dataset"}


@dataclass(frozen=True)
class DatasetWrite:
    folder: Path
    paths: tuple[Path, ...]
    rows: dict[str, int]
    config_hash: str


def write_dataset(df: pl.DataFrame, out_dir: Path, *, config_hash: str, seed: int, **manifest: Any) -> DatasetWrite:
    """Split on ``split`` (train/eval), write both Parquet files and the manifest, swapped in atomically."""
    out_dir = Path(out_dir)
    parts = {name: df.filter(pl.col("split") == name).drop("split") for name in ("train", "eval")}
    with atomic_dir(out_dir) as tmp:
        for name, part in parts.items():
            part.write_parquet(tmp / f"{name}.parquet")
        rows = {k: v.height for k, v in parts.items()}
        cats = df["category"].value_counts().sort("category").to_dicts() if "category" in df.columns else []
        write_manifest(
            tmp,
            config_hash=config_hash,
            seed=seed,
            rows=rows,
            category_counts={c["category"]: c["count"] for c in cats},
            **manifest,
        )
    return DatasetWrite(out_dir, (out_dir / "train.parquet", out_dir / "eval.parquet"), rows, config_hash)


def read_dataset(folder: Path, kind: str, split: str = "train") -> pl.DataFrame:
    """Read one split; MissingUpstreamError when absent, DatasetError when the columns are not the contract."""
    path = Path(folder) / f"{split}.parquet"
    if not path.exists():
        raise MissingUpstreamError(f"The {kind} dataset", [str(path)], SELECTIONS.get(kind, kind))
    try:
        df = pl.read_parquet(path)
    except Exception as err:  # polars raises several types for a corrupt file
        raise DatasetError(f"{path}: not a readable Parquet file ({err}). Rebuild it with `vgpt data build`.") from None
    need = CONTRACT_COLUMNS[kind]
    missing = [c for c in need if c not in df.columns]
    if missing:
        guess = next((k for k, cols in CONTRACT_COLUMNS.items() if k != kind and set(cols) <= set(df.columns)), None)
        hint = f" (is this a {guess} set?)" if guess else ""
        raise DatasetError(f"{path} has columns {', '.join(df.columns)}; {kind} needs {', '.join(need)}{hint}.")
    return df
