"""The app in process with the real engine: requests while loading, the API key, a model that failed to load."""

import threading

import pytest
from fastapi.testclient import TestClient

from vgpt_dagster.serving.engine import Engine, prepare
from vgpt_dagster.serving.server import ServerState, create_app
from vgpt_dagster_tests.support.processes import wait_until

pytestmark = pytest.mark.slow  # uses the micro model + LoRA fixture

ASK = {"model": "vgpt-vista", "messages": [{"role": "user", "content": "Does APTH exist?"}]}


def _wait_ok(c: TestClient) -> None:
    wait_until(lambda: c.get("/health").status_code == 200, "the app to finish loading", poll=0.2)


def test_requests_while_loading_get_503_then_answers(served_root):
    cfg, served, catalog = prepare(served_root)
    release = threading.Event()

    def slow_load():
        release.wait(60)
        return Engine(served_root, cfg, served, catalog).load()

    with TestClient(create_app(ServerState(cfg, slow_load))) as c:
        r = c.post("/v1/chat/completions", json=ASK)
        assert r.status_code == 503 and r.headers["retry-after"] and r.json()["error"]["code"] == "model_loading"
        assert c.get("/health").json()["status"] == "loading"
        release.set()
        _wait_ok(c)
        r = c.post("/v1/chat/completions", json=ASK)
        assert r.status_code == 200 and r.json()["vgpt"]["source"] == "catalog"


def test_api_key_is_required_when_set(served_root):
    cfg, served, catalog = prepare(served_root)
    state = ServerState(cfg, lambda: Engine(served_root, cfg, served, catalog).load(), api_key="s3cret")
    with TestClient(create_app(state)) as c:
        _wait_ok(c)
        assert c.post("/v1/chat/completions", json=ASK).status_code == 401
        bad = c.post("/v1/chat/completions", json=ASK, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and "VGPT_API_KEY" in bad.json()["error"]["message"]
        assert c.get("/v1/models").status_code == 401
        good = c.post("/v1/chat/completions", json=ASK, headers={"Authorization": "Bearer s3cret"})
        assert good.status_code == 200


def test_a_model_that_failed_to_load_is_reported_not_crashed(served_root):
    cfg, served, catalog = prepare(served_root)
    broken = served.__class__(**{**served.to_dict(), "profile": "no-such-profile"})
    with TestClient(create_app(ServerState(cfg, lambda: Engine(served_root, cfg, broken, catalog).load()))) as c:
        wait_until(lambda: c.get("/health").json()["status"] != "loading", "the failed load to be reported", poll=0.1)
        health = c.get("/health")
        assert health.status_code == 503 and "no-such-profile" in health.json()["error"]
        r = c.post("/v1/chat/completions", json=ASK)
        assert r.status_code == 503 and r.json()["error"]["code"] == "model_unavailable"


def test_guard_disabled_in_the_config_applies_to_every_request(served_root):
    cfg, served, catalog = prepare(served_root, {"guard": {"enabled": False}})
    state = ServerState(cfg, lambda: Engine(served_root, cfg, served, catalog).load())
    ask = {"model": "vgpt-vista", "messages": [{"role": "user", "content": "Show unpaid AP invoices for company 1"}]}
    with TestClient(create_app(state)) as c:
        _wait_ok(c)
        extra = c.post("/v1/chat/completions", json=ask).json()["vgpt"]
        assert extra["options"]["guard"] is False and extra["guard"] == [] and extra["reasked"] is False
