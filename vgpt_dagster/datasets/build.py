"""One function per Dagster asset (and ``vgpt data build``): read inputs under ``paths``, build, write, audit.

Each returns a :class:`BuildResult` with what the asset shows as metadata (counts, category mix table,
sizes, a sample, output paths, config hash) and the audit results the blocking checks report.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from vgpt_dagster.artifacts import atomic_dir, sha256_json, write_manifest
from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.config import config_to_dict
from vgpt_dagster.datasets import dataset_audits as A
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.corpus import FILES_SCHEMA, empty_corpus, mine_sql_corpus_files
from vgpt_dagster.datasets.dpo import build_dpo_dataset
from vgpt_dagster.datasets.imports import audit_import, load_import
from vgpt_dagster.datasets.intent_audit import audit_intents
from vgpt_dagster.datasets.intents.library import library_for
from vgpt_dagster.datasets.intents.questions import intent_sft_records
from vgpt_dagster.datasets.io import read_dataset, require_audited, write_dataset
from vgpt_dagster.datasets.kto import build_kto_dataset
from vgpt_dagster.datasets.llamafactory import write_llamafactory_export
from vgpt_dagster.datasets.pairs import build_case_variants, build_fake_column_pairs, build_fake_table_pairs
from vgpt_dagster.datasets.records import last_content
from vgpt_dagster.datasets.sft import SftStats, build_sft_dataset
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.errors import MissingUpstreamError
from vgpt_dagster.paths import ProjectPaths

PAIR_FILES = ("fake_table_pairs", "fake_column_pairs", "case_variants")


@dataclass
class BuildResult:
    """Outputs, figures and audits of one asset."""

    asset: str
    outputs: dict[str, str]
    rows: dict[str, int]
    config_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)
    audits: list[A.AuditResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(a.passed for a in self.audits if a.severity == A.ERROR)


def config_hash(cfg: DatasetsConfig) -> str:
    return sha256_json(config_to_dict(cfg))


def _sample_md(df: pl.DataFrame, cols: tuple[str, ...], n: int = 3) -> str:
    rows = []
    for r in df.head(n).iter_rows(named=True):
        cells = [_cell(r[c]) for c in cols]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols), *rows])


def _cell(v: Any) -> str:
    if isinstance(v, list) and v and isinstance(v[0], dict):
        v = last_content(v)
    elif isinstance(v, list):
        v = ", ".join(map(str, v))
    return str(v).replace("\n", " ").replace("|", "\\|")[:160]


def _need(paths: list[Path], what: str, selection: str) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise MissingUpstreamError(what, missing, selection)


def read_pairs(paths: ProjectPaths) -> dict[str, pl.DataFrame]:
    folder = paths.dataset_dir("pairs")
    files = [folder / f"{n}.parquet" for n in PAIR_FILES]
    _need(files, "The datasets", "fake_real_table_pairs")
    return {n: pl.read_parquet(f) for n, f in zip(PAIR_FILES, files, strict=True)}


def build_pairs_artifacts(catalog: Catalog, cfg: DatasetsConfig, paths: ProjectPaths) -> BuildResult:
    """``fake_real_table_pairs`` and ``fake_column_pairs`` (+ case variants) under data/datasets/pairs/."""
    frames = {
        "fake_table_pairs": build_fake_table_pairs(catalog, cfg),
        "fake_column_pairs": build_fake_column_pairs(catalog, cfg),
        "case_variants": build_case_variants(catalog, cfg),
    }
    folder = paths.dataset_dir("pairs")
    h = config_hash(cfg)
    with atomic_dir(folder) as tmp:
        for name, df in frames.items():
            df.write_parquet(tmp / f"{name}.parquet")
        write_manifest(
            tmp, config_hash=h, seed=cfg.seed, rows={k: v.height for k, v in frames.items()}, catalog=catalog.source
        )
    tp = frames["fake_table_pairs"]
    audits = [A.audit_fake_names_not_real(catalog, tp, frames["fake_column_pairs"])]
    counts = tp.group_by("pattern", "split").len().sort("pattern", "split")
    md = "| pattern | split | names |\n|---|---|---:|\n" + "\n".join(
        f"| {p} | {s} | {n} |" for p, s, n in counts.iter_rows()
    )
    return BuildResult(
        "fake_real_table_pairs",
        {n: str(folder / f"{n}.parquet") for n in frames},
        {k: v.height for k, v in frames.items()},
        h,
        {"patterns": md, "sample": _sample_md(tp, ("fake", "real", "pattern", "split"))},
        audits,
    )


def build_sql_corpus_artifact(catalog: Catalog, cfg: DatasetsConfig, paths: ProjectPaths) -> BuildResult:
    """``sql_corpus``: examples + skipped statements + per-file counts from ``user_sql_dir`` (empty frames when
    none is set)."""
    folder = paths.dataset_dir("sql_corpus")
    if cfg.user_sql_dir is None:
        examples, skipped = empty_corpus()
        files = pl.DataFrame(schema=FILES_SCHEMA)
    else:
        sql_dir = cfg.user_sql_dir if cfg.user_sql_dir.is_absolute() else paths.root / cfg.user_sql_dir
        examples, skipped, files = mine_sql_corpus_files(sql_dir, catalog)
    h = config_hash(cfg)
    with atomic_dir(folder) as tmp:
        examples.write_parquet(tmp / "examples.parquet")
        skipped.write_parquet(tmp / "skipped.parquet")
        files.write_parquet(tmp / "files.parquet")
        write_manifest(
            tmp,
            config_hash=h,
            seed=cfg.seed,
            rows={"examples": examples.height, "skipped": skipped.height, "files": files.height},
            user_sql_dir=str(cfg.user_sql_dir) if cfg.user_sql_dir else None,
        )
    md = "\n".join(f"- {r['file']}#{r['index']}: {r['reason'][:200]}" for r in skipped.head(10).to_dicts()) or "(none)"
    head = "| file | statements | unparseable | selects | mined | skipped |\n|---|---:|---:|---:|---:|---:|\n"
    per_file = head + "\n".join(
        f"| {r['file']} | {r['statements']} | {r['unparseable']} | {r['selects']} | {r['mined']} | {r['skipped']} |"
        for r in files.head(20).to_dicts()
    )
    return BuildResult(
        "sql_corpus",
        {n: str(folder / f"{n}.parquet") for n in ("examples", "skipped", "files")},
        {"examples": examples.height, "skipped": skipped.height, "files": files.height},
        h,
        {"skipped": md, "files": per_file},
    )


def _corpus(cfg: DatasetsConfig, paths: ProjectPaths) -> pl.DataFrame | None:
    if cfg.user_sql_dir is None:
        return None
    f = paths.dataset_dir("sql_corpus") / "examples.parquet"
    _need([f], "The SFT dataset (user_sql_dir is set)", "sql_corpus")
    return pl.read_parquet(f)


def _dataset_result(
    asset: str,
    kind: str,
    df: pl.DataFrame,
    cfg: DatasetsConfig,
    paths: ProjectPaths,
    audits: list,
    sample_cols: tuple[str, ...],
    seconds: float,
    out_dir: Path | None = None,
    **extra: Any,
) -> BuildResult:
    h = config_hash(cfg)
    out = write_dataset(
        df,
        out_dir or paths.dataset_dir(kind),
        config_hash=h,
        seed=cfg.seed,
        kind=kind,
        audits_passed=all(a.passed for a in audits if a.severity == A.ERROR),
        failed_audits=[a.name for a in audits if not a.passed and a.severity == A.ERROR],
        **extra,
    )
    meta = {
        "category_mix": A.category_table(df),
        "sample": _sample_md(df, sample_cols),
        "seconds": round(seconds, 2),
        "bytes": sum(p.stat().st_size for p in out.paths),
        **extra,
    }
    return BuildResult(asset, {p.stem: str(p) for p in out.paths}, out.rows, h, meta, audits)


@contextmanager
def _checker(catalog: Catalog, cfg: DatasetsConfig, given: SqlChecker | None) -> Iterator[SqlChecker]:
    """The caller's checker, or a new one with ``cfg.sql_workers`` workers, stopped when the asset is built."""
    if given is not None:
        yield given
        return
    with SqlChecker(catalog, cfg.sql_workers) as checker:
        yield checker


def _holdout(pairs: dict[str, pl.DataFrame]) -> list[str]:
    return pairs["fake_table_pairs"].filter(pl.col("split") == "holdout")["fake"].to_list()


def build_sft_artifact(
    catalog: Catalog,
    cfg: DatasetsConfig,
    paths: ProjectPaths,
    checker: SqlChecker | None = None,
    holdout_prompts: tuple[str, ...] = (),
) -> BuildResult:
    pairs, t0, stats = read_pairs(paths), time.perf_counter(), SftStats()
    tables, columns, cases = pairs["fake_table_pairs"], pairs["fake_column_pairs"], pairs["case_variants"]
    with _checker(catalog, cfg, checker) as checker:
        library, skipped_intents = library_for(paths.root, cfg.intents_dir, catalog, checker.analyze)
        intents = intent_sft_records(library, cfg.seed, cfg.intent_fills_per_phrasing)
        df = build_sft_dataset(catalog, tables, columns, cfg, _corpus(cfg, paths), cases, checker, stats, intents)
        audits = A.audit_sft(df, catalog, cfg, checker)
        audits += audit_intents(df, catalog, cfg, library, checker)
    audits.append(A.audit_holdout_leak({"sft": df}, _holdout(pairs), holdout_prompts))
    return _dataset_result(
        "sft_dataset",
        "sft",
        df,
        cfg,
        paths,
        audits,
        ("category", "instruction", "output"),
        time.perf_counter() - t0,
        dropped_for_sql=stats.dropped_sql,
        rewritten_short=stats.rewritten_short,
        duplicates_removed=stats.duplicates_removed,
        intent_records=stats.intent_records,
        intent_split=library.split_manifest(),
        intents_not_in_catalog=skipped_intents,
    )


def build_dpo_artifact(
    catalog: Catalog,
    cfg: DatasetsConfig,
    paths: ProjectPaths,
    checker: SqlChecker | None = None,
    holdout_prompts: tuple[str, ...] = (),
    targets: dict[str, int] | None = None,
    out_dir: Path | None = None,
    **manifest: Any,
) -> BuildResult:
    """The DPO v3 set (``targets``: pairs per category instead of the config's, and ``out_dir``: for an experiment's
    arm; ``manifest``: what that arm records about itself)."""
    pairs, t0 = read_pairs(paths), time.perf_counter()
    fakes = pairs["fake_table_pairs"]["fake"].to_list()
    with _checker(catalog, cfg, checker) as checker:
        df = build_dpo_dataset(catalog, pairs["fake_table_pairs"], pairs["fake_column_pairs"], cfg, checker, targets)
        audits = A.audit_dpo(df, catalog, cfg, checker, fakes)
    audits.append(A.audit_holdout_leak({"dpo_v3": df}, _holdout(pairs), holdout_prompts))
    return _dataset_result(
        "dpo_v3_dataset",
        "dpo_v3",
        df,
        cfg,
        paths,
        audits,
        ("category", "instruction", "chosen", "rejected"),
        time.perf_counter() - t0,
        out_dir,
        **manifest,
    )


def build_kto_artifact(
    catalog: Catalog,
    cfg: DatasetsConfig,
    paths: ProjectPaths,
    checker: SqlChecker | None = None,
    holdout_prompts: tuple[str, ...] = (),
) -> BuildResult:
    pairs, t0 = read_pairs(paths), time.perf_counter()
    folder = paths.dataset_dir("dpo_v3")
    require_audited(folder, "dpo_v3", "the KTO build (it excludes every DPO prompt)")
    dpo = pl.concat([read_dataset(folder, "dpo_v3", "train"), read_dataset(folder, "dpo_v3", "eval")])
    tables, columns, dpo_prompts = pairs["fake_table_pairs"], pairs["fake_column_pairs"], set(dpo["instruction"])
    with _checker(catalog, cfg, checker) as checker:
        df = build_kto_dataset(catalog, tables, columns, cfg, dpo_prompts, checker)
        audits = A.audit_kto(df, catalog, cfg, checker, dpo, tables["fake"].to_list())
    audits.append(A.audit_holdout_leak({"kto": df}, _holdout(pairs), holdout_prompts))
    return _dataset_result(
        "kto_dataset",
        "kto",
        df,
        cfg,
        paths,
        audits,
        ("category", "label", "instruction", "completion"),
        time.perf_counter() - t0,
    )


def build_llamafactory_artifact(cfg: DatasetsConfig, paths: ProjectPaths) -> BuildResult:
    """Export the train splits of the three datasets for llamafactory-cli (eval splits stay ours).

    Refuses a dataset whose blocking audit failed (DatasetError), as training does."""
    for k in ("sft", "dpo_v3", "kto"):
        require_audited(paths.dataset_dir(k), k, "the LLaMA-Factory export")
    frames = {k: read_dataset(paths.dataset_dir(k), k, "train") for k in ("sft", "dpo_v3", "kto")}
    res = write_llamafactory_export(frames["sft"], frames["dpo_v3"], frames["kto"], paths.llamafactory_dir)
    return BuildResult(
        "llamafactory_export",
        res["files"],
        res["records"],
        config_hash(cfg),
        {"kto_tag": "JSON booleans (LLaMA-Factory tests isinstance(kto_tag, bool))"},
    )


def build_imported_artifact(catalog: Catalog, cfg: DatasetsConfig, paths: ProjectPaths) -> BuildResult:
    """``imported_datasets``: each configured import as Parquet under data/datasets/imported/, audited."""
    folder, h = paths.dataset_dir("imported"), config_hash(cfg)
    checker = SqlChecker(catalog)
    loaded = [load_import(spec, paths.root, cfg.system_prompt) for spec in cfg.imports]
    audits, rows, outputs, warnings = [], {}, {}, []
    with atomic_dir(folder) as tmp:
        for i, imp in enumerate(loaded):
            name = f"{i:02d}_{Path(imp.source).stem}_{imp.kind}"
            imp.frame.write_parquet(tmp / f"{name}.parquet")
            rows[name], outputs[name] = imp.frame.height, str(folder / f"{name}.parquet")
            warnings += imp.warnings
            for a in audit_import(imp, catalog, cfg, checker):
                a.name = f"{name}:{a.name}"
                audits.append(a)
        write_manifest(tmp, config_hash=h, seed=cfg.seed, rows=rows, sources=[imp.source for imp in loaded])
    return BuildResult("imported_datasets", outputs, rows, h, {"warnings": "\n".join(warnings) or "(none)"}, audits)
