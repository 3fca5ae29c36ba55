"""A real `vgpt serve` process on loopback, driven by the official openai client (and raw HTTP for bad input)."""

import concurrent.futures
import json
import os
import socket
import subprocess
import sys

import httpx
import openai
import pytest
import yaml

from vgpt_dagster.catalog.load import load_default_catalog
from vgpt_dagster.sql.analyze import analyze
from vgpt_dagster.sql.extract import extract_sql
from vgpt_dagster_tests.support.processes import wait_until

MODEL = "vgpt-vista"
pytestmark = pytest.mark.slow  # builds a micro model + LoRA, then starts a real server (about a minute)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(root) -> dict:
    env = {**os.environ, "VGPT_ROOT": str(root), "PYTHONUNBUFFERED": "1"}
    env.pop("VGPT_API_KEY", None)
    return env


@pytest.fixture(scope="module")
def server(served_root):
    """`vgpt serve` with the micro model; batching waits 300 ms so concurrent requests share a batch."""
    cfg_path = served_root.configs / "serving.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["batching"] = {"max_batch_size": 8, "max_wait_ms": 300}
    cfg["limits"] = {"max_question_chars": 500, "max_body_bytes": 4096}
    cfg_path.write_text(yaml.safe_dump(cfg))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "vgpt_dagster.cli", "serve", "--port", str(port)],
        env=_env(served_root.root),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def log() -> str:  # only once the process has ended: reading a live pipe would block
        return proc.stdout.read() if proc.stdout and proc.poll() is not None else "(still running)"

    try:
        wait_until(healthy, "vgpt serve to become healthy", alive=lambda: proc.poll() is None, details=log, poll=0.5)
    except AssertionError:
        proc.kill()
        raise
    yield base, proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=f"{server[0]}/v1", api_key="unused-on-loopback", max_retries=0, timeout=120)


def test_models_lists_the_served_model_and_says_it_is_not_promoted(client):
    models = client.models.list()
    assert [m.id for m in models.data] == [MODEL]
    extra = models.data[0].model_extra["vgpt"]
    assert extra["status"] == "fallback" and extra["promoted"] is False
    assert "NOT PROMOTED" in extra["note"] and extra["adapter"].endswith("sft")


def test_chat_completion_answers_with_guard_fields(client):
    r = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Show unpaid AP invoices for company 1"}]
    )
    assert isinstance(r.choices[0].message.content, str) and r.choices[0].message.content
    extra = r.model_extra["vgpt"]
    assert extra["source"] == "model" and extra["model"]["status"] == "fallback"
    assert "APTH" in extra["objects_retrieved"]
    assert len(extra["catalog_hash"]) == 64 and len(extra["model"]["adapter_sha256"]) == 64
    cat = load_default_catalog()
    for sql in extra["sql"]:  # whatever SQL reaches the client has passed the analyzer
        assert analyze(sql, cat).ok, sql
    # usage counts the prompt (system + schema block + question) and the generated tokens, re-ask included
    u = r.usage
    assert u.prompt_tokens > len(extra["objects_retrieved"]) * 10 and u.completion_tokens > 0
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens == sum(extra["usage"].values())


def test_schema_question_is_answered_from_the_catalog(client):
    cat = load_default_catalog()
    r = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "What is the business key of APTL?"}]
    )
    extra = r.model_extra["vgpt"]
    assert extra["source"] == "catalog"
    assert r.usage.total_tokens == 0  # no model call
    assert extra["facts"][0]["value"] == list(cat.business_key("APTL"))
    assert ", ".join(cat.business_key("APTL")) in r.choices[0].message.content


def test_streaming_delivers_the_guarded_answer(client):
    question = "How do I join APTH and APTL?"
    plain = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": question}])
    chunks = list(
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": question}], stream=True)
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == plain.choices[0].message.content  # greedy: the same answer, streamed after the guard
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["vgpt"]["question"] == question


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Write SQL to list all rows of the Invoice table for company 1", True),
        ("Write a query on the VendorInvoices table for company 1", True),
        ("Fix this query: SELECT * FROM Invoices WHERE APCo = 1", True),
        ("Show the InvoiceHeader rows for vendor 5", False),  # not recognisable as a name: the guard still holds
    ],
)
def test_invented_table_never_yields_sql_on_it(client, question, named):
    cat = load_default_catalog()
    r = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": question}])
    content, extra = r.choices[0].message.content, r.model_extra["vgpt"]
    for sql in [*extract_sql(content), *extra["sql"]]:
        a = analyze(sql, cat)
        assert "unknown_object" not in a.rules(), sql
    if named:  # the invented name is reported with its did-you-mean before the model is asked
        assert "not a table or view" in content and "Did you mean" in content


def _post(base, body, **kw):
    return httpx.post(f"{base}/v1/chat/completions", timeout=60, **kw, **({"json": body} if body is not None else {}))


def test_bad_input_gets_clear_errors_and_the_server_keeps_serving(server, client):
    base, proc = server
    ok = {"model": MODEL, "messages": [{"role": "user", "content": "Does APTH exist?"}]}
    cases = [
        (_post(base, {**ok, "messages": [{"role": "user", "content": "   "}]}), 400, "empty_question"),
        (_post(base, {**ok, "messages": [{"role": "user", "content": "x" * 600}]}), 413, "question_too_long"),
        (_post(base, None, content=b"{" + b" " * 5000 + b"}"), 413, "body_too_large"),
        (_post(base, None, content=b'{"model": "vgpt-vista", "messages": "\xff\xfe"}'), 400, "invalid_encoding"),
        (_post(base, None, content=b'{"model": "vgpt-vista", "messages": [}'), 400, "invalid_json"),
        (_post(base, {**ok, "model": "gpt-4"}), 404, "model_not_found"),
        (_post(base, {**ok, "messages": []}), 400, "invalid_messages"),
        (_post(base, {**ok, "stream": "yes"}), 400, "invalid_type"),
    ]
    for resp, status, code in cases:
        assert resp.status_code == status, resp.text
        assert resp.json()["error"]["code"] == code and resp.json()["error"]["message"]
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    assert proc.poll() is None
    assert client.chat.completions.create(model=MODEL, messages=ok["messages"]).choices[0].message.content


def test_concurrent_requests_are_batched(server, client):
    base, _ = server
    before = httpx.get(f"{base}/health").json()["batches_answered"]
    questions = [f"List the vendors of company {i}" for i in range(1, 7)]

    def ask(q):
        return client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": q}])

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(ask, questions))
    assert [a.model_extra["vgpt"]["question"] for a in answers] == questions
    health = httpx.get(f"{base}/health").json()
    assert health["largest_batch"] > 1
    assert health["batches_answered"] - before < len(questions)


def test_health_reports_the_served_weights(server):
    body = httpx.get(f"{server[0]}/health").json()
    assert body["status"] == "ok" and body["served"]["profile"] == "micro"
    assert json.dumps(body)  # plain JSON
