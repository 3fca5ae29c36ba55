"""Processes the tests run like a user does: ``dagster dev``, CLI subprocesses, waits that fail only on a hang.

Test support only: tests and bench import it, the product never does.
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

from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths

BIN = Path(sys.executable).parent
SHIPPED_DAGSTER_YAML = PACKAGE_ROOT / "dagster_home" / "dagster.yaml"
ARTIFACTS = PACKAGE_ROOT / "test-artifacts"


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

    def stop(self) -> list[psutil.Process]:
        """Stop ``dagster dev`` the way it stops itself, then whatever it started; returns what is still alive.

        SIGTERM goes to ``dagster dev`` alone, which shuts its webserver, daemon and code server down in its own
        order; the wait has no deadline that a slow machine could miss (only the hang guard of
        :func:`wait_until`). Processes it started and did not end get SIGTERM each and are waited for likewise.
        Nothing is SIGKILLed unless the hang guard fires; what comes back alive is an orphan (should be [])."""
        if self.proc is None:
            return []
        known: dict[int, psutil.Process] = {p.pid: p for p in self.descendants}
        try:
            known.update({p.pid: p for p in psutil.Process(self.proc.pid).children(recursive=True)})
        except psutil.NoSuchProcess:
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: self.proc.poll() is not None, "dagster dev to exit after SIGTERM", details=self.tail)
        left = [p for p in known.values() if _running(p)]
        for p in left:
            _terminate(p)
        wait_until(lambda: not any(_running(p) for p in left), "dagster dev's children to exit", details=self.tail)
        self._log.close()
        return [p for p in known.values() if _running(p)]


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _terminate(p: psutil.Process) -> None:
    try:
        p.terminate()
    except psutil.NoSuchProcess:
        pass


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


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` by relative path: "byte-identical" in one comparison."""
    from vgpt_dagster.artifacts import sha256_file

    return {str(p.relative_to(folder)): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_project(src: ProjectPaths, dest: Path) -> ProjectPaths:
    """A private copy of a built project (checkpoint work folders left out)."""
    shutil.copytree(src.root, dest, ignore=shutil.ignore_patterns("*.work"))
    return ProjectPaths(dest)
