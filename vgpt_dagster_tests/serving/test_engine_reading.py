"""One reading of a question per request: the catalog path and planning share it (no model needed)."""

from vgpt_dagster.catalog.load import load_default_catalog
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.serving.config import load_serving_config
from vgpt_dagster.serving.engine import AskOptions, Engine
from vgpt_dagster.serving.promoted import ServedModel


def test_a_question_is_classified_once_per_request(monkeypatch):
    import vgpt_dagster.judging.question as question

    calls: list[str] = []
    real = question.classify_question

    def counting(q, catalog):
        calls.append(q)
        return real(q, catalog)

    monkeypatch.setattr(question, "classify_question", counting)
    paths = ProjectPaths(PACKAGE_ROOT)
    cfg = load_serving_config(paths, {"profile": "tiny"})
    engine = Engine(paths, cfg, ServedModel("none", "tiny", None, reason="no model"), load_default_catalog(paths=paths))
    answer = engine.catalog_answer("What columns does APTL have?", AskOptions())
    assert answer is not None and answer.source == "catalog" and "APTL" in answer.answer
    assert calls == ["What columns does APTL have?"]  # checked for the catalog path, then planned: one reading
    assert engine.catalog_answer("Show unpaid AP invoices for company 1", AskOptions()) is None
    assert engine.read_question("Show unpaid AP invoices for company 1").kind == "business_question"
    assert calls.count("Show unpaid AP invoices for company 1") == 1  # the model path would reuse it too
