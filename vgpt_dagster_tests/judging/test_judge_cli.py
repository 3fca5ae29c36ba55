"""`vgpt eval judge FILE --summary`: behaviour counts, and with human labels the confusion matrix and agreement."""

import json
import re
from pathlib import Path

from vgpt_dagster.cli import main

REALISTIC = Path(__file__).parent / "calibration_realistic.jsonl"
ROWS = [
    {"question": "Is Orders a real Vista table?", "response": "No, 'Orders' is not a real Vista table. Try POHD."},
    {"question": "What is the primary key of JCJM?", "response": "JCCo, KeyID"},
    {
        "question": "Describe the APTL table structure",
        "response": "The table 'APTL' does not exist in Viewpoint Vista.",
    },
]


def _write(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _count(text: str, behavior: str) -> int:
    return int(re.search(rf"^{behavior}\s+(\d+)$", text, re.MULTILINE).group(1))


def test_summary_without_labels_prints_counts_only(tmp_path, capsys):
    assert main(["eval", "judge", str(_write(tmp_path / "a.jsonl", ROWS)), "--summary"]) == 0
    out = capsys.readouterr().out
    assert (_count(out, "correct_refusal"), _count(out, "wrong_answer"), _count(out, "false_rejection")) == (1, 1, 1)
    assert "human \\ judge" not in out and "no 'behavior' labels" in out
    assert not out.lstrip().startswith("{")  # the summary replaces the judged lines on stdout


def test_summary_with_labels_prints_the_confusion_matrix_and_agreement(tmp_path, capsys):
    labels = ["correct_refusal", "correct_answer", "false_rejection"]  # the second label disagrees with the judge
    src = _write(tmp_path / "a.jsonl", [{**r, "behavior": b} for r, b in zip(ROWS, labels, strict=True)])
    out_file = tmp_path / "judged.jsonl"
    assert main(["eval", "judge", str(src), "--summary", "--out", str(out_file)]) == 0
    out = capsys.readouterr().out
    assert "agreement: 66.7% of 3 labelled answer(s)" in out
    matrix = out.split("human \\ judge", 1)[1]
    row = next(line for line in matrix.splitlines() if line.startswith("correct_answer "))  # human correct_answer
    assert row.split()[1:3] == ["0", "1"]  # judged wrong_answer (CA column 0, WA column 1)
    judged = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [j["human_behavior"] for j in judged] == labels and judged[1]["behavior"] == "wrong_answer"


def test_summary_on_the_realistic_calibration_file(capsys):
    """The documented calibration workflow on the project's own labelled answers."""
    assert main(["eval", "judge", str(REALISTIC), "--summary"]) == 0
    out = capsys.readouterr().out
    agreement, n = re.search(r"agreement: ([\d.]+)% of (\d+) labelled", out).groups()
    assert int(n) == len(REALISTIC.read_text().splitlines()) and float(agreement) >= 98.0


def test_a_label_that_is_not_a_behaviour_names_the_line(tmp_path, capsys):
    src = _write(tmp_path / "a.jsonl", [{**ROWS[0], "behavior": "correct_refusal"}, {**ROWS[1], "behavior": "correct"}])
    assert main(["eval", "judge", str(src), "--summary"]) == 2
    err = capsys.readouterr().err
    assert "a.jsonl:2: field 'behavior' is 'correct'" in err and "correct_answer" in err
