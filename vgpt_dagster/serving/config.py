"""``configs/serving.yaml``: which model is served, where, with which limits, retrieval, batching and guard.

Examples:
    >>> cfg = ServingConfig()
    >>> cfg.host, cfg.port, cfg.retrieval.top_k, cfg.guard.reask
    ('127.0.0.1', 8000, 4, True)
    >>> ServingConfig(host="0.0.0.0").is_loopback
    False
"""

import ipaddress
from pathlib import Path

import pydantic

from vgpt_dagster.config import StrictModel, load_config
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.profiles import default_profile_name

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


class Limits(StrictModel):
    """Input limits; anything over them is refused with HTTP 413 and the limit named."""

    max_question_chars: int = pydantic.Field(4000, ge=1)
    max_body_bytes: int = pydantic.Field(65536, ge=256)


class RetrievalConfig(StrictModel):
    """How many Vista objects go into the prompt and how many columns each shows."""

    top_k: int = pydantic.Field(4, ge=1, le=20)
    columns_per_object: int = pydantic.Field(8, ge=1, le=64)


class ServingGeneration(StrictModel):
    max_new_tokens: int = pydantic.Field(256, ge=1)


class BatchingConfig(StrictModel):
    """Concurrent requests are queued and grouped into one batched ``generate`` call."""

    max_batch_size: int = pydantic.Field(8, ge=1)
    max_wait_ms: int = pydantic.Field(25, ge=0, le=5000)


class GuardConfig(StrictModel):
    enabled: bool = True  # analyzer + deterministic repairs on every SQL statement
    reask: bool = True  # one bounded re-ask when unknown objects/columns remain


class ServingConfig(StrictModel):
    """Everything ``configs/serving.yaml`` may set."""

    profile: str | None = None  # None = the project default profile ($VGPT_PROFILE, else training's default)
    adapter: str | None = None  # relative to the project root, or absolute
    require_promoted: bool = False
    model_name: str = pydantic.Field("vgpt-vista", min_length=1)
    host: str = "127.0.0.1"
    port: int = pydantic.Field(8000, ge=0, le=65535)
    api_key_env: str = pydantic.Field("VGPT_API_KEY", min_length=1)
    limits: Limits = Limits()
    retrieval: RetrievalConfig = RetrievalConfig()
    generation: ServingGeneration = ServingGeneration()
    batching: BatchingConfig = BatchingConfig()
    guard: GuardConfig = GuardConfig()

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def profile_name(self) -> str:
        """``profile``, else the project default every command uses (``$VGPT_PROFILE``, else smollm2-135m)."""
        return self.profile or default_profile_name()


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost are loopback; everything else (0.0.0.0 included) is not."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_serving_config(paths: ProjectPaths, overrides: dict | None = None) -> ServingConfig:
    """``configs/serving.yaml`` validated (defaults when the file is absent), with CLI overrides applied."""
    path = Path(paths.configs) / "serving.yaml"
    if path.exists():
        return load_config(path, ServingConfig, overrides)
    from vgpt_dagster.config import build_config  # noqa: PLC0415

    return build_config(ServingConfig, overrides or {}, source=f"{path} (absent: defaults)")
