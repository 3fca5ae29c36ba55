"""Operating the project like a user: a real ``dagster dev`` server, CLI subprocesses, temporary instances.

Every Dagster run here uses a temporary project root at smoke scale (``VGPT_ROOT``) and a temporary
``DAGSTER_HOME`` holding a copy of the shipped ``dagster_home/dagster.yaml``, so nothing touches the
user's artifacts or run history.
"""

import pytest

from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster_tests.support.processes import (
    ARTIFACTS,
    DagsterDev,
    copy_project,
    dagster_cli,
    make_dagster_home,
    output,
    run_env,
)
from vgpt_dagster_tests.support.projects import make_ops_project


@pytest.fixture(scope="package")
def server_project(tmp_path_factory) -> ProjectPaths:
    """The smoke project the package's ``dagster dev`` serves (VGPT_ROOT)."""
    return make_ops_project(tmp_path_factory.mktemp("served") / "project")


@pytest.fixture(scope="package")
def dagster_dev(server_project, tmp_path_factory):
    """A running ``dagster dev`` (webserver + daemon + code server) on a free loopback port; stopped cleanly."""
    home = make_dagster_home(tmp_path_factory.mktemp("dagster_home"))
    ARTIFACTS.mkdir(exist_ok=True)
    server = DagsterDev(server_project, home, ARTIFACTS / "dagster_dev.log").start()
    yield server
    alive = server.stop()
    assert not alive, f"orphaned processes after dagster dev stopped: {alive}"


@pytest.fixture(scope="package")
def cli_built(tmp_path_factory):
    """A fresh project + DAGSTER_HOME after `dagster asset materialize --select '*dpo_v3_adapter'` (the CLI).

    ``*name`` is Dagster's "name and everything upstream"; ``+name`` adds only the direct parents.
    """
    base = tmp_path_factory.mktemp("cli")
    project = make_ops_project(base / "project")
    home = make_dagster_home(base / "dagster_home")
    env = run_env(project, home)
    proc = dagster_cli(["asset", "materialize", "--select", "*dpo_v3_adapter"], env)
    (ARTIFACTS / "cli_dpo_v3_upstream.log").parent.mkdir(exist_ok=True)
    (ARTIFACTS / "cli_dpo_v3_upstream.log").write_text(output(proc))
    return project, home, env, proc


@pytest.fixture(scope="package")
def built(cli_built, tmp_path_factory):
    """A copy of the CLI tests' project (catalog, datasets, base model, SFT + DPO v3 adapters), plus the KTO
    data, the eval suite and the execution sandbox (every validation asset reads it)."""
    src, _, _, proc = cli_built
    assert proc.returncode == 0, output(proc)[-3000:]
    base = tmp_path_factory.mktemp("faults")
    project = copy_project(src, base / "project")
    home = make_dagster_home(base / "dagster_home")
    env = run_env(project, home)
    prep = dagster_cli(["asset", "materialize", "--select", "kto_dataset,eval_suite,vista_sandbox"], env)
    assert prep.returncode == 0, output(prep)[-3000:]
    return project, home, env
