"""Execution results in validation reports, the comparison, and `vgpt sql run`."""

import json

from vgpt_dagster.cli import main
from vgpt_dagster.execution.accuracy import execution_metrics
from vgpt_dagster.execution.config import SandboxConfig
from vgpt_dagster.execution.sandbox import build_sandbox
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.judging.judge import Verdict
from vgpt_dagster.judging.metrics import compute_metrics
from vgpt_dagster.validation.compare import compare_reports
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.report import ValidationReport, read_report, report_markdown, write_report
from vgpt_dagster.validation.runner import execute_answers
from vgpt_dagster_tests.support.execution_cases import UNPAID_AP

CASE = UNPAID_AP
RIGHT = "```sql\nSELECT APCo, Mth, APTrans, OpenYN FROM APTH WITH (NOLOCK) WHERE APCo = 1 AND OpenYN = 'Y'\n```"
WRONG = RIGHT.replace("OpenYN = 'Y'", "OpenYN = 'N'")


def _report(label, response, sandbox_dir, catalog):
    verdicts = (Verdict("s-1", "correct_answer", "pass"),)
    metrics = compute_metrics(verdicts, [CASE], (0, 1, 10))
    run = execute_answers([CASE], [response], verdicts, catalog, ValidationConfig(), sandbox_dir)
    metrics.update(run["metrics"])
    return ValidationReport(label, {"adapter_dir": label}, "v1", metrics, verdicts, execution=run["cases"])


def test_reports_and_comparison_carry_execution(tmp_path, sandbox_dir, full_catalog):
    sft, dpo = _report("sft", WRONG, sandbox_dir, full_catalog), _report("dpo", RIGHT, sandbox_dir, full_catalog)
    assert sft.metrics["execution_accuracy"] == 0.0 and sft.metrics["static_pass_execution_wrong"] == 1
    assert dpo.metrics["execution_accuracy_by_category"] == {"sql_generation": 1.0}
    md = report_markdown(sft)
    assert "execution accuracy (sandbox, 1 SQL cases) | 0.0%" in md and "| 1/1 |" in md
    js, _ = write_report(sft, tmp_path, "validation_sft")
    assert read_report(js).execution["s-1"]["status"] == "mismatch"  # round trip
    cmp = compare_reports({"sft": sft, "dpo_v3": dpo})
    assert cmp.deltas["sft->dpo_v3"]["execution_accuracy"] == 1.0
    assert cmp.rows["dpo_v3"]["exec:sql_generation"] == 1.0
    assert cmp.execution_changes["sft->dpo_v3"] == [
        {"case_id": "s-1", "before": "mismatch", "after": "match", "reason": ""}
    ]
    assert "Execution result changed sft->dpo_v3: 1 case(s), 1 now match" in cmp.markdown


def test_broken_oracles_are_listed_not_counted():
    results = {"a": {"status": "oracle_error", "reason": "x"}, "b": {"status": "match", "reason": ""}}
    cases = [Case(i, "main", "join", "join", "q", sql_expected=True) for i in "ab"]
    m = execution_metrics(results, cases)
    assert m["execution_cases"] == 1 and m["execution_accuracy"] == 1.0 and m["execution_broken_cases"] == ["a"]


def test_sql_run_cli(tmp_path, small_catalog, capsys):
    folder = tmp_path / "sb"
    build_sandbox(small_catalog, SandboxConfig(rows_per_table=10, seeds=[1], adversarial=False), (1, 2), folder)
    sql = "SELECT APCo, COUNT(*) AS n FROM APTH WITH (NOLOCK) GROUP BY APCo ORDER BY APCo"
    assert main(["sql", "run", sql, "--sandbox", str(folder), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "rows" and out["columns"] == ["APCo", "n"] and [r[0] for r in out["rows"]] == [1, 2]
    assert sum(r[1] for r in out["rows"]) == 10
    assert main(["sql", "run", "UPDATE APTH SET OpenYN = 'N'", "--sandbox", str(folder)]) == 1
    assert "transpile_error" in capsys.readouterr().err
    assert main(["sql", "run", "SELECT 1", "--sandbox", str(tmp_path / "none")]) == 2
    assert "vista_sandbox" in capsys.readouterr().err
    f = tmp_path / "q.sql"
    f.write_text("SELECT TOP 2 APCo FROM APTH")
    assert main(["sql", "run", "-f", str(f), "--sandbox", str(folder / "seed-1.duckdb")]) == 0
    assert "(2 row(s)" in capsys.readouterr().out
