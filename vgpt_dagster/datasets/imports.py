"""Load existing LLaMA-Factory datasets (alpaca/sharegpt SFT, ranking DPO, KTO) into contract frames.

Malformed input is a :class:`DatasetError` naming the file, the record index and the field. String
``kto_tag`` values ("true"/"false") are normalised with a warning, and the KTO label audit still fails
on them, because LLaMA-Factory itself would silently mis-handle that file.
"""

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.datasets import dataset_audits as A
from vgpt_dagster.datasets.config import DatasetsConfig, ImportSpec
from vgpt_dagster.datasets.records import to_frame
from vgpt_dagster.datasets.sqlcheck import SqlChecker
from vgpt_dagster.errors import DatasetError, did_you_mean

log = logging.getLogger(__name__)
KINDS = {"sft": "sft", "dpo": "dpo_v3", "dpo_v3": "dpo_v3", "kto": "kto"}
_NEEDS = {
    "sft": ("instruction", "output"),
    "dpo_v3": ("instruction", "chosen", "rejected"),
    "kto": ("instruction", "output", "kto_tag"),
}
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


@dataclass
class ImportedDataset:
    source: str
    kind: str  # sft | dpo_v3 | kto
    frame: pl.DataFrame
    raw_label_types: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _read_records(path: Path) -> list:
    if not path.exists():
        raise DatasetError(f"{path}: file not found.")
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        raise DatasetError(f"{path}: the file is empty; expected a JSON list of records.")
    if path.suffix == ".jsonl":
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise DatasetError(f"{path}: line {n}, column {err.colno}: not valid JSON ({err.msg}).") from None
        return out
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DatasetError(f"{path}: line {err.lineno}, column {err.colno}: not valid JSON ({err.msg}).") from None
    if not isinstance(data, list):
        raise DatasetError(f"{path}: expected a JSON list of records at the top level, got {type(data).__name__}.")
    if not data:
        raise DatasetError(f"{path}: the file holds no records (an empty list).")
    return data


def _sharegpt(rec: dict, path: Path, i: int, msgs_key: str) -> tuple[str, str]:
    turns = rec[msgs_key]
    if not isinstance(turns, list) or len(turns) < 2:
        raise DatasetError(f"{path}: record {i}, field '{msgs_key}': expected a list of at least 2 turns.")
    get = lambda t, a, b: t.get(a, t.get(b, ""))  # noqa: E731  (sharegpt from/value or openai role/content)
    user = [get(t, "value", "content") for t in turns if get(t, "from", "role") in ("human", "user")]
    bot = [get(t, "value", "content") for t in turns if get(t, "from", "role") in ("gpt", "assistant")]
    if not user or not bot:
        raise DatasetError(f"{path}: record {i}, field '{msgs_key}': needs a human/user and a gpt/assistant turn.")
    return user[-1], bot[-1]


def load_llamafactory_file(
    path: Path, kind: str, columns: dict[str, str] | None = None, system_prompt: str = ""
) -> ImportedDataset:
    """Read one file as ``kind`` (sft | dpo | kto); ``columns`` maps our names to the file's (dataset_info)."""
    path, kind = Path(path), KINDS.get(kind, kind)
    if kind not in _NEEDS:
        raise DatasetError(f"{path}: unknown kind '{kind}'.{did_you_mean(kind, KINDS)} Use sft, dpo or kto.")
    col = {
        "instruction": "instruction",
        "input": "input",
        "output": "output",
        "chosen": "chosen",
        "rejected": "rejected",
        "kto_tag": "kto_tag",
        "system": "system",
    } | (columns or {})
    data = _read_records(path)
    first = data[0] if isinstance(data[0], dict) else {}
    msgs_key = next((k for k in ("conversations", "messages") if k in first), None)
    need = [col[c] for c in _NEEDS[kind] if not (msgs_key and c in ("instruction", "output"))]
    if kind == "kto" and col["kto_tag"] not in first and "label" in first:
        col["kto_tag"] = "label"
        need = [col["kto_tag"] if n == "kto_tag" else n for n in need]
    missing = [c for c in need if c not in first]
    if missing:
        guess = next((k for k, cols in _NEEDS.items() if k != kind and all(c in first for c in cols)), None)
        guess = guess or ("kto" if {"prompt", "completion", "label"} <= set(first) else None)
        hint = f" (is this a {guess.replace('_v3', '')} set?)" if guess else ""
        raise DatasetError(
            f"{path} has columns {', '.join(first) or '(none)'}; {kind.replace('_v3', '').upper()} needs "
            f"{', '.join(_NEEDS[kind])}{hint}."
        )
    recs, label_types, warnings = [], {}, []
    for i, r in enumerate(data):
        if not isinstance(r, dict):
            raise DatasetError(f"{path}: record {i}: expected an object, got {type(r).__name__}.")
        instr, out = _sharegpt(r, path, i, msgs_key) if msgs_key else (r.get(col["instruction"]), r.get(col["output"]))
        rec = {"category": "imported", "instruction": instr, "input": r.get(col["input"]) or ""}
        fields = {"instruction": instr}
        if kind == "dpo_v3":
            fields |= {"chosen": r.get(col["chosen"]), "rejected": r.get(col["rejected"])}
            rec |= {"chosen": fields["chosen"], "rejected": fields["rejected"], "phase": "imported"}
        else:
            fields["output"] = out
            rec["output" if kind == "sft" else "completion"] = out
        for name, val in fields.items():
            if not isinstance(val, str):
                raise DatasetError(
                    f"{path}: record {i}, field '{col.get(name, name)}': expected a string, got {val!r:.60}."
                )
        if kind == "kto":
            rec["label"] = _label(r.get(col["kto_tag"]), path, i, col["kto_tag"])
            t = type(r.get(col["kto_tag"])).__name__
            label_types[t] = label_types.get(t, 0) + 1
        recs.append(rec)
    if label_types.get("str"):
        warnings.append(
            f"{path}: {label_types['str']} kto_tag values are strings; normalised to booleans here, but "
            "LLaMA-Factory needs JSON true/false (it tests isinstance(kto_tag, bool))."
        )
        log.warning(warnings[-1])
    frame = to_frame(recs, kind, system_prompt, 0.0).drop("split")
    return ImportedDataset(str(path), kind, frame, label_types, warnings)


def _label(v, path: Path, i: int, field_name: str) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
        return v.strip().lower() in _TRUE
    raise DatasetError(f"{path}: record {i}, field '{field_name}': expected true or false, got {v!r}.")


def load_from_dataset_info(info_path: Path, name: str, system_prompt: str = "") -> ImportedDataset:
    """Resolve ``name`` in a LLaMA-Factory dataset_info.json (file_name, ranking, columns, formatting)."""
    info_path = Path(info_path)
    data = _read_json_object(info_path)
    if name not in data:
        raise DatasetError(
            f"{info_path}: no dataset named '{name}'.{did_you_mean(name, data)} Names: {', '.join(data)}."
        )
    entry = data[name]
    cols = entry.get("columns", {})
    kind = "dpo" if entry.get("ranking") else "kto" if "kto_tag" in cols else "sft"
    mapping = {
        "instruction": cols.get("prompt", "instruction"),
        "input": cols.get("query", "input"),
        "output": cols.get("response", "output"),
        "chosen": cols.get("chosen", "chosen"),
        "rejected": cols.get("rejected", "rejected"),
        "kto_tag": cols.get("kto_tag", "kto_tag"),
    }
    return load_llamafactory_file(info_path.parent / entry["file_name"], kind, mapping, system_prompt)


def _read_json_object(path: Path) -> dict:
    if not path.exists():
        raise DatasetError(f"{path}: file not found.")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        raise DatasetError(f"{path}: line {err.lineno}, column {err.colno}: not valid JSON ({err.msg}).") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected a JSON object mapping dataset names to entries.")
    return data


def load_import(spec: ImportSpec, root: Path, system_prompt: str = "") -> ImportedDataset:
    """One entry of ``imports`` in configs/datasets.yaml (relative paths are under the project root)."""
    if spec.dataset_info is not None:
        return load_from_dataset_info(root / spec.dataset_info, spec.name or "", system_prompt)
    return load_llamafactory_file(root / spec.file, spec.kind or "", None, system_prompt)


def audit_import(
    imp: ImportedDataset, catalog: Catalog, cfg: DatasetsConfig, checker: SqlChecker | None = None
) -> list[A.AuditResult]:
    """The same audits as generated data; KTO string labels fail the label audit with the reason."""
    checker = checker or SqlChecker(catalog)
    if imp.kind == "sft":
        return A.audit_sft(imp.frame, catalog, cfg, checker)
    if imp.kind == "dpo_v3":
        return A.audit_dpo(imp.frame, catalog, cfg, checker)
    out = A.audit_kto(imp.frame, catalog, cfg, checker)
    if imp.raw_label_types.get("str"):
        raw = pl.DataFrame({"label": ["true"] * imp.raw_label_types["str"]})
        out[0] = A.audit_kto_labels(raw, cfg.kto_desirable_share, cfg.kto_share_tolerance)
        out[0].metrics["label_types"] = imp.raw_label_types
    return out
