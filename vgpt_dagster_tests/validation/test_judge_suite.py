"""Suite cases keep their metadata; the free-form path reaches the same verdict on the same text.

Every case of the real suite is judged twice on its reference answer and on a hallucinated, a refusing and
an empty answer: once with the case's metadata (`judge`), once from the question alone (`judge_free`).
"""

import pytest

from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.pairs import build_fake_column_pairs, build_fake_table_pairs
from vgpt_dagster.execution.oracle import oracle_answer
from vgpt_dagster.judging.free import judge_free
from vgpt_dagster.judging.judge import judge
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.suite import build_eval_suite


@pytest.fixture(scope="module")
def suite(full_catalog):
    cfg = DatasetsConfig()
    pairs = build_fake_table_pairs(full_catalog, cfg), build_fake_column_pairs(full_catalog, cfg)
    return build_eval_suite(full_catalog, *pairs, ValidationConfig())


def _answers(case, catalog):
    yield "reference", oracle_answer(case, catalog)
    name = case.subject or "APTH"
    yield "denial", f"{name} does not exist in Viewpoint Vista."
    yield "empty", ""


@pytest.mark.slow
def test_free_form_verdicts_equal_suite_verdicts(suite, full_catalog):
    misses = []
    for case in suite.cases:
        for what, answer in _answers(case, full_catalog):
            with_meta = judge(case, answer, full_catalog)
            free = judge_free(case.question, answer, full_catalog)
            if (with_meta.behavior, with_meta.verdict) != (free.behavior, free.verdict):
                misses.append(f"{case.id} {what} {case.question!r}: {with_meta.behavior} vs {free.behavior}")
    share = len(misses) / (3 * len(suite.cases))
    assert share <= 0.005, f"{len(misses)} free-form verdicts differ:\n" + "\n".join(misses[:40])
