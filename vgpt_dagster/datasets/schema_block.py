"""``schema_context``: what the user turn of every SFT/DPO/KTO prompt carries besides the question.

* ``none`` (default): the question alone.
* ``retrieved``: serving's schema block for the question first (``retrieval.schema``: the top
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
from vgpt_dagster.retrieval.schema import SchemaIndex, retrieved_schema_block, with_schema_context


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


def add_schema_context(df, catalog: Catalog, top_k: int = 4):
    """``df`` (dataset rows built with ``schema_context: none``) with every prompt's user turn carrying the block.

    The same prompt a ``schema_context: retrieved`` build writes for those rows: the system turn is kept, the user
    turn becomes the retrieved block for ``instruction`` (+ ``input``) then ``Question: ...``. Other columns are
    untouched, so a trained comparison can hold the rows fixed and change only the context.
    """
    import polars as pl  # noqa: PLC0415

    from vgpt_dagster.datasets.records import messages, user_text  # noqa: PLC0415

    ctx = prompt_context(catalog, DatasetsConfig(schema_context="retrieved", schema_context_top_k=top_k))
    prompts = []
    for prompt, ins, inp in zip(
        df["prompt"].to_list(), df["instruction"].to_list(), df["input"].to_list(), strict=True
    ):
        system = next((m["content"] for m in prompt if m["role"] == "system"), "")
        prompts.append(messages(system, ctx(user_text(ins, inp or ""))))
    return df.with_columns(pl.Series("prompt", prompts, dtype=df.schema["prompt"]))
