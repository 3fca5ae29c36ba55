"""`vgpt train ...` (filled in by the train work)."""


def register(sub) -> None:
    p = sub.add_parser("train", help="(not yet available)")
    p.set_defaults(handler=lambda args: p.error("not yet available"))
