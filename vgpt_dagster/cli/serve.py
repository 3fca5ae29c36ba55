"""`vgpt serve`: the OpenAI-compatible HTTP API (FastAPI + uvicorn) on the served model.

vgpt serve                                  # 127.0.0.1:8000, the promoted model (else the newest adapter, said so)
vgpt serve --port 8001 --adapter saves/tiny/kto
VGPT_API_KEY=... vgpt serve --host 0.0.0.0  # any non-loopback bind needs the API key
"""

import os
import sys


def register(sub) -> None:
    from vgpt_dagster.cli.ask import add_model_options

    p = sub.add_parser(
        "serve",
        help="serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models, /health)",
        description="Loads the model once and answers POST /v1/chat/completions (stream: true for SSE), "
        "GET /v1/models and GET /health. Concurrent requests are batched. Binds 127.0.0.1 unless told otherwise; "
        "a non-loopback --host needs the API key in the env var named by api_key_env (default VGPT_API_KEY), "
        "which clients send as 'Authorization: Bearer <key>'. Settings: configs/serving.yaml.",
    )
    p.add_argument("--host", help="bind address (default: configs/serving.yaml host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: configs/serving.yaml port, 8000)")
    add_model_options(p)
    p.set_defaults(handler=run_serve)


def run_serve(args) -> int:
    from vgpt_dagster.paths import ProjectPaths
    from vgpt_dagster.serving.engine import Engine, prepare
    from vgpt_dagster.serving.promoted import ServingError
    from vgpt_dagster.serving.server import ServerState, create_app

    overrides = {
        k: v for k, v in (("host", args.host), ("port", args.port), ("profile", args.profile)) if v is not None
    }
    paths = ProjectPaths.from_env()
    cfg, served, catalog = prepare(paths, overrides, args.adapter, args.require_promoted or None)
    key = os.environ.get(cfg.api_key_env) or None
    if not cfg.is_loopback and not key:
        raise ServingError(
            f"--host {cfg.host} is not a loopback address: set the API key in ${cfg.api_key_env} "
            "first (clients send it as 'Authorization: Bearer <key>'), or bind 127.0.0.1."
        )
    banner = "promoted" if served.promoted else served.reason
    print(
        f"vgpt serve: {cfg.model_name} on http://{cfg.host}:{cfg.port} - profile {served.profile}, "
        f"adapter {served.adapter_dir} ({banner})",
        file=sys.stderr,
        flush=True,
    )
    import uvicorn

    state = ServerState(cfg, lambda: Engine(paths, cfg, served, catalog).load(), api_key=key)
    uvicorn.run(create_app(state), host=cfg.host, port=cfg.port, log_level="warning")
    return 0
