"""Which catalog objects the suite asks about, and the company numbers it uses (deterministic by seed)."""

import random

from vgpt_dagster.catalog.model import Catalog

# Modules whose objects users query day to day (the seeds' questions are all from these).
CORE_MODULES = ("AP", "AR", "JC", "PR", "GL", "EM", "PO", "SL", "IN", "HQ", "PM", "CM", "MS", "SM", "HR")
# Well-known objects asked first; missing ones are skipped (smaller catalogs still work).
FAVOURITES = (
    "APTH",
    "APTL",
    "APTD",
    "APVM",
    "ARCM",
    "ARTH",
    "ARTL",
    "JCJM",
    "JCJP",
    "JCCD",
    "JCCH",
    "JCCM",
    "JCCI",
    "PREH",
    "PRTH",
    "GLAC",
    "GLDT",
    "HQCO",
    "EMEM",
    "POHD",
    "POIT",
    "SLHD",
    "SLIT",
    "INMT",
    "CMDT",
    "APHD",
)


def object_pool(catalog: Catalog, seed: int) -> list[str]:
    """Views users query (over a b-table, with a business key and >= 4 columns): favourites first, then shuffled."""
    names = []
    for o in catalog.objects.values():
        if o.kind != "view" or not o.base_table or o.module not in CORE_MODULES or len(o.columns) < 4:
            continue
        if o.name.startswith(("ud", "v", "b")) or not catalog.business_key(o.name):
            continue
        names.append(o.name)
    names.sort()
    random.Random(seed).shuffle(names)
    fav = [catalog.resolve(f).name for f in FAVOURITES if catalog.resolve(f) and catalog.resolve(f).name in names]
    return list(dict.fromkeys([*fav, *names]))


def join_pool(catalog: Catalog, pool: list[str], limit: int) -> list[tuple[str, str]]:
    """Object pairs with a composite (>= 2 column) join, one pair per left object first, APTH-APTL first."""
    by_module: dict[str, list[str]] = {}
    for name in pool:
        by_module.setdefault(catalog.resolve(name).module or "", []).append(name)
    out: list[tuple[str, str]] = []
    seen: set[frozenset] = set()
    for left in pool:
        for right in by_module[catalog.resolve(left).module or ""]:
            key = frozenset((left, right))
            if right == left or key in seen:
                continue
            if len(catalog.join_keys(left, right)) >= 2:
                out.append((left, right))
                seen.add(key)
                break
        if len(out) >= limit:
            break
    return out


def english_real_names(catalog: Catalog) -> list[str]:
    """Real objects whose names look like English words (``Companies``): fakes must never be these."""
    picks = ("Companies", "JCChangeOrders", "SMWorkOrder", "SMCustomer", "OpenRetg", "HQCompanyInfo")
    return [catalog.resolve(n).name for n in picks if catalog.resolve(n)]
