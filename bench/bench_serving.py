"""Benchmark serving: a bounded load test of a real `vgpt serve` (8 concurrent clients, loopback only) and
retrieval recall@k of the oracle's objects on the eval suite.

    python bench/bench_serving.py [--root PROJECT] [--clients 8] [--requests 64] [--max-seconds 240]
    python bench/bench_serving.py --recall-only

``--root`` serves that project's model (its configs/serving.yaml); without it a throwaway micro model + 4-step
LoRA is built in a temporary folder. The load test stops after ``--requests`` requests or ``--max-seconds``,
whichever comes first; half the questions are schema questions (catalog answers), half go to the model.
Prints p50/p95 latency, requests/s, failed requests, batch sizes, and the machine line.
"""

import argparse
import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from machine import describe_machine

QUESTIONS = [
    "What is the business key of APTL?",
    "Show unpaid AP invoices for company 1",
    "Which column holds the company in JCJM?",
    "How do I join APTH and APTL?",
    "Does Invoice exist in Vista?",
    "List open jobs for company 2",
    "What data type is the Vendor column in APTH?",
    "Write SQL to list customers with their sort names for company 1",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(root: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "VGPT_ROOT": str(root)}
    env.pop("VGPT_API_KEY", None)
    cmd = [sys.executable, "-m", "vgpt_dagster.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"vgpt serve did not start: {proc.stderr.read() if proc.stderr else ''}")


def load_test(base: str, clients: int, requests: int, max_seconds: float) -> dict:
    import openai

    client = openai.OpenAI(base_url=f"{base}/v1", api_key="loopback", max_retries=0, timeout=max_seconds)
    stop = time.monotonic() + max_seconds
    latencies, failures, sources = [], [], {"catalog": 0, "model": 0}
    counter = iter(range(requests))

    def worker(_):
        for i in counter:
            if time.monotonic() > stop:
                return
            t0 = time.perf_counter()
            try:
                r = client.chat.completions.create(
                    model="vgpt-vista", messages=[{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}]
                )
                latencies.append(time.perf_counter() - t0)
                sources[r.model_extra["vgpt"]["source"]] += 1
            except Exception as err:  # noqa: BLE001 - counted, reported
                failures.append(f"{type(err).__name__}: {err}")

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    wall = time.perf_counter() - t0
    health = httpx.get(f"{base}/health").json()
    qs = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else [float("nan")] * 19
    return {
        "clients": clients,
        "requests": len(latencies) + len(failures),
        "failed": len(failures),
        "failures": failures[:5],
        "wall_s": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 3),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(qs[18], 3),
        "answers_by_source": sources,
        "batches": health["batches_answered"],
        "largest_batch": health["largest_batch"],
    }


def recall(ks=(1, 4, 8)) -> dict:
    from vgpt_dagster.catalog.load import load_catalog
    from vgpt_dagster.datasets.config import DatasetsConfig
    from vgpt_dagster.datasets.pairs import build_fake_column_pairs, build_fake_table_pairs
    from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
    from vgpt_dagster.retrieval.schema import SchemaIndex, recall_at_k
    from vgpt_dagster.validation.config import ValidationConfig
    from vgpt_dagster.validation.suite import build_eval_suite

    cat = load_catalog(ProjectPaths(PACKAGE_ROOT).embedded_schema)
    dc = DatasetsConfig()
    suite = build_eval_suite(cat, build_fake_table_pairs(cat, dc), build_fake_column_pairs(cat, dc), ValidationConfig())
    t0 = time.perf_counter()
    index = SchemaIndex(cat)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = recall_at_k(index, suite.cases, ks)
    per_q = (time.perf_counter() - t0) / max(1, res[ks[0]].cases)
    by_id, k = suite.by_id(), ks[1]
    groups: dict[str, list[int]] = {}
    scored = [c for c in suite.cases if c.objects_must_use or c.real_alternatives]
    for c in scored:
        groups.setdefault(c.category if c.part == "main" else c.part, [0, 0])[1] += 1
    for m in res[k].misses:
        c = by_id[m]
        groups[c.category if c.part == "main" else c.part][0] += 1
    by_group = {g: round(1 - miss / n, 3) for g, (miss, n) in sorted(groups.items())}
    return {
        "suite_cases": len(suite.cases),
        "scored_cases": res[ks[0]].cases,
        "recall": {k: r.recall for k, r in res.items()},
        f"recall_at_{k}_by_category": by_group,
        "index_objects": len(index.names),
        "index_build_s": round(build_s, 3),
        "retrieve_ms_per_question": round(1000 * per_q, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, help="project root to serve (default: a throwaway micro model)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=64)
    ap.add_argument("--max-seconds", type=float, default=240)
    ap.add_argument("--recall-only", action="store_true")
    args = ap.parse_args()
    print(describe_machine())
    print("retrieval:", json.dumps(recall()))
    if args.recall_only:
        return
    root = args.root
    if root is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from vgpt_dagster_tests.support.projects import build_micro_root

        root = build_micro_root(Path(tempfile.mkdtemp()) / "project").root
    port = _free_port()
    proc = _start(root, port)
    try:
        result = load_test(f"http://127.0.0.1:{port}", args.clients, args.requests, args.max_seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print("load:", json.dumps(result))
    print(describe_machine())


if __name__ == "__main__":
    main()
