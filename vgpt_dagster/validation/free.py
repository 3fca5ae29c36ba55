"""Judge a (question, response) pair without a suite case: infer the expectation from the question.

Objects named in the question are checked against the catalog: real ones must be used (or affirmed),
invented ones must be refused; a wrong-case spelling (``apth``) is a case question. The kind comes
from the question's wording (exist / describe / join / fix / write SQL).

Examples:
    >>> _kind("Does Invoice exist in Vista?"), _kind("How do I join APTH and APTL?"), _kind("Describe APTL")
    ('existence', 'join', 'describe')
    >>> _candidates("What columns are in the Invoice table?")
    ['Invoice']
"""

import re

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.sql.extract import extract_sql
from vgpt_dagster.validation import scan
from vgpt_dagster.validation.cases import Case
from vgpt_dagster.validation.judge import Verdict, judge

_STOP = {
    "SQL",
    "TSQL",
    "T",
    "Vista",
    "Viewpoint",
    "NOLOCK",
    "SELECT",
    "JOIN",
    "WHERE",
    "FROM",
    "I",
    "A",
    "AP",
    "AR",
    "JC",
    "PR",
    "GL",
    "EM",
    "PO",
    "SL",
    "IN",
    "HQ",
    "PM",
    "CM",
    "SM",
    "How",
    "What",
    "Which",
    "Does",
    "Do",
    "Is",
    "Write",
    "Show",
    "List",
    "Get",
    "Describe",
    "Query",
    "Fix",
    "Give",
    "Can",
    "The",
    "Find",
    "Count",
    "ID",
}
_TABLE_WORD = r"(?:table|view|object)"


def _kind(question: str) -> str:
    q = question.lower()
    if re.search(r"\bexists?\b", q) and not re.search(r"\b(write|query|select)\b", q):
        return "existence"
    if re.search(r"\bjoin", q):
        return "join"
    if re.search(r"\b(fix|correct|wrong|error)\b", q) and re.search(r"\bselect\b|\bupdate\b", q):
        return "error_fix"
    if re.search(r"\b(describe|columns?|structure|fields?|key)\b", q) and not re.search(r"\b(write|sql|query)\b", q):
        return "describe"
    return "sql"


def _candidates(question: str) -> list[str]:
    """Names the question treats as tables: quoted, next to table/view, after from/join/exist, or mnemonic-shaped.

    Only capitalised tokens count ("the table structure" names nothing); SQL in the question contributes
    only the objects after FROM/JOIN/UPDATE, not its column names.
    """
    sqls = extract_sql(question)
    text = scan.prose(question, sqls)
    found = re.findall(rf"([A-Za-z_][A-Za-z0-9_]*)['\"`\]]?\s+{_TABLE_WORD}\b", text)
    found += re.findall(rf"\b{_TABLE_WORD}s?\s+['\"`\[]?([A-Za-z_][A-Za-z0-9_]*)", text)
    strong = re.findall(r"['\"`\[]([A-Za-z_][A-Za-z0-9_]*)['\"`\]]", text)
    strong += re.findall(r"\b(?:does|is)\s+([A-Za-z_][A-Za-z0-9_]*)\s+(?:exist|a\s+table)", text, re.IGNORECASE)
    strong += list(sqls_names(sqls))
    found += re.findall(r"\b(?:from|join|into|update)\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.IGNORECASE)
    found += [
        t
        for t in scan.identifiers(text)
        if re.fullmatch(r"[A-Z]{2}[A-Za-z0-9_]{1,40}", t) and re.search(r"[A-Z].*[A-Z]", t)
    ]
    weak = [t for t in found if re.search(r"[A-Z]", t)]
    return [t for t in dict.fromkeys([*strong, *weak]) if t not in _STOP]


def sqls_names(sqls: list[str]) -> set[str]:
    return {
        t for s in sqls for t in re.findall(r"\b(?:from|join|update|into)\s+([A-Za-z_][A-Za-z0-9_]*)", s, re.IGNORECASE)
    }


def _fake_columns(question: str, objects: list[str], catalog: Catalog) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """("T.Col" invented columns, real alternatives) from "select Col from T" in the question's prose."""
    m = re.search(
        r"\bselect\s+([A-Za-z_][A-Za-z0-9_, ]*?)\s+from\s+([A-Za-z_][A-Za-z0-9_]*)",
        scan.prose(question, extract_sql(question)),
        re.IGNORECASE,
    )
    if not m or catalog.resolve(m.group(2)) is None:
        return (), ()
    obj = catalog.resolve(m.group(2))
    cols = [c.strip() for c in m.group(1).split(",") if c.strip() and c.strip() != "*"]
    fakes = tuple(f"{obj.name}.{c}" for c in cols if obj.column(c) is None)
    alts = tuple(dict.fromkeys(a for c in cols if obj.column(c) is None for a in _similar_columns(obj, c)))
    return fakes, alts


def _similar_columns(obj, col: str) -> list[str]:
    import difflib  # noqa: PLC0415

    return difflib.get_close_matches(col, list(obj.column_names), n=3, cutoff=0.4)


def infer_case(question: str, catalog: Catalog, case_id: str = "free") -> Case:
    """A Case whose expectations come from the question and the catalog."""
    kind = _kind(question)
    real, fake, variant = [], [], ""
    for name in _candidates(question):
        obj = catalog.resolve(name)
        if obj is None:
            fake.append(name)
        elif name not in catalog.objects and name in (name.lower(), name.upper()):
            variant = name
            real.append(obj.name)
        else:
            real.append(obj.name)
    company = re.search(r"\bcompany\s+(\d+)", question, re.IGNORECASE)
    co = int(company.group(1)) if company else None
    if variant and not fake:
        kind = "case"
    fake_cols, col_alts = _fake_columns(question, real, catalog) if kind == "sql" else ((), ())
    if fake_cols:
        fake, real, variant = [], [], ""
    sql = kind in ("sql", "join", "error_fix") and not fake and not fake_cols
    keys: tuple[str, ...] = ()
    if kind == "join" and len(real) >= 2:
        keys = tuple(f"{real[0]}.{a}={real[1]}.{b}" for a, b in catalog.join_keys(real[0], real[1]))
    alternatives = tuple(dict.fromkeys(a for f in fake for a in catalog.suggest(f)))
    filtered = bool(sql and co is not None and real and catalog.company_column(real[0]))
    return Case(
        case_id,
        "main",
        "free",
        kind,
        question,
        objects_must_use=tuple(dict.fromkeys(real)) if not fake else (),
        objects_must_refuse=tuple(fake),
        columns_must_refuse=fake_cols,
        real_alternatives=alternatives or col_alts or tuple(real),
        required_join_keys=keys,
        sql_expected=sql,
        company_filter_required=filtered,
        company=co if filtered else None,
        expected_exists=(not fake) if kind == "existence" else None,
        variant=variant,
    )


def judge_free(question: str, response: str, catalog: Catalog, case_id: str = "free") -> Verdict:
    """Judge a response to any question: the expectation is inferred by :func:`infer_case`."""
    return judge(infer_case(question, catalog, case_id), response, catalog)
