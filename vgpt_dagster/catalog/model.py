"""The in-memory Vista catalog: objects, columns, keys, joins, modules and name suggestions.

A :class:`Catalog` is built from plain records (see ``catalog.load`` for the file formats) and answers
the questions every later stage asks: does this object exist (and with which exact spelling: Vista's
collation is binary, so ``apth`` is not a valid spelling of ``APTH``), what are its columns and business
key, how do two objects join, which column holds the company, and what did the user probably mean.

Examples:
    >>> cat = Catalog.from_records(
    ...     objects=[{"name": "bAPTH", "type": "TABLE", "module": "AP"},
    ...              {"name": "APTH", "type": "VIEW", "base_table": "bAPTH", "module": "AP"}],
    ...     columns=[{"ObjectName": o, "ColumnName": c, "DataType": "bCompany" if c == "APCo" else "int"}
    ...              for o in ("bAPTH", "APTH") for c in ("APCo", "Mth", "APTrans", "KeyID")],
    ...     keys=[{"ObjectName": "bAPTH", "KeyName": "biAPTH", "KeyType": "UNIQUE CLUSTERED INDEX",
    ...            "Columns": ["APCo", "Mth", "APTrans"]}],
    ...     udt_types={"bCompany": {"BaseType": "tinyint"}})
    >>> cat.lookup("apth").exact_name, cat.lookup("apth").case_matches
    ('APTH', False)
    >>> cat.business_key("APTH")
    ('APCo', 'Mth', 'APTrans')
    >>> cat.column("APTH", "APCo").base_type
    'tinyint'
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from vgpt_dagster.catalog import vocabulary
from vgpt_dagster.catalog.evidence import (
    FOREIGN_KEY,
    HEADER_DETAIL,
    MASTER_LOOKUP,
    OBSERVED,
    JoinEvidence,
    ObservedJoin,
    best_shape,
    extends_key,
    index_observed,
    is_company_typed,
    is_master_key,
    pick_company_column,
)
from vgpt_dagster.catalog.suggest import Suggester
from vgpt_dagster.errors import CatalogError

# Index kinds in the order they are trusted as the business key (Vista keys tables by bi<Table>).
_KEY_PREFERENCE = ("UNIQUE CLUSTERED INDEX", "UNIQUE INDEX", "UNIQUE", "PRIMARY KEY")
_SURROGATE_COLUMNS = frozenset({"KeyID"})


@dataclass(frozen=True)
class Column:
    """One column of a table or view; ``base_type`` has user-defined types (bCompany) resolved."""

    name: str
    data_type: str | None
    base_type: str | None
    nullable: bool | None = None
    ordinal: int = 0
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    is_identity: bool = False

    @property
    def base_type_sql(self) -> str:
        """The underlying SQL type with its size: ``bDollar`` -> ``numeric(12,2)``, ``bJob`` -> ``varchar(10)``."""
        t = self.base_type or "unknown"
        if self.max_length is not None and t in ("char", "varchar", "nchar", "nvarchar", "binary", "varbinary"):
            return f"{t}({'max' if self.max_length == -1 else self.max_length})"
        if self.precision is not None and t in ("decimal", "numeric"):
            return f"{t}({self.precision},{self.scale or 0})"
        return t

    @property
    def type_text(self) -> str:
        """``type_sql`` for answers: a view's computed column (no type in the metadata) says so, never "unknown"."""
        if not (self.data_type or self.base_type):
            return "computed, type not recorded"
        return self.type_sql

    @property
    def type_sql(self) -> str:
        """The declared type with its size, e.g. ``varchar(30)``, ``numeric(12,2)``, ``bDollar``."""
        t = self.data_type or self.base_type or "unknown"
        if t != self.base_type and self.data_type:  # a UDT name already fixes the size
            return t
        if self.max_length is not None and t in ("char", "varchar", "nchar", "nvarchar", "binary", "varbinary"):
            return f"{t}({'max' if self.max_length == -1 else self.max_length})"
        if self.precision is not None and t in ("decimal", "numeric"):
            return f"{t}({self.precision},{self.scale or 0})"
        return t


@dataclass(frozen=True)
class Key:
    name: str
    kind: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ForeignKey:
    name: str
    parent: str
    parent_columns: tuple[str, ...]
    child: str
    child_columns: tuple[str, ...]


@dataclass(frozen=True)
class CatalogObject:
    """A table or view. ``kind`` is ``"table"`` or ``"view"``; ``base_table`` links a view to its table."""

    name: str
    kind: str
    columns: tuple[Column, ...]
    base_table: str | None = None
    module: str | None = None
    description: str | None = None
    keys: tuple[Key, ...] = ()

    @property
    def is_view(self) -> bool:
        return self.kind == "view"

    @cached_property
    def _by_lower(self) -> dict[str, Column]:
        return {c.name.lower(): c for c in self.columns}

    def column(self, name: str) -> Column | None:
        """Case-insensitive column lookup (the returned column carries the exact spelling)."""
        return self._by_lower.get(name.lower())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Lookup:
    """Result of :meth:`Catalog.lookup`: whether a name exists and how it is really spelled."""

    query: str
    exact_name: str | None
    case_matches: bool
    suggestions: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.exact_name is not None

    def message(self) -> str:
        """A sentence for users: exists, exists with other case, or does not exist (did you mean ...)."""
        if self.found and self.case_matches:
            return f"'{self.exact_name}' exists in the Vista catalog."
        if self.found:
            return (
                f"'{self.query}' is spelled '{self.exact_name}' in Vista. The database collation is binary "
                f"(case-sensitive), so write '{self.exact_name}'."
            )
        hint = f" Did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        return f"'{self.query}' is not a table or view in the Vista catalog.{hint}"


def _normalise_name(name: str) -> str:
    """Strip brackets, quotes and a leading ``dbo.`` schema: ``[dbo].[APTH]`` -> ``APTH``."""
    parts = [p.strip().strip('[]"`') for p in name.strip().split(".")]
    return parts[-1] if parts else name


@dataclass
class Catalog:
    """All objects of one schema export, indexed for the questions the pipeline asks."""

    objects: dict[str, CatalogObject]
    foreign_keys: tuple[ForeignKey, ...] = ()
    source: str = ""
    warnings: tuple[str, ...] = field(default=())
    observed_joins: tuple[ObservedJoin, ...] = ()  # the join shapes Viewpoint's own views use (optional file)

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_records(
        cls,
        objects: Iterable[Mapping[str, Any]] | None,
        columns: Iterable[Mapping[str, Any]],
        keys: Iterable[Mapping[str, Any]] = (),
        foreign_keys: Iterable[Mapping[str, Any]] = (),
        udt_types: Mapping[str, Mapping[str, Any]] | None = None,
        source: str = "",
        warnings: Iterable[str] = (),
        observed_joins: Iterable[Mapping[str, Any]] = (),
    ) -> "Catalog":
        """Build from records in the original team's JSON shapes (already validated by ``catalog.load``).

        ``objects`` may be None: objects are then inferred from the columns (ObjectType TABLE/VIEW).
        """
        udt = {k: dict(v) for k, v in (udt_types or {}).items()}
        cols_by_obj: dict[str, list[Column]] = {}
        types_by_obj: dict[str, str] = {}
        for r in columns:
            obj = r["ObjectName"]
            dt = r.get("DataType")
            base = r.get("BaseType") or (udt.get(dt, {}).get("BaseType") if dt else None) or dt
            nullable = r.get("IsNullable")
            if isinstance(nullable, str):
                nullable = {"true": True, "false": False, "yes": True, "no": False}.get(nullable.strip().lower())
            cols_by_obj.setdefault(obj, []).append(
                Column(
                    name=r["ColumnName"],
                    data_type=dt,
                    base_type=base,
                    nullable=nullable,
                    ordinal=int(r.get("OrdinalPosition") or len(cols_by_obj[obj]) + 1),
                    max_length=r.get("MaxLength"),
                    precision=r.get("Precision"),
                    scale=r.get("Scale"),
                    is_identity=bool(r.get("IsIdentity") or False),
                )
            )
            if r.get("ObjectType"):
                types_by_obj.setdefault(obj, str(r["ObjectType"]))
        keys_by_obj: dict[str, list[Key]] = {}
        for k in keys:
            keys_by_obj.setdefault(k["ObjectName"], []).append(
                Key(k.get("KeyName") or "", k.get("KeyType") or "", tuple(k.get("Columns") or ()))
            )
        meta: dict[str, Mapping[str, Any]] = {}
        for o in objects or ():
            meta[o["name"]] = o
        names = list(dict.fromkeys([*meta, *cols_by_obj]))
        built: dict[str, CatalogObject] = {}
        for name in names:
            m = meta.get(name, {})
            raw_kind = str(m.get("type") or types_by_obj.get(name) or "TABLE").upper()
            kind = "view" if "VIEW" in raw_kind else "table"
            built[name] = CatalogObject(
                name=name,
                kind=kind,
                columns=tuple(sorted(cols_by_obj.get(name, ()), key=lambda c: c.ordinal)),
                base_table=m.get("base_table"),
                module=m.get("module") or _infer_module(name),
                description=m.get("description"),
                keys=tuple(keys_by_obj.get(name, ())),
            )
        fks = tuple(
            ForeignKey(
                f.get("ConstraintName") or "",
                f["ParentTable"],
                tuple(f["ParentColumns"]),
                f["ChildTable"],
                tuple(f["ChildColumns"]),
            )
            for f in foreign_keys
        )
        observed = tuple(
            ObservedJoin(o["left"], o["right"], tuple((a, b) for a, b in o["on"]), o["uses"], o.get("objects") or 0)
            for o in observed_joins
        )
        return cls(objects=built, foreign_keys=fks, source=source, warnings=tuple(warnings), observed_joins=observed)

    # -- indexes -----------------------------------------------------------------------------
    @cached_property
    def _by_lower(self) -> dict[str, list[str]]:
        idx: dict[str, list[str]] = {}
        for name in self.objects:
            idx.setdefault(name.lower(), []).append(name)
        return idx

    @cached_property
    def _views_of(self) -> dict[str, list[str]]:
        idx: dict[str, list[str]] = {}
        for o in self.objects.values():
            if o.base_table:
                idx.setdefault(o.base_table, []).append(o.name)
        return idx

    @cached_property
    def _fk_index(self) -> dict[tuple[str, str], list[ForeignKey]]:
        idx: dict[tuple[str, str], list[ForeignKey]] = {}
        for fk in self.foreign_keys:
            idx.setdefault((fk.parent, fk.child), []).append(fk)
        return idx

    @cached_property
    def _observed_index(self) -> dict[tuple[str, str], list[ObservedJoin]]:
        return index_observed(self.observed_joins)

    def __len__(self) -> int:
        return len(self.objects)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.resolve(name) is not None

    @property
    def column_count(self) -> int:
        return sum(len(o.columns) for o in self.objects.values())

    @cached_property
    def modules(self) -> tuple[str, ...]:
        return tuple(sorted({o.module for o in self.objects.values() if o.module}))

    # -- existence ---------------------------------------------------------------------------
    def resolve(self, name: str) -> CatalogObject | None:
        """Case-insensitive lookup that also strips ``dbo.`` and brackets; exact case wins."""
        bare = _normalise_name(name)
        if bare in self.objects:
            return self.objects[bare]
        hits = self._by_lower.get(bare.lower())
        return self.objects[hits[0]] if hits else None

    def exists(self, name: str, case_sensitive: bool = False) -> bool:
        bare = _normalise_name(name)
        return bare in self.objects if case_sensitive else self.resolve(bare) is not None

    def lookup(self, name: str) -> Lookup:
        """Existence with exact spelling and, for unknown names, the nearest real objects."""
        bare = _normalise_name(name)
        obj = self.resolve(bare)
        if obj is not None:
            return Lookup(name, obj.name, obj.name == bare)
        return Lookup(name, None, False, tuple(self.suggest(bare)))

    def get(self, name: str) -> CatalogObject:
        """The object, or :class:`CatalogError` with suggestions."""
        obj = self.resolve(name)
        if obj is None:
            raise CatalogError(self.lookup(name).message())
        return obj

    # -- columns and keys --------------------------------------------------------------------
    def columns(self, name: str) -> tuple[Column, ...]:
        return self.get(name).columns

    def column(self, obj_name: str, column: str) -> Column | None:
        obj = self.resolve(obj_name)
        return obj.column(column) if obj else None

    def base_table_of(self, name: str) -> str | None:
        obj = self.resolve(name)
        if obj is None:
            return None
        return obj.base_table if obj.is_view else obj.name

    def views_of(self, table: str) -> tuple[str, ...]:
        obj = self.resolve(table)
        return tuple(self._views_of.get(obj.name, ())) if obj else ()

    def business_key(self, name: str) -> tuple[str, ...]:
        """The business key: the unique clustered index ``bi<Table>`` where there is one.

        A PRIMARY KEY on ``KeyID`` alone is a surrogate, not a business key, and is skipped. A view
        uses its base table's key when the view exposes every key column.
        """
        obj = self.resolve(name)
        if obj is None:
            return ()
        key = _pick_business_key(obj)
        if key or not obj.base_table:
            return key
        base = self.resolve(obj.base_table)
        key = _pick_business_key(base) if base else ()
        return key if all(obj.column(c) for c in key) else ()

    def company_column(self, name: str) -> str | None:
        """The column holding the company number (APCo on APTH, JCCo on vrvJBLaborRates), or None (APVM, ARCM).

        One rule for generators, analyzer and judge (:func:`vgpt_dagster.catalog.evidence.pick_company_column`):
        the module's column, else a company column of the business key, else the object's only company-typed
        column - unless a shared group (VendorGroup) or another real key partitions it.
        """
        obj = self.resolve(name)
        if obj is None:
            return None
        mod_col = obj.column(self.module_company_column(obj.module)) if obj.module else None
        typed = [c.name for c in obj.columns if is_company_typed(c.name, c.data_type, c.base_type)]
        key = self.business_key(obj.name)
        first = obj.columns[0].name if obj.columns else None
        return pick_company_column(mod_col.name if mod_col else None, key, typed, vocabulary.GROUP_COLUMNS, first)

    def module_company_column(self, module: str) -> str:
        """The company column name of a module: APCo, JCCo, PRCo, ..."""
        return vocabulary.COMPANY_COLUMN_OVERRIDES.get(module, f"{module}Co")

    def join_keys(self, left: str, right: str) -> tuple[tuple[str, str], ...]:
        """Column pairs (left_col, right_col) that join two objects; () when there is no evidence for a join."""
        ev = self.join_evidence(left, right)
        return ev.pairs if ev else ()

    def join_evidence(self, left: str, right: str) -> JoinEvidence | None:
        """Why two objects join, or None: a declared foreign key, Viewpoint's own views' join (the most used
        shape in ``observed_joins``), a header/detail pair of one module whose child key extends the parent's
        business key (APTH -> APTL on APCo, Mth, APTrans), or the lookup of a master by its two-column key
        (APPH -> APVM on VendorGroup, Vendor). Views map to their base tables. A shared ``Seq`` or
        ``BatchSeq`` alone is no evidence (see :mod:`vgpt_dagster.catalog.evidence`)."""
        a, b = self.resolve(left), self.resolve(right)
        if a is None or b is None or a.name == b.name:
            return None
        ta, tb = self.base_table_of(a.name) or a.name, self.base_table_of(b.name) or b.name
        return (
            self._fk_evidence(a, b, ta, tb)
            or self._observed_evidence(a, b, ta, tb)
            or self._key_evidence(a, b)
            or self._master_evidence(a, b)
        )

    def _fk_evidence(self, a: CatalogObject, b: CatalogObject, ta: str, tb: str) -> JoinEvidence | None:
        for parent, child, flip in ((ta, tb, False), (tb, ta, True)):
            for fk in self._fk_index.get((parent, child), ()):
                pairs = list(zip(fk.parent_columns, fk.child_columns, strict=True))
                if flip:
                    pairs = [(c, p) for p, c in pairs]
                if all(a.column(x) and b.column(y) for x, y in pairs):
                    cols = tuple((a.column(x).name, b.column(y).name) for x, y in pairs)
                    return JoinEvidence(cols, FOREIGN_KEY, f"declared foreign key {fk.name or '(unnamed)'}")
        return None

    def _observed_evidence(self, a: CatalogObject, b: CatalogObject, ta: str, tb: str) -> JoinEvidence | None:
        for (x, y), flip in (((ta, tb), False), ((tb, ta), True)):
            shapes = self._observed_index.get((x, y))
            if not shapes:
                continue
            shape = best_shape(shapes)
            pairs = [(q, p) for p, q in shape.on] if flip else list(shape.on)
            if all(a.column(p) and b.column(q) for p, q in pairs):
                cols = [(a.column(p).name, b.column(q).name) for p, q in pairs]
                keys = dict.fromkeys([*self.business_key(a.name), *self.business_key(b.name)])
                order = {c: i for i, c in enumerate(keys)}
                cols.sort(key=lambda pq: (order.get(pq[0], len(order)), order.get(pq[1], len(order))))  # key order
                return JoinEvidence(tuple(cols), OBSERVED, f"Viewpoint's views join them so {shape.uses} time(s)")
        return None

    def _master_evidence(self, a: CatalogObject, b: CatalogObject) -> JoinEvidence | None:
        for master, other, master_is_left in ((a, b, True), (b, a, False)):
            key = self.business_key(master.name)
            if is_master_key(key) and all(other.column(c) for c in key) and all(master.column(c) for c in key):
                pairs = tuple((master.column(c).name, other.column(c).name) for c in key)
                pairs = pairs if master_is_left else tuple((y, x) for x, y in pairs)
                return JoinEvidence(pairs, MASTER_LOOKUP, f"{other.name} looks up the master {master.name} by its key")
        return None

    def _key_evidence(self, a: CatalogObject, b: CatalogObject) -> JoinEvidence | None:
        if (a.module or "") != (b.module or "") or not a.module:
            return None
        ka, kb = self.business_key(a.name), self.business_key(b.name)
        for parent, pk, child, ck, parent_is_left in ((a, ka, b, kb, True), (b, kb, a, ka, False)):
            if extends_key(pk, ck) and all(child.column(c) for c in pk):
                pairs = tuple((parent.column(c).name, child.column(c).name) for c in pk)
                pairs = pairs if parent_is_left else tuple((y, x) for x, y in pairs)
                why = f"{child.name}'s key ({', '.join(ck)}) extends {parent.name}'s ({', '.join(pk)})"
                return JoinEvidence(pairs, HEADER_DETAIL, why)
        return None

    # -- suggestions -------------------------------------------------------------------------
    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Nearest real objects for an unknown name, best first (see :mod:`vgpt_dagster.catalog.suggest`)."""
        return self._suggester.suggest(name, n)

    @cached_property
    def _suggester(self) -> Suggester:
        return Suggester(self)

    def label(self, name: str) -> str:
        """A short human label with content, never the name again: the curated vocabulary, else the export's
        label (``description``), else one described from the object's module, kind and key or columns
        (``Project Management table keyed by PMCo, Project, Seq``)."""
        obj = self.get(name)
        view = obj.name if obj.is_view or not self._views_of.get(obj.name) else self._views_of[obj.name][0]
        if view in vocabulary.LABELS:
            return vocabulary.LABELS[view]
        desc = obj.description or self._base_description(obj)
        if desc:
            return desc if obj.module and desc.startswith(obj.module) else f"{obj.module or ''} {desc}".strip()
        return self.described_label(obj)

    def _base_description(self, obj: CatalogObject) -> str | None:
        base = self.objects.get(obj.base_table) if obj.base_table else None
        return base.description if base else None

    def described_label(self, obj: CatalogObject) -> str:
        """A label built from facts: module name, kind, business key (or leading columns) - never the name."""
        module = vocabulary.MODULE_NAMES.get(obj.module or "", "")
        head = f"{module} ({obj.module}) {obj.kind}" if module else (f"{obj.module} {obj.kind}" if obj.module else "")
        head = head or ("report view" if obj.name.startswith(("brv", "vrv")) else obj.kind)
        key = [k for k in self.business_key(obj.name) if obj.column(k)]
        if key:
            return f"{head} keyed by {', '.join(key)}"
        cols = [c.name for c in obj.columns if c.name != "KeyID" and not c.name.startswith("ud")][:3]
        return f"{head} of {', '.join(cols)}" if cols else f"{head} without columns"

    def summary(self) -> dict[str, Any]:
        """Counts for metadata: objects, tables, views, columns, modules."""
        tables = sum(1 for o in self.objects.values() if o.kind == "table")
        return {
            "objects": len(self.objects),
            "tables": tables,
            "views": len(self.objects) - tables,
            "columns": self.column_count,
            "modules": len(self.modules),
            "foreign_keys": len(self.foreign_keys),
            "observed_joins": len(self.observed_joins),
        }


def _infer_module(name: str) -> str | None:
    """``bAPTH`` -> AP, ``vSMWorkOrder`` -> SM, ``APTH`` -> AP, ``udFoo`` -> UD; None when unclear."""
    if name.startswith("ud"):
        return "UD"
    m = re.match(r"^[bv]?([A-Z]{2})", name)
    return m.group(1) if m else None


def _pick_business_key(obj: CatalogObject) -> tuple[str, ...]:
    preferred = f"bi{obj.name}"
    for k in obj.keys:
        if k.name == preferred and k.kind.startswith("UNIQUE") and not set(k.columns) <= _SURROGATE_COLUMNS:
            return k.columns
    for kind in _KEY_PREFERENCE:
        for k in obj.keys:
            if k.kind == kind and k.columns and not set(k.columns) <= _SURROGATE_COLUMNS:
                return k.columns
    return ()
