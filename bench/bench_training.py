"""Training benchmark on the tiny (smoke-scale) profile: tokens/s per stage, with and without packing.

    python bench/bench_training.py            # catalog-derived stand-in data unless data/datasets/* exist
    python bench/bench_training.py --real     # require the real generated datasets

Builds everything in a temporary project root (never touches saves/), so it can run next to a pipeline.
Prints per-stage wall time, steps, tokens/s, first/last train loss and eval loss, and the SFT packing ratio.
"""

import argparse
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vgpt_dagster.paths import PACKAGE_ROOT, ProjectPaths  # noqa: E402

SYSTEM = "You are an expert SQL developer for Viewpoint Vista (SQL Server). Use only real Vista tables and columns."


def _msg(role, content):
    return {"role": role, "content": content}


def standin_datasets(paths: ProjectPaths, n_sft: int = 1600, n_pref: int = 600, seed: int = 0) -> None:
    """Catalog-derived rows in the dataset contract, about the length of the real ones (stand-in only)."""
    import polars as pl

    from vgpt_dagster.artifacts import write_parquet_atomic
    from vgpt_dagster.catalog.load import load_catalog

    cat = load_catalog(PACKAGE_ROOT / "data" / "embedded" / "vista6x")
    rng = random.Random(seed)
    views = sorted(n for n, o in cat.objects.items() if o.kind == "view" and len(o.columns) >= 4)
    fakes = ["Invoice", "Customer", "Vendors", "PayrollLines", "JobCostDetail", "GLAccounts", "Employees"]

    def query(v):
        o = cat.objects[v]
        cols = [c.name for c in o.columns[: rng.randint(3, 7)]]
        co = cat.company_column(v) or cols[0]
        return f"```sql\nSELECT {', '.join(cols)}\nFROM {v} WITH (NOLOCK)\nWHERE {co} = @{co};\n```"

    def describe(v):
        o = cat.objects[v]
        return f"{v} ({o.description or 'Vista view'}) has columns " + ", ".join(c.name for c in o.columns[:10]) + "."

    sft, dpo, kto = [], [], []
    for i in range(n_sft):
        v = rng.choice(views)
        q, a = (
            (f"Write a query listing {cat.objects[v].description or v} rows for one company.", query(v))
            if i % 2
            else (f"Describe the {v} view.", describe(v))
        )
        sft.append(
            dict(
                id=f"s{i}",
                category="sql",
                instruction=q,
                input="",
                output=a,
                prompt=[_msg("system", SYSTEM), _msg("user", q)],
                completion=[_msg("assistant", a)],
            )
        )
    for i in range(n_pref):
        v, f = rng.choice(views), rng.choice(fakes)
        if i % 2:
            q, good, bad, ph = (
                f"Query the {f} table.",
                f"There is no table or view named {f} in Vista.",
                f"SELECT * FROM {f};",
                "hallucination",
            )
        else:
            q, good, ph = f"Write a query on {v} for one company.", query(v), "style"
            bad = good.replace(" WITH (NOLOCK)", "")
        p = [_msg("system", SYSTEM), _msg("user", q)]
        dpo.append(
            dict(
                id=f"d{i}",
                category=ph,
                instruction=q,
                input="",
                prompt=p,
                chosen=[_msg("assistant", good)],
                rejected=[_msg("assistant", bad)],
                phase=ph,
            )
        )
        kto.append(
            dict(
                id=f"k{i}",
                category=ph,
                instruction=q,
                input="",
                prompt=p,
                completion=[_msg("assistant", good if i % 4 < 2 else bad)],
                label=i % 4 < 2,
            )
        )
    for kind, rows in (("sft", sft), ("dpo_v3", dpo), ("kto", kto)):
        n_eval = max(8, len(rows) // 20)
        write_parquet_atomic(pl.DataFrame(rows[n_eval:]), paths.dataset_dir(kind) / "train.parquet")
        write_parquet_atomic(pl.DataFrame(rows[:n_eval]), paths.dataset_dir(kind) / "eval.parquet")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", action="store_true", help="use data/datasets/* (fail if missing)")
    ap.add_argument("--profile", default="tiny")
    args = ap.parse_args()
    from vgpt_dagster.training import api

    tmp = Path(tempfile.mkdtemp(prefix="vgpt-bench-train-"))
    paths = ProjectPaths(tmp)
    shutil.copytree(PACKAGE_ROOT / "configs", paths.configs)
    real = ProjectPaths.from_env()
    if args.real or all((real.dataset_dir(k) / "train.parquet").exists() for k in ("sft", "dpo_v3", "kto")):
        for k in ("sft", "dpo_v3", "kto"):
            shutil.copytree(real.dataset_dir(k), paths.dataset_dir(k))
        source = "real generated datasets"
    else:
        standin_datasets(paths)
        source = "catalog-derived stand-in datasets (real ones not built yet)"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores visible; data: {source}")
    t_all = time.time()
    t = time.time()
    facts = api.build_base_model(paths, args.profile)
    print(f"base: {facts['parameters'] / 1e6:.2f}M params, vocab {facts['vocab_size']}, {time.time() - t:.1f} s")
    rows = []
    for stage, over in (("sft", {}), ("dpo_v3", {}), ("kto", {}), ("sft", {"packing": True})):
        label = stage + (" +packing" if over else "")
        r = api.train_stage(stage, paths=paths, profile_name=args.profile, overrides=over, device={"device": "cpu"})
        rows.append((label, r))
        print(
            f"{label:14s} steps {r.steps:4d}  {r.wall_time_s:7.1f} s  {r.tokens_per_second or 0:8.0f} tok/s  "
            f"loss {r.train_loss_first:.3f} -> {r.train_loss_last:.3f}  eval {r.eval_loss:.3f}  "
            + " ".join(f"{k}={v:.3f}" for k, v in r.rewards.items() if "margin" in k or "accur" in k),
            flush=True,
        )
        if label == "kto":
            print(f"pipeline base -> sft -> dpo_v3 -> kto: {time.time() - t_all:.0f} s")
    plain, packed = rows[0][1], rows[3][1]
    if plain.tokens_per_second and packed.tokens_per_second:
        print(f"packing speed-up (tokens/s): {packed.tokens_per_second / plain.tokens_per_second:.2f}x")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
