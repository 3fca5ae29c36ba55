"""The business-intent library: the shipped intents against the real catalog and analyzer, the loader's
errors, deterministic slot filling and split, the SFT mix and its audits, the suite's business cases."""

from pathlib import Path

import polars as pl
import pytest

from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.intent_audit import audit_intent_holdout_leak, shape, sql_features
from vgpt_dagster.datasets.intents.checks import check_library_sql, checked_library, require_objects
from vgpt_dagster.datasets.intents.library import load_intent_library
from vgpt_dagster.datasets.intents.questions import heldout_templates, training_questions, training_templates
from vgpt_dagster.datasets.intents.templates import fill
from vgpt_dagster.datasets.records import normalise_instruction
from vgpt_dagster.errors import ConfigError, DatasetError
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.sql.analyze import analyze
from vgpt_dagster_tests.support.tiny_catalog import tiny_catalog

SHIPPED = ProjectPaths.from_env().configs / "intents"
SEED_QUESTIONS = {
    "Write SQL to get all unpaid AP invoices for company 1",
    "Find AP invoices over $10,000",
    "Get subcontract commitments for a job",
    "Get payroll timecards for employee 100",
    "Find all invoices from January 2024",
}


@pytest.fixture(scope="module")
def library():
    return load_intent_library(SHIPPED)


def test_shipped_library_covers_the_modules_with_150_intents(library):
    assert len(library.intents) >= 150
    mods = library.modules()
    assert {"AP", "AR", "JC", "PR", "SL", "PO", "EM", "GL", "PM", "HR", "SM", "CM", "IN", "JB"} <= set(mods)
    for li in library.intents:
        assert len(li.intent.phrasings) >= 10, li.id
        assert li.intent.assumptions and li.intent.explanation, li.id
    assert {s.question for li in library.intents for s in li.intent.seeds} == SEED_QUESTIONS


def test_every_shipped_intent_sql_passes_the_analyzer_on_real_columns(library, catalog):
    problems = check_library_sql(library, catalog, lambda sql: analyze(sql, catalog))
    assert problems == [], problems[:5]
    for li in library.intents:
        for use in li.intent.uses:
            obj, col = use.split(".")
            assert catalog.objects[obj].column(col).name == col, use  # exact spelling (binary collation)


def test_intent_sql_uses_the_features_analysts_need(library):
    counts: dict[str, int] = {}
    for li in library.intents:
        used: set[str] = set()
        for k in range(len(li.intent.phrasings)):
            used |= {f for f, on in sql_features(fill(li.intent, k, li.company_param, {}).sql).items() if on}
        for f in used:
            counts[f] = counts.get(f, 0) + 1
    assert len(counts) == 10 and all(n >= 3 for n in counts.values()), counts  # every feature, several intents
    assert any("TOP (" in li.intent.sql for li in library.intents)


def _write(folder: Path, module_yaml: str, min_phrasings: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "library.yaml").write_text(f"version: 1\nmin_phrasings: {min_phrasings}\n")
    (folder / "ap.yaml").write_text(module_yaml)
    return folder


_GOOD = """module: AP
company_param: "@APCo"
intents:
  - id: ap_x
    title: Invoices over an amount
    explanation: Lists invoices over the amount.
    assumptions: ["InvTotal is the total"]
    uses: [APTH.InvTotal]
    phrasings: ["Invoices over {amount} for company {co}", "Big invoices {period}"]
    sql: "SELECT InvTotal FROM APTH WITH (NOLOCK) WHERE APCo = {co} AND InvTotal > {amount} [[AND {period(InvDate)}]]"
"""


def test_loader_errors_name_file_intent_and_field(tmp_path):
    bad_slot = _write(tmp_path / "a", _GOOD.replace("{amount} for", "{amout} for"))
    with pytest.raises(ConfigError, match=r"ap\.yaml: intent 'ap_x' phrasings\[0\] uses the unknown slot \{amout\}"):
        load_intent_library(bad_slot)
    few = _write(tmp_path / "b", _GOOD, min_phrasings=10)
    with pytest.raises(ConfigError, match=r"intent 'ap_x' field 'phrasings' has 2 phrasing\(s\); .* at least 10"):
        load_intent_library(few)
    typo = _write(tmp_path / "c", _GOOD.replace("    uses:", "    usess:"))
    with pytest.raises(ConfigError, match=r"unknown key 'intents\.0\.usess'"):
        load_intent_library(typo)
    unused = _write(tmp_path / "d", _GOOD.replace('"Big invoices {period}"', '"Big invoices for vendor {vendor}"'))
    with pytest.raises(ConfigError, match=r"names \{vendor\} but the 'sql' never uses it"):
        load_intent_library(unused)
    with pytest.raises(ConfigError, match="intent library folder not found"):
        load_intent_library(tmp_path / "missing")


def test_slots_fill_the_question_and_the_sql_and_parameters_stand_in(tmp_path):
    lib = load_intent_library(_write(tmp_path / "g", _GOOD))
    intent = lib.intents[0].intent
    q = fill(intent, 0, "@APCo", {"co": 0, "amount": 0})
    assert q.question == "Invoices over $10,000 for company 1" and q.company == 1
    assert "APCo = 1 AND InvTotal > 10000" in q.sql and "InvDate" not in q.sql  # no period asked: no filter
    p = fill(intent, 1, "@APCo", {"period": 2})
    assert p.question == "Big invoices in Q1 2024"
    assert "APCo = @APCo AND InvTotal > @Amount AND InvDate >= '2024-01-01' AND InvDate < '2024-04-01'" in p.sql


def test_filling_and_split_are_deterministic(library):
    a, b = training_questions(library, 7, 2), training_questions(library, 7, 2)
    assert [q.question for _, q in a] == [q.question for _, q in b]
    assert [q.question for _, q in a] != [q.question for _, q in training_questions(library, 8, 2)]
    again = load_intent_library(SHIPPED)
    assert again.split_manifest() == library.split_manifest()
    held = library.split_manifest()["heldout_intents"]
    assert 0.15 * len(library.intents) <= len(held) <= 0.25 * len(library.intents)
    train, out = set(training_templates(library)), set(heldout_templates(library))
    assert not train & out
    assert all(li.heldout_phrasings for li in library.intents)  # every intent gives the suite something
    assert not {q.intent for _, q in a} & set(held)


def test_leak_audit_finds_a_heldout_phrasing_in_training(library, catalog):
    li = next(i for i in library.intents if not i.heldout)
    k = li.heldout_phrasings[0]
    leaked = fill(li.intent, k, li.company_param, {s: 1 for s in li.intent.phrasing_slots(k)}).question
    ok = fill(li.intent, li.training_phrasings()[0], li.company_param, {}).question
    df = pl.DataFrame({"id": ["a", "b"], "instruction": [ok, f"Quick one: {leaked}"]})
    r = audit_intent_holdout_leak(df, library, catalog)
    assert not r.passed and r.failures[0]["id"] == "b"
    assert audit_intent_holdout_leak(df.head(1), library, catalog).passed


def test_shape_masks_names_numbers_and_dates_in_words():
    names = {"APTH", "JCJM"}
    assert shape("Show APTH rows for company 2", names) == shape("Show JCJM rows for company 17", names)
    assert shape("Invoices over $5,000 last month", names) == shape("Invoices over $50k in Q1 2024", names)
    assert shape("Invoices over $5,000", names) != shape("Invoices under $5,000", names)


def test_sft_mix_takes_the_intent_share_and_passes_the_audits(built, cfg):
    res = built["sft"]
    audits = {a.name: a for a in res.audits}
    for name in (
        "sft_intent_share",
        "sft_intent_holdout_leak",
        "sft_natural_question_share",
        "sft_instruction_shapes",
        "sft_sql_feature_coverage",
    ):
        assert audits[name].passed, audits[name].markdown
    assert audits["sft_intent_share"].metrics["share"] >= cfg.min_intent_share
    assert audits["sft_sql_feature_coverage"].metrics["having_share"] > 0
    assert res.metadata["intent_records"] == audits["sft_intent_share"].metrics["from_intents"]
    assert res.metadata["intent_split"]["heldout_intents"]  # the split is in the manifest


def test_config_keeps_intent_share_above_the_floor():
    with pytest.raises(ValueError, match="intent_share=10% is below min_intent_share=30%"):
        DatasetsConfig(intent_share=0.1)


def test_require_objects_reports_intents_a_small_catalog_cannot_answer(library, small_catalog):
    kept, skipped = require_objects(library, lambda o, c: small_catalog.column(o, c) is not None)
    assert len(kept.intents) + len(skipped) == len(library.intents) and skipped and kept.intents


def test_business_suite_cases_ask_only_heldout_phrasings(library, catalog):
    from vgpt_dagster.execution.oracle import oracle_answer
    from vgpt_dagster.judging.judge import judge
    from vgpt_dagster.validation.business import business_cases

    cases = business_cases(catalog, 150, library, seed=1234)
    assert len(cases) == 150
    assert {c.question for c in cases[:5]} == SEED_QUESTIONS
    assert len({c.intent for c in cases}) >= 100
    names = set(catalog.objects)
    train = {shape(t.replace("{", "").replace("}", ""), names) for t in training_templates(library)}
    for c in cases:
        assert judge(c, oracle_answer(c, catalog), catalog).passed, c.id
        assert c.oracle_sql and c.intent and c.assumptions and c.explanation
        assert normalise_instruction(c.question) not in {normalise_instruction(t) for t in train}
    unpaid = cases[0]
    assert unpaid.company == 1 and "APCo = 1" in unpaid.oracle_sql and "OpenYN = 'Y'" in unpaid.oracle_sql


def test_the_documented_example_loads_and_passes_the_analyzer(tmp_path, catalog):
    doc = (ProjectPaths.from_env().root / "docs" / "datasets.md").read_text()
    block = doc.split("## Business intents", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    lib = load_intent_library(_write(tmp_path / "doc", block, min_phrasings=10))
    assert [li.id for li in lib.intents] == ["ap_invoices_by_paymethod"]
    assert check_library_sql(lib, catalog, lambda sql: analyze(sql, catalog)) == []


def test_checked_library_skips_intents_on_absent_objects_and_refuses_wrong_columns(tmp_path):
    cat = tiny_catalog()  # has APTH, no APPH
    other = _GOOD.replace("id: ap_x", "id: ap_y").replace(
        "AND InvTotal > {amount}", "AND Vendor IN (SELECT p.Vendor FROM APPH p WITH (NOLOCK) WHERE p.APCo = {co})"
    )
    two = _GOOD + other.split("intents:\n", 1)[1].replace("{amount} for", "for").replace("over {amount}", "over")
    lib = load_intent_library(_write(tmp_path / "two", two))
    kept, absent = checked_library(lib, cat, lambda sql: analyze(sql, cat))
    assert [li.id for li in kept.intents] == ["ap_x"] and absent == ["ap_y"]
    wrong = load_intent_library(_write(tmp_path / "wrong", _GOOD.replace("SELECT InvTotal", "SELECT InvTotl")))
    with pytest.raises(DatasetError, match=r"ap\.yaml: intent 'ap_x' field 'sql': unknown_column"):
        checked_library(wrong, cat, lambda sql: analyze(sql, cat))


def test_no_training_phrasing_has_the_shape_of_a_heldout_one(library, catalog):
    from vgpt_dagster.datasets.intent_audit import Shaper

    shaper = Shaper(catalog)  # a collision would make the leak audit fail at full scale (any wrapper, any value)
    assert not shaper.templates(training_templates(library)) & shaper.templates(heldout_templates(library))


def test_cli_checks_the_library_and_names_a_broken_intent(tmp_path, capsys):
    import json

    from vgpt_dagster.cli import main

    assert main(["data", "intents", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["intents"] >= 150 and summary["not_answerable_on_this_catalog"] == []
    broken = _write(tmp_path / "broken", _GOOD.replace("SELECT InvTotal", "SELECT InvTotl"))
    assert main(["data", "intents", "--dir", str(broken)]) == 2
    assert "ap.yaml: intent 'ap_x' field 'sql': unknown_column" in capsys.readouterr().err
