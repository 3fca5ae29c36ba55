"""A tiny in-code Vista catalog for doctests and fast unit tests (real names, real key shapes); test code only.

It includes the traps: ``APHD`` and the view ``Companies`` are real objects.

Examples:
    >>> cat = tiny_catalog()
    >>> cat.join_keys("APTH", "APTL")
    (('APCo', 'APCo'), ('Mth', 'Mth'), ('APTrans', 'APTrans'))
    >>> cat.exists("Companies"), cat.exists("Invoice")
    (True, False)
"""

from functools import lru_cache

from vgpt_dagster.catalog.model import Catalog

_TYPES = {"Co": "bCompany", "Mth": "bMonth", "Date": "bDate", "Amt": "bDollar", "Total": "bDollar", "Name": "varchar"}
_UDT = {
    "bCompany": {"BaseType": "tinyint"},
    "bMonth": {"BaseType": "smalldatetime"},
    "bDate": {"BaseType": "smalldatetime"},
    "bDollar": {"BaseType": "numeric"},
}
# name -> (module, columns, business key, label)
_OBJECTS = {
    "APTH": (
        "AP",
        "APCo Mth APTrans VendorGroup Vendor APRef Description InvDate DueDate InvTotal",
        "APCo Mth APTrans",
    ),
    "APTL": ("AP", "APCo Mth APTrans APLine LineType Job Phase GrossAmt Description", "APCo Mth APTrans APLine"),
    "APTD": ("AP", "APCo Mth APTrans APLine APSeq Amount PaidDate Status", "APCo Mth APTrans APLine APSeq"),
    "APHD": ("AP", "APCo Mth APTrans APLine APSeq HoldCode", "APCo Mth APTrans APLine APSeq HoldCode"),
    "APVM": ("AP", "VendorGroup Vendor Name SortName Phone", "VendorGroup Vendor"),
    "ARCM": ("AR", "CustGroup Customer Name SortName Phone", "CustGroup Customer"),
    "ARTH": ("AR", "ARCo Mth ARTrans CustGroup Customer Invoice TransDate Amount", "ARCo Mth ARTrans"),
    "JCJM": ("JC", "JCCo Job Description Contract JobStatus StartDate", "JCCo Job"),
    "JCJP": ("JC", "JCCo Job PhaseGroup Phase Description", "JCCo Job PhaseGroup Phase"),
    "PREH": ("PR", "PRCo Employee LastName FirstName HireDate", "PRCo Employee"),
    "HQCO": ("HQ", "HQCo Name City State", "HQCo"),
}


def _dtype(col: str) -> str:
    for suffix, t in _TYPES.items():
        if col.endswith(suffix):
            return t
    return "int" if col in ("APTrans", "ARTrans", "APLine", "APSeq", "Vendor", "Customer", "Employee") else "varchar"


@lru_cache(maxsize=1)
def tiny_catalog() -> Catalog:
    """Views over b-tables for the objects above, plus the view ``Companies`` (no base table)."""
    objects, columns, keys = [], [], []
    for name, (module, cols, key) in _OBJECTS.items():
        objects += [
            {"name": f"b{name}", "type": "TABLE", "module": module},
            {"name": name, "type": "VIEW", "base_table": f"b{name}", "module": module},
        ]
        for obj in (f"b{name}", name):
            for i, c in enumerate(cols.split()):
                columns.append({"ObjectName": obj, "ColumnName": c, "DataType": _dtype(c), "OrdinalPosition": i + 1})
        keys.append(
            {
                "ObjectName": f"b{name}",
                "KeyName": f"bi{name}",
                "KeyType": "UNIQUE CLUSTERED INDEX",
                "Columns": key.split(),
            }
        )
    objects.append({"name": "Companies", "type": "VIEW"})
    columns.append({"ObjectName": "Companies", "ColumnName": "HQCo", "DataType": "bCompany"})
    return Catalog.from_records(objects, columns, keys, udt_types=_UDT, source="tiny")
