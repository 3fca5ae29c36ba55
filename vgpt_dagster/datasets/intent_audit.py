"""Audits of what the SFT instructions ask and what the SQL answers use (issue 15: "teach what Vista users ask").

* ``sft_intent_share``: share of sql_generation records whose instruction is a filled training phrasing of the
  intent library (recognised by its shape), at least ``min_intent_share``.
* ``sft_intent_holdout_leak``: no SFT instruction has the shape of a held-out phrasing or seed question
  (held-out intents and phrasings are for the eval suite's ``business`` category only).
* ``sft_natural_question_share``: share of records whose instruction names no raw catalog object (a user's
  question, not "Select from APTH"), at least ``min_natural_question_share``.
* ``sft_instruction_shapes``: distinct instruction shapes (names, numbers, strings, dates in words masked),
  at least ``min_instruction_shapes`` scaled by ``scale``.
* ``sft_sql_feature_coverage``: each SQL feature analysts use (date functions, CASE, HAVING, IN, LIKE, OR,
  ``<>``, parameters, subqueries, TOP with ORDER BY, SUM over money) appears in at least ``min_feature_share``
  of the sql_generation statements; SUMs over rates or identifiers are counted (informational).

Examples:
    >>> shape("Show AP invoices over $10,000 for company 12 last month", {"APTH"})
    'show ap invoices over <slot> for company <num> <slot>'
    >>> shape("Select everything from APTH for company 2", {"APTH"})
    'select everything from <obj> for company <num>'
    >>> shape("What is the type of APTH.InvTotal?", set(), frozenset({"InvTotal"}))
    'what is the type of <col>'
    >>> sorted(k for k, v in sql_features("SELECT TOP 5 a FROM t WHERE b IN (1, 2) ORDER BY a").items() if v)
    ['in_list', 'top_order_by']
"""

import re
from collections import Counter
from collections.abc import Iterable

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.audit_checks import AuditResult, result
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.intents.model import IntentLibrary
from vgpt_dagster.datasets.intents.questions import WRAPPERS, heldout_templates, training_templates
from vgpt_dagster.datasets.intents.slots import SLOT_PHRASES
from vgpt_dagster.datasets.sqlcheck import SqlChecker

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_SLOT_RE = re.compile(  # dates in words and code-like slot values (plain numbers are masked by _NUM)
    r"(?<!\w)(?:" + "|".join(re.escape(p) for p in SLOT_PHRASES if not p.isdigit()) + r")(?!\w)", re.IGNORECASE
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_NUM = re.compile(r"\$?\d[\d,]*(?:\.\d+)?k?\b")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_#$]*(?:\.[A-Za-z_][A-Za-z0-9_#$]*)?")
_PUNCT = re.compile(r"[^a-z0-9_<> ]+")
_WS = re.compile(r"\s+")

FEATURES: dict[str, re.Pattern] = {
    "date_functions": re.compile(r"\b(DATEADD|DATEDIFF|GETDATE)\s*\(", re.I),
    "case": re.compile(r"\bCASE\b", re.I),
    "having": re.compile(r"\bHAVING\b", re.I),
    "in_list": re.compile(r"\bIN\s*\(", re.I),
    "like": re.compile(r"\bLIKE\b", re.I),
    "or": re.compile(r"\bOR\b", re.I),
    "not_equal": re.compile(r"<>|!="),
    "parameters": re.compile(r"@[A-Za-z]\w*"),
    "subquery": re.compile(r"\(\s*SELECT\b", re.I),
}
_TOP = re.compile(r"\bTOP\b", re.I)
_ORDER = re.compile(r"\bORDER\s+BY\b", re.I)
_SUM = re.compile(r"\bSUM\s*\(\s*(?:\w+\.)?(\w+)\s*\)", re.I)
_MONEY_TYPES = ("bDollar", "money", "smallmoney")
_RATE_TYPES = ("bRate", "bPct", "bUnitCost", "bTrans", "bBatchID", "bCompany", "bEmployee", "bVendor", "bCustomer")


def shape(text: str, object_names: set[str], column_names: frozenset[str] = frozenset()) -> str:
    """An instruction with names and literals masked: what is asked, not about which object or value.

    Object names become ``<obj>``, column names (exact spelling) ``<col>``, numbers ``<num>``, quoted strings
    ``<str>`` and dates in words or code-like slot values ``<slot>``.
    """
    t = _SLOT_RE.sub(" <slot> ", text)
    t = _QUOTED.sub(" <str> ", t)
    t = _NUM.sub(" <num> ", t)
    t = _TOKEN.sub(lambda m: _mask(m.group(0), object_names, column_names), t)
    return _WS.sub(" ", _PUNCT.sub(" ", t.lower())).strip()


def _mask(token: str, objects: set[str], columns: frozenset[str]) -> str:
    head, _, tail = token.partition(".")
    if head in objects:
        return " <obj> "
    return " <col> " if (tail or head) in columns else token


def column_names(catalog: Catalog) -> frozenset[str]:
    """Every column name of the catalog (exact spelling), for masking."""
    return frozenset(c for o in catalog.objects.values() for c in o.column_names)


def names_in(text: str, object_names: set[str]) -> bool:
    """True when ``text`` names a catalog object (exact spelling, ``Object`` or ``Object.Column``)."""
    return any(tok.split(".")[0] in object_names for tok in _TOKEN.findall(text))


class Shaper:
    """``shape`` against one catalog, memoised by text (the audits of one dataset share one)."""

    def __init__(self, catalog: Catalog):
        self.names, self.cols = set(catalog.objects), column_names(catalog)
        self._memo: dict[str, str] = {}
        self._keys: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        hit = self._memo.get(text)
        if hit is None:
            hit = self._memo[text] = shape(text, self.names, self.cols)
        return hit

    def key(self, text: str) -> str:
        """The shape with every literal as ``<slot>`` (what a filled template and its template share).

        Column names stay: masking them would merge different questions ("Approved change orders ..." and
        "Subcontract change orders ...": both words are Vista column names).
        """
        hit = self._keys.get(text)
        if hit is None:
            hit = self._keys[text] = shape(text, self.names).replace("<num>", "<slot>").replace("<str>", "<slot>")
        return hit

    def templates(self, templates: Iterable[str]) -> set[str]:
        """Keys of phrasing templates (slots masked), bare and inside every wrapper."""
        out = set()
        for t in templates:
            bare = _PLACEHOLDER.sub(" <slot> ", t)
            out.update(self.key(w.format(q=bare)) for w in WRAPPERS)
        return out


def sql_features(sql: str) -> dict[str, bool]:
    """Which analyst features one statement uses (regex over the SQL text)."""
    out = {k: bool(p.search(sql)) for k, p in FEATURES.items()}
    out["top_order_by"] = bool(_TOP.search(sql) and _ORDER.search(sql))
    return out


def _sum_kinds(sql: str, objects: tuple[str, ...], catalog: Catalog) -> tuple[int, int]:
    """(SUMs over money columns, SUMs over rates / identifiers) of one statement."""
    money = other = 0
    for m in _SUM.finditer(sql):
        col = next((catalog.column(o, m.group(1)) for o in objects if catalog.column(o, m.group(1))), None)
        if col is None:
            continue
        t = col.type_sql
        money += t in _MONEY_TYPES
        other += t in _RATE_TYPES
    return money, other


def audit_intent_share(
    df: pl.DataFrame, library: IntentLibrary, catalog: Catalog, cfg: DatasetsConfig, shaper: Shaper | None = None
) -> AuditResult:
    shaper = shaper or Shaper(catalog)
    train = shaper.templates(training_templates(library))
    gen = df.filter(pl.col("category") == "sql_generation")["instruction"].to_list()
    n_int = sum(1 for q in gen if shaper.key(q) in train)
    share = n_int / max(len(gen), 1)
    return result(
        "sft_intent_share",
        share >= cfg.min_intent_share,
        {"sql_generation": len(gen), "from_intents": n_int, "share": share, "min_share": cfg.min_intent_share},
        [],
        "sql_generation records that ask a business question from the intent library (configs/intents).",
    )


def audit_intent_holdout_leak(
    df: pl.DataFrame, library: IntentLibrary, catalog: Catalog, shaper: Shaper | None = None
) -> AuditResult:
    shaper = shaper or Shaper(catalog)
    held = shaper.templates(heldout_templates(library))
    ids, qs = df["id"].to_list(), df["instruction"].to_list()
    leaks = [{"id": i, "instruction": q[:160]} for i, q in zip(ids, qs, strict=True) if shaper.key(q) in held]
    split = library.split_manifest()
    return result(
        "sft_intent_holdout_leak",
        not leaks,
        {
            "heldout_intents": len(split["heldout_intents"]),
            "heldout_templates": len(heldout_templates(library)),
            "records_checked": len(qs),
            "leaks": len(leaks),
        },
        leaks,
        "No training instruction may ask a held-out intent phrasing or seed question (they are the suite's).",
    )


def audit_natural_questions(df: pl.DataFrame, catalog: Catalog, cfg: DatasetsConfig) -> AuditResult:
    names = set(catalog.objects)
    asks = [f"{q}\n{i}" for q, i in zip(df["instruction"].to_list(), df["input"].to_list(), strict=True)]
    natural = [a for a in asks if not names_in(a, names)]
    gen = df.filter(pl.col("category") == "sql_generation")["instruction"].to_list()
    gen_nat = sum(1 for q in gen if not names_in(q, names))
    share = len(natural) / max(len(asks), 1)
    return result(
        "sft_natural_question_share",
        share >= cfg.min_natural_question_share,
        {
            "records": len(asks),
            "natural_questions": len(natural),
            "share": share,
            "sql_generation_natural_share": gen_nat / max(len(gen), 1),
            "min_share": cfg.min_natural_question_share,
        },
        [],
        "Records whose instruction and input name no raw table or view (questions as users ask them; the original "
        "set had about 0.3%).",
    )


def audit_instruction_shapes(
    df: pl.DataFrame, catalog: Catalog, cfg: DatasetsConfig, shaper: Shaper | None = None
) -> AuditResult:
    shaper = shaper or Shaper(catalog)
    shapes = Counter(shaper(q) for q in df["instruction"].to_list())
    need = cfg.sized(cfg.min_instruction_shapes)
    return result(
        "sft_instruction_shapes",
        len(shapes) >= need,
        {"records": df.height, "distinct_shapes": len(shapes), "min_shapes": need},
        [{"shape": s, "records": n} for s, n in shapes.most_common(5)],
        "Distinct instructions after masking object and column names, numbers, strings and dates in words "
        "(the original set: 342).",
    )


def audit_sql_features(df: pl.DataFrame, catalog: Catalog, cfg: DatasetsConfig, checker: SqlChecker) -> AuditResult:
    gen = df.filter(pl.col("category") == "sql_generation")["output"].to_list()
    counts: Counter = Counter()
    total = money = other = 0
    for text in gen:
        for sql in checker.extract(text):
            total += 1
            counts.update(k for k, v in sql_features(sql).items() if v)
            m, o = _sum_kinds(sql, checker.analyze(sql).catalog_objects, catalog)
            money, other = money + (m > 0), other + (o > 0)
    counts["sum_money"] = money
    shares = {k: counts[k] / max(total, 1) for k in [*FEATURES, "top_order_by", "sum_money"]}
    missing = [k for k, v in shares.items() if v < cfg.min_feature_share]
    metrics = {"sql_statements": total, **{f"{k}_share": v for k, v in shares.items()}}
    metrics |= {"sum_over_rate_or_id_statements": other, "min_feature_share": cfg.min_feature_share}
    return result(
        "sft_sql_feature_coverage",
        total > 0 and not missing,
        metrics,
        [{"feature": k, "share": shares[k]} for k in missing],
        "Share of sql_generation statements using each feature analysts need (the original set: 0 for all).",
    )


def audit_intents(
    df: pl.DataFrame, catalog: Catalog, cfg: DatasetsConfig, library: IntentLibrary, checker: SqlChecker
) -> list[AuditResult]:
    """Every intent/question audit of an SFT frame (names are the Dagster check names)."""
    shaper = Shaper(catalog)  # each instruction is shaped once for the three shape audits
    return [
        audit_intent_share(df, library, catalog, cfg, shaper),
        audit_intent_holdout_leak(df, library, catalog, shaper),
        audit_natural_questions(df, catalog, cfg),
        audit_instruction_shapes(df, catalog, cfg, shaper),
        audit_sql_features(df, catalog, cfg, checker),
    ]


INTENT_AUDIT_NAMES = (
    "sft_intent_share",
    "sft_intent_holdout_leak",
    "sft_natural_question_share",
    "sft_instruction_shapes",
    "sft_sql_feature_coverage",
)
