"""Benchmark validation: suite throughput on the tiny model (batched vs one-by-one) and judge throughput.

    python bench/bench_validation.py [--cases 48] [--max-new-tokens 32] [--repeats 3] [--judge-only]

Uses saves/tiny/base when it exists (the tiny profile's model), else builds a throwaway micro model in a
temporary folder. Prints medians and ratios; goals: >= 10x from batching, >= 200 judged responses/s.
The judge is timed twice: on the suite's reference answers with case metadata (`judge`), and free-form on
the realistic calibration answers (`judge_free`, what `vgpt eval judge` does): the first pass over
answers it has not seen (regexes compiled, catalog vocabulary built) and the median of the warm passes.
`--judge-only` skips the model.
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
from vgpt_dagster.execution.oracle import oracle_answer
from vgpt_dagster.judging.judge import judge
from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.runner import conversations
from vgpt_dagster.validation.suite import build_eval_suite


def _model(paths: ProjectPaths):
    from vgpt_dagster.runtime.inference import load_for_inference
    from vgpt_dagster.runtime.profiles import load_profile

    profile = load_profile("tiny", paths)
    if (paths.base_model_dir("tiny") / "config.json").exists():
        return load_for_inference(paths, profile, None), "tiny profile (saves/tiny/base)"
    from vgpt_dagster.training.tiny import build_tiny_model
    from vgpt_dagster_tests.support.synthetic import corpus

    tmp = ProjectPaths(Path(tempfile.mkdtemp()))
    build_tiny_model(corpus(), tmp.base_model_dir("tiny"), profile, seed=0)
    return load_for_inference(tmp, profile, None), "tiny profile architecture, built in a temp folder"


def _bench_free_judge(catalog, repeats: int) -> None:
    """Free-form judging (question + response only) of the realistic calibration answers, cold and warm."""
    from vgpt_dagster.judging.free import judge_free

    path = PACKAGE_ROOT / "vgpt_dagster_tests/judging/calibration_realistic.jsonl"
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    rates = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        agree = sum(
            (v.behavior, v.verdict) == (r["behavior"], r["verdict"])
            for r in rows
            for v in [judge_free(r["question"], r["response"], catalog)]
        )
        rates.append(len(rows) / (time.perf_counter() - t))
    print(
        f"free-form judge: first pass {rates[0]:.0f} responses/s, then median {statistics.median(rates[1:]):.0f}"
        f" responses/s over {len(rows)} realistic answers (goal >= 200); agreement {agree}/{len(rows)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=48)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--judge-only", action="store_true", help="time the judge only (no model generation)")
    args = ap.parse_args()
    import torch

    from vgpt_dagster.runtime.inference import generate, generate_one_by_one

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
        json.loads(x) for x in (PACKAGE_ROOT / "vgpt_dagster_tests/judging/calibration.jsonl").read_text().splitlines()
    ]
    from vgpt_dagster.judging.cases import Case

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
    _bench_free_judge(catalog, args.repeats)
    if args.judge_only:
        return

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
