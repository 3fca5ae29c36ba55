"""`vgpt schema ...` (filled in by the schema work)."""


def register(sub) -> None:
    p = sub.add_parser("schema", help="(not yet available)")
    p.set_defaults(handler=lambda args: p.error("not yet available"))
