"""Audits of preference data without shortcuts: length ratio, what differs, and agreement with the judge.

* ``dpo_length_ratio``: per category, the median len(chosen)/len(rejected), the share of pairs whose chosen is
  longer, and the *difference profile* (the words only the chosen / only the rejected side has, most common
  first: ``WITH NOLOCK`` for nolock_style, the company column for company_filter). Blocking: every pair inside
  ``dpo_length_band`` and the overall median inside ``dpo_median_ratio_band``.
* ``<name>_judge_agrees``: a sample per category (``judge_sample_per_category``) judged by the validation judge
  (``judging.free.judge_free``, used as it is) on its own prompt: every chosen/desirable answer passes, every
  rejected/undesirable one fails.

Examples:
    >>> difference_profile([("SELECT a FROM t WITH (NOLOCK)", "SELECT a FROM t")])
    {'only_chosen': 'NOLOCK (1), WITH (1)', 'only_rejected': '-'}
"""

import random
import re
import statistics
from collections import Counter, defaultdict

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.audit_checks import WARN, AuditResult, result, texts
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.judging.free import judge_free

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def difference_profile(pairs: list[tuple[str, str]], top: int = 3) -> dict[str, str]:
    """Words one side of a pair has more often than the other, counted over ``pairs`` (most common first)."""
    only_c: Counter = Counter()
    only_r: Counter = Counter()
    for c, r in pairs:
        wc, wr = Counter(_WORD.findall(c)), Counter(_WORD.findall(r))
        only_c.update(set(wc - wr))  # words the chosen side has more often (NOLOCK, the company column)
        only_r.update(set(wr - wc))

    def fmt(cnt: Counter) -> str:
        return ", ".join(f"{w} ({n})" for w, n in sorted(cnt.items(), key=lambda x: (-x[1], x[0]))[:top]) or "-"

    return {"only_chosen": fmt(only_c), "only_rejected": fmt(only_r)}


def audit_dpo_length(df: pl.DataFrame, cfg: DatasetsConfig) -> AuditResult:
    """Chosen and rejected of a pair about equally long; the difference profile per category in the metadata."""
    lo, hi = cfg.dpo_length_band
    mlo, mhi = cfg.dpo_median_ratio_band
    chosen, rejected = texts(df, "chosen"), texts(df, "rejected")
    cats = df["category"].to_list() if "category" in df.columns else ["imported"] * df.height
    by_cat: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for cat, c, r in zip(cats, chosen, rejected, strict=True):
        by_cat[cat].append((c, r))
    ratios = [len(c) / max(len(r), 1) for c, r in zip(chosen, rejected, strict=True)]
    outside = [
        {"id": rid, "category": cat, "ratio": round(x, 3)}
        for rid, cat, x in zip(
            df["id"].to_list() if "id" in df.columns else range(df.height), cats, ratios, strict=True
        )
        if not lo <= x <= hi
    ]
    median = statistics.median(ratios) if ratios else 1.0
    metrics = {
        "pairs": df.height,
        "median_ratio": median,
        "chosen_longer_share": sum(x > 1 for x in ratios) / max(len(ratios), 1),
        "outside_band": len(outside),
        "band": f"{lo}-{hi}",
        "median_band": f"{mlo}-{mhi}",
    }
    rows = [
        "| category | pairs | median ratio | chosen longer | only in chosen | only in rejected |",
        "|---|---:|---:|---:|---|---|",
    ]
    for cat, prs in sorted(by_cat.items()):
        rs = [len(c) / max(len(r), 1) for c, r in prs]
        prof = difference_profile(prs)
        metrics[f"{cat}: median_ratio"] = statistics.median(rs)
        metrics[f"{cat}: only_chosen"] = prof["only_chosen"]
        rows.append(
            f"| {cat} | {len(prs)} | {statistics.median(rs):.3f} | {sum(x > 1 for x in rs) / len(rs):.0%} | "
            f"{prof['only_chosen']} | {prof['only_rejected']} |"
        )
    ok = not outside and mlo <= median <= mhi
    res = result(
        "dpo_length_ratio",
        ok,
        metrics,
        outside,
        "Chosen and rejected must be about equally long, with the same explanatory text, so that 'the longer "
        "answer wins' is not learnable (the original set: chosen longer in 99.8% of pairs, 259 vs 142 chars).",
    )
    res.markdown += "\n\n" + "\n".join(rows)
    return res


def audit_judge_agrees(
    name: str,
    df: pl.DataFrame,
    good: str | None,
    bad: str | None,
    catalog: Catalog,
    per_category: int,
    seed: int,
    severity: str = WARN,
) -> list[AuditResult]:
    """A seeded sample per category judged on its own prompt: ``<name>_judge_passes_good`` (chosen/desirable
    answers pass) and ``<name>_judge_fails_bad`` (rejected/undesirable ones fail). For KTO pass
    ``good=bad=None``: the label decides the side. ``severity``: ERROR makes both block."""
    rng = random.Random(seed)
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for r in df.to_dicts():
        by_cat[r.get("category", "imported")].append(r)
    failures: dict[bool, list[dict]] = {True: [], False: []}
    judged: dict[bool, Counter] = {True: Counter(), False: Counter()}
    for cat, recs in sorted(by_cat.items()):
        for r in rng.sample(recs, min(per_category, len(recs))):
            sides = [(good, True), (bad, False)] if "label" not in r else [("completion", bool(r["label"]))]
            for col, should_pass in sides:
                if col is None:
                    continue
                answer = r[col][-1]["content"] if isinstance(r[col], list) else r[col]
                v = judge_free(r["instruction"], answer, catalog, r.get("id") or "x")
                judged[should_pass][cat] += 1
                if v.passed != should_pass:
                    failures[should_pass].append({"id": r.get("id"), "category": cat, "verdict": v.verdict,
                                                  "reasons": list(v.reasons)[:2]})  # fmt: skip
    out = []
    for side, title, what in ((True, "passes_good", "pass"), (False, "fails_bad", "fail")):
        bad_cats = Counter(f["category"] for f in failures[side])
        metrics = {"judged": sum(judged[side].values()), "disagreements": len(failures[side])}
        metrics |= {f"{c}: disagree": f"{bad_cats[c]}/{n}" for c, n in sorted(judged[side].items())}
        out.append(
            result(
                f"{name}_judge_{title}",
                not failures[side],
                metrics,
                failures[side],
                f"Sampled {'chosen/desirable' if side else 'rejected/undesirable'} answers must {what} the "
                "validation judge on their own prompt (judge_free, as it is).",
                severity,
            )
        )
    return out
