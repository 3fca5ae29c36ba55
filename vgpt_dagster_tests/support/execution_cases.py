"""Suite cases the execution tests share."""

from vgpt_dagster.judging.cases import Case

UNPAID_AP = Case(
    "s-1",
    "main",
    "sql_generation",
    "sql",
    "Unpaid AP invoices for company 1",
    objects_must_use=("APTH",),
    columns_must_use=("APTH.OpenYN",),
    sql_expected=True,
    company_filter_required=True,
    company=1,
    filters=("OpenYN = 'Y'",),
)
