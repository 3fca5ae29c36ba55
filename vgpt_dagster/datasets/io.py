"""Dataset files: ``train.parquet`` + ``eval.parquet`` + ``manifest.json`` per kind (sft, dpo_v3, kto).

Examples:
    >>> import tempfile, polars as pl
    >>> from pathlib import Path
    >>> df = pl.DataFrame({"id": ["a"], "split": ["train"]})
    >>> out = write_dataset(df, Path(tempfile.mkdtemp()) / "x", config_hash="abc", seed=1)
    >>> out.rows, out.paths[0].name
    ({'train': 1, 'eval': 0}, 'train.parquet')
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from vgpt_dagster.artifacts import atomic_dir, read_manifest, write_manifest
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


def _guess_kind(columns: list[str], not_kind: str | None) -> str | None:
    for k, cols in (("kto", ("completion", "label")), ("dpo_v3", ("chosen", "rejected")), ("sft", ("output",))):
        if k != not_kind and set(cols) <= set(columns):
            return {"kto": "KTO", "dpo_v3": "DPO", "sft": "SFT"}[k]
    return None


def read_frame(path: Path, need: Sequence[str], needed_by: str, kind: str | None = None) -> pl.DataFrame:
    """The one reader of dataset Parquet files (datasets, training): DatasetError when the file is unreadable or
    lacks a column ``needed_by`` (e.g. "dpo_v3", "kto training") needs, with a guess of what the file is."""
    try:
        df = pl.read_parquet(path)
    except Exception as err:  # polars raises several types for a corrupt file
        raise DatasetError(f"{path}: not a readable Parquet file ({err}). Rebuild it with `vgpt data build`.") from None
    missing = [c for c in need if c not in df.columns]
    if missing:
        guess = _guess_kind(df.columns, kind)
        hint = f" (is this a {guess} set?)" if guess else ""
        raise DatasetError(
            f"{path} has columns {', '.join(df.columns)}; {needed_by} needs {', '.join(need)}{hint}. "
            f"Missing: {', '.join(missing)}."
        )
    return df


def read_dataset(folder: Path, kind: str, split: str = "train") -> pl.DataFrame:
    """Read one split; MissingUpstreamError when absent, DatasetError when the columns are not the contract."""
    path = Path(folder) / f"{split}.parquet"
    if not path.exists():
        raise MissingUpstreamError(f"The {kind} dataset", [str(path)], SELECTIONS.get(kind, kind))
    return read_frame(path, CONTRACT_COLUMNS[kind], kind, kind)


def require_audited(folder: Path, kind: str, consumer: str, accept: Collection[str] = ()) -> None:
    """Refuse data whose last build recorded a failed blocking audit (``manifest.json``: ``audits_passed``).

    Every consumer calls it - the dataset builders downstream (KTO reads DPO, the LLaMA-Factory export reads all
    three), ``vgpt data build all`` and training - so the CLI and the assets refuse the same data. ``accept``
    names audits an experiment's arm fails on purpose (configs/experiments/); every other failure still refuses.
    """
    folder = Path(folder)
    manifest = read_manifest(folder) if (folder / "manifest.json").is_file() else {}
    failed_names = manifest.get("failed_audits", [])
    if manifest.get("audits_passed") is False and not (failed_names and set(failed_names) <= set(accept)):
        failed = ", ".join(failed_names) or "see the manifest"
        raise DatasetError(
            f"{folder}/manifest.json records failed blocking audits ({failed}); {consumer} refuses this data. "
            f"See the {SELECTIONS.get(kind, kind)} asset checks in the UI (or `vgpt data audit`), fix the data or "
            f"config, and rebuild it (`vgpt data build {kind}` or re-materialize {SELECTIONS.get(kind, kind)})."
        )
