"""Automating the pipeline through the webserver's GraphQL API, and the `gpu` pool holding a second GPU run.

Runs launched this way go through the instance's QueuedRunCoordinator; the daemon that `dagster dev`
started dequeues them.
"""

import json
import os
import re
import signal
import subprocess

import pytest

from vgpt_dagster_tests.support.processes import (
    ARTIFACTS,
    LAUNCH_RUN,
    PACKAGE_ROOT,
    TERMINAL,
    launch_assets,
    materialize_command,
    run_env,
    run_status,
    wait_for_run,
    wait_until,
)
from vgpt_dagster_tests.support.projects import make_ops_project

pytestmark = pytest.mark.slow

# everything validation_base reads, so the concurrency test only has to run the GPU step itself
GPU_UPSTREAM = [
    "vista_schema",
    "fake_real_table_pairs",
    "fake_column_pairs",
    "sql_corpus",
    "sft_dataset",
    "dpo_v3_dataset",
    "kto_dataset",
    "base_model",
    "eval_suite",
    "vista_sandbox",
]

RUN_DETAILS = """
query($id: ID!) {
  runOrError(runId: $id) {
    ... on Run {
      status
      runConfigYaml
      assetSelection { path }
      stepStats { stepKey status startTime endTime }
      assetMaterializations {
        assetKey { path }
        metadataEntries { label ... on PathMetadataEntry { path } ... on IntMetadataEntry { intValue } }
      }
    }
  }
}
"""

RUN_LOG = """
query($id: ID!) {
  logsForRun(runId: $id) { ... on EventConnection { events { __typename ... on MessageEvent { message } } } }
}
"""


def run_details(server, run_id: str) -> dict:
    return server.graphql(RUN_DETAILS, {"id": run_id})["runOrError"]


def test_launch_run_with_asset_selection_and_run_config(dagster_dev, tmp_path):
    # The run config points the `paths` resource at another project: proof that the config reached the run.
    other = make_ops_project(tmp_path / "other")
    config = {"resources": {"paths": {"config": {"root": str(other.root)}}}}
    run_id = launch_assets(dagster_dev, ["vista_schema"], config)
    assert wait_for_run(dagster_dev, run_id) == "SUCCESS", dagster_dev.tail()

    run = run_details(dagster_dev, run_id)
    assert run["assetSelection"] == [{"path": ["vista_schema"]}]
    assert str(other.root) in run["runConfigYaml"]
    (mat,) = run["assetMaterializations"]
    meta = {e["label"]: e for e in mat["metadataEntries"]}
    assert meta["objects"]["intValue"] == 3374
    assert meta["path"]["path"] == str(other.catalog_dir)
    assert (other.catalog_dir / "manifest.json").is_file()


def test_launch_run_rejects_a_bad_resource_value(dagster_dev):
    # A typo in run config never starts a run: GraphQL answers with the config error.
    params = {
        "selector": {
            "repositoryLocationName": "vgpt_dagster.definitions",
            "repositoryName": "__repository__",
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": ["sft_adapter"]}],
        },
        "runConfigData": {"resources": {"gpu": {"config": {"devic": "cpu"}}}},
        "mode": "default",
    }
    result = dagster_dev.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
    assert result["__typename"] == "RunConfigValidationInvalid"
    assert any("devic" in e["message"] for e in result["errors"])


@pytest.fixture(scope="module")
def gpu_upstream(dagster_dev):
    """The catalog, datasets, tiny base model, eval suite and sandbox in the served project, built through GraphQL."""
    run_id = launch_assets(dagster_dev, GPU_UPSTREAM)
    assert wait_for_run(dagster_dev, run_id) == "SUCCESS", dagster_dev.tail()
    return run_id


def test_the_nightly_schedule_runs_on_a_fresh_instance(dagster_dev):
    """docs/architecture.md: the nightly revalidation is running by default (nobody has to switch it on)."""
    q = "{ repositoriesOrError { ... on RepositoryConnection { nodes { schedules { name scheduleState { status } } } } } }"
    nodes = dagster_dev.graphql(q)["repositoriesOrError"]["nodes"]
    states = {s["name"]: s["scheduleState"]["status"] for n in nodes for s in n["schedules"]}
    assert states == {"nightly_revalidation_schedule": "RUNNING"}


def test_instance_pool_config_is_the_shipped_one(dagster_dev):
    q = "{ instance { runQueuingSupported poolConfig { poolGranularity defaultPoolLimit } } }"
    inst = dagster_dev.graphql(q)["instance"]
    assert inst["runQueuingSupported"] is True
    assert inst["poolConfig"] == {"poolGranularity": "op", "defaultPoolLimit": 1}


def test_two_gpu_runs_at_once_the_second_waits_and_neither_fails(dagster_dev, gpu_upstream):
    run_ids = [launch_assets(dagster_dev, ["validation_base"]) for _ in range(2)]
    observed: list[tuple[str, str]] = []

    def both_ended() -> bool:
        states = tuple(run_status(dagster_dev, r) for r in run_ids)
        if not observed or observed[-1] != states:
            observed.append(states)
        return all(s in TERMINAL for s in states)

    wait_until(both_ended, "both GPU runs to end", details=lambda: f"{observed}\n{dagster_dev.tail()}")
    assert observed[-1] == ("SUCCESS", "SUCCESS"), (observed, dagster_dev.tail())

    # The GPU steps never overlapped: the later one started after the earlier one ended.
    steps = []
    for r in run_ids:
        (step,) = [s for s in run_details(dagster_dev, r)["stepStats"] if s["stepKey"] == "validation_base"]
        steps.append((step["startTime"], step["endTime"], r))
    (first_start, first_end, _), (second_start, _, second) = sorted(steps)
    assert second_start >= first_end > first_start, steps

    # And the second one visibly waited for the pool: held QUEUED by the daemon while the first ran,
    # or started and logged that its GPU step was blocked by the pool's limit.
    waited_in_queue = any(
        {"QUEUED"} == {s for s, rid in zip(states, run_ids, strict=True) if rid == second}
        and any(s in ("STARTING", "STARTED") for s, rid in zip(states, run_ids, strict=True) if rid != second)
        for states in observed
    )
    events = dagster_dev.graphql(RUN_LOG, {"id": second})["logsForRun"]["events"]
    blocked_in_step = any("blocked by limit for pool gpu" in (e.get("message") or "") for e in events)
    evidence = {"observed_states": observed, "waited_in_queue": waited_in_queue, "blocked_in_step": blocked_in_step}
    (ARTIFACTS / "gpu_pool_two_runs.json").write_text(json.dumps(evidence, indent=1))
    assert waited_in_queue or blocked_in_step, observed


POOL = '{ instance { concurrencyLimit(concurrencyKey: "gpu") { slotCount claimedSlots { runId stepKey } } } }'
CANCEL = """
mutation($id: String!) {
  terminateRun(runId: $id, terminatePolicy: MARK_AS_CANCELED_IMMEDIATELY) { __typename }
}
"""


@pytest.mark.slow
def test_a_killed_run_does_not_wedge_the_gpu_pool(dagster_dev, server_project, gpu_upstream, tmp_path):
    # A CLI run on the served instance, SIGKILLed while its GPU step holds the pool's only slot.
    env = run_env(server_project, dagster_dev.home)
    cmd = materialize_command("validation_base")
    log_path = tmp_path / "killed_run.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd, env=env, cwd=PACKAGE_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until(
                lambda: 'STEP_START - Started execution of step "validation_base"' in log_path.read_text(),
                "the CLI run to start its validation_base step",
                alive=lambda: proc.poll() is None,
                details=lambda: log_path.read_text()[-3000:],
                poll=0.1,
            )
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    run_id = re.search(r"__ASSET_JOB - ([0-9a-f-]{36}) - ", log_path.read_text()).group(1)
    claimed = dagster_dev.graphql(POOL)["instance"]["concurrencyLimit"]["claimedSlots"]
    assert {"runId": run_id, "stepKey": "validation_base"} in claimed  # the dead run still holds the GPU
    assert run_details(dagster_dev, run_id)["status"] == "STARTED"  # and never recorded its end

    # The recovery docs/reliability.md gives: mark the run canceled; the monitoring daemon frees its slot.
    assert dagster_dev.graphql(CANCEL, {"id": run_id})["terminateRun"]["__typename"] == "TerminateRunSuccess"
    wait_until(
        lambda: not dagster_dev.graphql(POOL)["instance"]["concurrencyLimit"]["claimedSlots"],
        "the monitoring daemon to free the canceled run's gpu slot",
        details=dagster_dev.tail,
        poll=1,
    )
    assert run_details(dagster_dev, run_id)["status"] == "CANCELED"
