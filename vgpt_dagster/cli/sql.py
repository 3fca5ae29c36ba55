"""`vgpt sql ...` (filled in by the sql work)."""


def register(sub) -> None:
    p = sub.add_parser("sql", help="(not yet available)")
    p.set_defaults(handler=lambda args: p.error("not yet available"))
