"""The analyzer as the datasets use it: each distinct SQL text analysed once, results cached by text.

Generation validates the SQL it writes; the audits re-check every SQL found in a dataset. Sharing one
:class:`SqlChecker` between them means a statement is analysed once per build (the analyzer does about
2-3k statements/s, so this is most of the build time).

With ``workers > 1``, :meth:`SqlChecker.prefetch` analyses a batch of statements in forked worker
processes. The analyzer is a pure function of (SQL text, catalog), and results are stored by SQL text,
so which process analysed a statement, and in which order, never changes a result: a build is the same
with 1 or 2 workers. Without ``prefetch`` (or with ``workers=1``) every statement is analysed in-process
on first use.

Examples:
    >>> from vgpt_dagster.catalog.load import load_default_catalog
    >>> with SqlChecker(load_default_catalog()) as checker:
    ...     checker.ok("SELECT APCo FROM APTH WITH (NOLOCK) WHERE APCo = 1"), checker.ok("SELECT * FROM Invoice")
    (True, False)
"""

import logging
import multiprocessing
import weakref
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.sql.findings import Analysis

log = logging.getLogger(__name__)
MIN_PARALLEL = 256  # fewer new statements than this are analysed in-process (a round trip costs more)
_CHUNK = 128
_WORKER_CATALOG: Catalog | None = None  # set in each forked worker


def _init_worker(catalog: Catalog) -> None:
    global _WORKER_CATALOG
    _WORKER_CATALOG = catalog


def _analyze_in_worker(sql: str) -> Analysis:
    from vgpt_dagster.sql.analyze import analyze

    return analyze(sql, _WORKER_CATALOG)


@dataclass(eq=False)
class SqlChecker:
    """Cached ``analyze`` and ``extract_sql`` against one catalog (with the strict training conventions).

    ``workers``: processes :meth:`prefetch` may fork (1 = analyse in-process). Call :meth:`close` (or use
    ``with``) to stop them; they are also stopped when the checker is garbage-collected.
    """

    catalog: Catalog
    workers: int = 1
    _analyses: dict[str, Analysis] = field(default_factory=dict, repr=False)
    _extracted: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _pool: ProcessPoolExecutor | None = field(default=None, repr=False)

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

    def prefetch(self, sqls: Iterable[str]) -> int:
        """Analyse the statements not seen yet, in the worker processes when there are many; returns how many.

        Only a speed-up: ``analyze``/``ok`` give the same answers with or without it.
        """
        if self.workers <= 1:
            return 0
        todo = list(dict.fromkeys(s for s in sqls if s not in self._analyses))
        if len(todo) < MIN_PARALLEL or "fork" not in multiprocessing.get_all_start_methods():
            return 0  # analysed lazily on first use
        results = self._executor().map(_analyze_in_worker, todo, chunksize=_CHUNK)
        self._analyses.update(zip(todo, results, strict=True))
        return len(todo)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),  # workers inherit the catalog: nothing to pickle
                initializer=_init_worker,
                initargs=(self.catalog,),
            )
            weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
            log.debug("SqlChecker: started %d analyzer workers", self.workers)
        return self._pool

    def close(self) -> None:
        """Stop the worker processes (the cache stays usable; a later ``prefetch`` starts new ones)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "SqlChecker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def analysed(self) -> int:
        return len(self._analyses)
