"""The library's SQL checked against the catalog and the analyzer before anything trains on it."""

from vgpt_dagster.datasets.intents.model import IntentLibrary
from vgpt_dagster.datasets.intents.templates import fill, fill_seed
from vgpt_dagster.errors import DatasetError


def require_objects(library: IntentLibrary, has_column) -> tuple[IntentLibrary, list[str]]:
    """The intents whose 'uses' columns all exist (``has_column(object, column)``), and the ids left out.

    A small or partial catalog lacks some modules: their intents cannot be answered there. The ids
    left out are reported (asset metadata), never dropped silently.
    """
    keep, skipped = [], []
    for li in library.intents:
        (keep if all(has_column(*u.split(".")) for u in li.intent.uses) else skipped).append(li)
    return IntentLibrary(library.settings, tuple(keep), library.folder), [li.id for li in skipped]


def check_library_sql(library: IntentLibrary, catalog, analyze_fn) -> list[dict]:
    """Problems of every intent's SQL against the catalog: analyzer findings, unknown 'uses' columns.

    ``analyze_fn(sql) -> Analysis``. Each intent is checked with its first phrasing's slots filled and with
    every slot left as a parameter; seed questions are checked as given. Empty list = the library is sound.
    """
    problems: list[dict] = []
    for li in library.intents:
        for use in li.intent.uses:
            obj, col = use.split(".")
            if catalog.column(obj, col) is None or catalog.get(obj).column(col).name != col:
                problems.append(
                    {
                        "intent": li.id,
                        "file": li.file,
                        "field": "uses",
                        "problem": f"{use} not in catalog",
                    }
                )
        variants = [fill(li.intent, k, li.company_param, {}) for k in range(len(li.intent.phrasings))]
        variants.append(fill(li.intent, 0, li.company_param, {}, phrasing=""))
        variants += [fill_seed(li.intent, s, li.company_param) for s in li.intent.seeds]
        for q in variants:
            a = analyze_fn(q.sql)
            if not a.ok:
                problems.append(
                    {
                        "intent": li.id,
                        "file": li.file,
                        "field": "sql",
                        "problem": "; ".join(f"{f.rule}: {f.message}" for f in a.errors) or "not ok",
                        "sql": q.sql,
                        "missing_object": any(f.rule == "unknown_object" for f in a.errors),
                    }
                )
    return problems


def checked_library(library: IntentLibrary, catalog, analyze_fn) -> tuple[IntentLibrary, list[str]]:
    """``library`` without the intents that read an object ``catalog`` lacks (returned as ids); any other
    problem (a wrong column on an object that exists, SQL the analyzer rejects) raises a DatasetError naming
    the file, the intent and the field."""
    problems = check_library_sql(library, catalog, analyze_fn)
    absent = {p["intent"] for p in problems if p.get("missing_object")}
    raise_on_problems([p for p in problems if p["intent"] not in absent])
    keep = tuple(li for li in library.intents if li.id not in absent)
    return IntentLibrary(library.settings, keep, library.folder), sorted(absent)


def raise_on_problems(problems: list[dict]) -> None:
    if problems:
        lines = [f"{p['file']}: intent '{p['intent']}' field '{p['field']}': {p['problem']}" for p in problems[:20]]
        raise DatasetError(f"{len(problems)} intent problem(s):\n" + "\n".join(lines))
