"""Small-scale datasets built once per session from the full default catalog (seconds, not minutes)."""

from pathlib import Path

import pytest

from vgpt_dagster.catalog.load import load_catalog
from vgpt_dagster.datasets import build as B
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.paths import ProjectPaths

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(ProjectPaths.from_env().embedded_schema)


@pytest.fixture(scope="session")
def cfg():
    return DatasetsConfig(scale=0.02, kto_size=5000)  # 2,000 SFT records; 100 KTO records


@pytest.fixture(scope="session")
def checker(catalog):
    return SqlChecker(catalog)


@pytest.fixture(scope="session")
def built(tmp_path_factory, catalog, cfg, checker):
    """Every asset built into a temporary project root, as the Dagster assets would."""
    root = tmp_path_factory.mktemp("vgpt_root")
    (root / "configs").symlink_to(ProjectPaths.from_env().configs)  # the shipped intent library (configs/intents)
    paths = ProjectPaths(root)
    return {
        "paths": paths,
        "pairs": B.build_pairs_artifacts(catalog, cfg, paths),
        "sft": B.build_sft_artifact(catalog, cfg, paths, checker),
        "dpo": B.build_dpo_artifact(catalog, cfg, paths, checker),
        "kto": B.build_kto_artifact(catalog, cfg, paths, checker),
        "llamafactory": B.build_llamafactory_artifact(cfg, paths),
    }
