"""vgpt-dagster: a Dagster pipeline that turns a Viewpoint Vista schema into a domain-tuned text-to-SQL model."""

__version__ = "0.1.0"
