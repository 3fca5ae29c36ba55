"""Load YAML config files into validated, frozen pydantic models.

Every config class derives from :class:`StrictModel` (unknown keys are errors). :func:`load_config`
turns pydantic's errors into one message that names the file, the key path, what was expected and
what was found, with a "did you mean" for misspelled keys:

    configs/stage1_sft.yaml: unknown key 'lora_rnk'. Did you mean 'lora_rank'? Valid keys: ...
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from vgpt_dagster.errors import ConfigError, did_you_mean


class StrictModel(pydantic.BaseModel):
    """Base for config classes: frozen, unknown keys forbidden, defaults validated."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, validate_default=True)


M = TypeVar("M", bound=pydantic.BaseModel)


def _model_at(cls: type[pydantic.BaseModel], loc: tuple) -> type[pydantic.BaseModel] | None:
    """The nested model class that owns the key at ``loc`` (for listing valid keys)."""
    current: Any = cls
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, pydantic.BaseModel)):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return current
        ann = field.annotation
        args = getattr(ann, "__args__", ()) or ()
        nested = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, pydantic.BaseModel)]
        current = nested[0] if nested else None
    return current if isinstance(current, type) and issubclass(current, pydantic.BaseModel) else None


def format_validation_error(err: pydantic.ValidationError, cls: type[pydantic.BaseModel], source: str) -> str:
    """One readable line per problem, each naming the key path and the fix."""
    lines = []
    for e in err.errors():
        loc = tuple(e.get("loc", ()))
        key = ".".join(str(p) for p in loc) or "(top level)"
        if e["type"] == "extra_forbidden":
            owner = _model_at(cls, loc[:-1]) or cls
            valid = sorted(owner.model_fields)
            hint = did_you_mean(str(loc[-1]), valid)
            lines.append(f"{source}: unknown key '{key}'.{hint} Valid keys: {', '.join(valid)}.")
        elif e["type"] == "missing":
            lines.append(f"{source}: missing required key '{key}'.")
        else:
            got = e.get("input")
            lines.append(f"{source}: key '{key}': {e['msg']} (got {got!r} of type {type(got).__name__}).")
    return "\n".join(lines)


def build_config(cls: type[M], data: Mapping[str, Any] | None, source: str = "config") -> M:
    """Validate a mapping into ``cls``; raise :class:`ConfigError` naming ``source`` and the key."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping of keys to values, got {type(data).__name__}.")
    try:
        return cls.model_validate(dict(data))
    except pydantic.ValidationError as err:
        raise ConfigError(format_validation_error(err, cls, source)) from None


def read_yaml(path: Path) -> Any:
    """Parse a YAML file with the safe loader; a syntax error names the file, line and column."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found.")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}:{where}: not valid YAML: {getattr(err, 'problem', err)}") from None


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Recursively merge ``overrides`` into ``base`` (overrides win)."""
    out = dict(base)
    for k, v in overrides.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def load_config(path: Path, cls: type[M], overrides: Mapping[str, Any] | None = None) -> M:
    """Read YAML at ``path``, apply ``overrides`` (e.g. from Dagster run config), validate into ``cls``."""
    data = read_yaml(path) or {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level, got {type(data).__name__}.")
    if overrides:
        data = deep_merge(data, overrides)
    return build_config(cls, data, source=str(path))


def config_to_dict(cfg: pydantic.BaseModel) -> dict[str, Any]:
    """JSON-ready dict of a config (for manifests, recipe.yaml and config hashes)."""
    return cfg.model_dump(mode="json")
