"""Suite sizes and structure, oracle >= 99%, held-out disjointness from training fakes, file round trip."""

import json

import polars as pl
import pytest

from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.pairs import build_fake_column_pairs, build_fake_table_pairs
from vgpt_dagster.errors import ValidationError
from vgpt_dagster.execution.oracle import oracle_answer
from vgpt_dagster.judging.cases import read_suite, suite_fake_names, suite_prompts, write_suite
from vgpt_dagster.judging.judge import judge
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.suite import build_eval_suite


@pytest.fixture(scope="module")
def pairs(full_catalog):
    cfg = DatasetsConfig()
    return build_fake_table_pairs(full_catalog, cfg), build_fake_column_pairs(full_catalog, cfg)


@pytest.fixture(scope="module")
def suite(full_catalog, pairs):
    return build_eval_suite(full_catalog, *pairs, ValidationConfig())


def test_sizes(suite):
    counts = suite.counts()
    assert counts == {
        "schema_knowledge": 100,
        "sql_generation": 150,
        "hallucination": 100,
        "join": 50,
        "error_correction": 50,
        "business_logic": 50,
        "business": 150,
        "holdout": 64,
        "probe": 40,
    }
    assert sum(v for k, v in counts.items() if k not in ("holdout", "probe")) >= 500
    assert len({c.id for c in suite.cases}) == len(suite.cases)


def test_hallucination_category_is_half_fake(suite):
    hal = [c for c in suite.part("main") if c.category == "hallucination"]
    assert sum(c.expects_refusal for c in hal) == 50


def test_probes_pair_real_and_fake(suite, full_catalog):
    probes = suite.part("probe")
    real = [c for c in probes if c.expected_exists]
    fake = [c for c in probes if c.expected_exists is False]
    assert len(real) >= 20 and len(fake) >= 20
    assert {"APTL", "APTH", "APHD", "Companies"} <= {c.subject for c in real}  # English-looking real names too
    assert {"Invoice", "Customer"} <= {c.subject for c in fake}
    assert all(full_catalog.resolve(c.subject) is None for c in fake)


def test_every_case_has_structured_expectations(suite, full_catalog):
    for c in suite.cases:
        assert c.objects_must_use or c.objects_must_refuse or c.columns_must_refuse, c.id
        for name in c.objects_must_use + c.real_alternatives[:1] * (not c.columns_must_refuse):
            assert name in full_catalog.objects, (c.id, name)  # exact spelling
        for name in c.objects_must_refuse:
            assert full_catalog.resolve(name) is None, (c.id, name)  # APHD / Companies never called fake
        if c.kind == "join":
            assert len(c.required_join_keys) >= 2
        if c.kind in ("sql", "join", "error_fix", "business") and not c.expects_refusal:
            assert c.sql_expected


def test_oracle_scores_at_least_99_percent(suite, full_catalog):
    verdicts = [judge(c, oracle_answer(c, full_catalog), full_catalog) for c in suite.cases]
    assert sum(v.passed for v in verdicts) / len(verdicts) >= 0.99
    dropped = suite.meta["dropped"]
    assert len(dropped) <= 0.01 * len(suite.cases), dropped[:5]


def test_broken_cases_are_dropped(full_catalog, pairs, monkeypatch):
    from vgpt_dagster.judging.cases import Case
    from vgpt_dagster.validation import curated

    bad = Case(
        "seed-broken",
        "main",
        "business_logic",
        "business",
        "Unpaid invoices by Status for company 1",
        objects_must_use=("APTH",),
        columns_must_use=("APTH.Status",),
        sql_expected=True,
        company_filter_required=True,
        company=1,
    )  # APTH has no Status column: unanswerable
    real = curated.business_cases
    monkeypatch.setattr(curated, "business_cases", lambda *a: [bad, *real(*a)])
    s = build_eval_suite(full_catalog, *pairs, ValidationConfig())
    assert "seed-broken" not in s.by_id()
    assert any(d["id"] == "seed-broken" for d in s.meta["dropped"])


def test_holdout_shares_no_fake_name_with_training(suite, pairs):
    table_pairs, column_pairs = pairs
    train = {f.lower() for f in table_pairs.filter(pl.col("split") == "train")["fake"]}
    train |= {f.lower() for f in column_pairs.filter(pl.col("split") == "train")["fake_column"]}
    names = suite_fake_names(suite)
    assert len(names) >= 30
    assert not {n.lower() for n in names} & train
    patterns = {c.pattern for c in suite.part("holdout")}
    assert {"case", "real"} <= patterns and len(patterns) >= 6
    assert len(suite.part("holdout")) >= 60


def test_holdout_excludes_training_prompts(full_catalog, pairs, suite):
    some = sorted(suite_prompts(suite))[:5]
    s = build_eval_suite(full_catalog, *pairs, ValidationConfig(), exclude_prompts=some)
    assert not suite_prompts(s) & set(some)


def test_case_variants_are_not_fakes(suite, full_catalog):
    case = [c for c in suite.part("holdout") if c.kind == "case"]
    assert case and all(full_catalog.resolve(c.variant).name == c.objects_must_use[0] for c in case)
    assert not {c.variant for c in case} & suite_fake_names(suite)


def test_round_trip_and_errors(suite, tmp_path):
    path = write_suite(suite, tmp_path / "suite.json")
    again = read_suite(path)
    assert again.cases == suite.cases and again.version == suite.version
    with pytest.raises(ValidationError, match="eval suite not found"):
        read_suite(tmp_path / "missing.json")
    doc = json.loads(path.read_text())
    doc["cases"][0]["question"] = "edited"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValidationError, match="edited by hand"):
        read_suite(path)
    path.write_text(json.dumps({"format": "other"}))
    with pytest.raises(ValidationError, match="not an eval suite"):
        read_suite(path)
