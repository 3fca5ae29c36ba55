"""Read a SQL Server ``INFORMATION_SCHEMA.COLUMNS`` export (CSV) into the export's record shapes.

Any DBA can produce this file (``SELECT * FROM INFORMATION_SCHEMA.COLUMNS`` saved as CSV). It has no
object types, keys or labels, so this module infers what it can:

* ``DATA_TYPE`` is the base SQL type; ``DOMAIN_NAME`` (when exported) is the user-defined type such as
  ``bCompany``, which becomes ``DataType`` so it reads like the original export.
* Object type: a ``TABLE_TYPE`` column wins when present (``BASE TABLE``/``VIEW``, e.g. from a join with
  ``INFORMATION_SCHEMA.TABLES``). Otherwise :func:`infer_kind` applies Vista's naming rule.
* ``NULL`` and empty cells are null. A UTF-8 BOM is accepted; the delimiter (comma, semicolon, tab or
  pipe) is detected from the header line.

Examples:
    >>> infer_kind("bAPTL", {"bAPTL", "APTL"}), infer_kind("APTL", {"bAPTL", "APTL"})
    (('table', None), ('view', 'bAPTL'))
    >>> infer_kind("Companies", {"Companies"})
    ('view', None)
"""

import csv
import gzip
import io
import re
from pathlib import Path
from typing import Any

from vgpt_dagster.errors import CatalogError, did_you_mean

REQUIRED = ("TABLE_NAME", "COLUMN_NAME", "DATA_TYPE")
OPTIONAL = (
    "TABLE_CATALOG",
    "TABLE_SCHEMA",
    "ORDINAL_POSITION",
    "IS_NULLABLE",
    "CHARACTER_MAXIMUM_LENGTH",
    "NUMERIC_PRECISION",
    "NUMERIC_SCALE",
    "DOMAIN_NAME",
    "TABLE_TYPE",
)
_NULLS = frozenset({"", "null"})
_SIZED_CHAR = frozenset({"char", "varchar", "nchar", "nvarchar", "binary", "varbinary"})
_SIZED_NUM = frozenset({"decimal", "numeric"})
# Vista tables: b<MODULE>..., v<MODULE>... (6.x rewrite) and bud... (customer ud tables).
_TABLE_NAME = re.compile(r"^(?:[bv][A-Z]{2}|bud)")


def infer_kind(name: str, names: set[str]) -> tuple[str, str | None]:
    """``(kind, base_table)`` of an object from its name alone (the CSV carries no object type).

    A name ``X`` whose ``bX`` or ``vX`` twin is also in the export is a view over that twin. Otherwise
    ``b``/``v`` + two upper-case letters, or ``bud``, is a table; everything else is a view.
    """
    for prefix in ("b", "v"):
        if prefix + name in names:
            return "view", prefix + name
    return ("table", None) if _TABLE_NAME.match(name) else ("view", None)


def is_information_schema_csv(path: Path) -> bool:
    """True when the file's header row has TABLE_NAME, COLUMN_NAME and DATA_TYPE."""
    try:
        header = _open_text(path).readline()
    except CatalogError:
        return False
    upper = header.upper()
    return all(h in upper for h in REQUIRED)


def _open_text(path: Path) -> io.StringIO:
    try:
        raw = Path(path).read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        return io.StringIO(raw.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError as err:
        raise CatalogError(
            f"{path}: byte {err.start} is not UTF-8 ({err.reason}). Save the CSV as UTF-8 (a BOM is fine)."
        ) from None
    except OSError as err:
        raise CatalogError(f"{path}: cannot read the file ({err}).") from None


def _int(value: str | None, path: Path, line: int, field: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise CatalogError(
            f"{path}: line {line}: {field} must be a whole number or NULL, got {value!r}. Fix the cell."
        ) from None


def read_information_schema(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return ``(objects, columns)`` records in the export's shapes (see ``catalog.records``)."""
    path = Path(path)
    text = _open_text(path)
    first = text.readline()
    text.seek(0)
    delimiter = max(",;\t|", key=first.count)
    reader = csv.reader(text, delimiter=delimiter)
    header = [h.strip().upper() for h in next(reader, [])]
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        found = ", ".join(header) or "(empty file)"
        hint = did_you_mean(missing[0], header)
        raise CatalogError(
            f"{path}: line 1: the header has no {', '.join(missing)} column.{hint} Found: {found}. "
            "Export INFORMATION_SCHEMA.COLUMNS with its column names as the first row."
        )
    idx = {h: header.index(h) for h in (*REQUIRED, *OPTIONAL) if h in header}
    columns: list[dict[str, Any]] = []
    types: dict[str, str] = {}
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise CatalogError(
                f"{path}: line {line}: {len(row)} cells but the header has {len(header)}. "
                "A value probably contains an unquoted delimiter; quote it or re-export."
            )
        cell = {h: (None if row[i].strip().lower() in _NULLS else row[i].strip()) for h, i in idx.items()}
        for h in REQUIRED:
            if cell[h] is None:
                raise CatalogError(f"{path}: line {line}: {h} is empty. Every row needs {', '.join(REQUIRED)}.")
        base = cell["DATA_TYPE"].lower()
        nullable = cell.get("IS_NULLABLE")
        if nullable is not None and nullable.upper() not in ("YES", "NO"):
            raise CatalogError(f"{path}: line {line}: IS_NULLABLE must be YES or NO, got {nullable!r}.")
        columns.append(
            {
                "ObjectName": cell["TABLE_NAME"],
                "SchemaName": cell.get("TABLE_SCHEMA"),
                "ColumnName": cell["COLUMN_NAME"],
                "DataType": cell.get("DOMAIN_NAME") or base,
                "BaseType": base,
                "IsNullable": None if nullable is None else nullable.upper() == "YES",
                "OrdinalPosition": _int(cell.get("ORDINAL_POSITION"), path, line, "ORDINAL_POSITION"),
                "MaxLength": _int(cell.get("CHARACTER_MAXIMUM_LENGTH"), path, line, "CHARACTER_MAXIMUM_LENGTH")
                if base in _SIZED_CHAR
                else None,
                # SQL Server reports a precision for int/money too; the export keeps it for decimal/numeric only.
                "Precision": _int(cell.get("NUMERIC_PRECISION"), path, line, "NUMERIC_PRECISION")
                if base in _SIZED_NUM
                else None,
                "Scale": _int(cell.get("NUMERIC_SCALE"), path, line, "NUMERIC_SCALE") if base in _SIZED_NUM else None,
            }
        )
        if cell.get("TABLE_TYPE"):
            types.setdefault(cell["TABLE_NAME"], cell["TABLE_TYPE"])
    names = set(dict.fromkeys(c["ObjectName"] for c in columns))
    objects = []
    for name in dict.fromkeys(c["ObjectName"] for c in columns):
        kind, base_table = infer_kind(name, names)
        if name in types:
            kind = "view" if "VIEW" in types[name].upper() else "table"
            base_table = base_table if kind == "view" else None
        objects.append({"name": name, "type": kind.upper(), "base_table": base_table})
    return objects, columns
