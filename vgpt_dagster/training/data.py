"""Read a stage's dataset files (the dataset contract) into Hugging Face datasets with only TRL's columns."""

import logging
from dataclasses import dataclass
from pathlib import Path

from vgpt_dagster.errors import DatasetError, MissingUpstreamError, TrainingError
from vgpt_dagster.runtime.stages import STAGES

log = logging.getLogger(__name__)


class MissingStageInput(MissingUpstreamError, TrainingError):
    """A training stage's dataset, init adapter or base model is missing (names files and the selection)."""


DATASET_KIND = {s.name: s.dataset for s in STAGES}  # stage -> data/datasets/<kind>/
TRL_COLUMNS = {s.name: list(s.columns) for s in STAGES}
PHASES = ("hallucination", "style")  # DPO curriculum order


@dataclass
class StageData:
    train: object  # datasets.Dataset
    eval: object | None
    files: list[Path]
    rows: dict
    label_counts: dict | None = None  # KTO: {"desirable": n, "undesirable": m} in the train split
    phase_counts: dict | None = None  # DPO: rows per phase in the train split


def dataset_files(dataset_dir: Path) -> tuple[Path, Path]:
    return Path(dataset_dir) / "train.parquet", Path(dataset_dir) / "eval.parquet"


def _read(path: Path, stage: str, need: list[str]):
    """The datasets' one reader (``datasets.io.read_frame``), worded for the training stage."""
    from vgpt_dagster.datasets.io import read_frame

    return read_frame(path, need, f"{stage} training")


def stratified_counts(counts: dict, n: int) -> dict:
    """Rows per class when sampling ``n`` of them keeping the class shares (largest remainder; every class >= 1).

    Examples:
        >>> stratified_counts({True: 1768, False: 1178}, 16)
        {True: 10, False: 6}
        >>> stratified_counts({True: 30, False: 1}, 4)
        {True: 3, False: 1}
        >>> stratified_counts({True: 5, False: 3}, 100)
        {True: 5, False: 3}
    """
    total = sum(counts.values())
    if n >= total:
        return dict(counts)
    exact = {k: n * c / total for k, c in counts.items()}
    out = {k: min(c, max(1, int(exact[k]))) if c else 0 for k, c in counts.items()}
    by_remainder = sorted(counts, key=lambda k: (exact[k] - int(exact[k]), counts[k]), reverse=True)
    while sum(out.values()) < n:  # hand out the rows lost to rounding down, largest remainder first
        k = next(k for k in by_remainder if out[k] < counts[k])
        out[k] += 1
        by_remainder.remove(k)
        by_remainder.append(k)
    while sum(out.values()) > n:  # the ">= 1" floor overshot: take from the largest class
        out[max(out, key=out.get)] -= 1
    return out


def sample_rows(df, cap: int | None, seed: int, stratify: str | None = None):
    """Seeded shuffle, then the first ``cap`` rows; with ``stratify`` the class shares of that column are kept."""
    import polars as pl

    df = df.sample(fraction=1.0, shuffle=True, seed=seed)
    if not cap or cap >= len(df):
        return df
    if stratify is None:
        return df.head(cap)
    counts = {k: int(v) for k, v in df[stratify].value_counts().iter_rows()}
    take = stratified_counts(counts, cap)
    parts = [df.filter(pl.col(stratify) == k).head(n) for k, n in take.items()]
    return pl.concat(parts).sample(fraction=1.0, shuffle=True, seed=seed)  # classes mixed again


def read_kto_label_counts(train_path: Path, recipe) -> dict:
    """Desirable/undesirable rows KTO will train on (after ``max_train_samples``); reads only the label column.

    Cheap enough for the Dagster run worker's pre-flight: a bad explicit class weight fails before the subprocess.
    """
    import polars as pl

    try:
        labels = pl.read_parquet(train_path, columns=["label"])["label"].cast(pl.Boolean)
    except Exception as err:  # missing column, truncated file: the same wording as the full read
        raise DatasetError(f"{train_path}: cannot read column 'label' ({err}). Rebuild the kto dataset.") from None
    n_true = int(labels.sum())
    counts = {True: n_true, False: len(labels) - n_true}
    if recipe.max_train_samples:
        counts = stratified_counts(counts, recipe.max_train_samples)
    return {"desirable": counts[True], "undesirable": counts[False]}


def _load_eval(stage: str, eval_path: Path, need: list[str], recipe):
    """(eval frame or None, a note when the eval split is skipped)."""
    import polars as pl

    if not eval_path.exists():
        return None, None
    ev = _read(eval_path, stage, need).select(need)
    if stage == "kto":
        ev = ev.with_columns(pl.col("label").cast(pl.Boolean))
    ev = sample_rows(ev, recipe.max_eval_samples, recipe.seed, "label" if stage == "kto" else None)
    if len(ev) == 0:
        return None, None
    if stage == "kto" and (len(ev) < 2 or ev["label"].n_unique() < 2):
        # TRL's KTO eval loss needs both labels (and a batch > 1); a tiny eval split would crash early
        # stopping on a missing eval_loss. Say so and train without eval rather than fail mid-run.
        note = f"KTO eval skipped: {eval_path} has {len(ev)} row(s) with labels {sorted(ev['label'].unique())}"
        log.warning("%s; early stopping is off for this run.", note)
        return None, note
    return ev, None


def load_stage_data(stage: str, dataset_dir: Path, recipe) -> StageData:
    """Train/eval splits for ``stage``: seeded shuffle, sample caps, DPO curriculum order, KTO label counts."""
    import polars as pl
    from datasets import Dataset

    train_path, eval_path = dataset_files(dataset_dir)
    if not train_path.exists():
        raise MissingStageInput(f"{stage} training", [str(train_path)], f"*{DATASET_KIND[stage]}_dataset")
    need = list(TRL_COLUMNS[stage])
    extra = ["phase"] if recipe.stage == "dpo" and recipe.curriculum else []
    train = _read(train_path, stage, need + extra).select(need + extra)
    if len(train) == 0:
        raise DatasetError(f"{train_path} has no rows.")
    if stage == "kto":
        train = train.with_columns(pl.col("label").cast(pl.Boolean))
    train = sample_rows(train, recipe.max_train_samples, recipe.seed, "label" if stage == "kto" else None)
    phase_counts = None
    if extra:
        unknown = sorted(set(train["phase"].unique().to_list()) - set(PHASES))
        if unknown:
            raise DatasetError(f"{train_path}: column 'phase' has {unknown}; curriculum expects {PHASES}.")
        order = pl.col("phase").replace_strict({p: i for i, p in enumerate(PHASES)}, return_dtype=pl.Int8)
        train = train.with_row_index("_i").sort([order, "_i"]).drop("_i")  # hallucination first, seeded order kept
        phase_counts = {p: int((train["phase"] == p).sum()) for p in PHASES}
        train = train.drop("phase")
    label_counts = None
    if stage == "kto":
        n_true = int(train["label"].sum())
        label_counts = {"desirable": n_true, "undesirable": len(train) - n_true}
        if 0 in label_counts.values():
            raise DatasetError(
                f"{train_path}: KTO needs desirable (label true) and undesirable (label false) rows in the train "
                f"split; after sampling (max_train_samples={recipe.max_train_samples}) it has "
                f"{label_counts['desirable']} desirable / {label_counts['undesirable']} undesirable. "
                "Rebuild the kto dataset with both labels (or raise max_train_samples)."
            )
    files = [train_path] + ([eval_path] if eval_path.exists() else [])
    ev, eval_note = _load_eval(stage, eval_path, need, recipe)
    rows = {"train": len(train), "eval": 0 if ev is None else len(ev)}
    if eval_note:
        rows["eval_note"] = eval_note
    log.info("%s data: %d train rows, %d eval rows from %s", stage, rows["train"], rows["eval"], dataset_dir)
    return StageData(
        train=Dataset.from_list(train.to_dicts()),
        eval=None if ev is None else Dataset.from_list(ev.to_dicts()),
        files=files,
        rows=rows,
        label_counts=label_counts,
        phase_counts=phase_counts,
    )
