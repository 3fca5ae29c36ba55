"""Schema retrieval on the real catalog: ranking, the shared schema block, recall@k on calibration cases."""

import json
from pathlib import Path

import pytest

from vgpt_dagster.judging.cases import Case
from vgpt_dagster.retrieval.schema import (
    SchemaIndex,
    recall_at_k,
    render_schema_block,
    retrieve_objects,
    with_schema_context,
)

CALIBRATION = Path(__file__).parents[1] / "judging" / "calibration.jsonl"


@pytest.fixture(scope="module")
def index(full_catalog):
    return SchemaIndex(full_catalog)


def test_named_objects_rank_first(index):
    got = [r.name for r in index.search("How do I join APTH and APTL?", 4)]
    assert got[:2] == ["APTH", "APTL"]


def test_business_words_find_the_main_objects(index):
    assert "APTH" in [r.name for r in index.search("Show unpaid AP invoices for company 1", 4)]
    assert "ARCM" in [r.name for r in index.search("Show all customers with their balance", 4)]
    assert "JCJM" in [r.name for r in index.search("List open jobs and their project managers", 4)]


def test_invented_names_bring_their_did_you_mean(index, full_catalog):
    got = [r.name for r in retrieve_objects(index, "Write SQL for the Invoice table", 4)]
    assert full_catalog.suggest("Invoice", 2) == got[:2]


def test_schema_block_states_catalog_facts(full_catalog):
    block = render_schema_block(full_catalog, ["APTL", "NotAThing"], "line amounts by GL account", 4)
    assert block.startswith("Vista objects:\n- APTL (view of bAPTL")
    assert "NotAThing" not in block
    assert f"key {', '.join(full_catalog.business_key('APTL'))}" in block
    assert "company column APCo" in block
    cols_line = block.splitlines()[2]
    shown = [c.split()[0] for c in cols_line.removeprefix("  columns: ").split(", ")]
    assert len(shown) == 4 and all(full_catalog.column("APTL", c) for c in shown)
    assert any("GL" in c or "Amt" in c for c in shown)  # the columns the question mentions come first
    assert with_schema_context("Q?", block).endswith("\n\nQuestion: Q?")
    assert with_schema_context("Q?", "") == "Q?"


def test_recall_on_calibration_cases(index):
    cases = [Case.from_dict(json.loads(line)["case"]) for line in CALIBRATION.read_text().splitlines()]
    r = recall_at_k(index, cases, (1, 4))
    assert r[4].cases >= 20
    assert r[4].recall >= r[1].recall
    assert r[4].recall >= 0.8, r[4].misses


def test_the_block_datasets_can_train_on_is_the_served_one(index, full_catalog):
    from vgpt_dagster.retrieval.schema import retrieved_schema_block

    q = "How do I join APTH and APTL?"
    block = retrieved_schema_block(index, q, 3, 5)
    names = [r.name for r in retrieve_objects(index, q, 3)]
    assert block == render_schema_block(full_catalog, names, q, 5)
    assert block.count("\n- ") == len(names) == 3
