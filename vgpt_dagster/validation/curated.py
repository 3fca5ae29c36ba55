"""Hand-picked cases: the seeds' own 47-question examples and business rules, kept only when the catalog agrees."""

from collections.abc import Callable

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.judging.cases import Case


def _have(catalog: Catalog, *specs: str) -> bool:
    """True when every ``Object`` or ``Object.Column`` exists (exact spelling)."""
    for spec in specs:
        obj, _, col = spec.partition(".")
        if obj not in catalog.objects or (col and catalog.objects[obj].column(col) is None):
            return False
    return True


def schema_cases(catalog: Catalog) -> list[Case]:
    out = []
    if _have(catalog, "APTL"):
        out.append(
            Case(
                "seed-describe-aptl",
                "main",
                "schema_knowledge",
                "describe",
                "Describe the APTL table structure",
                objects_must_use=("APTL",),
                source="curated",
            )
        )
    if _have(catalog, "APTL"):
        out.append(
            Case(
                "seed-exists-aptl",
                "main",
                "schema_knowledge",
                "existence",
                "Does APTL exist in Vista?",
                objects_must_use=("APTL",),
                expected_exists=True,
                source="curated",
            )
        )
    return out


def sql_cases(catalog: Catalog) -> list[Case]:
    if not _have(catalog, "APTH.Vendor", "APTH.InvDate", "APTH.InvTotal"):
        return []
    return [
        Case(
            "seed-sql-apth",
            "main",
            "sql_generation",
            "sql",
            "Write SQL to list Vendor, InvDate and InvTotal from APTH for company 1",
            objects_must_use=("APTH",),
            columns_must_use=("APTH.Vendor", "APTH.InvDate", "APTH.InvTotal"),
            sql_expected=True,
            company_filter_required=True,
            company=1,
            source="curated",
        )
    ]


def join_cases(catalog: Catalog) -> list[Case]:
    if not _have(catalog, "APTH", "APTL"):
        return []
    keys = tuple(f"APTH.{x}=APTL.{y}" for x, y in catalog.join_keys("APTH", "APTL"))
    return [
        Case(
            "seed-join-apth-aptl",
            "main",
            "join",
            "join",
            "How do I join APTH and APTL?",
            objects_must_use=("APTH", "APTL"),
            required_join_keys=keys,
            sql_expected=True,
            source="curated",
        )
    ]


def hallucination_cases(catalog: Catalog) -> list[Case]:
    out = []
    if catalog.resolve("Invoice") is None and _have(catalog, "APTH"):
        out.append(
            Case(
                "seed-invoice-columns",
                "main",
                "hallucination",
                "describe",
                "What columns are in the Invoice table?",
                objects_must_refuse=("Invoice",),
                real_alternatives=("APTH", "APTL", "ARTH"),
                pattern="plain_english",
                source="curated",
            )
        )
        out.append(
            Case(
                "seed-query-invoice",
                "main",
                "hallucination",
                "sql",
                "Query the Invoice table",
                objects_must_refuse=("Invoice",),
                real_alternatives=("APTH", "APTL"),
                pattern="plain_english",
                source="curated",
            )
        )
    return out


def error_cases(catalog: Catalog) -> list[Case]:
    if not _have(catalog, "APTH", "APTL"):
        return []
    broken = "SELECT * FROM APTH h INNER JOIN APTL l ON h.APTrans = l.APTrans WHERE h.APCo = 1"
    keys = tuple(f"APTH.{x}=APTL.{y}" for x, y in catalog.join_keys("APTH", "APTL"))
    return [
        Case(
            "seed-fix-join",
            "main",
            "error_correction",
            "error_fix",
            f"This query returns duplicate rows. Fix it:\n\n{broken}",
            objects_must_use=("APTH", "APTL"),
            required_join_keys=keys,
            sql_expected=True,
            company_filter_required=True,
            company=1,
            broken_sql=broken,
            source="curated",
        )
    ]


# (question template, object, must-use columns, filters for the reference SQL)
_BUSINESS = (
    ("Write SQL to get all unpaid AP invoices for company {c}", "APTH", ("OpenYN",), ("OpenYN = 'Y'",)),
    ("List AP invoices on hold for company {c}", "APTH", ("HoldCode",), ("HoldCode IS NOT NULL",)),
    ("Which AP invoices are past their due date for company {c}?", "APTH", ("DueDate",), ("DueDate < GETDATE()",)),
    ("Total AP invoice amount per vendor for company {c}", "APTH", ("InvTotal", "Vendor"), ()),
    ("Show open jobs for company {c}", "JCJM", ("JobStatus",), ("JobStatus = 1",)),
    ("List active employees for company {c}", "PREH", ("ActiveYN",), ("ActiveYN = 'Y'",)),
    (
        "Employees hired this year in company {c}",
        "PREH",
        ("HireDate",),
        ("HireDate >= DATEFROMPARTS(YEAR(GETDATE()), 1, 1)",),
    ),
    ("Show AR invoices for company {c}", "ARTH", ("ARTransType",), ("ARTransType = 'I'",)),
    ("Actual job cost by job for company {c}", "JCCD", ("ActualCost", "Job"), ()),
    ("List open purchase orders for company {c}", "POHD", ("Status",), ("Status = 0",)),
    ("List open subcontracts for company {c}", "SLHD", ("Status",), ("Status = 0",)),
    ("Which equipment is active in company {c}?", "EMEM", ("Status",), ("Status = 'A'",)),
    ("List active GL accounts for company {c}", "GLAC", ("Active",), ("Active = 'Y'",)),
    ("Show open contracts for company {c}", "JCCM", ("ContractStatus",), ("ContractStatus = 1",)),
    ("Total hours per employee on timecards for company {c}", "PRTH", ("Hours", "Employee"), ()),
    ("On-hand quantity by material and location for company {c}", "INMT", ("OnHand", "Material", "Loc"), ()),
    ("Unpaid AP transaction detail for company {c}", "APTD", ("Status",), ("Status = 1",)),
    ("GL detail amounts by account for company {c}", "GLDT", ("Amount", "GLAcct"), ()),
)


def business_cases(catalog: Catalog, n: int, company: Callable[[int], int]) -> list[Case]:
    """Business-rule questions, cycling companies until ``n`` (the seeds' unpaid-invoices question first)."""
    rules = [r for r in _BUSINESS if _have(catalog, r[1], *(f"{r[1]}.{c}" for c in r[2]))]
    out: list[Case] = []
    for i in range(n if rules else 0):
        tpl, obj, cols, filters = rules[i % len(rules)]
        c = company(i // len(rules)) if i >= len(rules) else 1
        out.append(
            Case(
                f"biz-{i:03d}",
                "main",
                "business_logic",
                "business",
                tpl.format(c=c),
                objects_must_use=(obj,),
                columns_must_use=tuple(f"{obj}.{x}" for x in cols),
                filters=filters,
                sql_expected=True,
                company_filter_required=True,
                company=c,
                source="curated",
            )
        )
    return out
