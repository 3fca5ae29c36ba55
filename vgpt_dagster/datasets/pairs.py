"""Plausible invented table and column names, each mapped to the real Vista objects to use instead.

Hard guarantee: no fake table name resolves in the catalog, case-insensitively (the real catalog has
``APHD`` and a view ``Companies``: calling those fake would teach false rejection), and no fake column
exists on its table. Pure case variants (``apth``) are not fakes - they are real names misspelled under
a binary collation - and live in their own frame. Every fake is split train/holdout by a hash of its
lower-cased name, so the validation suite can test names training never saw.

Examples:
    >>> _plural("Company"), _plural("Vendor"), _plural("Bus")
    ('Companies', 'Vendors', 'Buses')
"""

import re

import polars as pl

from vgpt_dagster.catalog import vocabulary
from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.records import split_of
from vgpt_dagster.datasets.sqlgen import object_facts

_EXTRA_WORDS = {"Orders": ("POHD", "POIT"), "Users": ("DDUP",), "Jobs": ("JCJM",), "Sales": ("ARTH", "JCCI")}
_SUFFIXES = ("Master", "Header", "Detail", "Lines", "List", "Table", "Records", "Data", "History", "Info")
_MODULES = ("AP", "AR", "JC", "PR", "GL", "EM", "PO", "SL", "IN", "PM", "HQ", "CM")
_NEAR_LETTERS = "DHTLMRS"


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def _module_of(catalog: Catalog, names: tuple[str, ...]) -> str | None:
    obj = catalog.resolve(names[0]) if names else None
    return obj.module if obj else None


Candidate = tuple[str, tuple[str, ...], str, str]  # (fake, real objects, pattern, explanation)


def _concept_candidates(catalog: Catalog) -> list[Candidate]:
    """Plain-English, plural, CamelCase and cross-module guesses for each vocabulary concept."""
    out: list[Candidate] = []
    for concept, targets in vocabulary.CONCEPTS.items():
        targets = tuple(t for t in targets if catalog.resolve(t))
        if not targets:
            continue
        real = ", ".join(targets)
        words = re.findall(r"[A-Z][a-z]+", concept)
        out.append(
            (concept, targets, "plain_english", f"Plain-English guess; Vista keeps {concept.lower()}s in {real}.")
        )
        out.append((_plural(concept), targets, "plural", f"Plural guess; Vista names tables by mnemonic: {real}."))
        for suffix in _SUFFIXES:
            if words and words[-1] != suffix:
                out.append((concept + suffix, targets, "camel_case", f"CamelCase guess; the real object is {real}."))
        mod = _module_of(catalog, targets)
        for other in _MODULES:
            if mod and other != mod:
                why = f"{concept} data is in the {mod} module ({real}), not in {other}."
                out.append((other + concept, targets, "cross_module", why))
    for word, targets in _EXTRA_WORDS.items():
        targets = tuple(t for t in targets if catalog.resolve(t))
        if targets:
            out.append((word, targets, "plain_english", f"Plain-English guess; use {', '.join(targets)}."))
    return out


def _label_candidates(catalog: Catalog) -> list[Candidate]:
    """Spelled-out mnemonics from the curated labels: 'AP Transaction Header' -> APTransactionHeader."""
    out: list[Candidate] = []
    for name, label in vocabulary.LABELS.items():
        if catalog.resolve(name) is None:
            continue
        words = re.findall(r"[A-Za-z]+", label.split("(")[0])
        if len(words) >= 2:
            fake = words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])
            out.append((fake, (name,), "camel_case", f"Spelled-out mnemonic; the object is {name} ({label})."))
    return out


def _mnemonic_candidates(catalog: Catalog, per_object_variants: bool) -> list[Candidate]:
    """Near misses and separator variants of short mnemonic names (APTH -> APHT, APTX; AP_TH, tblAPTH)."""
    out: list[Candidate] = []
    for f in object_facts(catalog):
        name = f.name
        curated = name in vocabulary.LABELS
        if not re.fullmatch(r"[A-Z]{4}", name) or not (curated or per_object_variants):
            continue
        near = [name[:2] + name[3] + name[2]] + [name[:3] + ch for ch in _NEAR_LETTERS if ch != name[3]]
        for n in near if curated else near[:2]:
            out.append((n, (name,), "abbreviation_near_miss", f"Near miss of {name} ({f.label})."))
        seps = [f"{name[:2]}_{name[2:]}", f"tbl{name}", f"{name}_Table"] if curated else [f"{name[:2]}_{name[2:]}"]
        for s in seps:
            out.append((s, (name,), "separator_variant", f"Separator/prefix variant of {name}; write {name}."))
    return out


def _candidates(catalog: Catalog, per_object_variants: bool = True) -> list[Candidate]:
    """(fake, real objects, pattern, explanation) before the collision filter, in priority order."""
    return [
        *_concept_candidates(catalog),
        *_label_candidates(catalog),
        *_mnemonic_candidates(catalog, per_object_variants),
    ]


def build_fake_table_pairs(catalog: Catalog, cfg: DatasetsConfig) -> pl.DataFrame:
    """Fake table names -> real objects (columns fake, real, pattern, split, explanation), sorted by fake.

    Examples:
        >>> from vgpt_dagster.catalog.load import load_default_catalog
        >>> df = build_fake_table_pairs(load_default_catalog(), DatasetsConfig())
        >>> "Invoice" in df["fake"].to_list(), "APTH" in df["fake"].to_list()
        (True, False)
    """
    rows: dict[str, dict] = {}
    for fake, real, pattern, why in _candidates(catalog):
        key = fake.lower()
        if key in rows or catalog.resolve(fake) is not None:  # the hard guarantee: never a real name, any case
            continue
        rows[key] = {
            "fake": fake,
            "real": list(real),
            "pattern": pattern,
            "split": split_of(key, cfg.fake_holdout_fraction),
            "explanation": why,
        }
    schema = {
        "fake": pl.String,
        "real": pl.List(pl.String),
        "pattern": pl.String,
        "split": pl.String,
        "explanation": pl.String,
    }
    return pl.DataFrame(sorted(rows.values(), key=lambda r: r["fake"]), schema=schema)


def build_case_variants(catalog: Catalog, cfg: DatasetsConfig) -> pl.DataFrame:
    """Wrong-case spellings of real objects (``apth`` -> APTH): real, but invalid under a binary collation."""
    rows = []
    for f in object_facts(catalog):
        for variant in dict.fromkeys((f.name.lower(), f.name.upper(), f.name.capitalize())):
            if variant != f.name and variant not in catalog.objects and catalog.resolve(variant) is f.obj:
                rows.append({"variant": variant, "exact_name": f.name})
    return pl.DataFrame(rows, schema={"variant": pl.String, "exact_name": pl.String})


# Real column -> what people call it instead. Keys match exact Vista column names.
_COLUMN_GUESSES: dict[str, tuple[str, ...]] = {
    "Name": ("{entity}Name", "FullName"),
    "Job": ("JobNumber", "JobID", "JobNo"),
    "Vendor": ("VendorID", "VendorNumber"),
    "Customer": ("CustomerID", "CustomerNumber"),
    "Employee": ("EmployeeID", "EmployeeNumber"),
    "APTrans": ("InvoiceID", "TransactionID"),
    "ARTrans": ("InvoiceID", "TransactionID"),
    "InvDate": ("InvoiceDate",),
    "InvTotal": ("TotalAmount", "InvoiceTotal"),
    "Contract": ("ContractNumber", "ContractID"),
    "Phase": ("PhaseCode", "PhaseNumber"),
    "Equipment": ("EquipmentID", "AssetID"),
    "Material": ("MaterialID", "ItemNumber"),
    "PO": ("PONumber", "PurchaseOrderID"),
    "SL": ("SubcontractNumber",),
    "GLAcct": ("AccountNumber", "GLAccountNumber"),
    "Amount": ("TotalAmount", "Amt"),
    "Mth": ("Month", "PostingMonth"),
    "Description": ("Desc", "Descr"),
}
_RELATED = {"InvoiceID": ("APRef",), "InvoiceNumber": ("APRef",)}


def build_fake_column_pairs(catalog: Catalog, cfg: DatasetsConfig) -> pl.DataFrame:
    """Invented columns on real objects (table, fake_column, real_columns, split), none existing on the table.

    Examples:
        >>> from vgpt_dagster.catalog.load import load_default_catalog
        >>> df = build_fake_column_pairs(load_default_catalog(), DatasetsConfig())
        >>> df.filter(pl.col("table") == "ARCM")["fake_column"].to_list()
        ['CustomerName', 'CustomerID', 'FullName']
    """
    rows = []
    for f in object_facts(catalog):
        entity = re.sub(r"^(AP|AR|JC|PR|GL|EM|PO|SL|IN|HQ|PM|CM|SM)\s+", "", f.label).split(" ")[0]
        entity = entity if entity.isalpha() else "Record"
        present = [c for c in _COLUMN_GUESSES if f.obj.column(c)]
        made: list[str] = []
        for rank in range(2):  # first guesses of every column before second guesses
            for col in present:
                guesses = _COLUMN_GUESSES[col]
                if rank >= len(guesses) or len(made) >= cfg.fake_columns_per_table:
                    continue
                fake = guesses[rank].format(entity=entity)
                if f.obj.column(fake) is not None or fake.lower() in (m.lower() for m in made):
                    continue
                real = [f.obj.column(col).name] + [c for c in _RELATED.get(fake, ()) if f.obj.column(c) and c != col]
                made.append(fake)
                rows.append(
                    {
                        "table": f.name,
                        "fake_column": fake,
                        "real_columns": real,
                        "split": split_of(f"{f.name}.{fake}".lower(), cfg.fake_holdout_fraction),
                    }
                )
    schema = {"table": pl.String, "fake_column": pl.String, "real_columns": pl.List(pl.String), "split": pl.String}
    return pl.DataFrame(rows, schema=schema)
