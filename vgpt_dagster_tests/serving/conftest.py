"""A project root with a micro model (hidden 32) and a 4-step SFT LoRA, built once per session (seconds)."""

import pytest

from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster_tests.support.projects import build_micro_root


@pytest.fixture(scope="session")
def served_root(tmp_path_factory) -> ProjectPaths:
    return build_micro_root(tmp_path_factory.mktemp("serve") / "project")
