"""The individual dataset audits, each returning an :class:`AuditResult` (``audit`` runs them per dataset).

The integrator turns each result into a blocking Dagster asset check: ``passed`` decides, ``metrics``
are the figures, ``failures`` a few examples and ``markdown`` what the UI shows. Frames are read by
the contract column names; imported frames have the same columns (``category`` may be "imported").

Examples:
    >>> import polars as pl
    >>> r = audit_kto_labels(pl.DataFrame({"label": ["true", "false"]}), 0.6, 0.05)
    >>> r.passed, "JSON boolean" in r.markdown
    (False, True)
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.config import ACCEPTANCE_CATEGORIES, REJECTION_CATEGORIES, DatasetsConfig
from vgpt_dagster.datasets.language import is_refusal, refused_columns, refused_names
from vgpt_dagster.datasets.records import last_content, normalise_instruction
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.sql import findings as F

ERROR, WARN = "ERROR", "WARN"
MAX_EXAMPLES = 5
# Category of a rejected/undesirable side -> the analyzer rule it must break ("the stated reason").
BAD_SIDE_RULE = {
    "fake_table_rejection": F.UNKNOWN_OBJECT, "fake_table": F.UNKNOWN_OBJECT,
    "fake_column_rejection": F.UNKNOWN_COLUMN, "fake_column": F.UNKNOWN_COLUMN,
    "nolock_style": F.MISSING_NOLOCK, "nolock": F.MISSING_NOLOCK,
    "join_quality": F.INCOMPLETE_JOIN, "join": F.INCOMPLETE_JOIN,
    "company_filter": F.MISSING_COMPANY_FILTER,
}  # fmt: skip
FALSE_REJECTION_CATEGORIES = ("real_table_acceptance", "real_table")


@dataclass
class AuditResult:
    """One audit: pass/fail, its figures, a few failing examples and a Markdown summary."""

    name: str
    passed: bool
    severity: str
    metrics: dict[str, Any]
    failures: list[dict] = field(default_factory=list)
    markdown: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "severity": self.severity,
            "metrics": self.metrics,
            "failures": self.failures,
            "markdown": self.markdown,
        }


def result(
    name: str, passed: bool, metrics: dict, failures: list[dict], summary: str, severity: str = ERROR
) -> AuditResult:
    rows = "\n".join(f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in metrics.items())
    md = f"**{name}: {'passed' if passed else 'FAILED'}.** {summary}\n\n| metric | value |\n|---|---|\n{rows}"
    if failures:
        md += "\n\nExamples:\n" + "\n".join(f"- `{str(x)[:300]}`" for x in failures[:MAX_EXAMPLES])
    return AuditResult(name, passed, severity, metrics, failures[:MAX_EXAMPLES], md)


def category_table(df: pl.DataFrame) -> str:
    """Markdown table of record counts (and shares) per category."""
    counts = Counter(df["category"].to_list()) if "category" in df.columns else Counter({"(none)": df.height})
    total = max(df.height, 1)
    lines = ["| category | records | share |", "|---|---:|---:|"]
    lines += [f"| {c} | {n} | {n / total:.1%} |" for c, n in sorted(counts.items(), key=lambda x: -x[1])]
    return "\n".join(lines)


def prefetch_sql(checker: SqlChecker, answers: list[str]) -> None:
    """Analyse every SQL statement of ``answers`` up front (in the checker's worker processes, if any)."""
    checker.prefetch(sql for text in answers for sql in checker.extract(text))


def texts(df: pl.DataFrame, col: str) -> list[str]:
    """A text column, or the last message of a TRL message column."""
    if col in ("output",) and col in df.columns:
        return df[col].to_list()
    return [last_content(m) for m in df[col].to_list()]


def audit_sql_valid(name: str, df: pl.DataFrame, col: str, checker: SqlChecker) -> list[AuditResult]:
    """Every SQL in ``col`` passes the analyzer; and NOLOCK coverage (share of SQL without missing_nolock) is 100%."""
    ids = df["id"].to_list() if "id" in df.columns else list(range(df.height))
    total = bad = no_nolock = 0
    failures, nolock_fail = [], []
    for rid, text in zip(ids, texts(df, col), strict=True):
        for sql in checker.extract(text):
            total += 1
            a = checker.analyze(sql)
            if not a.ok:
                bad += 1
                failures.append({"id": rid, "sql": sql[:200], "rules": sorted(r.rule for r in a.errors)})
            if F.MISSING_NOLOCK in a.rules():
                no_nolock += 1
                nolock_fail.append({"id": rid, "sql": sql[:200]})
    m = {"sql_statements": total, "failing": bad, "pass_rate": (total - bad) / total if total else 1.0}
    cov = {
        "sql_statements": total,
        "without_nolock": no_nolock,
        "nolock_coverage": (total - no_nolock) / total if total else 1.0,
    }
    return [
        result(f"{name}_sql_valid", bad == 0, m, failures, f"Every SQL statement in `{col}` must pass the analyzer."),
        result(
            f"{name}_nolock_coverage",
            no_nolock == 0,
            cov,
            nolock_fail,
            "Every table in every SELECT needs WITH (NOLOCK).",
        ),
    ]


def audit_no_real_in_rejection(name: str, df: pl.DataFrame, col: str, catalog: Catalog) -> AuditResult:
    """No text in ``col`` (a chosen/desirable answer) says a real object or column does not exist."""
    ids = df["id"].to_list() if "id" in df.columns else list(range(df.height))
    failures, refusals = [], 0
    for rid, text in zip(ids, texts(df, col), strict=True):
        names, cols = refused_names(text), refused_columns(text)
        refusals += bool(names or cols)
        for n in names:
            if catalog.resolve(n) is not None:
                failures.append({"id": rid, "refused": n, "exact_name": catalog.resolve(n).name})
        for t, c in cols:
            if catalog.column(t, c) is not None:
                failures.append({"id": rid, "refused": f"{t}.{c}"})
    m = {"refusals": refusals, "refusals_of_real_objects": len(failures)}
    return result(
        f"{name}_no_real_object_rejected",
        not failures,
        m,
        failures,
        "A good answer must never call a real Vista object non-existent (this taught DPO v2 to reject APTL).",
    )


def audit_no_fake_in_acceptance(
    name: str, df: pl.DataFrame, col: str, checker: SqlChecker, fake_names: Iterable[str] = ()
) -> AuditResult:
    """Answers that do not refuse must not query unknown objects or columns, nor mention a known fake as a table."""
    fakes = {f.lower() for f in fake_names}
    ids = df["id"].to_list() if "id" in df.columns else list(range(df.height))
    failures, accepted = [], 0
    for rid, text in zip(ids, texts(df, col), strict=True):
        if is_refusal(text):
            continue
        accepted += 1
        for sql in checker.extract(text):
            a = checker.analyze(sql)
            unknown = [f.object or f.column for f in a.findings if f.rule in (F.UNKNOWN_OBJECT, F.UNKNOWN_COLUMN)]
            named = [t.name for t in a.tables if t.name.lower() in fakes]
            if unknown or named:
                failures.append({"id": rid, "unknown": unknown or named})
    return result(
        f"{name}_no_fake_object_accepted",
        not failures,
        {"acceptances": accepted, "with_fake_objects": len(failures)},
        failures,
        "An answer that goes ahead must use only real objects and columns.",
    )


def audit_bad_side_fails(
    name: str, df: pl.DataFrame, col: str, checker: SqlChecker, catalog: Catalog, mask: list[bool] | None = None
) -> AuditResult:
    """Each rejected/undesirable answer is wrong for its category's reason (rule broken or real object refused)."""
    cats = df["category"].to_list() if "category" in df.columns else ["imported"] * df.height
    ids = df["id"].to_list() if "id" in df.columns else list(range(df.height))
    failures, checked = [], 0
    for k, (rid, cat, text) in enumerate(zip(ids, cats, texts(df, col), strict=True)):
        if mask is not None and not mask[k]:
            continue
        checked += 1
        if cat in FALSE_REJECTION_CATEGORIES:
            if not any(catalog.resolve(n) for n in refused_names(text)):
                failures.append({"id": rid, "category": cat, "why": "does not falsely refuse a real object"})
            continue
        sqls = checker.extract(text)
        rules = set().union(*(checker.analyze(s).rules() for s in sqls)) if sqls else set()
        want = BAD_SIDE_RULE.get(cat)
        if want and want not in rules:
            failures.append(
                {"id": rid, "category": cat, "why": f"expected {want}, analyzer found {sorted(rules) or 'no SQL'}"}
            )
        elif not want and sqls and all(checker.ok(s) for s in sqls):
            failures.append({"id": rid, "category": cat, "why": "the bad answer's SQL passes the analyzer"})
    return result(
        f"{name}_bad_side_fails_for_reason",
        not failures,
        {"checked": checked, "not_wrong_for_reason": len(failures)},
        failures,
        "A rejected/undesirable answer must break the rule its category teaches, or it teaches noise.",
    )


def audit_duplicates(name: str, df: pl.DataFrame, max_share: float) -> AuditResult:
    keys = [
        normalise_instruction(a) + "\x1f" + normalise_instruction(b)
        for a, b in zip(df["instruction"].to_list(), df["input"].to_list(), strict=True)
    ]
    counts = Counter(keys)
    dups = sum(n - 1 for n in counts.values() if n > 1)
    share = dups / max(len(keys), 1)
    ex = [{"instruction": k.split("\x1f")[0], "copies": n} for k, n in counts.most_common(MAX_EXAMPLES) if n > 1]
    return result(
        f"{name}_duplicates",
        share <= max_share,
        {"records": len(keys), "near_duplicates": dups, "duplicate_share": share, "max_share": max_share},
        ex,
        "Near-duplicate instructions (normalised text).",
    )


def audit_kto_labels(df: pl.DataFrame, desirable_share: float, tolerance: float) -> AuditResult:
    """Labels are JSON booleans, both classes present, desirable share within tolerance of the target."""
    dtype = df.schema["label"]
    if dtype != pl.Boolean:
        vals = Counter(map(repr, df["label"].to_list()[:1000]))
        return result(
            "kto_labels",
            False,
            {"dtype": str(dtype), "values": dict(vals)},
            [dict(vals)],
            f"KTO labels are {dtype}, not booleans. LLaMA-Factory tests `isinstance(kto_tag, bool)`; a "
            "string 'true'/'false' is not a JSON boolean, so the record is not treated as a KTO example "
            "(silently mis-handled). Write true/false as JSON booleans.",
        )
    n = df.height
    good = int(df["label"].sum() or 0)
    share = good / n if n else 0.0
    ok = 0 < good < n and abs(share - desirable_share) <= tolerance
    return result(
        "kto_labels",
        ok,
        {
            "records": n,
            "desirable": good,
            "undesirable": n - good,
            "desirable_share": share,
            "target_share": desirable_share,
            "tolerance": tolerance,
        },
        [],
        "KTO needs both classes; the desirable share must be near the configured ratio.",
    )


def audit_prompt_overlap(dpo: pl.DataFrame, kto: pl.DataFrame) -> AuditResult:
    a = {normalise_instruction(x) for x in dpo["instruction"].to_list()}
    shared = [x for x in kto["instruction"].to_list() if normalise_instruction(x) in a]
    return result(
        "dpo_kto_prompt_overlap",
        not shared,
        {"dpo_prompts": len(a), "kto_prompts": kto.height, "shared": len(shared)},
        [{"instruction": s} for s in shared],
        "DPO and KTO must not share prompts.",
    )


def audit_category_distribution(name: str, df: pl.DataFrame) -> AuditResult:
    """Category counts as a Markdown table (informational: WARN, fails only on an empty dataset)."""
    counts = dict(Counter(df["category"].to_list())) if df.height else {}
    md = category_table(df) if df.height else "The dataset is empty."
    return AuditResult(f"{name}_category_distribution", df.height > 0, WARN if df.height else ERROR, counts, [], md)


def audit_rejection_balance(df: pl.DataFrame, cfg: DatasetsConfig) -> AuditResult:
    """Rejection share of rejection+acceptance pairs inside ``cfg.rejection_share_band``; always blocking (an
    experiment that trains on an imbalanced set on purpose names this audit in its arm, configs/experiments/)."""
    cats = df["category"].to_list()
    if set(cats) <= {"imported"}:  # classify by text: chosen refuses -> rejection; rejected refuses -> acceptance
        chosen, rejected = texts(df, "chosen"), texts(df, "rejected")
        rej = sum(1 for c in chosen if is_refusal(c))
        acc = sum(1 for c, r in zip(chosen, rejected, strict=True) if is_refusal(r) and not is_refusal(c))
    else:
        rej = sum(1 for c in cats if c in REJECTION_CATEGORIES)
        acc = sum(1 for c in cats if c in ACCEPTANCE_CATEGORIES)
    share = rej / (rej + acc) if rej + acc else 0.0
    lo, hi = cfg.rejection_share_band
    ok = rej + acc > 0 and lo <= share <= hi
    summary = (
        f"Rejection pairs are {share:.0%} of rejection+acceptance pairs ({rej} vs {acc}); the band is "
        f"{lo:.0%}-{hi:.0%}. Too many rejections teach the model to call real tables fake (DPO v2: 83% of all "
        f"pairs were rejections and none rewarded a real table, so it rejected APTL)."
    )
    return result(
        "dpo_rejection_balance",
        ok,
        {
            "rejection_pairs": rej,
            "acceptance_pairs": acc,
            "total_pairs": df.height,
            "rejection_share": share,
            "rejection_share_of_all": rej / max(df.height, 1),
            "band_low": lo,
            "band_high": hi,
        },
        [],
        summary,
        ERROR,
    )
