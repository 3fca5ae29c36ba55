"""User errors in the training subprocess: exit 2 with the message, an ERROR event under Dagster Pipes."""

import logging
import os
import subprocess
import sys

import dagster as dg
import yaml

from vgpt_dagster.training import pipes_entry
from vgpt_dagster_tests.support.projects import FAST, MICRO, make_root

ENTRY = [sys.executable, "-m", "vgpt_dagster.training.pipes_entry"]


def _root_without_inputs(tmp_path):
    paths = make_root(tmp_path / "root")
    profile = {"kind": "tiny", "tiny": MICRO.model_dump(), "recipe_defaults": FAST}
    (paths.configs / "model_options" / "micro.yaml").write_text(yaml.safe_dump(profile))
    return paths


def test_argv_mode_user_error_exits_2_with_the_message_and_no_traceback(tmp_path):
    paths = _root_without_inputs(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != pipes_entry.PIPES_ENV}
    proc = subprocess.run(
        [*ENTRY, "--stage", "kto", "--profile", "micro", "--root", str(paths.root), "--device", "cpu"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "error: kto training (profile 'micro')" in proc.stderr and "--select '*kto_adapter'" in proc.stderr
    assert str(paths.dataset_dir("kto") / "train.parquet") in proc.stderr
    assert "Traceback" not in proc.stderr


def test_pipes_mode_user_error_is_an_error_event_and_exit_code_2(tmp_path):
    paths = _root_without_inputs(tmp_path)

    @dg.asset
    def kto_stage(context: dg.AssetExecutionContext, pipes: dg.PipesSubprocessClient):
        extras = {"stage": "kto", "profile": "micro", "device": {"device": "cpu"}, "root": str(paths.root)}
        return pipes.run(context=context, command=ENTRY, extras=extras).get_materialize_result()

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [kto_stage], resources={"pipes": dg.PipesSubprocessClient()}, instance=instance, raise_on_error=False
    )
    assert not result.success
    logs = instance.all_logs(result.run_id)
    errors = [e.user_message for e in logs if e.level == logging.ERROR and not e.is_dagster_event]
    assert any("MissingStageInput: kto training (profile 'micro')" in m and "*kto_adapter" in m for m in errors), errors
    assert not any("Traceback" in m for m in errors)
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    err, messages = failure.event_specific_data.error, []
    while err is not None:
        messages.append(err.message)
        err = err.cause
    assert any("External execution process failed with code 2" in m for m in messages), messages


class _Context:
    """What run_pipes uses of a dagster_pipes context."""

    def __init__(self, extras):
        self.extras, self.errors, self.infos, self.reported = extras, [], [], None
        self.log = self

    def error(self, msg):
        self.errors.append(msg)

    def info(self, msg):
        self.infos.append(msg)

    def report_asset_materialization(self, **kw):
        self.reported = kw


def test_run_pipes_reports_bad_extras_and_config_errors(tmp_path, capsys):
    ctx = _Context({"stage": "sft", "profle": "micro"})
    assert pipes_entry.run_pipes(ctx) == 2 and ctx.reported is None
    assert "Pipes extras need 'stage'" in ctx.errors[0] and "profle" in ctx.errors[0]
    paths = _root_without_inputs(tmp_path)
    ctx = _Context({"stage": "sft", "profile": "micro", "root": str(paths.root), "overrides": {"lora_rnk": 4}})
    assert pipes_entry.run_pipes(ctx) == 2
    assert ctx.errors[0].startswith("ConfigError:") and "Did you mean" in ctx.errors[0]
    assert "lora_rnk" in capsys.readouterr().err
