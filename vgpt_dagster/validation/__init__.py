"""Behaviour-based validation: eval suite, judge, oracle, metrics, runner, reports and comparison (no Dagster)."""
