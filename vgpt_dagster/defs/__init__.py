"""The only package that imports dagster: assets, checks, resources, jobs and schedules."""

import dagster as dg


def build_definitions() -> dg.Definitions:
    return dg.Definitions()
