"""Training benchmark on the tiny (smoke-scale) profile: tokens/s per stage, with and without packing.

    python bench/bench_training.py            # catalog-derived stand-in data unless data/datasets/* exist
    python bench/bench_training.py --real     # require the real generated datasets
    VGPT_ROOT=/tmp/other python bench/bench_training.py --real   # datasets built under another root

Builds everything in a temporary project root (never touches saves/), so it can run next to a pipeline.
Prints the base build (with its pretraining loss and tokens/s), per-stage wall time, steps, tokens/s, first/last
train loss and eval loss, the SFT packing ratio, and SFT on a base without pretraining for comparison.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from machine import describe_machine

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


def _print_row(label: str, r) -> None:
    print(
        f"{label:18s} steps {r.steps:4d}  {r.wall_time_s:7.1f} s  {r.tokens_per_second or 0:8.0f} tok/s  "
        f"loss {r.train_loss_first:.3f} -> {r.train_loss_last:.3f}  eval {r.eval_loss:.3f}  "
        + " ".join(f"{k}={v:.3f}" for k, v in r.rewards.items() if "margin" in k or "accur" in k),
        flush=True,
    )


def _write_profile_without_pretraining(paths: ProjectPaths, profile: str) -> None:
    import yaml

    data = yaml.safe_load((paths.configs / "model_options" / f"{profile}.yaml").read_text())
    data.setdefault("tiny", {})["pretrain_steps"] = 0
    (paths.configs / "model_options" / "nopretrain.yaml").write_text(yaml.safe_dump(data))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", action="store_true", help="use data/datasets/* (fail if missing)")
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--skip-no-pretrain", action="store_true", help="skip the SFT-on-a-random-init-base comparison")
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
    print(f"{describe_machine()}; data: {source}")
    print(f"load average at start: {os.getloadavg()}")
    t_all, cpu_all = time.time(), time.process_time()
    t = time.time()
    facts = api.build_base_model(paths, args.profile)
    pre = facts.get("pretraining") or {}
    print(
        f"base: {facts['parameters'] / 1e6:.2f}M params, vocab {facts['vocab_size']}, {time.time() - t:.1f} s; "
        f"pretraining {pre.get('steps', 0)} steps, {pre.get('tokens', 0)} tokens, "
        f"loss {pre.get('loss_first')} -> {pre.get('loss_last')}, {pre.get('tokens_per_second')} tok/s, "
        f"{pre.get('wall_time_s')} s; process CPU time so far {time.process_time() - cpu_all:.0f} s",
        flush=True,
    )
    rows = []
    runs = [("sft", {}), ("dpo_v3", {}), ("kto", {}), ("sft", {"packing": True})]
    for stage, over in runs:
        label = stage + (" +packing" if over else "")
        r = api.train_stage(stage, paths=paths, profile_name=args.profile, overrides=over, device={"device": "cpu"})
        rows.append((label, r))
        _print_row(label, r)
        if label == "kto":
            print(
                f"pipeline base -> sft -> dpo_v3 -> kto: {time.time() - t_all:.0f} s wall, "
                f"{time.process_time() - cpu_all:.0f} s process CPU time (all threads), load {os.getloadavg()}",
                flush=True,
            )
    plain, packed = rows[0][1], rows[3][1]
    if plain.tokens_per_second and packed.tokens_per_second:
        print(f"packing speed-up (tokens/s): {packed.tokens_per_second / plain.tokens_per_second:.2f}x")
    if not args.skip_no_pretrain:
        # the same SFT on a base without pretraining (random init only): what pretraining buys
        _write_profile_without_pretraining(paths, args.profile)
        t = time.time()
        api.build_base_model(paths, "nopretrain")
        print(f"base without pretraining: {time.time() - t:.1f} s")
        r = api.train_stage("sft", paths=paths, profile_name="nopretrain", device={"device": "cpu"})
        _print_row("sft (no pretrain)", r)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
