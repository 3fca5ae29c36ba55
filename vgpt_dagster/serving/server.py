"""OpenAI-compatible HTTP API (FastAPI): ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET /health``.

The model is loaded once, in a background thread at start-up (requests meanwhile get HTTP 503 with
``Retry-After``). Concurrent requests go through a small queue: the first waits up to
``batching.max_wait_ms`` for company, then up to ``batching.max_batch_size`` questions are answered by one
batched ``generate`` call. ``stream: true`` answers as Server-Sent Events in the OpenAI chunk format; the
text is streamed *after* the guard has checked it (unguarded SQL never reaches a client). The guard's
findings, the objects used, the adapter/catalog hashes and the latency are in the extra response field
``vgpt`` (plain OpenAI clients ignore it). Per request, ``"vgpt": {"guard": false}`` in the body turns the
guard off.

Errors use OpenAI's shape ``{"error": {"message", "type", "code", "param"}}``: 400 empty / non-UTF-8 /
malformed JSON / bad fields, 401 missing or wrong API key, 404 unknown model, 413 oversized body or question,
503 still loading (or the model failed to load), 500 an unexpected failure; the server keeps serving.
"""

import asyncio
import json
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field

from vgpt_dagster.errors import VgptError
from vgpt_dagster.serving.config import ServingConfig

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, code: str, param: str | None = None, kind: str = "invalid_request_error"
    ):
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.kind = status, message, code, param, kind


@dataclass
class _Job:
    question: str
    guard: bool
    future: asyncio.Future


@dataclass
class ServerState:
    """What the app serves: the config, the engine (once loaded) and the load status."""

    cfg: ServingConfig
    engine_factory: object  # () -> loaded Engine; run in a background thread
    api_key: str | None = None
    engine: object = None
    status: str = "loading"  # loading | ok | error
    error: str | None = None
    started: float = field(default_factory=time.time)
    batches: list[int] = field(default_factory=list)  # sizes of the batches answered (for /health)

    def load(self) -> None:
        try:
            self.engine = self.engine_factory()
            self.status = "ok"
        except Exception as err:  # noqa: BLE001 - reported on /health and every request, never a crash
            log.exception("model failed to load")
            self.status, self.error = "error", f"{type(err).__name__}: {err}"


def _question(messages) -> str:
    """The last user message's text (string content, or the text parts of a content list)."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(
            400, "'messages' must be a non-empty list of {role, content} objects.", "invalid_messages", "messages"
        )
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if not users:
        raise ApiError(400, "'messages' holds no message with role 'user'.", "invalid_messages", "messages")
    content = users[-1].get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    if not isinstance(content, str):
        raise ApiError(400, "the user message's 'content' must be a string.", "invalid_messages", "messages")
    return content


def parse_request(raw: bytes, cfg: ServingConfig) -> tuple[str, bool, bool]:
    """(question, stream, guard) from a raw body, or :class:`ApiError` with the right status."""
    if len(raw) > cfg.limits.max_body_bytes:
        raise ApiError(
            413,
            f"request body is {len(raw)} bytes; the limit is {cfg.limits.max_body_bytes} "
            "(limits.max_body_bytes in configs/serving.yaml).",
            "body_too_large",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ApiError(
            400, f"request body is not UTF-8 ({err.reason} at byte {err.start}).", "invalid_encoding"
        ) from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as err:
        raise ApiError(
            400, f"request body is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno}).", "invalid_json"
        ) from None
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object.", "invalid_json")
    model = body.get("model")
    if model != cfg.model_name:
        raise ApiError(
            404,
            f"model {model!r} does not exist; this server serves {cfg.model_name!r} (GET /v1/models).",
            "model_not_found",
            "model",
        )
    question = _question(body.get("messages")).strip()
    if not question:
        raise ApiError(400, "the question is empty.", "empty_question", "messages")
    if len(question) > cfg.limits.max_question_chars:
        raise ApiError(
            413,
            f"the question has {len(question)} characters; the limit is "
            f"{cfg.limits.max_question_chars} (limits.max_question_chars).",
            "question_too_long",
            "messages",
        )
    extra = body.get("vgpt") or {}
    guard = extra.get("guard", True) if isinstance(extra, dict) else True
    if not isinstance(guard, bool) or not isinstance(body.get("stream", False), bool):
        raise ApiError(400, "'stream' and 'vgpt.guard' must be true or false.", "invalid_type")
    return question, bool(body.get("stream", False)), guard


class Batcher:
    """Groups queued questions into batches for the engine (one batch at a time, in a worker thread)."""

    def __init__(self, state: ServerState):
        self.state = state
        self.queue: asyncio.Queue[_Job] = asyncio.Queue()
        self.task: asyncio.Task | None = None

    async def submit(self, question: str, guard: bool):
        fut = asyncio.get_running_loop().create_future()
        await self.queue.put(_Job(question, guard, fut))
        return await fut

    async def run(self) -> None:
        cfg = self.state.cfg.batching
        while True:
            jobs = [await self.queue.get()]
            deadline = time.monotonic() + cfg.max_wait_ms / 1000
            while len(jobs) < cfg.max_batch_size:
                left = deadline - time.monotonic()
                try:
                    jobs.append(
                        await asyncio.wait_for(self.queue.get(), timeout=max(left, 0))
                        if left > 0
                        else self.queue.get_nowait()
                    )
                except (TimeoutError, asyncio.QueueEmpty):
                    break
            await self._answer(jobs)

    async def _answer(self, jobs: list[_Job]) -> None:
        from vgpt_dagster.serving.engine import AskOptions  # noqa: PLC0415

        engine = self.state.engine
        try:
            outs = await asyncio.to_thread(
                engine.answer_batch, [j.question for j in jobs], [AskOptions(guard=j.guard) for j in jobs]
            )
        except Exception as err:  # noqa: BLE001 - every waiting request gets the error, the loop goes on
            log.exception("batch failed")
            outs = [err] * len(jobs)
        self.state.batches.append(len(jobs))
        del self.state.batches[:-1000]
        for job, out in zip(jobs, outs, strict=True):
            if not job.future.done():
                job.future.set_result(out)


def _error_response(err: ApiError):
    from fastapi.responses import JSONResponse  # noqa: PLC0415

    headers = {"Retry-After": "2"} if err.status == 503 else None
    body = {"error": {"message": err.message, "type": err.kind, "code": err.code, "param": err.param}}
    return JSONResponse(body, status_code=err.status, headers=headers)


def _completion(answer, model: str) -> dict:
    d = answer.to_dict()
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop"}],
        "usage": {**answer.usage, "total_tokens": sum(answer.usage.values())},
        "vgpt": d,
    }


def _sse_chunks(answer, model: str):
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(delta: dict, finish: str | None = None, extra: dict | None = None) -> str:
        body = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        if extra:
            body["vgpt"] = extra
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    text = answer.answer
    for start in range(0, len(text), 64):
        yield chunk({"content": text[start : start + 64]})
    yield chunk({}, "stop", answer.to_dict())
    yield "data: [DONE]\n\n"


def _check_key(state: ServerState, request) -> None:
    if state.api_key is None:
        return
    auth = request.headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else ""
    if not secrets.compare_digest(token.encode(), state.api_key.encode()):
        raise ApiError(
            401,
            f"missing or wrong API key: send 'Authorization: Bearer <${state.cfg.api_key_env}>'.",
            "invalid_api_key",
            kind="authentication_error",
        )


def _check_ready(state: ServerState) -> None:
    if state.status == "loading":
        raise ApiError(503, "the model is still loading; retry in a few seconds.", "model_loading", kind="server_error")
    if state.status == "error":
        raise ApiError(503, f"the model failed to load: {state.error}", "model_unavailable", kind="server_error")


async def _answer(state: ServerState, batcher: Batcher, question: str, guard: bool):
    """Schema questions straight from the catalog (they skip the model queue); the rest through the batcher."""
    try:
        out = await asyncio.to_thread(state.engine.catalog_answer, question)
    except VgptError as err:
        out = err
    if out is None:
        out = await batcher.submit(question, guard)
    if isinstance(out, VgptError):
        raise ApiError(400, str(out), "unanswerable", "messages")
    if isinstance(out, Exception):
        raise ApiError(500, f"internal error: {type(out).__name__}: {out}", "internal_error", kind="server_error")
    return out


def create_app(state: ServerState, load_in_background: bool = True):
    """The FastAPI app; the model loads in a thread when the app starts (``load_in_background``)."""
    from contextlib import asynccontextmanager  # noqa: PLC0415

    from fastapi import FastAPI, Request  # noqa: PLC0415
    from fastapi.responses import JSONResponse, StreamingResponse  # noqa: PLC0415

    batcher = Batcher(state)

    @asynccontextmanager
    async def lifespan(app):
        if load_in_background and state.engine is None:
            threading.Thread(target=state.load, name="vgpt-model-load", daemon=True).start()
        batcher.task = asyncio.create_task(batcher.run())
        yield
        batcher.task.cancel()

    app = FastAPI(title="vgpt serve", lifespan=lifespan, docs_url=None, redoc_url=None)

    def model_info() -> dict:
        return state.engine.model_info if state.engine is not None else {"status": state.status}

    @app.get("/health")
    async def health():
        body = {
            "status": state.status,
            "error": state.error,
            "model": state.cfg.model_name,
            "served": model_info(),
            "batches_answered": len(state.batches),
            "largest_batch": max(state.batches, default=0),
        }
        return JSONResponse(body, status_code=200 if state.status == "ok" else 503)

    @app.get("/v1/models")
    async def models(request: Request):
        try:
            _check_key(state, request)
        except ApiError as err:
            return _error_response(err)
        entry = {
            "id": state.cfg.model_name,
            "object": "model",
            "created": int(state.started),
            "owned_by": "vgpt",
            "vgpt": model_info(),
        }
        return {"object": "list", "data": [entry]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        try:
            _check_key(state, request)
            question, stream, guard = parse_request(await request.body(), state.cfg)
            _check_ready(state)
            out = await _answer(state, batcher, question, guard)
        except ApiError as err:
            return _error_response(err)
        if stream:
            return StreamingResponse(_sse_chunks(out, state.cfg.model_name), media_type="text/event-stream")
        return _completion(out, state.cfg.model_name)

    return app
