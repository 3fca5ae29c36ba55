"""The template engine: fill an intent's phrasing and SQL for chosen slot values (deterministic)."""

import re

from vgpt_dagster.datasets.intents.model import FilledQuestion, Intent, SeedQuestion
from vgpt_dagster.datasets.intents.slots import OPTIONAL, PERIODS, PLACEHOLDER, SLOTS
from vgpt_dagster.sql.render import fence


def _fill_placeholder(m: re.Match, values: dict[str, int], params: dict[str, str], sql: bool) -> str:
    name, arg = m.group(1), m.group(2)
    slot = SLOTS[name]
    if name not in values:
        if name == "period":
            return f"{arg} >= @StartDate AND {arg} < @EndDate"
        return params.get(name, slot.param)
    k = values[name] % len(slot.values)
    if name == "period":
        if not sql:
            return PERIODS[k][0]
        _, start, end = PERIODS[k]
        return f"{arg} >= {start} AND {arg} < {end}"
    phrase, literal = slot.values[k]
    return literal if sql else phrase


def _optional(sql: str, named: set[str]) -> str:
    """Keep each ``[[ ... ]]`` block whose slots the question names (without the brackets); drop the others."""

    def keep(m: re.Match) -> str:
        slots = {p.group(1) for p in PLACEHOLDER.finditer(m.group(1))}
        return m.group(1) if slots <= named else ""

    out = OPTIONAL.sub(keep, sql)
    lines = [re.sub(r"(?<=\S) {2,}", " ", line).rstrip() for line in out.splitlines()]
    return "\n".join(line for line in lines if line.strip())


def fill(
    intent: Intent,
    k: int,
    company_param: str,
    values: dict[str, int],
    phrasing: str | None = None,
) -> FilledQuestion:
    """Phrasing ``k`` (or the literal ``phrasing``) with the given slot value indices; the SQL to match.

    Slots the question names get ``values[slot]`` (an index into the slot's values); the others are
    parameters in the SQL.
    """
    text = intent.phrasings[k] if phrasing is None else phrasing
    named = {m.group(1) for m in PLACEHOLDER.finditer(text)}
    used = {s: values.get(s, 0) for s in named}
    params = {"co": company_param}
    question = PLACEHOLDER.sub(lambda m: _fill_placeholder(m, used, params, False), text)
    sql = PLACEHOLDER.sub(lambda m: _fill_placeholder(m, used, params, True), _optional(intent.sql, named)).strip()
    phrases = {s: (PERIODS if s == "period" else SLOTS[s].values)[k % len(SLOTS[s].values)][0] for s, k in used.items()}
    company = int(SLOTS["co"].values[used["co"] % len(SLOTS["co"].values)][1]) if "co" in used else None
    return FilledQuestion(intent.id, k if phrasing is None else -1, question, sql, phrases, company)


def fill_seed(intent: Intent, seed: SeedQuestion, company_param: str) -> FilledQuestion:
    """A seed question with its SQL (the seed's slot values are given literally, e.g. ``{co: 1}``)."""
    params = {"co": company_param}

    def sub(m: re.Match) -> str:
        name, arg = m.group(1), m.group(2)
        if name in seed.slots:
            if name == "period":
                start, end = str(seed.slots[name]).split("..")
                return f"{arg} >= '{start}' AND {arg} < '{end}'"
            val = seed.slots[name]
            return str(val) if isinstance(val, int) else f"'{val}'"
        return _fill_placeholder(m, {}, params, True)

    sql = PLACEHOLDER.sub(sub, _optional(intent.sql, set(seed.slots))).strip()
    company = seed.slots.get("co")
    return FilledQuestion(
        intent.id,
        -1,
        seed.question,
        sql,
        {k: str(v) for k, v in seed.slots.items()},
        company if isinstance(company, int) else None,
    )


_NO_PERIOD = re.compile(r",? (?:for|in) the period asked for")


def answer_text(intent: Intent, q: FilledQuestion) -> str:
    """The answer a model should give: the SQL, what it does, and the assumptions it rests on."""
    params = sorted(set(re.findall(r"@[A-Za-z]+", q.sql)))
    note = f" Parameters: {', '.join(params)} (pass the values you need)." if params else ""
    assumptions = " ".join(a if a.endswith(".") else a + "." for a in intent.assumptions)
    explanation = intent.explanation
    if "period" not in q.slots and "@StartDate" not in q.sql:  # no date range asked: the SQL has none either
        explanation = _NO_PERIOD.sub("", explanation)
    return f"{fence(q.sql)}\n\n{explanation}{note}\nAssumptions: {assumptions}"
