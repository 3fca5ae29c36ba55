"""One eval suite and one sandbox (restricted to the objects the suite's SQL cases use) shared by these tests."""

import pytest

from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.pairs import build_fake_column_pairs, build_fake_table_pairs
from vgpt_dagster.execution.accuracy import Sandboxes, executable
from vgpt_dagster.execution.sandbox import build_sandbox
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.suite import build_eval_suite

CFG = ValidationConfig()


@pytest.fixture(scope="session")
def suite(full_catalog):
    dcfg = DatasetsConfig()
    pairs = (
        build_fake_table_pairs(full_catalog, dcfg),
        build_fake_column_pairs(full_catalog, dcfg),
    )
    return build_eval_suite(full_catalog, *pairs, CFG)


@pytest.fixture(scope="session")
def suite_objects(suite):
    return sorted({o for c in suite.cases if executable(c) for o in c.objects_must_use} | {"APTH", "APTL", "APVM"})


@pytest.fixture(scope="session")
def sandbox_dir(tmp_path_factory, full_catalog, suite_objects):
    folder = tmp_path_factory.mktemp("sandbox") / "sandbox"
    build_sandbox(full_catalog, CFG.sandbox, CFG.companies, folder, objects=suite_objects)
    return folder


@pytest.fixture(scope="session")
def boxes(sandbox_dir):
    with Sandboxes(sandbox_dir, CFG.sandbox, CFG.companies) as b:
        yield b
