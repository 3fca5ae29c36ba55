"""Schema questions answered straight from the catalog (no model call), every fact cited.

Kinds (from :func:`vgpt_dagster.judging.question.classify_question`): ``exists``, ``describe``,
``business_key``, ``column_type``, ``company_column``, ``view_or_table``, ``module_tables``. A question about
an invented object gets "does not exist" with the catalog's did-you-mean, never SQL.

Examples:
    >>> from vgpt_dagster.catalog.load import load_default_catalog
    >>> from vgpt_dagster.judging.question import classify_question
    >>> cat = load_default_catalog()
    >>> a = answer_schema_question(classify_question("What is the business key of APTH?", cat), cat)
    >>> a.text
    'APTH (view of bAPTH) has the business key APCo, Mth, APTrans.'
    >>> a.facts[0]["source"]
    'catalog: unique index biAPTH'
"""

from dataclasses import dataclass, field

from vgpt_dagster.catalog.model import Catalog

SCHEMA_KINDS = frozenset(
    {"exists", "describe", "business_key", "column_type", "company_column", "view_or_table", "module_tables"}
)


@dataclass
class SchemaAnswer:
    text: str
    facts: list[dict] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)


def _kind_phrase(catalog: Catalog, name: str) -> str:
    obj = catalog.get(name)
    return f"view of {obj.base_table}" if obj.is_view and obj.base_table else obj.kind


def _key_source(catalog: Catalog, name: str) -> str:
    obj = catalog.get(name)
    owner = catalog.resolve(obj.base_table) if obj.is_view and obj.base_table else obj
    key = catalog.business_key(name)
    for k in owner.keys if owner else ():
        if tuple(k.columns) == tuple(key):
            return f"catalog: {k.kind.lower().replace(' clustered', '')} {k.name}"
    return "catalog: keys"


def not_found_text(catalog: Catalog, text: str) -> str:
    return catalog.lookup(text).message()


def _exists(catalog: Catalog, name: str, reading) -> SchemaAnswer:
    obj = catalog.get(name)
    key = catalog.business_key(obj.name)
    text = f"Yes. {obj.name} exists in Viewpoint Vista ({_kind_phrase(catalog, obj.name)}; {catalog.label(obj.name)})."
    if key:
        text += f" Its key columns are {', '.join(key)}."
    return SchemaAnswer(text, [{"fact": "exists", "object": obj.name, "source": "catalog: objects"}], [obj.name])


def _describe(catalog: Catalog, name: str, reading) -> SchemaAnswer:
    obj = catalog.get(name)
    key = catalog.business_key(obj.name)
    lines = [
        f"{obj.name} is {catalog.label(obj.name)} ({_kind_phrase(catalog, obj.name)}, {len(obj.columns)} columns)."
    ]
    if key:
        lines.append(f"Business key: {', '.join(key)}.")
    company = catalog.company_column(obj.name)
    if company:
        lines.append(f"Company column: {company}.")
    lines.append("Columns:")
    lines += [f"- {c.name} ({c.type_sql})" for c in obj.columns[:40]]
    if len(obj.columns) > 40:
        lines.append(f"- ... and {len(obj.columns) - 40} more")
    facts = [{"fact": "columns", "object": obj.name, "count": len(obj.columns), "source": "catalog: columns"}]
    return SchemaAnswer("\n".join(lines), facts, [obj.name])


def _business_key(catalog: Catalog, name: str, reading) -> SchemaAnswer:
    obj = catalog.get(name)
    key = catalog.business_key(obj.name)
    if not key:
        return SchemaAnswer(f"The catalog records no business key for {obj.name}.", [], [obj.name])
    text = f"{obj.name} ({_kind_phrase(catalog, obj.name)}) has the business key {', '.join(key)}."
    facts = [{"fact": "business_key", "object": obj.name, "value": list(key), "source": _key_source(catalog, name)}]
    return SchemaAnswer(text, facts, [obj.name])


def _column_type(catalog: Catalog, name: str, reading) -> SchemaAnswer:
    obj = catalog.get(name)
    named = [c for c in reading.columns if c.owner is None or catalog.resolve(c.owner) is obj]
    if not named:
        return _describe(catalog, name, reading)
    lines, facts = [], []
    for c in named:
        col = obj.column(c.text)
        if col is None:
            lines.append(f"{obj.name} has no column named '{c.text}'.")
            continue
        base = f" (base type {col.base_type_sql})" if col.base_type_sql != col.type_sql else ""
        lines.append(f"{obj.name}.{col.name} is {col.type_sql}{base}.")
        facts.append(
            {
                "fact": "column_type",
                "object": obj.name,
                "column": col.name,
                "value": col.type_sql,
                "source": "catalog: columns",
            }
        )
    return SchemaAnswer(" ".join(lines), facts, [obj.name])


def _company_column(catalog: Catalog, name: str, reading) -> SchemaAnswer:
    obj = catalog.get(name)
    col = catalog.company_column(obj.name)
    if col is None:
        return SchemaAnswer(f"{obj.name} has no company column (it is not keyed by company).", [], [obj.name])
    facts = [{"fact": "company_column", "object": obj.name, "value": col, "source": "catalog: columns + module"}]
    return SchemaAnswer(f"The company column of {obj.name} is {col}.", facts, [obj.name])


def _view_or_table(catalog: Catalog, name: str, reading) -> SchemaAnswer:
    obj = catalog.get(name)
    if obj.is_view:
        text = f"{obj.name} is a view" + (f" over the base table {obj.base_table}." if obj.base_table else ".")
    else:
        views = catalog.views_of(obj.name)
        text = f"{obj.name} is a base table" + (f"; query it through the view {views[0]}." if views else ".")
    facts = [
        {
            "fact": "kind",
            "object": obj.name,
            "value": obj.kind,
            "base_table": obj.base_table,
            "source": "catalog: objects",
        }
    ]
    return SchemaAnswer(text, facts, [obj.name])


_BY_KIND = {
    "exists": _exists,
    "describe": _describe,
    "business_key": _business_key,
    "column_type": _column_type,
    "company_column": _company_column,
    "view_or_table": _view_or_table,
}


def _module_tables(catalog: Catalog, module: str) -> SchemaAnswer:
    names = sorted(o.name for o in catalog.objects.values() if o.module == module and o.is_view)
    shown = names[:60]
    more = f" (and {len(names) - len(shown)} more)" if len(names) > len(shown) else ""
    text = f"The {module} module has {len(names)} views: {', '.join(shown)}{more}."
    facts = [{"fact": "module_tables", "module": module, "count": len(names), "source": "catalog: objects"}]
    return SchemaAnswer(text, facts, shown)


def answer_schema_question(reading, catalog: Catalog) -> SchemaAnswer | None:
    """The catalog's answer, or None when the question is not a schema question the catalog answers alone."""
    if reading.kind not in SCHEMA_KINDS:
        return None
    if reading.kind == "module_tables":
        return _module_tables(catalog, reading.module) if reading.module else None
    if not reading.objects:
        return None
    first = reading.objects[0]
    if first.exact is None:
        return SchemaAnswer(
            not_found_text(catalog, first.text),
            [
                {
                    "fact": "not_found",
                    "object": first.text,
                    "suggestions": catalog.suggest(first.text),
                    "source": "catalog: objects",
                }
            ],
        )
    answer = _BY_KIND[reading.kind](catalog, first.exact, reading)
    if first.case_only:
        answer.text = f"{not_found_text(catalog, first.text)} {answer.text}"
    return answer
