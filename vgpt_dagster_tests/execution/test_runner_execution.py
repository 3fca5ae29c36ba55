"""run_validation with a sandbox: a real (micro) model's answers are executed and scored beside the judge."""

from vgpt_dagster.execution.accuracy import executable
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.runner import run_validation


def test_run_validation_executes_every_sql_answer(tmp_path_factory, sandbox_dir, suite, full_catalog):
    from vgpt_dagster.runtime.profiles import ModelProfile
    from vgpt_dagster.training.tiny import build_tiny_model
    from vgpt_dagster_tests.support.projects import MICRO, make_root
    from vgpt_dagster_tests.support.synthetic import corpus

    profile = ModelProfile(name="micro", kind="tiny", tiny=MICRO)
    paths = make_root(tmp_path_factory.mktemp("execroot"))
    build_tiny_model(corpus(), paths.base_model_dir("micro"), profile, seed=0)
    cases = [c for c in suite.cases if executable(c)][:6] + [c for c in suite.cases if c.expects_refusal][:2]
    small = type(suite)(tuple(cases))
    cfg = ValidationConfig(generation={"max_new_tokens": 16})
    report = run_validation(paths, profile, None, small, full_catalog, cfg, "validation_base", sandbox_dir=sandbox_dir)
    assert set(report.execution) == {c.id for c in cases[:6]}  # refusal cases are not executed
    statuses = {r["status"] for r in report.execution.values()}
    assert statuses <= {"match", "mismatch", "no_sql", "transpile_error", "execution_error", "timeout"}
    m = report.metrics
    assert m["execution_cases"] == 6 and m["execution_accuracy"] is not None
    assert sum(m["execution_outcomes"].values()) == 6 and "execute_s" in report.timings
    without = run_validation(paths, profile, None, small, full_catalog, cfg, "validation_base")
    assert "execution_accuracy" not in without.metrics and without.execution == {}
