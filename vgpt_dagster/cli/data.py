"""`vgpt data ...` (filled in by the data work)."""


def register(sub) -> None:
    p = sub.add_parser("data", help="(not yet available)")
    p.set_defaults(handler=lambda args: p.error("not yet available"))
