"""The business-intent library: what Vista users ask, per module, with the T-SQL that answers it.

Modules, by job: :mod:`.slots` (slot values), :mod:`.model` (the data), :mod:`.templates` (filling phrasings
and SQL), :mod:`.library` (loading configs/intents/), :mod:`.questions` (training and held-out questions),
:mod:`.checks` (the SQL checked against the catalog).

``configs/intents/library.yaml`` holds the library settings (the held-out split); every other
``configs/intents/<module>.yaml`` holds one module's intents. An intent has an id, natural phrasings with
slots (``{co}``, ``{vendor}``, ``{period}``, ...), the answering SQL template, the assumptions it makes,
the columns an answer must use and a one-line explanation. See docs/datasets.md ("Business intents").

Slots: a slot named in a phrasing is filled with a value (the phrase in the question, the literal in the
SQL); a slot the SQL needs but the phrasing does not name becomes a T-SQL parameter (``@APCo``,
``@Vendor``, ``@StartDate``/``@EndDate``). Period slots are written ``{period(h.InvDate)}`` in the SQL and
render a half-open date range. Filling is deterministic for a seed.

Examples:
    >>> from vgpt_dagster.datasets.intents.model import Intent
    >>> from vgpt_dagster.datasets.intents.templates import fill
    >>> intent = Intent(id="ap_x", title="Unpaid", explanation="Lists unpaid invoices.", assumptions=["a"],
    ...     uses=["APTH.InvTotal"],
    ...     phrasings=["Unpaid AP invoices for company {co} {period}"],
    ...     sql="SELECT InvTotal FROM APTH WITH (NOLOCK) WHERE APCo = {co} AND {period(InvDate)}")
    >>> q = fill(intent, 0, "@APCo", {"co": 0, "period": 0})  # value indices: company 1, last month
    >>> q.question
    'Unpaid AP invoices for company 1 last month'
    >>> q.sql.endswith("InvDate >= DATEADD(month, DATEDIFF(month, 0, GETDATE()) - 1, 0) "
    ...     "AND InvDate < DATEADD(month, DATEDIFF(month, 0, GETDATE()), 0)")
    True
    >>> fill(intent, 0, "@APCo", {"co": 1, "period": 0}, phrasing="All open invoices").sql.count("@")
    3
"""
