"""T-SQL analysis on sqlglot's tsql dialect, checked against the Vista catalog (no Dagster)."""

DIALECT = "tsql"  # the one place the sqlglot dialect is named
