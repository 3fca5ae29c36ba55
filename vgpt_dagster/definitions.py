"""The Dagster code location: everything Dagster-specific lives in ``vgpt_dagster/defs/``."""

from vgpt_dagster.defs import build_definitions

defs = build_definitions()
