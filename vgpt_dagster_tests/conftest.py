"""Shared fixtures: the small fixture export and the full embedded Vista catalog (both loaded once)."""

import os
from pathlib import Path

# The tests train the smoke-scale `tiny` profile unless they choose another one explicitly (the project default,
# smollm2-135m, is exercised by training/test_smollm2.py). Set before any vgpt_dagster.defs import, so the
# `model` resource and every CLI subprocess (they inherit the environment) default to it too.
os.environ["VGPT_PROFILE"] = "tiny"

import pytest  # noqa: E402

from vgpt_dagster.catalog.load import load_catalog
from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def fixture_dir() -> Path:
    """``vgpt_dagster_tests/fixtures/`` (vista_small/, information_schema_small.csv, ...)."""
    return FIXTURES


@pytest.fixture(scope="session")
def small_catalog() -> Catalog:
    """27 objects cut from the real export (see fixtures/make_fixtures.py), with their keys and FKs."""
    return load_catalog(FIXTURES / "vista_small")


@pytest.fixture(scope="session")
def full_catalog() -> Catalog:
    """The embedded Vista 6.x export of this checkout (3,374 objects); loads in about half a second."""
    return load_catalog(ProjectPaths(PACKAGE_ROOT).embedded_schema)  # immune to tests that move VGPT_ROOT


from vgpt_dagster_tests.support.projects import SMOKE_OVERRIDES, make_project  # noqa: E402


@pytest.fixture
def smoke_project(tmp_path: Path) -> ProjectPaths:
    """A temporary project root at smoke scale (see SMOKE_OVERRIDES)."""
    return make_project(tmp_path / "project", SMOKE_OVERRIDES)
