"""Slots: the values a phrasing may name (``{co}``, ``{period}``, ...) and their SQL literals."""

import re
from dataclasses import dataclass

SETTINGS_FILE = "library.yaml"
PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\(([^)]*)\))?\}")
OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)  # [[ AND x = {slot} ]]: kept only when the question names its slots
_MONTHS = "January February March April May June July August September October November December".split()
_THIS_MONTH = "DATEADD(month, DATEDIFF(month, 0, GETDATE()), 0)"
_THIS_YEAR = "DATEADD(year, DATEDIFF(year, 0, GETDATE()), 0)"
_THIS_QUARTER = "DATEADD(quarter, DATEDIFF(quarter, 0, GETDATE()), 0)"
_TOMORROW = "DATEADD(day, 1, CAST(GETDATE() AS date))"

# Date ranges in words: (phrase, start, end). A half-open range: col >= start AND col < end.
PERIODS: tuple[tuple[str, str, str], ...] = (
    ("last month", "DATEADD(month, DATEDIFF(month, 0, GETDATE()) - 1, 0)", _THIS_MONTH),
    ("this month", _THIS_MONTH, "DATEADD(month, DATEDIFF(month, 0, GETDATE()) + 1, 0)"),
    ("in Q1 2024", "'2024-01-01'", "'2024-04-01'"),
    ("since January", _THIS_YEAR, _TOMORROW),
    ("in January 2024", "'2024-01-01'", "'2024-02-01'"),
    ("year to date", _THIS_YEAR, _TOMORROW),
    ("in the last 30 days", "DATEADD(day, -30, CAST(GETDATE() AS date))", _TOMORROW),
    (
        "last quarter",
        "DATEADD(quarter, DATEDIFF(quarter, 0, GETDATE()) - 1, 0)",
        _THIS_QUARTER,
    ),
    ("in 2023", "'2023-01-01'", "'2024-01-01'"),
    ("last year", "DATEADD(year, DATEDIFF(year, 0, GETDATE()) - 1, 0)", _THIS_YEAR),
    ("in March 2025", "'2025-03-01'", "'2025-04-01'"),
    (
        "this quarter",
        _THIS_QUARTER,
        "DATEADD(quarter, DATEDIFF(quarter, 0, GETDATE()) + 1, 0)",
    ),
    ("in Q3 2024", "'2024-07-01'", "'2024-10-01'"),
    ("in the last 90 days", "DATEADD(day, -90, CAST(GETDATE() AS date))", _TOMORROW),
)


@dataclass(frozen=True)
class Slot:
    """One slot kind: values as (phrase in the question, literal in the SQL) and its parameter."""

    name: str
    values: tuple[tuple[str, str], ...]
    param: str  # the T-SQL parameter used when the question does not give a value


def _nums(*xs: int) -> tuple[tuple[str, str], ...]:
    return tuple((str(x), str(x)) for x in xs)


def _codes(*xs: str) -> tuple[tuple[str, str], ...]:
    return tuple((x, f"'{x}'") for x in xs)


SLOTS: dict[str, Slot] = {
    s.name: s
    for s in (
        Slot("co", _nums(1, 2, 5, 10, 20, 101), "@Co"),  # the parameter is the module's (@APCo, @JCCo, ...)
        Slot("vendor", _nums(1200, 3050, 41870, 518, 7702, 2214), "@Vendor"),
        Slot("customer", _nums(1001, 2250, 317, 4400, 880), "@Customer"),
        Slot("employee", _nums(100, 2417, 385, 5120, 77), "@Employee"),
        Slot("job", _codes("1001-", "2210-03", "3150-", "24-118", "7730-01"), "@Job"),
        Slot("contract", _codes("1001-", "2210-", "3150-", "24-118"), "@Contract"),
        Slot("phase", _codes("01-100", "02-200", "03-300", "16-100"), "@Phase"),
        Slot("equip", _codes("E-101", "1204", "T-33", "CR-07"), "@Equipment"),
        Slot("glacct", _codes("1000-000", "2100-000", "5010-100", "4000-100"), "@GLAcct"),
        Slot("po", _codes("PO-1001", "24-0077", "P31552"), "@PO"),
        Slot("sl", _codes("SL-2001", "1001-001", "S24-015"), "@SL"),
        Slot("loc", _codes("MAIN", "YARD", "WH1"), "@Loc"),
        Slot("material", _codes("REBAR-4", "CONC-3000", "PVC-2"), "@Material"),
        Slot("craft", _codes("ELEC", "CARP", "LAB"), "@Craft"),
        Slot("dept", _codes("100", "ADMIN", "FIELD"), "@Dept"),
        Slot("cmacct", _nums(1, 2, 10), "@CMAcct"),
        Slot(
            "amount",
            (
                ("$10,000", "10000"),
                ("$5,000", "5000"),
                ("$25,000", "25000"),
                ("$50k", "50000"),
                ("$100,000", "100000"),
            ),
            "@Amount",
        ),
        Slot("n", _nums(10, 20, 5, 25, 50), "@TopN"),
        Slot("days", _nums(30, 60, 90, 7, 14), "@Days"),
        Slot("year", _nums(2023, 2024, 2025), "@Year"),
        Slot(
            "name",
            tuple((x, f"'%{x}%'") for x in ("Steel", "Concrete", "Electric", "Supply", "Plumbing")),
            "@Name",
        ),
        Slot("period", tuple((p, "") for p, _, _ in PERIODS), "@StartDate"),
    )
}
# Everything a question may contain in place of a slot (masked by the shape audit).
SLOT_PHRASES: tuple[str, ...] = tuple(
    sorted({p for s in SLOTS.values() for p, _ in s.values}, key=lambda x: (-len(x), x))
)
