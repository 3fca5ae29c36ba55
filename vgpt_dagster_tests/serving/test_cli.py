"""`vgpt ask` and `vgpt serve` from the command line: answers, JSON shape, refusals with exit 2."""

import json

import pytest

from vgpt_dagster.cli import main

pytestmark = pytest.mark.slow  # uses the micro model + LoRA fixture


@pytest.fixture
def root_env(served_root, monkeypatch):
    monkeypatch.setenv("VGPT_ROOT", str(served_root.root))
    monkeypatch.delenv("VGPT_API_KEY", raising=False)
    return served_root


def test_ask_schema_question_json(root_env, capsys, full_catalog):
    assert main(["ask", "What is the business key of APTH?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"] == "catalog" and out["facts"][0]["value"] == list(full_catalog.business_key("APTH"))
    assert out["model"]["status"] == "fallback" and out["catalog_hash"]


def test_ask_sql_question_goes_through_the_model_and_the_guard(root_env, capsys, full_catalog):
    from vgpt_dagster.sql.analyze import analyze

    assert main(["ask", "Show unpaid AP invoices for company 1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"] == "model" and out["options"]["guard"] is True and out["latency_ms"] > 0
    assert all(analyze(s, full_catalog).ok for s in out["sql"])
    assert main(["ask", "Show unpaid AP invoices for company 1", "--no-guard", "--json"]) == 0
    raw = json.loads(capsys.readouterr().out)
    assert raw["options"]["guard"] is False and raw["guard"] == [] and raw["reasked"] is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "   "], "the question is empty"),
        (["ask", "Does APTH exist?", "--adapter", "saves/micro/nope"], "does not exist"),
        (["ask", "Does APTH exist?", "--require-promoted"], "--require-promoted: no validation report"),
        (["serve", "--host", "0.0.0.0"], "VGPT_API_KEY"),
        (["serve", "--require-promoted"], "Nothing is served"),
        (["serve", "--profile", "nosuch"], "unknown model profile"),
    ],
)
def test_refusals_exit_2_with_the_reason(root_env, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_schema_questions_need_no_trained_model(tmp_path, monkeypatch, capsys, full_catalog):
    from vgpt_dagster_tests.support.projects import make_project

    root = make_project(tmp_path / "fresh")  # a fresh clone: no adapter, no report
    monkeypatch.setenv("VGPT_ROOT", str(root.root))
    assert main(["ask", "Which column holds the company in JCJM?", "--profile", "tiny", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"] == "catalog" and out["facts"][0]["value"] == full_catalog.company_column("JCJM")
    assert out["model"]["status"] == "none" and "no model loaded" in out["model"]["note"]
    assert main(["ask", "Show unpaid AP invoices for company 1", "--profile", "tiny"]) == 2
    assert "has no adapter" in capsys.readouterr().err
