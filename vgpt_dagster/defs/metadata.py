"""Turn domain results into Dagster metadata values (Markdown tables, inline plots, paths)."""

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg


def md_image(png: Path, alt: str) -> str:
    """Markdown that shows a PNG inline in the Dagster UI (embedded as a data URI)."""
    data = base64.b64encode(Path(png).read_bytes()).decode()
    return f"![{alt}](data:image/png;base64,{data})"


def md_table(rows: list[Mapping[str, Any]], columns: list[str] | None = None) -> str:
    """A Markdown table from a list of dicts (columns default to the first row's keys)."""
    if not rows:
        return "_(none)_"
    columns = columns or list(rows[0])
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        cells = [str(r.get(c, "")).replace("|", "\\|").replace("\n", " ") for c in columns]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def to_metadata(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values -> Dagster metadata: str containing a Markdown table/heading -> md, Path -> path."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if v is None:
            continue
        if isinstance(v, Path):
            out[k] = dg.MetadataValue.path(str(v))
        elif isinstance(v, str) and ("\n|" in v or v.startswith(("|", "#", "![")) or "\n" in v):
            out[k] = dg.MetadataValue.md(v)
        elif isinstance(v, bool | int | float | str):
            out[k] = v
        else:
            out[k] = dg.MetadataValue.json(v)
    return out
