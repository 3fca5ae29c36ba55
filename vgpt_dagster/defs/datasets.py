"""Dataset assets (group ``datasets``) with their audits as blocking asset checks.

Each asset calls one ``datasets.build`` function, which reads the catalog and upstream files, writes
its artifact atomically and returns figures plus audit results. Every audit becomes an asset check
on the asset: an ERROR-severity failure blocks the downstream training steps of the run, and the
dataset's manifest records it so a training asset selected on its own refuses the data too.
"""

from collections.abc import Callable

import dagster as dg

from vgpt_dagster.catalog.store import read_catalog
from vgpt_dagster.config import load_config
from vgpt_dagster.datasets import build as B
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.dataset_audits import AUDIT_NAMES
from vgpt_dagster.defs.metadata import md_table, to_metadata
from vgpt_dagster.defs.resources import VgptPaths
from vgpt_dagster.defs.versions import code_version, data_version
from vgpt_dagster.errors import MissingUpstreamError
from vgpt_dagster.paths import ProjectPaths

DATASETS_CODE = code_version("datasets.build")


def read_built_catalog(paths: ProjectPaths):
    """The catalog ``vista_schema`` wrote; a clear "build it first" error when it is absent."""
    if not (paths.catalog_dir / "manifest.json").is_file():
        raise MissingUpstreamError("The datasets", [str(paths.catalog_dir / "manifest.json")], "vista_schema")
    return read_catalog(paths.catalog_dir)


def _severity(a) -> dg.AssetCheckSeverity:
    return dg.AssetCheckSeverity.ERROR if a.severity.upper() == "ERROR" else dg.AssetCheckSeverity.WARN


def _imports_check(asset: str, result: B.BuildResult) -> list[dg.AssetCheckResult]:
    """Imports have a varying number of audits (one set per imported file): one check summarises them."""
    rows = [{"audit": a.name, "passed": a.passed, "severity": a.severity} for a in result.audits]
    failed = [a for a in result.audits if not a.passed and a.severity.upper() == "ERROR"]
    details = "\n\n".join(f"### {a.name}\n{a.markdown}" for a in result.audits if not a.passed)
    meta = {"audits": md_table(rows) if rows else "_no imports configured_", "failures": details or None}
    return [
        dg.AssetCheckResult(
            asset_key=asset,
            check_name="imports_audit",
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=to_metadata(meta),
        )
    ]


def check_results(asset: str, result: B.BuildResult) -> list[dg.AssetCheckResult]:
    if asset == "imported_datasets":
        return _imports_check(asset, result)
    out = []
    for a in result.audits:
        meta = {**a.metrics, "summary": a.markdown or None}
        if a.failures:
            meta["failures"] = a.failures[:10]
        out.append(
            dg.AssetCheckResult(
                asset_key=asset,
                check_name=a.name,
                passed=a.passed,
                severity=_severity(a),
                metadata=to_metadata(meta),
            )
        )
    return out


def _dataset_asset(
    name: str,
    deps: list[str],
    builder: Callable[..., B.BuildResult],
    description: str,
    needs_catalog: bool = True,
) -> dg.AssetsDefinition:
    specs = [
        dg.AssetCheckSpec(check, asset=name, blocking=True, description=f"audit '{check}' of {name}")
        for check in AUDIT_NAMES.get(name, ())
    ]

    @dg.asset(
        name=name,
        deps=deps,
        group_name="datasets",
        check_specs=specs,
        kinds={"polars", "parquet"},
        code_version=DATASETS_CODE,
        description=description,
    )
    def _asset(context: dg.AssetExecutionContext, paths: VgptPaths) -> dg.MaterializeResult:
        p = paths.get()
        cfg = load_config(p.configs / "datasets.yaml", DatasetsConfig)
        result = builder(read_built_catalog(p), cfg, p) if needs_catalog else builder(cfg, p)
        failed = [a.name for a in result.audits if not a.passed]
        if failed:
            context.log.warning(f"{name}: audits failed: {', '.join(failed)}")
        files = [v for v in result.outputs.values() if v]
        meta = {"rows": result.rows, "config_hash": result.config_hash, "outputs": result.outputs, **result.metadata}
        return dg.MaterializeResult(
            metadata=to_metadata(meta),
            check_results=check_results(name, result),
            data_version=data_version(files) if files else None,
        )

    return _asset


fake_real_table_pairs = _dataset_asset(
    "fake_real_table_pairs",
    ["vista_schema"],
    B.build_pairs_artifacts,
    "Plausible invented table names (plain English, plurals, CamelCase, near misses, separator variants, "
    "cross-module) mapped to the real objects to use instead, split into a training part and a held-out part. "
    "None collides with any real object, case-insensitively. The same build writes the column pairs and the "
    "case variants (data/datasets/pairs/).",
)


@dg.asset(
    group_name="datasets",
    deps=["fake_real_table_pairs"],
    kinds={"parquet"},
    code_version=DATASETS_CODE,
    description="Invented columns on real tables (ARCM.CustomerName -> Name), same no-collision guarantee. "
    "Written by the fake_real_table_pairs build (one deterministic pass over the catalog); this asset publishes "
    "it so lineage shows which datasets use column pairs.",
)
def fake_column_pairs(paths: VgptPaths) -> dg.MaterializeResult:
    import polars as pl

    f = paths.get().dataset_dir("pairs") / "fake_column_pairs.parquet"
    if not f.is_file():
        raise MissingUpstreamError("fake_column_pairs", [str(f)], "fake_real_table_pairs")
    df = pl.read_parquet(f)
    by_split = {r["split"]: r["len"] for r in df.group_by("split").len().to_dicts()}
    sample = df.head(5).to_dicts()
    return dg.MaterializeResult(
        metadata=to_metadata({"rows": df.height, "by_split": by_split, "sample": sample, "path": f}),
        data_version=data_version([f]),
    )


sql_corpus = _dataset_asset(
    "sql_corpus",
    ["vista_schema"],
    B.build_sql_corpus_artifact,
    "Your own .sql files (configs/datasets.yaml user_sql_dir) run through the analyzer: valid statements "
    "become SQL-generation examples normalised to the conventions; the rest are listed with the reason.",
)
imported_datasets = _dataset_asset(
    "imported_datasets",
    ["vista_schema"],
    B.build_imported_artifact,
    "Existing LLaMA-Factory datasets listed in configs/datasets.yaml, normalised and audited like ours.",
)
sft_dataset = _dataset_asset(
    "sft_dataset",
    ["vista_schema", "fake_real_table_pairs", "fake_column_pairs", "sql_corpus"],
    B.build_sft_artifact,
    "Merged, deduplicated, shuffled SFT set (TRL prompt/completion) with a category on every record.",
)
dpo_v3_dataset = _dataset_asset(
    "dpo_v3_dataset",
    ["vista_schema", "fake_real_table_pairs", "fake_column_pairs"],
    B.build_dpo_artifact,
    "Balanced DPO v3 preference pairs: every rejection matched by a real-table acceptance.",
)
kto_dataset = _dataset_asset(
    "kto_dataset",
    ["vista_schema", "fake_real_table_pairs", "fake_column_pairs", "dpo_v3_dataset"],
    B.build_kto_artifact,
    "KTO desirable/undesirable examples with boolean labels (~60/40), disjoint from the DPO prompts.",
)
llamafactory_export = _dataset_asset(
    "llamafactory_export",
    ["sft_dataset", "dpo_v3_dataset", "kto_dataset"],
    B.build_llamafactory_artifact,
    "data/llamafactory/dataset_info.json plus files, for llamafactory-cli (kto_tag as JSON booleans).",
    needs_catalog=False,
)
