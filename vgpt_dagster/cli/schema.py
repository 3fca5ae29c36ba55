"""`vgpt schema show NAME` and `vgpt schema list`: ask the Vista catalog about objects.

Exit codes: 0 found, 1 unknown name (with "did you mean" suggestions), 2 bad input (schema file errors).
The ``--json`` shapes are documented in docs/schema-input.md ("vgpt schema show") and stay stable.
"""

import json
from typing import Any

from vgpt_dagster.catalog.load import load_default_catalog
from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.catalog.vocabulary import GROUP_COLUMNS
from vgpt_dagster.errors import CatalogError, did_you_mean


def register(sub) -> None:
    p = sub.add_parser("schema", help="look up Vista tables and views in the schema catalog")
    ssub = p.add_subparsers(dest="schema_command", metavar="SUBCOMMAND")
    ssub.required = True
    schema_help = "schema export folder, INFORMATION_SCHEMA CSV or catalog store (default: configs/catalog.yaml, else the embedded Vista 6.x export)"

    show = ssub.add_parser("show", help="type, base table, module, business key and columns of one object")
    show.add_argument("name", metavar="NAME", help="table or view name, e.g. APTL, bAPTL, dbo.APTH")
    show.add_argument("--json", action="store_true", help="print one JSON object (stable keys)")
    show.add_argument("--schema", metavar="PATH", help=schema_help)
    show.set_defaults(handler=run_show)

    lst = ssub.add_parser("list", help="list objects, optionally of one module")
    lst.add_argument("--module", metavar="MOD", help="module code, e.g. AP, JC, PR")
    lst.add_argument("--kind", choices=("table", "view"), help="only tables or only views")
    lst.add_argument("--json", action="store_true", help="print a JSON list")
    lst.add_argument("--schema", metavar="PATH", help=schema_help)
    lst.set_defaults(handler=run_list)


def describe_object(catalog: Catalog, name: str) -> dict[str, Any]:
    """The JSON-ready description ``vgpt schema show --json`` prints (``found`` False for unknown names)."""
    look = catalog.lookup(name)
    if not look.found:
        return {"query": name, "found": False, "message": look.message(), "suggestions": list(look.suggestions)}
    obj = catalog.objects[look.exact_name]
    base = catalog.base_table_of(obj.name)
    key_owner = catalog.objects.get(base) if base else obj
    related = {obj.name, base}
    return {
        "query": name,
        "found": True,
        "name": obj.name,
        "exact_spelling": look.case_matches,
        "note": None if look.case_matches else look.message(),
        "kind": obj.kind,
        "base_table": obj.base_table,
        "views": list(catalog.views_of(obj.name)),
        "module": obj.module,
        "label": catalog.label(obj.name),
        "description": obj.description,
        "business_key": list(catalog.business_key(obj.name)),
        "company_column": catalog.company_column(obj.name),
        "keys": [{"name": k.name, "kind": k.kind, "columns": list(k.columns)} for k in (key_owner or obj).keys],
        "foreign_keys": [
            {
                "name": f.name,
                "parent": f.parent,
                "parent_columns": list(f.parent_columns),
                "child": f.child,
                "child_columns": list(f.child_columns),
            }
            for f in catalog.foreign_keys
            if f.parent in related or f.child in related
        ],
        "columns": [
            {
                "name": c.name,
                "ordinal": c.ordinal,
                "data_type": c.data_type,
                "base_type": c.base_type,
                "type_sql": c.type_sql,
                "base_type_sql": c.base_type_sql,
                "nullable": c.nullable,
                "is_identity": c.is_identity,
            }
            for c in obj.columns
        ],
    }


def _format_show(d: dict[str, Any]) -> str:
    if d["kind"] == "view":
        what = f"view over table {d['base_table']}" if d["base_table"] else "view (no single base table)"
    else:
        what = f"table; query it through view {', '.join(d['views'])}" if d["views"] else "table"
    lines = [f"{d['name']}: {d['label']}"]
    if d["note"]:
        lines.append(f"note: {d['note']}")
    lines += [
        f"  type:           {what}",
        f"  module:         {d['module'] or '-'}",
        f"  business key:   {', '.join(d['business_key']) or '(none declared)'}",
        f"  company column: {d['company_column'] or _no_company(d['business_key'])}",
    ]
    for f in d["foreign_keys"]:
        pairs = ", ".join(
            f"{c} -> {f['parent']}.{p}" for c, p in zip(f["child_columns"], f["parent_columns"], strict=True)
        )
        lines.append(f"  foreign key:    {f['child']}: {pairs} ({f['name']})")
    lines.append(f"  columns ({len(d['columns'])}):")
    width = max((len(c["name"]) for c in d["columns"]), default=0)
    for c in d["columns"]:
        t = c["base_type_sql"] if c["data_type"] == c["base_type"] else f"{c['data_type']} ({c['base_type_sql']})"
        null = {True: "NULL", False: "NOT NULL", None: ""}[c["nullable"]]
        ident = " IDENTITY" if c["is_identity"] else ""
        lines.append(f"    {c['name']:<{width}}  {t} {null}{ident}".rstrip())
    return "\n".join(lines)


def _no_company(key: list[str]) -> str:
    groups = [c for c in key if c in GROUP_COLUMNS]
    return f"- (shared by companies through {groups[0]})" if groups else "-"


def run_show(args) -> int:
    catalog = load_default_catalog(args.schema)
    d = describe_object(catalog, args.name)
    if args.json:
        print(json.dumps(d, indent=2))
    elif d["found"]:
        print(_format_show(d))
    else:
        print(d["message"])
    return 0 if d["found"] else 1


def list_objects(catalog: Catalog, module: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Rows of ``vgpt schema list``: name, kind, base_table, module, columns (count), sorted by name."""
    if module is not None:
        module = module.upper()  # module codes are not SQL identifiers: 'ap' means AP
        if module not in catalog.modules:
            hint = did_you_mean(module, catalog.modules, cutoff=0.5)
            raise CatalogError(
                f"module '{module}' is not in the catalog.{hint} Known modules: {', '.join(catalog.modules)}."
            )
    return [
        {"name": o.name, "kind": o.kind, "base_table": o.base_table, "module": o.module, "columns": len(o.columns)}
        for o in sorted(catalog.objects.values(), key=lambda o: o.name)
        if (module is None or o.module == module) and (kind is None or o.kind == kind)
    ]


def run_list(args) -> int:
    rows = list_objects(load_default_catalog(args.schema), args.module, args.kind)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(r["name"]) for r in rows), default=4)
    for r in rows:
        over = f" over {r['base_table']}" if r["base_table"] else ""
        print(f"{r['name']:<{width}}  {r['module'] or '-':<3} {r['kind']}{over} ({r['columns']} columns)")
    print(f"{len(rows)} objects")
    return 0
