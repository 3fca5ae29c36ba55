"""Reference answers built from the catalog alone: the "ground truth baseline" the seeds asked for.

The oracle must pass the judge on (almost) every case: a case it fails is a broken case (the suite
builder drops it). Answers use real columns, ``WITH (NOLOCK)``, the company filter and full join keys;
refusals name the real alternative.
"""

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.judging.cases import Case
from vgpt_dagster.sql.render import company_filter, fence, key_display_columns, render_join, render_select


def reference_sql(case: Case, catalog: Catalog) -> str:
    """The SQL that answers a SQL-kind case: the case's own oracle SQL (business intents), else one object
    or a join chain over ``objects_must_use``."""
    if case.oracle_sql:
        return case.oracle_sql
    objs = [catalog.get(o).name for o in case.objects_must_use]
    cols_needed = [c.split(".")[-1] for c in case.columns_must_use]
    if len(objs) >= 2:
        left, right = objs[0], objs[1]
        pairs = catalog.join_keys(left, right)
        cols = [f"a.{c}" for c in key_display_columns(catalog, left, n=3)]
        cols += [f"b.{c}" for c in key_display_columns(catalog, right, cols_needed, n=4) if f"a.{c}" not in cols]
        company = case.company if case.company_filter_required else None
        return render_join(left, right, pairs, cols, company_filter(catalog.company_column(left), company, "a"))
    obj = objs[0]
    company_col = catalog.company_column(obj) if case.company_filter_required else None
    where = [*company_filter(company_col, case.company), *case.filters]
    return render_select(key_display_columns(catalog, obj, cols_needed), obj, where=where, top=case.top or None)


def _label(catalog: Catalog, name: str) -> str:
    try:
        return catalog.label(name)
    except Exception:  # noqa: BLE001 - a label is decoration; the name alone is still a correct answer
        return name


def _refusal(case: Case, catalog: Catalog) -> str:
    alt = next((a for a in case.real_alternatives if catalog.resolve(a)), None)
    if case.columns_must_refuse:
        obj_name, col = case.columns_must_refuse[0].split(".", 1)
        obj = catalog.get(obj_name)
        real_cols = [c for c in case.real_alternatives if obj.column(c)] or list(
            key_display_columns(catalog, obj.name, n=3)
        )
        text = f"{obj.name} has no column named '{col}'. Use {', '.join(real_cols)} instead."
        if case.sql_expected:
            cc = catalog.company_column(obj.name)
            cols = key_display_columns(catalog, obj.name, real_cols[:1])
            text += "\n\n" + fence(render_select(cols, obj.name, where=company_filter(cc, case.company)))
        return text
    fake = case.objects_must_refuse[0]
    lead = "No. " if case.kind == "existence" else ""
    text = f"{lead}There is no table or view named '{fake}' in Viewpoint Vista."
    if alt:
        text += f" Use {alt} ({_label(catalog, alt)}) instead."
        if case.sql_expected:
            cc = catalog.company_column(alt)
            where = company_filter(cc, case.company or 1)
            text += "\n\n" + fence(render_select(key_display_columns(catalog, alt), alt, where=where, top=10))
    return text


def oracle_answer(case: Case, catalog: Catalog) -> str:
    """A correct answer to ``case`` written from the catalog."""
    if case.expects_refusal:
        return _refusal(case, catalog)
    if case.kind == "existence":
        name = catalog.get(case.subject).name
        key = catalog.business_key(name)
        keys = f" Its key columns are {', '.join(key)}." if key else ""
        return f"Yes. {name} exists in Viewpoint Vista: {_label(catalog, name)}.{keys}"
    if case.kind == "case":
        exact = catalog.get(case.subject).name
        variant = case.variant or case.subject
        text = (
            f"Vista's database collation is binary (case-sensitive), so '{variant}' is not a valid spelling: "
            f"the object is spelled {exact} ({_label(catalog, exact)})."
        )
        if case.sql_expected:
            text += "\n\n" + fence(reference_sql(case, catalog))
        return text
    if case.kind == "describe":
        name = catalog.get(case.subject).name
        obj = catalog.get(name)
        cols = list(dict.fromkeys([*case.columns_must_mention, *catalog.business_key(name), *obj.column_names[:12]]))
        lines = [f"{name} is {_label(catalog, name)} ({obj.kind}, {len(obj.columns)} columns)."]
        key = catalog.business_key(name)
        if key:
            lines.append(f"Business key: {', '.join(key)}.")
        lines.append("Columns:")
        lines += [f"- {c} ({obj.column(c).type_sql})" for c in cols if obj.column(c)]
        return "\n".join(lines)
    sql = reference_sql(case, catalog)
    if case.oracle_sql and case.explanation:
        return f"{fence(sql)}\n\n{case.explanation}"
    return fence(sql)
