"""`vgpt eval judge`: keeps extra fields, adds behavior/verdict/reasons; bad lines name the line."""

import json

import pytest

from vgpt_dagster.cli import main


def test_eval_judge_writes_verdicts(tmp_path, capsys):
    src = tmp_path / "answers.jsonl"
    rows = [
        {
            "question": "What columns are in the Invoice table?",
            "model": "dpo_v2",
            "response": "There is no table or view named 'Invoice' in Viewpoint Vista. Use APTH.",
        },
        {
            "question": "Describe the APTL table structure",
            "model": "dpo_v2",
            "response": "The table 'APTL' does not exist in Viewpoint Vista.",
        },
    ]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "judged.jsonl"
    assert main(["eval", "judge", str(src), "--out", str(out)]) == 0
    judged = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(j["behavior"], j["verdict"]) for j in judged] == [("correct_refusal", "pass"), ("false_rejection", "fail")]
    assert judged[0]["model"] == "dpo_v2" and judged[1]["reasons"]
    assert "1 pass, 1 fail" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"answers.jsonl:2: not valid JSON"),
        ('{"question": "q"}', r"answers.jsonl:2: field 'response' must be a string \(got missing\)"),
        ('["a"]', r"answers.jsonl:2: expected a JSON object"),
    ],
)
def test_eval_judge_bad_line(tmp_path, capsys, line, message):
    src = tmp_path / "answers.jsonl"
    src.write_text('{"question": "q", "response": "r"}\n' + line + "\n")
    assert main(["eval", "judge", str(src)]) == 2
    import re

    assert re.search(message, capsys.readouterr().err)


def test_eval_run_needs_adapter_or_base(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "run"])
    assert "--adapter" in capsys.readouterr().err


def test_validation_yaml_loads_and_meets_the_issue_sizes():
    from vgpt_dagster.config import load_config
    from vgpt_dagster.errors import ConfigError
    from vgpt_dagster.paths import PACKAGE_ROOT
    from vgpt_dagster.validation.config import ValidationConfig

    cfg = load_config(PACKAGE_ROOT / "configs" / "validation.yaml", ValidationConfig)
    assert cfg.suite.total >= 500 and cfg.holdout_size >= 60 and cfg.probes.real >= 20 and cfg.probes.fake >= 20
    assert (
        cfg.penalties == (0, 1, 10)
        and cfg.gate_severity("tiny") == "WARN"
        and cfg.gate_severity("pretrained") == "ERROR"
    )
    with pytest.raises(ConfigError, match="unknown key 'holdout_sise'. Did you mean 'holdout_size'"):
        load_config(PACKAGE_ROOT / "configs" / "validation.yaml", ValidationConfig, {"holdout_sise": 70})
    with pytest.raises(ConfigError, match="holdout_size"):
        load_config(PACKAGE_ROOT / "configs" / "validation.yaml", ValidationConfig, {"holdout_size": 10})
