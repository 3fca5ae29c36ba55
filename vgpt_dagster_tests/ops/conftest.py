"""Operating the project like a user: a real ``dagster dev`` server, CLI subprocesses, temporary instances.

Every Dagster run here uses a temporary project root at smoke scale (``VGPT_ROOT``) and a temporary
``DAGSTER_HOME`` holding a copy of the shipped ``dagster_home/dagster.yaml``, so nothing touches the
user's artifacts or run history.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from vgpt_dagster.config import deep_merge
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.training.profiles import TinyArchitecture
from vgpt_dagster_tests.conftest import SMOKE_OVERRIDES, make_project

BIN = Path(sys.executable).parent
SHIPPED_DAGSTER_YAML = PACKAGE_ROOT / "dagster_home" / "dagster.yaml"
ARTIFACTS = PACKAGE_ROOT / "test-artifacts"

# Smoke scale plus: no pretraining of the tiny base model (minutes on 2 cores; the ops tests prove the
# machinery, not the model) and a validation that judges a handful of short answers.
_EXTRA = {"validation.yaml": {"generation": {"max_new_tokens": 24, "limit": 8}}}
if "pretrain_steps" in TinyArchitecture.model_fields:
    _EXTRA["model_options/tiny.yaml"] = {"tiny": {"pretrain_steps": 0}}
OPS_OVERRIDES = deep_merge(SMOKE_OVERRIDES, _EXTRA)


def make_ops_project(root: Path, overrides: dict | None = None) -> ProjectPaths:
    """A smoke-scale project root for the ops tests (``OPS_OVERRIDES`` merged with ``overrides``)."""
    return make_project(root, deep_merge(OPS_OVERRIDES, overrides or {}))


def make_dagster_home(folder: Path) -> Path:
    """A fresh instance folder with the shipped dagster.yaml (telemetry and nux off, queue, gpu pool)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHIPPED_DAGSTER_YAML, folder / "dagster.yaml")
    return folder


def run_env(project: ProjectPaths | Path, dagster_home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: this venv first on PATH, VGPT_ROOT and DAGSTER_HOME set."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "VGPT_ROOT", "DAGSTER_PIPES_CONTEXT")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VGPT_ROOT"] = str(project.root if isinstance(project, ProjectPaths) else project)
    env["PYTHONUNBUFFERED"] = "1"
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 600, cwd: Path = PACKAGE_ROOT):
    """Run ``args`` (first item: a console script of this venv) and return the CompletedProcess (text)."""
    exe = str(BIN / args[0]) if (BIN / args[0]).exists() else args[0]
    return subprocess.run([exe, *args[1:]], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_or_skip() -> str:
    """Path of Debian's chromium; skip locally when absent, but FAIL in CI (CI=true) where .ci/run installs it."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but `chromium` is not on PATH: .ci/run should have installed Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI always runs this test")
    return path


class DagsterDev:
    """``dagster dev`` in its own session (process group) so the whole tree stops with one signal."""

    def __init__(self, project: ProjectPaths, dagster_home: Path, log: Path, host: str = "127.0.0.1"):
        self.project, self.home, self.log_path, self.host = project, dagster_home, log, host
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.descendants: list[psutil.Process] = []
        self.forced = False  # True when SIGTERM was not enough and the group had to be SIGKILLed

    def start(self) -> "DagsterDev":
        cmd = [str(BIN / "dagster"), "dev", "-h", self.host, "-p", str(self.port), "-w", "workspace.yaml"]
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            cmd,
            cwd=PACKAGE_ROOT,  # workspace.yaml names the module relative to the checkout
            env=run_env(self.project, self.home),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until(self._serving, "dagster dev to serve the code location", alive=self._alive, details=self.tail)
        except AssertionError:
            self.stop()
            raise
        self.descendants = psutil.Process(self.proc.pid).children(recursive=True)
        return self

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _serving(self) -> bool:
        try:
            return requests.get(f"{self.url}/server_info", timeout=2).ok and self._location_loaded()
        except requests.RequestException:
            return False

    def _location_loaded(self) -> bool:
        q = (
            "{ workspaceOrError { ... on Workspace { locationEntries "
            "{ loadStatus locationOrLoadError { __typename } } } } }"
        )
        entries = self.graphql(q)["workspaceOrError"]["locationEntries"]
        return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        r = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)
        r.raise_for_status()
        body = r.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def tail(self, n: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-n:] if self.log_path.exists() else ""

    def stop(self, timeout: float = 60) -> list[psutil.Process]:
        """SIGTERM the process group, wait, SIGKILL what is left; returns processes still alive (should be [])."""
        if self.proc is None:
            return []
        tree = [psutil.Process(self.proc.pid)] if self.proc.poll() is None else []
        try:
            tree += psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            pass
        known = {p.pid: p for p in [*tree, *self.descendants]}
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.forced = True
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        _, alive = psutil.wait_procs(list(known.values()), timeout=20)
        for p in alive:  # a child that left the group: the assertion in the fixture reports it
            p.kill()
        self._log.close()
        return alive


# How long a wait may last before the test calls it a hang. Only a guard against a test that would never
# end: tests assert what happens (events, states, files), never how fast; speed is measured in bench/.
HANG_GUARD_S = 1800.0


def wait_until(done, what: str, *, alive=None, details=None, poll: float = 0.25, hang_after: float = HANG_GUARD_S):
    """Poll ``done()`` until it returns something truthy, and return that.

    ``alive()`` (optional) says whether the process being watched still runs: when it stops first, the wait
    fails at once, saying so. Only after ``hang_after`` seconds with neither does it fail, reported as a hang
    (``details()`` adds the log tail), never as slowness.
    """
    start = time.monotonic()
    while True:
        result = done()
        if result:
            return result
        if alive is not None and not alive():
            raise AssertionError(f"the process ended before {what}:\n{details() if details else ''}")
        if time.monotonic() - start > hang_after:
            raise AssertionError(
                f"HANG: still waiting for {what} after {hang_after:.0f} s (a hang guard, not a speed limit):\n"
                f"{details() if details else ''}"
            )
        time.sleep(poll)


TERMINAL = ("SUCCESS", "FAILURE", "CANCELED")


def run_status(server: DagsterDev, run_id: str) -> str:
    q = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
    return server.graphql(q, {"id": run_id})["runOrError"]["status"]


def wait_for_run(server: DagsterDev, run_id: str) -> str:
    """Poll the run's status through GraphQL until it is terminal; returns the status."""
    return wait_until(
        lambda: (s := run_status(server, run_id)) in TERMINAL and s,
        f"run {run_id} to end",
        details=server.tail,
        poll=0.5,
    )


LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""


def launch_assets(server: DagsterDev, assets: list[str], run_config: dict | None = None) -> str:
    """``launchRun`` of the implicit asset job on ``assets`` with ``run_config``; returns the run id."""
    params = {
        "selector": {
            "repositoryLocationName": "vgpt_dagster.definitions",
            "repositoryName": "__repository__",
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": [a]} for a in assets],
        },
        "runConfigData": run_config or {},
        "mode": "default",
    }
    result = server.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return result["run"]["runId"]


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
    leftovers = [p for p in server.descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive and not leftovers, f"orphaned processes after dagster dev stopped: {alive or leftovers}"
    assert not server.forced, f"dagster dev ignored SIGTERM for 60 s:\n{server.tail()}"


def dagster_cli(args: list[str], env: dict[str, str], timeout: float = 900):
    """``dagster <args>`` against the project's code location (``-m vgpt_dagster.definitions`` added)."""
    return run_cli(["dagster", *args, "-m", "vgpt_dagster.definitions"], env, timeout=timeout)


def materialize_command(selection: str) -> list[str]:
    """``dagster asset materialize -m vgpt_dagster.definitions --select <selection>``, for Popen-started runs."""
    return [str(BIN / "dagster"), "asset", "materialize", "-m", "vgpt_dagster.definitions", "--select", selection]


def output(proc) -> str:
    return (proc.stdout or "") + (proc.stderr or "")


def executed_steps(proc) -> list[str]:
    """Step keys the CLI run started, in order (from Dagster's STEP_START log lines)."""
    import re

    return re.findall(r" - ([a-z0-9_]+) - STEP_START - ", output(proc))


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


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` by relative path: "byte-identical" in one comparison."""
    from vgpt_dagster.artifacts import sha256_file

    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_project(src: ProjectPaths, dest: Path) -> ProjectPaths:
    """A private copy of a built project (checkpoint work folders left out)."""
    shutil.copytree(src.root, dest, ignore=shutil.ignore_patterns("*.work"))
    return ProjectPaths(dest)


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
