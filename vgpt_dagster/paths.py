"""The only module that knows where the project root, data/, saves/ and configs/ are.

The root is the repository checkout (the folder holding ``pyproject.toml``) unless ``VGPT_ROOT`` names
another one; tests point it at a temporary copy so they never touch the user's artifacts.
"""

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "VGPT_ROOT"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ProjectPaths:
    """Every artifact location, derived from one root folder."""

    root: Path

    @classmethod
    def from_env(cls) -> "ProjectPaths":
        """Use ``$VGPT_ROOT`` when set, else the checkout this package was imported from."""
        env = os.environ.get(ROOT_ENV)
        return cls(Path(env).resolve() if env else PACKAGE_ROOT)

    # -- inputs checked into git -------------------------------------------------------------
    @property
    def configs(self) -> Path:
        return self.root / "configs"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def saves(self) -> Path:
        return self.root / "saves"

    @property
    def embedded_schema(self) -> Path:
        """The shipped Vista 6.x metadata export (gzipped JSON in the original team's shapes)."""
        return self.data / "embedded" / "vista6x"

    # -- generated artifacts (git-ignored) -----------------------------------------------------
    @property
    def catalog_dir(self) -> Path:
        return self.data / "catalog"

    def dataset_dir(self, kind: str) -> Path:
        """``data/datasets/<kind>/`` for kind in pairs, sft, dpo_v3, kto, sql_corpus, imported."""
        return self.data / "datasets" / kind

    @property
    def llamafactory_dir(self) -> Path:
        return self.data / "llamafactory"

    @property
    def validation_dir(self) -> Path:
        return self.data / "validation"

    @property
    def reports_dir(self) -> Path:
        return self.data / "reports"

    def profile_dir(self, profile: str) -> Path:
        return self.saves / profile

    def base_model_dir(self, profile: str) -> Path:
        return self.profile_dir(profile) / "base"

    def stage_dir(self, profile: str, stage: str) -> Path:
        """``saves/<profile>/<stage>/`` holds the finished adapter of a stage (sft, dpo_v3, kto)."""
        return self.profile_dir(profile) / stage
