"""Read and validate the JSON files of a metadata export (the original team's shapes).

Every problem is a :class:`CatalogError` that names the file, the record index (0-based position in
the JSON list) and the field, says what was expected and found, and how to fix it. Unknown extra
fields are ignored, so richer exports load unchanged.

Examples:
    >>> check_records([{"ObjectName": "APTH", "ColumnName": "APCo", "DataType": "bCompany"}],
    ...               COLUMN_FIELDS, "columns.json")
    >>> check_records([{"ObjectName": "APTH", "DataType": "int"}], COLUMN_FIELDS, "columns.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vgpt_dagster.errors.CatalogError: columns.json: record 0 (APTH): required field 'ColumnName' is missing. ...
"""

import gzip
import json
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vgpt_dagster.errors import CatalogError

_MISSING = object()
_NONE = type(None)

# field -> (allowed Python types, required). "required" means the key must be present; a null value
# is allowed whenever NoneType is among the allowed types (view expression columns have no DataType).
FieldSpec = Mapping[str, tuple[tuple[type, ...], bool]]

COLUMN_FIELDS: FieldSpec = {
    "ObjectName": ((str,), True),
    "ColumnName": ((str,), True),
    "DataType": ((str, _NONE), True),
    "SchemaName": ((str, _NONE), False),
    "ObjectType": ((str, _NONE), False),
    "BaseType": ((str, _NONE), False),
    "IsNullable": ((str, bool, _NONE), False),
    "OrdinalPosition": ((int, _NONE), False),
    "MaxLength": ((int, _NONE), False),
    "Precision": ((int, _NONE), False),
    "Scale": ((int, _NONE), False),
    "IsIdentity": ((bool, _NONE), False),
    "IsComputed": ((bool, _NONE), False),
}
TABLE_FIELDS: FieldSpec = {
    "type": ((str, _NONE), False),
    "TABLE_TYPE": ((str, _NONE), False),
    "base_table": ((str, _NONE), False),
    "module": ((str, _NONE), False),
    "description": ((str, _NONE), False),
    "column_count": ((int, _NONE), False),
}
KEY_FIELDS: FieldSpec = {
    "ObjectName": ((str,), True),
    "KeyName": ((str, _NONE), False),
    "KeyType": ((str,), True),
    "Columns": ((list,), True),
}
FK_FIELDS: FieldSpec = {
    "ConstraintName": ((str, _NONE), False),
    "ParentTable": ((str,), True),
    "ParentColumns": ((list,), True),
    "ChildTable": ((str,), True),
    "ChildColumns": ((list,), True),
}
OBSERVED_JOIN_FIELDS: FieldSpec = {
    "left": ((str,), True),
    "right": ((str,), True),
    "on": ((list,), True),
    "uses": ((int,), True),
    "objects": ((int, _NONE), False),
}
UDT_FIELDS: FieldSpec = {
    "BaseType": ((str,), True),
    "MaxLength": ((int, _NONE), False),
    "Precision": ((int, _NONE), False),
    "Scale": ((int, _NONE), False),
}
_NULLABLE_WORDS = frozenset({"true", "false", "yes", "no"})
_TYPE_WORDS = {str: "a string", int: "an integer", bool: "true/false", list: "a list", dict: "an object", _NONE: "null"}


def read_json(path: Path) -> Any:
    """Parse a .json or .json.gz file (UTF-8, BOM accepted); bad JSON names the line and column."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8-sig")
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise CatalogError(f"{path}: cannot read the file ({err}). Re-export it or replace the damaged copy.") from None
    except UnicodeDecodeError as err:
        raise CatalogError(
            f"{path}: byte {err.start} is not UTF-8 ({err.reason}). Save the export as UTF-8 (a BOM is fine)."
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise CatalogError(
            f"{path}: line {err.lineno}, column {err.colno}: not valid JSON ({err.msg}). "
            "Fix that spot in the file (a missing comma or quote, or a truncated export)."
        ) from None


def _label(rec: Mapping[str, Any]) -> str:
    """Short identity of a record for messages: ``APTH.APCo``, ``bAPTL``, ``FK_x``."""
    for a, b in (("ObjectName", "ColumnName"), ("ChildTable", "ConstraintName")):
        if isinstance(rec.get(a), str) and isinstance(rec.get(b), str):
            return f" ({rec[a]}.{rec[b]})" if a == "ObjectName" else f" ({rec[b]})"
    for k in ("ObjectName", "name", "TABLE_NAME", "ChildTable"):
        if isinstance(rec.get(k), str):
            return f" ({rec[k]})"
    return ""


def _type_words(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in types)


def expect_list(data: Any, source: str) -> list:
    """The top level of every export file except udt_types.json is a JSON list of records."""
    if not isinstance(data, list):
        raise CatalogError(
            f"{source}: expected a JSON list of records at the top level, got {_type_words((type(data),))}. "
            "Export one object per record inside [ ... ]."
        )
    return data


def _looks_valid(records: Sequence[Any], spec: FieldSpec) -> bool:
    """Fast pre-check on (field names, value types) signatures: one exporter writes few distinct ones.

    The per-record pass in :func:`check_records` only runs to locate and word a problem.
    """
    if any(type(r) is not dict for r in records):
        return False
    signatures = {(tuple(r), tuple(map(type, r.values()))) for r in records}
    for keys, types in signatures:
        got = dict(zip(keys, types, strict=True))
        for field, (allowed, req) in spec.items():
            t = got.get(field)
            if (t is None and req) or (t is not None and (t not in allowed or (t is bool and bool not in allowed))):
                return False
    for field in ("ObjectName", "ColumnName", "ParentTable", "ChildTable", "KeyType"):
        if field in spec and any(not v.strip() for v in {r.get(field) for r in records} if isinstance(v, str)):
            return False
    nullable = {r.get("IsNullable") for r in records} - {None, True, False}
    return all(v.strip().lower() in _NULLABLE_WORDS for v in nullable) and not any(
        f in spec for f in ("Columns", "ParentColumns")
    )


def check_records(records: Sequence[Any], spec: FieldSpec, source: str) -> None:
    """Raise :class:`CatalogError` for the first record that is not an object, misses or mistypes a field."""
    if _looks_valid(records, spec):
        return
    required = [f for f, (_, req) in spec.items() if req]
    checks = list(spec.items())
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise CatalogError(
                f"{source}: record {i} is {_type_words((type(rec),))}, expected an object with fields "
                f"{', '.join(required) or 'name'}. Remove it or wrap the values in {{...}}."
            )
        for field, (types, req) in checks:
            value = rec.get(field, _MISSING)
            if value is _MISSING:
                if req:
                    raise CatalogError(
                        f"{source}: record {i}{_label(rec)}: required field '{field}' is missing. Every record needs "
                        f"{', '.join(required)}; add the field or remove the record."
                    )
                continue
            # bool is an int subclass: an int field must not accept true/false.
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise CatalogError(
                    f"{source}: record {i}{_label(rec)}: field '{field}' must be {_type_words(types)}, "
                    f"got {value!r}. Fix the value in the export."
                )
        _check_values(rec, i, source)


def _check_values(rec: dict, i: int, source: str) -> None:
    """Checks beyond the type: name lists hold strings, IsNullable is a yes/no word, names are not blank."""
    for field in ("ObjectName", "ColumnName", "ParentTable", "ChildTable", "KeyType"):
        v = rec.get(field)
        if isinstance(v, str) and not v.strip():
            raise CatalogError(f"{source}: record {i}: field '{field}' is empty. Give it the object/column name.")
    for field in ("Columns", "ParentColumns", "ChildColumns"):
        v = rec.get(field)
        if v is not None and (not v or not all(isinstance(c, str) and c for c in v)):
            raise CatalogError(
                f"{source}: record {i}{_label(rec)}: field '{field}' must be a non-empty list of column names, "
                f"got {v!r}."
            )
    if "ParentColumns" in rec and len(rec["ParentColumns"]) != len(rec["ChildColumns"]):
        raise CatalogError(
            f"{source}: record {i}{_label(rec)}: ParentColumns has {len(rec['ParentColumns'])} columns but "
            f"ChildColumns has {len(rec['ChildColumns'])}; a foreign key pairs them one to one."
        )
    v = rec.get("IsNullable")
    if isinstance(v, str) and v.strip().lower() not in _NULLABLE_WORDS:
        raise CatalogError(
            f'{source}: record {i}{_label(rec)}: field \'IsNullable\' must be "True"/"False" (or YES/NO, '
            f"true/false), got {v!r}."
        )


def check_tables(records: Sequence[Any], source: str) -> list[dict[str, Any]]:
    """Validate a tables list and normalise it to ``{name, type, base_table, module, description}``."""
    check_records(records, TABLE_FIELDS, source)
    out = []
    for i, rec in enumerate(records):
        name = rec.get("name", rec.get("TABLE_NAME"))
        if not isinstance(name, str) or not name.strip():
            raise CatalogError(
                f"{source}: record {i}: required field 'name' (or 'TABLE_NAME') is missing or not a string "
                f"(got {name!r}). Every item of a tables list names one table or view."
            )
        kind = rec.get("type") or rec.get("TABLE_TYPE")
        if kind is not None and not any(w in kind.upper() for w in ("TABLE", "VIEW")):
            raise CatalogError(
                f"{source}: record {i} ({name}): field 'type' must be TABLE, VIEW or BASE TABLE, got {kind!r}."
            )
        out.append({**rec, "name": name, "type": kind})
    return out


def check_observed_joins(records: Sequence[Any], source: str) -> list[dict[str, Any]]:
    """``observed_joins.json``: ``{"left", "right", "on": [[left_col, right_col], ...], "uses", "objects"}``."""
    check_records(records, OBSERVED_JOIN_FIELDS, source)
    for i, rec in enumerate(records):
        on = rec["on"]
        pairs_ok = all(isinstance(p, list) and len(p) == 2 and all(isinstance(c, str) and c for c in p) for p in on)
        if not on or not pairs_ok:
            raise CatalogError(
                f"{source}: record {i} ({rec['left']}-{rec['right']}): field 'on' must be a non-empty list of "
                f'[left_column, right_column] pairs, e.g. [["APCo", "APCo"]], got {on!r}.'
            )
        if rec["uses"] < 1:
            raise CatalogError(
                f"{source}: record {i} ({rec['left']}-{rec['right']}): field 'uses' must be at least 1 (how often "
                f"the views use this join), got {rec['uses']!r}."
            )
    return list(records)


def check_udt_types(data: Any, source: str) -> dict[str, dict[str, Any]]:
    """``udt_types.json`` is one object keyed by type name: ``{"bCompany": {"BaseType": "tinyint"}, ...}``."""
    if not isinstance(data, dict):
        raise CatalogError(
            f"{source}: expected one JSON object keyed by type name "
            f'(e.g. {{"bCompany": {{"BaseType": "tinyint"}}}}), got {_type_words((type(data),))}.'
        )
    items = list(data.items())
    for i, (name, rec) in enumerate(items):
        if not isinstance(rec, dict):
            raise CatalogError(f"{source}: type '{name}' (entry {i}) must be an object with BaseType, got {rec!r}.")
    check_records([{"ObjectName": n, **r} for n, r in items], UDT_FIELDS, source)
    return {n: dict(r) for n, r in items}
