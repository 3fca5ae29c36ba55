"""Evidence for joins and the company column: the rules every generator, the analyzer and the judge share.

A join between two objects is taught, required or checked only when there is evidence for it, in this
order of trust:

1. ``foreign_key``: a declared FOREIGN KEY (views map to their base tables);
2. ``observed``: the join columns Viewpoint's own views use (``observed_joins.json``: the most used shape
   of that table pair);
3. ``header_detail``: objects of the same module where the child's business key strictly extends the
   parent's (APTH (APCo, Mth, APTrans) -> APTL (APCo, Mth, APTrans, APLine)) and the parent's key does not
   end in a per-table sequence (``Seq``, ``BatchSeq``): sharing ``HRCo, HRRef, Seq`` is a coincidence;
4. ``master_lookup``: a master keyed by a company or group plus one code (APVM (VendorGroup, Vendor), JCJM
   (JCCo, Job), PREH (PRCo, Employee)) looked up by an object that carries both columns of that key.

Two objects that merely share columns (both batch tables, both with a ``Seq``) have no evidence.

The company column of an object: its module's column (``APCo``), else a company column of its business key,
else - when the object is not keyed by a shared group (APVM: VendorGroup, Vendor) or by another real key -
its only company-typed column (``bCompany``, or an integer ``Co``/``...Co``/``Company``); among several, the
one named ``Co``/``Company``, else the object's first column when it is one (report views lead with it).

Examples:
    >>> extends_key(("APCo", "Mth", "APTrans"), ("APCo", "Mth", "APTrans", "APLine"))
    True
    >>> extends_key(("HRCo", "HRRef", "Seq"), ("HRCo", "HRRef", "Seq", "Line"))
    False
    >>> best_shape([ObservedJoin("bJCJM", "bJCJP", (("Job", "Job"),), 1, 1),
    ...             ObservedJoin("bJCJM", "bJCJP", (("JCCo", "JCCo"), ("Job", "Job")), 15, 15)]).uses
    15
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FOREIGN_KEY, OBSERVED, HEADER_DETAIL, MASTER_LOOKUP = "foreign_key", "observed", "header_detail", "master_lookup"
EVIDENCE_KINDS = (FOREIGN_KEY, OBSERVED, HEADER_DETAIL, MASTER_LOOKUP)
_SEQUENCE = re.compile(r"Seq(uence)?$")
_INTEGER = frozenset({"tinyint", "smallint", "int"})
_COMPANY_NAME = re.compile(r"^(Co|Company|[A-Za-z]*Co)$")
_SURROGATE = re.compile(r"(ID|KeyID)$")


@dataclass(frozen=True)
class ObservedJoin:
    """One join shape from ``observed_joins.json``: ``on`` pairs (left column, right column) on base tables."""

    left: str
    right: str
    on: tuple[tuple[str, str], ...]
    uses: int
    objects: int = 0


@dataclass(frozen=True)
class JoinEvidence:
    """Why two objects join: the column pairs (on the objects asked about), the kind and a short reason."""

    pairs: tuple[tuple[str, str], ...]
    kind: str  # foreign_key | observed | header_detail
    detail: str


def index_observed(observed: Iterable[ObservedJoin]) -> dict[tuple[str, str], list[ObservedJoin]]:
    """Shapes per (left, right) table pair, as written in the file (``left`` < ``right``)."""
    idx: dict[tuple[str, str], list[ObservedJoin]] = {}
    for o in observed:
        idx.setdefault((o.left, o.right), []).append(o)
    return idx


def best_shape(shapes: Sequence[ObservedJoin]) -> ObservedJoin:
    """The habit, not the exception: the most used shape (ties: the longer, more specific one)."""
    return max(shapes, key=lambda o: (o.uses, len(o.on), o.on))


def is_sequence(column: str) -> bool:
    """A per-table running number (``Seq``, ``BatchSeq``, ``APSeq``): never evidence of a relationship."""
    return bool(_SEQUENCE.search(column))


def extends_key(parent_key: Sequence[str], child_key: Sequence[str]) -> bool:
    """The child's key holds the whole parent key plus more columns, and the parent key ends in no sequence."""
    return (
        len(parent_key) >= 2
        and set(parent_key) < set(child_key)  # GLBL (GLCo, GLAcct, Mth) -> GLBD (GLCo, GLAcct, BudgetCode, Mth)
        and not is_sequence(parent_key[-1])
        and not all(_SURROGATE.search(c) for c in parent_key)
    )


def is_master_key(key: Sequence[str]) -> bool:
    """A master's key: a company or group column plus one code that is no sequence, month or batch."""
    return (
        len(key) == 2
        and (key[0].endswith(("Co", "Group")) or key[0] == "Co")
        and not is_sequence(key[1])
        and key[1] not in ("Mth", "BatchId", "KeyID")
        and not _SURROGATE.search(key[1])
    )


def is_company_typed(name: str, data_type: str | None, base_type: str | None) -> bool:
    """``bCompany`` columns, and integer columns named ``Co``, ``Company`` or ``<X>Co``."""
    if data_type == "bCompany":
        return True
    return bool(_COMPANY_NAME.match(name)) and (base_type or "").lower() in _INTEGER


def pick_company_column(
    module_column: str | None,
    key: Sequence[str],
    company_typed: Sequence[str],
    group_columns: Iterable[str],
    first_column: str | None = None,
) -> str | None:
    """The company rule over one object's facts (``company_typed``: its company-typed columns, in order).

    Examples:
        >>> pick_company_column(None, (), ["JCCo", "GLCo", "PRCo"], (), "JCCo")  # vrvJBLaborRates
        'JCCo'
        >>> pick_company_column(None, ("VendorGroup", "Vendor"), ["GLCo"], ("VendorGroup",), "VendorGroup")  # APVM
    """
    if module_column:
        return module_column
    typed = set(company_typed)
    for k in key:
        if k in typed:
            return k
    groups = set(group_columns)
    if key and (any(k in groups or k.endswith("Group") for k in key) or not _SURROGATE.search(key[0])):
        return None  # keyed by a shared group or by a real key without a company: not partitioned by company
    if len(company_typed) == 1:
        return company_typed[0]
    named = [c for c in company_typed if c in ("Co", "Company")]
    if len(named) == 1:
        return named[0]
    return first_column if first_column in typed else None  # report views lead with their company
