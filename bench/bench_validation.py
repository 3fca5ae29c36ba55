"""Benchmark validation: suite throughput on the tiny model (batched vs one-by-one) and judge throughput.

    python bench/bench_validation.py [--cases 48] [--max-new-tokens 32] [--repeats 3]

Uses saves/tiny/base when it exists (the tiny profile's model), else builds a throwaway micro model in a
temporary folder. Prints medians and ratios; goals: >= 10x from batching, >= 200 judged responses/s.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from machine import describe_machine

from vgpt_dagster.catalog.load import load_catalog
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.pairs import build_fake_column_pairs, build_fake_table_pairs
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.judge import judge
from vgpt_dagster.validation.oracle import oracle_answer
from vgpt_dagster.validation.runner import conversations
from vgpt_dagster.validation.suite import build_eval_suite


def _model(paths: ProjectPaths):
    from vgpt_dagster.training.inference import load_for_inference
    from vgpt_dagster.training.profiles import load_profile

    profile = load_profile("tiny", paths)
    if (paths.base_model_dir("tiny") / "config.json").exists():
        return load_for_inference(paths, profile, None), "tiny profile (saves/tiny/base)"
    from vgpt_dagster.training.tiny import build_tiny_model
    from vgpt_dagster_tests.training.synthetic import corpus

    tmp = ProjectPaths(Path(tempfile.mkdtemp()))
    build_tiny_model(corpus(), tmp.base_model_dir("tiny"), profile, seed=0)
    return load_for_inference(tmp, profile, None), "tiny profile architecture, built in a temp folder"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=48)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import torch

    from vgpt_dagster.training.inference import generate, generate_one_by_one

    paths = ProjectPaths.from_env()
    catalog = load_catalog(ProjectPaths(PACKAGE_ROOT).embedded_schema)
    dc = DatasetsConfig()
    t = time.perf_counter()
    suite = build_eval_suite(
        catalog, build_fake_table_pairs(catalog, dc), build_fake_column_pairs(catalog, dc), ValidationConfig()
    )
    build_s = time.perf_counter() - t
    print(f"{describe_machine()}; torch threads {torch.get_num_threads()}")
    print(f"suite build: {len(suite.cases)} cases in {build_s:.2f} s")

    # judge throughput: oracle answers for every case + the calibration responses
    cal = [
        json.loads(x)
        for x in (PACKAGE_ROOT / "vgpt_dagster_tests/validation/calibration.jsonl").read_text().splitlines()
    ]
    from vgpt_dagster.validation.cases import Case

    pairs = [(c, oracle_answer(c, catalog)) for c in suite.cases] + [
        (Case.from_dict(x["case"]), x["response"]) for x in cal
    ]
    rates = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        for c, r in pairs:
            judge(c, r, catalog)
        rates.append(len(pairs) / (time.perf_counter() - t))
    print(f"judge: median {statistics.median(rates):.0f} responses/s over {len(pairs)} responses (goal >= 200)")

    (model, tok), which = _model(paths)
    convs = conversations(suite, "You are a Viewpoint Vista T-SQL expert.", args.cases)
    gen_b, gen_1 = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        batched = generate(model, tok, convs, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size)
        gen_b.append(time.perf_counter() - t)
        t = time.perf_counter()
        single = generate_one_by_one(model, tok, convs, max_new_tokens=args.max_new_tokens)
        gen_1.append(time.perf_counter() - t)
    b, o = statistics.median(gen_b), statistics.median(gen_1)
    same = sum(x == y for x, y in zip(batched, single, strict=True))
    print(f"model: {which}; {len(convs)} cases, max_new_tokens {args.max_new_tokens}, batch {args.batch_size}")
    print(f"generation batched: median {b:.2f} s ({len(convs) / b:.1f} cases/s)")
    print(f"generation one-by-one: median {o:.2f} s ({len(convs) / o:.1f} cases/s)")
    print(f"batching speed-up: {o / b:.1f}x (goal >= 10x); identical outputs {same}/{len(convs)}")


if __name__ == "__main__":
    main()
