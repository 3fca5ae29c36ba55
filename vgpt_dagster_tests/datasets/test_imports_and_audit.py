"""Imported LLaMA-Factory data: parsing errors, string kto_tag, the DPO v2 imbalance, and `vgpt data audit`."""

import json

import pytest

from vgpt_dagster.cli import main
from vgpt_dagster.datasets.imports import audit_import, load_from_dataset_info, load_llamafactory_file
from vgpt_dagster.errors import DatasetError

from .conftest import FIXTURES


def _dpo_v2_like(path, n_reject=83, n_other=17):
    """The original DPO v2 shape: 83% 'there is no X table' pairs, no pair rewarding a real table."""
    rows = [
        {
            "instruction": f"Query the Invoice{i} table",
            "input": "",
            "chosen": f"There is no 'Invoice{i}' table in Viewpoint Vista. The correct table is APTH.",
            "rejected": f"SELECT * FROM Invoice{i} WITH (NOLOCK)",
        }
        for i in range(n_reject)
    ]
    rows += [
        {
            "instruction": f"Write a query for APTH company {i}",
            "input": "",
            "chosen": f"```sql\nSELECT TOP {i + 1} APCo, Mth, APTrans\nFROM APTH WITH (NOLOCK)\nWHERE APCo = 1\n```",
            "rejected": f"```sql\nSELECT TOP {i + 1} APCo, Mth, APTrans\nFROM APTH\nWHERE APCo = 1\n```",
        }
        for i in range(n_other)
    ]
    path.write_text(json.dumps(rows))
    return path


def test_imbalanced_dpo_file_fails_the_balance_audit(tmp_path, catalog, cfg, checker):
    imp = load_llamafactory_file(_dpo_v2_like(tmp_path / "dpo_v2.json"), "dpo")
    results = {r.name: r for r in audit_import(imp, catalog, cfg, checker)}
    bal = results["dpo_rejection_balance"]
    assert not bal.passed
    assert bal.metrics["rejection_pairs"] == 83 and bal.metrics["acceptance_pairs"] == 0
    assert bal.metrics["rejection_share_of_all"] == pytest.approx(0.83)
    assert "83%" in bal.markdown and "APTL" in bal.markdown


def test_string_kto_labels_are_normalised_with_a_warning_and_fail_the_audit(catalog, cfg, checker, caplog):
    imp = load_llamafactory_file(FIXTURES / "kto_string_labels.json", "kto")
    assert imp.frame["label"].to_list() == [True, False, True]
    assert imp.warnings and "isinstance(kto_tag, bool)" in imp.warnings[0]
    labels = audit_import(imp, catalog, cfg, checker)[0]
    assert labels.name == "kto_labels" and not labels.passed
    assert "not a JSON boolean" in labels.markdown and labels.metrics["label_types"] == {"str": 3}


def test_dataset_info_import_resolves_columns(catalog):
    imp = load_from_dataset_info(FIXTURES / "dataset_info.json", "legacy_kto")
    assert imp.kind == "kto" and imp.frame.height == 3
    with pytest.raises(DatasetError, match=r"no dataset named 'legacy_kt'. Did you mean 'legacy_kto'\?"):
        load_from_dataset_info(FIXTURES / "dataset_info.json", "legacy_kt")


def test_malformed_files_name_file_record_and_field(tmp_path):
    with pytest.raises(DatasetError, match=r"not_json.json: line 3, column 3: not valid JSON"):
        load_llamafactory_file(FIXTURES / "not_json.json", "sft")
    with pytest.raises(
        DatasetError,
        match=r"has columns prompt, completion, label; DPO needs instruction, chosen, "
        r"rejected \(is this a kto set\?\)",
    ):
        load_llamafactory_file(FIXTURES / "kto_as_dpo.json", "dpo")
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(DatasetError, match=r"empty.json: the file holds no records"):
        load_llamafactory_file(tmp_path / "empty.json", "sft")
    (tmp_path / "bad.json").write_text(
        json.dumps([{"instruction": "a", "output": "b"}, {"instruction": "a", "output": 3}])
    )
    with pytest.raises(DatasetError, match=r"bad.json: record 1, field 'output': expected a string, got 3"):
        load_llamafactory_file(tmp_path / "bad.json", "sft")
    (tmp_path / "lab.json").write_text(json.dumps([{"instruction": "a", "output": "b", "kto_tag": "maybe"}]))
    with pytest.raises(DatasetError, match=r"record 0, field 'kto_tag': expected true or false, got 'maybe'"):
        load_llamafactory_file(tmp_path / "lab.json", "kto")


def test_cli_audit_exit_codes(tmp_path, capsys):
    path = _dpo_v2_like(tmp_path / "dpo_v2.json")
    assert main(["data", "audit", str(path), "--kind", "dpo", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert not out["passed"] and any(a["name"] == "dpo_rejection_balance" and not a["passed"] for a in out["audits"])
    assert main(["data", "audit", str(FIXTURES / "not_json.json"), "--kind", "sft"]) == 2
    assert "line 3, column 3" in capsys.readouterr().err
    assert main(["data", "audit", "--dataset-info", str(FIXTURES / "dataset_info.json"), "--name", "legacy_kto"]) == 1


def test_cli_audit_passes_generated_parquet(built):
    path = built["paths"].dataset_dir("dpo_v3") / "train.parquet"
    assert main(["data", "audit", str(path), "--kind", "dpo"]) == 0
