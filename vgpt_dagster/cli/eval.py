"""`vgpt eval ...` (filled in by the eval work)."""


def register(sub) -> None:
    p = sub.add_parser("eval", help="(not yet available)")
    p.set_defaults(handler=lambda args: p.error("not yet available"))
