"""Analyzer rules: one module per rule, each with ``check(ctx: RuleContext) -> list[Finding]``.

The order in which they run is the ``RULES`` tuple in ``sql.analyze``.
"""
