"""Analyzer rules: one module per rule, each with ``check(ctx: RuleInputs) -> list[Finding]``.

The order in which they run is the ``RULES`` tuple in ``sql.analyze``.
"""
