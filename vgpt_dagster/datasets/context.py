"""``schema_context``: what the user turn of every SFT/DPO/KTO prompt carries besides the question.

* ``none`` (default): the question alone.
* ``retrieved``: serving's schema block for the question first (``serving.retrieval``: the top
  ``schema_context_top_k`` objects by BM25 over the catalog, their exact spellings, company column and the
  question's most relevant columns), then ``Question: ...`` - the same shape the served model sees, so a
  model can be trained on exactly what it is served with. Only the prompt changes; ``instruction`` stays the
  bare question (dedup, audits and the DPO/KTO prompt split read it).

Examples:
    >>> prompt_context(None, DatasetsConfig()) is None
    True
"""

from collections.abc import Callable
from functools import lru_cache

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.serving.retrieval import SchemaIndex, retrieved_schema_block, with_schema_context


def prompt_context(catalog: Catalog | None, cfg: DatasetsConfig) -> Callable[[str], str] | None:
    """A function from user text to the user turn with context, or None for ``schema_context: none``."""
    if cfg.schema_context == "none":
        return None
    index = SchemaIndex(catalog)
    top_k = cfg.schema_context_top_k

    @lru_cache(maxsize=1 << 16)
    def with_block(user: str) -> str:
        return with_schema_context(user, retrieved_schema_block(index, user, top_k))

    return with_block
