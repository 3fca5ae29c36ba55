"""Build the synthetic Vista sandbox: one DuckDB file per variant, every catalog object a table of seeded rows.

Nothing here touches a customer's server: the rows are invented from the catalog alone, and the same catalog,
config and seed give the same rows (the manifest's ``content_hash`` is a hash of the rows, not of the file).

How the rows are made (what queries rely on):

* **Business keys are unique.** Row *i* of a table gets a company from a weighted, interleaved sequence (every
  company appears, each with a *different* row count, so a wrong company changes even a ``COUNT(*)``), and a
  per-company ordinal *j* that is spelled out in mixed radix over the other key columns (first key column
  fastest; every key column but the last takes only a few values — two in the adversarial variant — so rows
  share partial keys). Two tables whose keys share leading columns (APTH: APCo, Mth, APTrans; APTL: APCo, Mth, APTrans,
  APLine) therefore share those key values row for row: complete joins hit, and a join that leaves out a key
  column multiplies rows.
* **Foreign keys join.** A non-key column set that is another table's business key (APTH.VendorGroup + Vendor
  is APVM's key) takes a whole key tuple of that table, agreeing with the columns already set (same company).
* **Values are plausible.** Company-typed columns hold the row's company; month columns (``bMonth``, ``Mth``)
  the first day of one of the ``months`` months before ``reference_date``; ``bYN`` columns ``Y``/``N``; status
  columns a few codes; amounts two decimals; nullable non-key columns are NULL in ``null_share`` of the rows.
* **Views** are tables with their base table's rows (columns the base table lacks are generated).
* **The adversarial variant** puts dates on month and year boundaries, amounts on round values and zero,
  steeper company weights and more NULLs, so near-miss filters (``>`` vs ``>=``, 2023 vs 2024, ``= NULL``)
  give results that differ from the right filter's.

Examples:
    >>> from vgpt_dagster.execution.config import SandboxConfig
    >>> _company_sequence((1, 2), (1, 3), 8)
    [(2, 0), (1, 0), (2, 1), (2, 2), (2, 3), (1, 1), (2, 4), (2, 5)]
    >>> duck_type(Column("InvTotal", "bDollar", "numeric", precision=12, scale=2))
    'DECIMAL(12,2)'
"""

import datetime as dt
import hashlib
import json
import logging
import random
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from vgpt_dagster.artifacts import atomic_dir, sha256_file, write_json_atomic
from vgpt_dagster.catalog.model import Catalog, CatalogObject, Column
from vgpt_dagster.errors import ValidationError
from vgpt_dagster.execution.config import SandboxConfig, Variant

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
SANDBOX_FORMAT = "vgpt-sandbox/1"
_BIG = 10**6
_INT_TYPES = {"tinyint": "SMALLINT", "smallint": "SMALLINT", "int": "INTEGER", "bigint": "BIGINT"}
_TEXT_TYPES = ("char", "varchar", "nchar", "nvarchar", "text", "ntext", "sysname", "xml", "sql_variant")
_DATE_TYPES = {"date": "DATE", "smalldatetime": "TIMESTAMP", "datetime": "TIMESTAMP", "datetime2": "TIMESTAMP"}
_BLOB_TYPES = ("binary", "varbinary", "image", "timestamp", "rowversion")
BLOCK_SIZE = 16384
# One-letter key codes, Vista's common ones first (EDLType E/D/L, Active, Posted, Open/Closed, Y/N ...)
_CODE_ALPHABET = "EDLAPSOCYNIRTBFGHJKMQUVWXZ0123456789"
_MAX_REFERENCES = 6  # foreign-key-like column sets filled from other tables, per table


def duck_type(col: Column) -> str:
    """The DuckDB type of a catalog column (user-defined types resolved to their base type)."""
    t = (col.base_type or "").lower()
    if t in _INT_TYPES:
        return _INT_TYPES[t]
    if t in ("decimal", "numeric"):
        p = min(col.precision or 18, 38)
        return f"DECIMAL({p},{col.scale if col.precision else 2})"
    if t in ("money", "smallmoney"):
        return "DECIMAL(19,4)" if t == "money" else "DECIMAL(10,4)"
    if t in ("float", "real"):
        return "DOUBLE" if t == "float" else "REAL"
    if t == "bit":
        return "BOOLEAN"
    if t in _DATE_TYPES:
        return _DATE_TYPES[t]
    if t == "time":
        return "TIME"
    if t in _BLOB_TYPES:
        return "BLOB"
    return "VARCHAR"  # text types, uniqueidentifier, and columns whose type the export does not give


def _company_sequence(companies: Sequence[int], weights: Sequence[int], n: int) -> list[tuple[int, int]]:
    """(company, ordinal within company) for rows 0..n-1: interleaved, with counts proportional to weights."""
    keyed = [((j + 0.5) / w, k, j) for k, w in enumerate(weights) for j in range(n)]
    keyed.sort()
    return [(companies[k], j) for _, k, j in keyed[:n]]


def _is_month(col: Column) -> bool:
    return col.data_type == "bMonth" or col.name in ("Mth", "Month") or col.name.endswith("Mth")


def _is_company(col: Column) -> bool:
    return col.data_type == "bCompany"


def _stem(name: str) -> str:
    caps = "".join(ch for ch in name if ch.isupper()) or name[:1].upper()
    return caps[:3]


@dataclass
class _Table:
    """Generated rows of one root table (a base table, or a view without one), column-wise."""

    obj: CatalogObject
    key: tuple[str, ...]
    company: str | None
    n: int
    data: dict[str, list[Any]]  # lower-case column name -> values


class _Generator:
    """All rows of one variant. Key tuples first (pure functions of the key), then the other columns."""

    def __init__(self, catalog: Catalog, cfg: SandboxConfig, companies: Sequence[int], variant: Variant):
        self.catalog, self.cfg, self.variant = catalog, cfg, variant
        self.companies = tuple(companies)
        rng = random.Random(f"{variant.seed}:companies")
        base = [1, 2, 3, 5, 8, 13, 21][: len(self.companies)] if variant.adversarial else None
        weights = base or list(range(2, 2 + len(self.companies)))
        rng.shuffle(weights)
        self.weights = weights
        ref = cfg.reference_date
        self.months = [_add_months(dt.date(ref.year, ref.month, 1), -k) for k in range(cfg.months, 0, -1)]
        self.null_share = min(0.5, 2 * cfg.null_share) if variant.adversarial else cfg.null_share
        self.tables: dict[str, _Table] = {}

    # -- key values ----------------------------------------------------------------------------
    def radix(self, col: Column) -> int:
        t = (col.base_type or "").lower()
        if _is_company(col):
            return len(self.companies)
        if _is_month(col):
            return len(self.months)
        if t == "bit":
            return 2
        if t == "tinyint":
            return 255
        if t in ("char", "varchar", "nchar", "nvarchar") and col.max_length and col.max_length > 0:
            width = col.max_length - len(_stem(col.name))
            return 36 if col.max_length == 1 else (10 ** min(max(col.max_length, 1), 6) - 1 if width < 1 else _BIG)
        return _BIG

    def key_value(self, col: Column, d: int) -> Any:
        t = (col.base_type or "").lower()
        if _is_company(col):
            return self.companies[d % len(self.companies)]
        if _is_month(col):  # spread over the months (both sides of a year boundary), newest first
            return _as_type(self.months[(len(self.months) - 1 - d * 3) % len(self.months)], col)
        if t in _DATE_TYPES:
            return _as_type(self.cfg.reference_date - dt.timedelta(days=d + 1), col)
        if t == "bit":
            return bool(d)
        if t in ("decimal", "numeric", "money", "smallmoney"):
            return Decimal(d + 1)
        if t in _INT_TYPES or t in ("float", "real"):
            return d + 1
        if t in _BLOB_TYPES:
            return (d + 1).to_bytes(8, "big")
        if t == "uniqueidentifier":
            return str(uuid.UUID(int=(hash_int(col.name) << 32) + d))
        width = col.max_length if col.max_length and col.max_length > 0 else 30
        if width == 1:
            return _CODE_ALPHABET[d % len(_CODE_ALPHABET)]
        token = f"{_stem(col.name)}{d + 1}"
        return token if len(token) <= width else str(d + 1)

    def company_column(self, obj: CatalogObject, key: Sequence[str]) -> str | None:
        name = self.catalog.company_column(obj.name)
        if name:
            return name
        for c in [*(obj.column(k) for k in key), *obj.columns]:
            if c is not None and _is_company(c):
                return c.name
        return None

    def keys(self, obj: CatalogObject) -> _Table:
        """Rows of ``obj`` with the key and company columns filled (unique business keys)."""
        key = tuple(c for c in self.catalog.business_key(obj.name) if obj.column(c))
        company = self.company_column(obj, key)
        rest = [obj.column(c) for c in key if c != company]
        # Leading key columns take few values (so rows share partial keys), the last one counts on.
        small = 2 if self.variant.adversarial else 4
        radices = [min(self.radix(c), small) for c in rest[:-1]] + [self.radix(c) for c in rest[-1:]]
        capacity = 1
        for r in radices:
            capacity = min(capacity * r, _BIG * 10)
        n = self.cfg.rows_per_table
        if company is not None and company in key:  # key digits count within the company
            seq = _company_sequence(self.companies, self.weights, n)
            while max(j for _, j in seq) >= capacity:
                seq = seq[:-1]
        else:  # key digits count over the whole table; a non-key company column still follows the sequence
            n = min(n, capacity) if key else n
            cos = _company_sequence(self.companies, self.weights, n) if company else [(None, 0)] * n
            seq = [(c, i) for i, (c, _) in enumerate(cos)]
        data: dict[str, list[Any]] = {}
        if company is not None:
            data[company.lower()] = [c for c, _ in seq]
        for idx, col in enumerate(rest):
            div = 1
            for r in radices[:idx]:
                div *= r
            data[col.name.lower()] = [self.key_value(col, (j // div) % radices[idx]) for _, j in seq]
        return _Table(obj, key, company, len(seq), data)

    # -- other columns -------------------------------------------------------------------------
    def references(self, table: _Table, by_keyset: dict[frozenset[str], str]) -> list[tuple[str, tuple[str, ...]]]:
        """(other root table, its key) for key column sets of other tables that ``table`` carries as plain columns."""
        cols = {c.name.lower() for c in table.obj.columns}
        own = {k.lower() for k in table.key}
        found = [
            (other, keyset)
            for keyset, other in by_keyset.items()
            if other != table.obj.name and keyset <= cols and not keyset <= own
        ]
        found.sort(key=lambda t: (-len(t[1]), t[0]))
        return [(o, self.tables[o].key) for o, _ in found[:_MAX_REFERENCES]]

    def fill(self, table: _Table, by_keyset: dict[frozenset[str], str]) -> None:
        rng = random.Random(f"{self.variant.seed}:{table.obj.name}")
        for other, okey in self.references(table, by_keyset):
            self._copy_reference(table, self.tables[other], okey, rng)
        company_values = table.data.get(table.company.lower()) if table.company else None
        for col in table.obj.columns:
            low = col.name.lower()
            if low in table.data:
                continue
            table.data[low] = self.column_values(col, table.n, rng, company_values)

    def _copy_reference(self, table: _Table, other: _Table, okey: Sequence[str], rng: random.Random) -> None:
        cols = [k.lower() for k in okey]
        fixed = [c for c in cols if c in table.data]
        free = [c for c in cols if c not in table.data]
        if not free or other.n == 0:
            return
        index: dict[tuple, list[int]] = {}
        for r in range(other.n):
            index.setdefault(tuple(other.data[c][r] for c in fixed), []).append(r)
        out = {c: [] for c in free}
        for i in range(table.n):
            rows = index.get(tuple(table.data[c][i] for c in fixed)) or range(other.n)
            r = rows[rng.randrange(len(rows))]
            for c in free:
                out[c].append(other.data[c][r])
        table.data.update(out)

    def column_values(self, col: Column, n: int, rng: random.Random, company: list | None) -> list[Any]:
        if col.is_identity or col.name == "KeyID":
            return list(range(1, n + 1))
        if _is_company(col):
            return list(company) if company else [rng.choice(self.companies) for _ in range(n)]
        nullable = col.nullable is True
        out = []
        for _ in range(n):
            if nullable and rng.random() < self.null_share:
                out.append(None)
            else:
                out.append(self.value(col, rng))
        return out

    def value(self, col: Column, rng: random.Random) -> Any:
        t = (col.base_type or "").lower()
        name = col.name
        if _is_month(col):
            return _as_type(rng.choice(self.months), col)
        if t in _DATE_TYPES:
            return _as_type(self.date(rng), col)
        if t == "bit":
            return rng.random() < 0.5
        if t in _INT_TYPES:
            if "Status" in name:
                return rng.randint(0, 4 if self.variant.adversarial else 3)
            small = name.endswith(("Type", "Seq", "Line", "Item", "Group", "Level", "Lvl"))
            return rng.randint(1, 4) if small else rng.randint(0 if self.variant.adversarial else 1, 20)
        if t in ("decimal", "numeric", "money", "smallmoney"):
            return self.amount(col, rng)
        if t in ("float", "real"):
            return round(rng.uniform(0, 1000), 3)
        if t in _BLOB_TYPES:
            return bytes(rng.getrandbits(8) for _ in range(4))
        if t == "uniqueidentifier":
            return str(uuid.UUID(int=rng.getrandbits(128)))
        width = col.max_length if col.max_length and col.max_length > 0 else 30
        if col.data_type == "bYN" or (width == 1 and name.endswith("YN")):
            return rng.choice("YN")
        if width == 1:
            return rng.choice("AIDCNOPY" if "Status" in name else _CODE_ALPHABET[:12])
        text = f"{name} {rng.randint(1, 9)}"
        return text[:width] if len(text) > width else text

    def date(self, rng: random.Random) -> dt.date:
        ref = self.cfg.reference_date
        if self.variant.adversarial and rng.random() < 0.6:
            m = rng.choice(self.months)
            choices = (
                m,
                _add_months(m, 1) - dt.timedelta(days=1),
                ref,
                ref - dt.timedelta(days=1),
                dt.date(m.year, 1, 1),
            )
            return rng.choice(choices)
        return ref - dt.timedelta(days=rng.randint(0, 31 * self.cfg.months))

    def amount(self, col: Column, rng: random.Random) -> Decimal:
        t = (col.base_type or "").lower()
        p, s = (19, 4) if t == "money" else (10, 4) if t == "smallmoney" else (col.precision or 18, col.scale or 0)
        if not col.precision and t in ("decimal", "numeric"):
            p, s = 18, 2
        top = min(10 ** (p - s) - 1, 50000)
        if self.variant.adversarial and rng.random() < 0.4:
            v = rng.choice((0, 0, 1000, 10000, min(top, 10000.01), -250))
        else:
            v = min(10 ** rng.uniform(0, 4.7), top)  # 1 .. 50,000, most in the hundreds and thousands
        return Decimal(str(round(v, min(s, 2)))).quantize(Decimal(1).scaleb(-s)) if s else Decimal(int(v))


def hash_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def _add_months(d: dt.date, k: int) -> dt.date:
    m = d.month - 1 + k
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _as_type(d: dt.date, col: Column) -> Any:
    return d if (col.base_type or "").lower() == "date" else dt.datetime(d.year, d.month, d.day)


# -- the whole database ----------------------------------------------------------------------------------
def select_objects(catalog: Catalog, names: Iterable[str] | None) -> list[CatalogObject]:
    """The objects to build: all (``names`` None), else those named plus the base tables of named views."""
    if names is None:
        return list(catalog.objects.values())
    picked: dict[str, CatalogObject] = {}
    for n in names:
        obj = catalog.resolve(n)
        if obj is None:
            raise ValidationError(f"sandbox: {n!r} is not a catalog object. {catalog.lookup(n).message()}")
        picked[obj.name] = obj
        if obj.is_view and obj.base_table in catalog.objects:
            picked[obj.base_table] = catalog.objects[obj.base_table]
    return list(picked.values())


def generate_rows(
    catalog: Catalog,
    cfg: SandboxConfig,
    companies: Sequence[int],
    variant: Variant,
    objects: Iterable[str] | None = None,
) -> dict:
    """``{object name: (columns [(name, duck type)], rows column-wise, n)}`` for every object (or those named)."""
    gen = _Generator(catalog, cfg, companies, variant)
    chosen = select_objects(catalog, objects)
    roots = [o for o in chosen if not (o.is_view and o.base_table in catalog.objects)]
    for obj in sorted(roots, key=lambda o: o.name):
        gen.tables[obj.name] = gen.keys(obj)
    by_keyset: dict[frozenset[str], str] = {}
    for name in sorted(gen.tables):
        t = gen.tables[name]
        if len(t.key) >= 2 and t.obj.kind == "table":
            by_keyset.setdefault(frozenset(k.lower() for k in t.key), name)
    for name in sorted(gen.tables):
        gen.fill(gen.tables[name], by_keyset)
    out: dict[str, tuple[list[tuple[str, str]], dict[str, list[Any]], int]] = {}
    for obj in sorted(chosen, key=lambda o: o.name):
        if obj.name in gen.tables:
            t = gen.tables[obj.name]
            data, n = t.data, t.n
        else:  # a view: its base table's rows; columns the base lacks are generated for this view
            base = gen.tables[obj.base_table]
            n, data = base.n, {}
            rng = random.Random(f"{variant.seed}:{obj.name}")
            company = base.data.get(base.company.lower()) if base.company else None
            for col in obj.columns:
                low = col.name.lower()
                data[low] = base.data[low] if low in base.data else gen.column_values(col, n, rng, company)
        cols = [(c.name, duck_type(c)) for c in obj.columns]
        out[obj.name] = (cols, {c.name: data[c.name.lower()] for c in obj.columns}, n)
    return out


def _arrow_type(duck: str):
    import pyarrow as pa  # noqa: PLC0415

    if duck.startswith("DECIMAL"):
        p, s = (int(x) for x in duck[8:-1].split(","))
        return pa.decimal128(p, s)
    return {
        "SMALLINT": pa.int16(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(),
        "REAL": pa.float32(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "TIME": pa.time64("us"),
        "BLOB": pa.binary(),
    }.get(duck, pa.string())


def _array(values: list[Any], duck: str):
    """(arrow array, needs a cast): typed when every value fits, else text that DuckDB TRY_CASTs.

    Only values copied between columns of different declared types (a view typed differently from its
    base table, a narrower foreign-key column) take the text path; they become NULL when they do not fit.
    """
    import pyarrow as pa  # noqa: PLC0415

    try:
        return pa.array(values, type=_arrow_type(duck)), False
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string()), True


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_variant(rows: dict, path: Path) -> dict[str, Any]:
    """Write one variant's tables to a new DuckDB file; return tables, rows and the content hash."""
    import duckdb  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415

    h = hashlib.sha256()
    total = 0
    con = duckdb.connect(config={"threads": 1})
    try:  # 16 KiB blocks (the default is 256 KiB): thousands of small tables stay tens of MB, not a GB
        con.execute(f"ATTACH '{path}' AS sandbox (BLOCK_SIZE {BLOCK_SIZE})")
        con.execute("USE sandbox")
        con.execute("BEGIN TRANSACTION")  # one commit: a commit per table would sync the file thousands of times
        for name, (cols, data, n) in rows.items():
            h.update(json.dumps([name, cols]).encode())
            for c, _ in cols:
                h.update(repr(data[c]).encode())
            if not cols:  # an object the export lists without columns cannot be a table
                continue
            ddl = ", ".join(f"{_quote(c)} {t}" for c, t in cols)
            con.execute(f"CREATE TABLE {_quote(name)} ({ddl})")
            if n and cols:
                arrays = {c: _array(data[c], t) for c, t in cols}
                arrow = pa.table({c: a for c, (a, _) in arrays.items()})
                select = ", ".join(f"TRY_CAST({_quote(c)} AS {t})" if arrays[c][1] else _quote(c) for c, t in cols)
                con.register("_rows", arrow)
                con.execute(f"INSERT INTO {_quote(name)} SELECT {select} FROM _rows")
                con.unregister("_rows")
            total += n
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"tables": sum(1 for cols, _, _ in rows.values() if cols), "rows": total, "content_hash": h.hexdigest()}


def build_sandbox(
    catalog: Catalog,
    cfg: SandboxConfig,
    companies: Sequence[int],
    out_dir: Path,
    objects: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Build every variant into ``out_dir`` (swapped in atomically) and write its ``manifest.json``.

    ``objects``: build only these (and the base tables of views among them); None = every catalog object.
    """
    if not companies:
        raise ValidationError("configs/validation.yaml: `companies` is empty; the sandbox needs at least one.")
    t0 = time.perf_counter()
    variants: dict[str, Any] = {}
    with atomic_dir(Path(out_dir)) as tmp:
        for v in cfg.variants():
            t1 = time.perf_counter()
            rows = generate_rows(catalog, cfg, companies, v, objects)
            t2 = time.perf_counter()
            path = tmp / f"{v.name}.duckdb"
            info = write_variant(rows, path)
            info.update(
                seed=v.seed,
                adversarial=v.adversarial,
                file=path.name,
                size_bytes=path.stat().st_size,
                file_sha256=sha256_file(path),
                generate_s=round(t2 - t1, 3),
                write_s=round(time.perf_counter() - t2, 3),
            )
            variants[v.name] = info
            log.info("sandbox %s: %s tables, %s rows in %.1fs", v.name, info["tables"], info["rows"], t2 - t1)
        manifest = {
            "format": SANDBOX_FORMAT,
            "variants": variants,
            "content_hash": hashlib.sha256("".join(i["content_hash"] for i in variants.values()).encode()).hexdigest(),
            "companies": list(companies),
            "config": cfg.model_dump(mode="json"),
            "catalog": catalog.summary(),
            "objects": "all" if objects is None else sorted(o.name for o in select_objects(catalog, objects)),
            "build_s": round(time.perf_counter() - t0, 3),
            "size_bytes": sum(i["size_bytes"] for i in variants.values()),
        }
        write_json_atomic(tmp / MANIFEST, manifest)
    return manifest


def read_sandbox_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a built sandbox; a missing one names the command that builds it."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise ValidationError(
            f"{folder}: no sandbox database here. Build it with `vgpt sql sandbox build` or materialize the "
            "`vista_sandbox` asset (dagster asset materialize -m vgpt_dagster.definitions --select vista_sandbox)."
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValidationError(f"{path}: not valid JSON (line {err.lineno}): {err.msg}; rebuild the sandbox.") from None
    if doc.get("format") != SANDBOX_FORMAT:
        raise ValidationError(
            f"{path}: not a sandbox manifest (format {doc.get('format')!r}, expected {SANDBOX_FORMAT!r})."
        )
    return doc
