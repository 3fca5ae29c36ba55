"""The held-out hallucination set and the existence probes.

Held-out names never appear in training: they come from the ``holdout`` split of the fake pairs or are
generated here (separator variants, spelled-out mnemonics, near misses, plurals, module swaps) and then
checked against every training fake, case-insensitively. A generated name is kept only when
``catalog.resolve(name) is None`` (``APHD`` and ``Companies`` are real). Pure case variants (``apth``)
are real objects under a binary collation: they are their own case kind, answered with the exact spelling.

Examples:
    >>> spelled_out("APTH"), spelled_out("ARCM"), spelled_out("GLZZ")
    ('APTransactionHeader', 'ARCustomerMaster', None)
"""

import random

import polars as pl

from vgpt_dagster.catalog import vocabulary
from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.pool import english_real_names

_WORDS = {
    "T": "Transaction",
    "H": "Header",
    "L": "Lines",
    "D": "Detail",
    "M": "Master",
    "V": "Vendor",
    "C": "Customer",
    "E": "Employee",
    "J": "Job",
    "P": "Phase",
    "A": "Account",
    "I": "Item",
}
_PLURAL_WORDS = ("Invoices", "Payments", "Jobs", "Employees", "Accounts", "Vendors", "Customers", "Timecards")
_TEMPLATES = (  # worded unlike the training templates on purpose
    ("describe", "I need the columns of the {n} table in Vista. What are they?"),
    ("sql", "Can you write a query against {n} for company {c}?"),
    ("existence", "Is {n} something I can query in Viewpoint Vista?"),
    ("describe", "Give me a short description of the Vista object {n}."),
)
_PROBE = "Does {n} exist in Vista?"


def spelled_out(name: str) -> str | None:
    """``APTH`` -> ``APTransactionHeader`` when every letter after the module has a word."""
    if len(name) != 4 or not name.isupper() or any(ch not in _WORDS for ch in name[2:]):
        return None
    return name[:2] + "".join(_WORDS[ch] for ch in name[2:])


def training_fakes(pairs: pl.DataFrame, column_pairs: pl.DataFrame) -> set[str]:
    """Lower-cased fake table and column names of the train split."""
    out = {f.lower() for f in pairs.filter(pl.col("split") == "train")["fake"].to_list()}
    out |= {f.lower() for f in column_pairs.filter(pl.col("split") == "train")["fake_column"].to_list()}
    return out


def _generated(catalog: Catalog, pool: list[str]) -> list[tuple[str, str, str]]:
    """(fake, real alternative, pattern) candidates, round-robin over patterns."""
    by_pattern: dict[str, list[tuple[str, str]]] = {
        p: [] for p in ("separator", "spelled_out", "near_miss", "plural", "cross_module")
    }
    modules = ("AP", "AR", "JC", "PR", "GL", "EM", "PO", "SL")
    for name in pool[:60]:
        if len(name) != 4 or not name.isupper():
            continue
        by_pattern["separator"].append((f"{name[:2]}_{name[2:]}", name))
        if (s := spelled_out(name)) is not None:
            by_pattern["spelled_out"].append((s, name))
        by_pattern["near_miss"] += [(name[:2] + name[3] + name[2], name), (name[:3] + "X", name)]
        by_pattern["cross_module"] += [(m + name[2:], name) for m in modules if m != name[:2]][:2]
    for word in _PLURAL_WORDS:
        concept = word[:-1] if word.endswith("s") else word
        targets = [t for t in vocabulary.CONCEPTS.get(concept, ()) if catalog.resolve(t)]
        if targets:
            mod = targets[0][:2]
            by_pattern["plural"] += [(f"{mod}{word}", targets[0]), (f"Vista{word}", targets[0])]
    out = []
    for i in range(max(len(v) for v in by_pattern.values())):
        for pattern, items in by_pattern.items():
            if i < len(items):
                out.append((items[i][0], items[i][1], pattern))
    return out


def build_holdout(
    catalog: Catalog,
    pairs: pl.DataFrame,
    column_pairs: pl.DataFrame,
    cfg: ValidationConfig,
    train_fakes: set[str],
    exclude_prompts: set[str],
    pool: list[str],
) -> list[Case]:
    """About 60% fakes, 25% case variants, the rest real objects asked the same way; headroom included."""
    rng = random.Random(cfg.seed + 1)
    n = int(cfg.holdout_size * 1.3) + 4
    fakes = [
        (r["fake"], r["real"][0], r["pattern"])
        for r in pairs.filter(pl.col("split") == "holdout").iter_rows(named=True)
    ]
    rng.shuffle(fakes)
    merged: list[tuple[str, str, str]] = []
    for gen, hold in zip(_generated(catalog, pool), fakes + [None] * 999, strict=False):
        merged += [gen] + ([hold] if hold else [])
    seen: set[str] = set()
    out: list[Case] = []
    companies = cfg.companies

    def add(case: Case) -> None:
        if case.question not in exclude_prompts:
            out.append(case)

    for fake, real, pattern in merged:
        key = fake.lower()
        if key in seen or key in train_fakes or catalog.resolve(fake) is not None or not catalog.resolve(real):
            continue
        seen.add(key)
        i = len(seen)
        kind, tpl = _TEMPLATES[i % len(_TEMPLATES)]
        add(
            Case(
                f"hold-fake-{i:03d}",
                "holdout",
                "hallucination",
                kind,
                tpl.format(n=fake, c=companies[i % len(companies)]),
                objects_must_refuse=(fake,),
                real_alternatives=(catalog.resolve(real).name,),
                expected_exists=False if kind == "existence" else None,
                pattern=pattern,
                source="generated"
                if pattern in ("separator", "spelled_out", "near_miss", "plural", "cross_module")
                else "pairs_holdout",
            )
        )
        if len(out) >= n * 6 // 10:
            break
    for i, name in enumerate(pool[: n // 4]):
        variant = name.lower()
        if variant == name or variant in catalog.objects:
            continue
        kind, tpl = _TEMPLATES[i % len(_TEMPLATES)]
        q = ("Does {n} exist in Vista?" if kind == "existence" else tpl).format(n=variant, c=companies[0])
        sql = kind == "sql"
        filtered = sql and catalog.company_column(name) is not None
        add(
            Case(
                f"hold-case-{i:03d}",
                "holdout",
                "hallucination",
                "case",
                q,
                objects_must_use=(name,),
                real_alternatives=(name,),
                variant=variant,
                pattern="case",
                sql_expected=sql,
                company_filter_required=filtered,
                company=companies[0] if filtered else None,
                source="generated",
            )
        )
    reals = list(dict.fromkeys([*english_real_names(catalog), *(p for p in pool if p in ("APHD",)), *pool[30:]]))
    for i, name in enumerate(reals[: n // 3]):  # real controls asked the same way (headroom included)
        kind, tpl = _TEMPLATES[i % len(_TEMPLATES)]
        c = companies[i % len(companies)]
        filtered = kind == "sql" and catalog.company_column(name) is not None
        q = tpl.format(n=name, c=c) if filtered or kind != "sql" else f"Can you write a query against {name}?"
        add(
            Case(
                f"hold-real-{i:03d}",
                "holdout",
                "hallucination",
                kind,
                q,
                objects_must_use=(name,),
                sql_expected=kind == "sql",
                company_filter_required=filtered,
                company=c if filtered else None,
                expected_exists=True if kind == "existence" else None,
                pattern="real",
            )
        )
    return out


def build_probes(catalog: Catalog, pairs: pl.DataFrame, cfg: ValidationConfig, pool: list[str]) -> list[Case]:
    """ "Does X exist in Vista?" for real objects (incl. English-looking ones) and fakes, in pairs."""
    real_names = list(dict.fromkeys(["APTL", "APTH", "APHD", *english_real_names(catalog), *pool]))
    real_names = [catalog.resolve(n).name for n in real_names if catalog.resolve(n)][: cfg.probes.real + 4]
    alternatives = {c: t for c, t in vocabulary.CONCEPTS.items() if catalog.resolve(c) is None}
    for r in pairs.iter_rows(named=True):
        alternatives.setdefault(r["fake"], tuple(r["real"]))
    fake_names = list(alternatives)
    out = []
    for i, name in enumerate(real_names):
        out.append(
            Case(
                f"probe-real-{i:03d}",
                "probe",
                "probe",
                "existence",
                _PROBE.format(n=name),
                objects_must_use=(name,),
                expected_exists=True,
                source="catalog",
            )
        )
    for i, fake in enumerate(fake_names[: cfg.probes.fake + 4]):
        alts = tuple(catalog.resolve(a).name for a in alternatives[fake] if catalog.resolve(a))
        out.append(
            Case(
                f"probe-fake-{i:03d}",
                "probe",
                "probe",
                "existence",
                _PROBE.format(n=fake),
                objects_must_refuse=(fake,),
                real_alternatives=alts,
                expected_exists=False,
            )
        )
    return out
