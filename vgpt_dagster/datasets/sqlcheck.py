"""The analyzer as the datasets use it: each distinct SQL text analysed once, results cached.

Generation validates the SQL it writes; the audits re-check every SQL found in a dataset. Sharing one
:class:`SqlChecker` between them means a statement is parsed once per build (the analyzer does about
1-5k statements/s, so this is most of the build time).
"""

from dataclasses import dataclass, field

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.sql.findings import Analysis


@dataclass
class SqlChecker:
    """Cached ``analyze`` and ``extract_sql`` against one catalog (with the strict training conventions)."""

    catalog: Catalog
    _analyses: dict[str, Analysis] = field(default_factory=dict, repr=False)
    _extracted: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def analyze(self, sql: str) -> Analysis:
        hit = self._analyses.get(sql)
        if hit is None:
            from vgpt_dagster.sql.analyze import analyze

            hit = self._analyses[sql] = analyze(sql, self.catalog)
        return hit

    def ok(self, sql: str) -> bool:
        return self.analyze(sql).ok

    def extract(self, text: str) -> tuple[str, ...]:
        """SQL statements in a response (```sql fences or bare SELECT/WITH blocks)."""
        hit = self._extracted.get(text)
        if hit is None:
            from vgpt_dagster.sql.extract import extract_sql

            hit = self._extracted[text] = tuple(extract_sql(text))
        return hit

    def all_ok(self, sqls: list[str] | tuple[str, ...]) -> bool:
        return all(self.ok(s) for s in sqls)

    @property
    def analysed(self) -> int:
        return len(self._analyses)
