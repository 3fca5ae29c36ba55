"""Which weights are served: the promoted model, else (said plainly) the newest adapter of the default profile.

The promoted model is the latest adapter (KTO, then DPO v3, then SFT) whose validation report passes the
promotion gate of ``configs/validation.yaml``. :func:`select_served_model` is what ``vgpt serve``, ``vgpt ask``
and the ``promoted_model`` asset all call; the asset writes its answer as the serving manifest
``data/serving/promoted_model.json`` (base model, adapter, hashes, catalog hash, gate figures).
"""

from dataclasses import asdict, dataclass, field
from pathlib import Path

from vgpt_dagster.artifacts import sha256_files, write_json_atomic
from vgpt_dagster.errors import ValidationError, VgptError
from vgpt_dagster.paths import ProjectPaths

STAGES_NEWEST_FIRST = ("kto", "dpo_v3", "sft")
MANIFEST_NAME = "promoted_model.json"


class ServingError(VgptError):
    """The server or ``vgpt ask`` cannot serve: no adapter, a missing adapter, a refused fallback."""


@dataclass
class ServedModel:
    """The weights a server answers with, and why those."""

    status: str  # promoted | fallback | explicit
    profile: str
    adapter_dir: str | None
    stage: str | None = None
    reason: str = ""
    gate: dict = field(default_factory=dict)
    adapter_sha256: str | None = None
    base_model: str | None = None

    @property
    def promoted(self) -> bool:
        return self.status == "promoted"

    def to_dict(self) -> dict:
        return asdict(self)


def _gate(paths: ProjectPaths, stage: str, profile_kind: str) -> tuple[bool, dict] | None:
    from vgpt_dagster.validation.compare import promotion_decision  # noqa: PLC0415
    from vgpt_dagster.validation.config import load_validation_config  # noqa: PLC0415
    from vgpt_dagster.validation.report import read_report  # noqa: PLC0415

    path = paths.reports_dir / f"validation_{stage}.json"
    if not path.is_file():
        return None
    report = read_report(path)
    passed, _, evidence = promotion_decision(report, load_validation_config(paths), profile_kind)
    return passed, {**evidence, "report": str(path), "adapter_dir": report.checkpoint.get("adapter_dir")}


def _adapter_files(adapter: Path) -> list[Path]:
    return sorted(p for p in adapter.iterdir() if p.is_file() and p.suffix in (".json", ".safetensors"))


def _finish(served: ServedModel, paths: ProjectPaths, profile) -> ServedModel:
    from vgpt_dagster.runtime.inference import check_adapter  # noqa: PLC0415
    from vgpt_dagster.runtime.profiles import resolve_base_model  # noqa: PLC0415

    served.base_model = str(resolve_base_model(profile, paths))
    if served.adapter_dir is not None:
        adapter = Path(served.adapter_dir)
        if not adapter.is_dir():
            raise ServingError(
                f"adapter folder {adapter} does not exist. Train it (`vgpt train` or the *_adapter assets) or "
                "pass an existing folder with --adapter; the base model is never served in its place."
            )
        try:
            check_adapter(adapter, profile.finetuning_type)
        except ValidationError as err:
            raise ServingError(str(err)) from None
        served.adapter_sha256 = sha256_files(_adapter_files(adapter))
    return served


def select_served_model(
    paths: ProjectPaths, profile_name: str, adapter: str | Path | None = None, require_promoted: bool = False
) -> ServedModel:
    """The explicit adapter, else the promoted one, else the newest adapter of ``profile_name`` (said so)."""
    from vgpt_dagster.runtime.profiles import load_profile  # noqa: PLC0415

    profile = load_profile(profile_name, paths)
    if adapter is not None:
        path = Path(adapter) if Path(adapter).is_absolute() else paths.root / adapter
        return _finish(
            ServedModel("explicit", profile.name, str(path), reason="adapter given explicitly"), paths, profile
        )
    gates = {}
    for stage in STAGES_NEWEST_FIRST:
        gate = _gate(paths, stage, profile.kind)
        if gate is None:
            continue
        gates[stage] = gate[1]
        folder = paths.stage_dir(profile.name, stage)
        if gate[0] and folder.is_dir():
            why = f"{stage} passed its promotion gate (report {gate[1]['report']})"
            return _finish(ServedModel("promoted", profile.name, str(folder), stage, why, gate[1]), paths, profile)
    why_not = (
        "no adapter passed its promotion gate"
        if gates
        else "no validation report exists yet (materialize the validation assets)"
    )
    if require_promoted:
        raise ServingError(f"--require-promoted: {why_not}; gate figures: {gates or 'none'}. Nothing is served.")
    newest = _newest_adapter(paths, profile.name)
    if newest is None:
        raise ServingError(
            f"{why_not}, and profile '{profile.name}' has no adapter under {paths.profile_dir(profile.name)}. "
            "Train one first (`make pipeline`, or `dagster asset materialize ... --select '*sft_adapter'`), "
            "or pass --adapter PATH."
        )
    stage, folder = newest
    reason = f"NOT PROMOTED: {why_not}; serving the newest adapter of profile '{profile.name}' ({stage})"
    return _finish(
        ServedModel("fallback", profile.name, str(folder), stage, reason, gates.get(stage, {})), paths, profile
    )


def _newest_adapter(paths: ProjectPaths, profile: str) -> tuple[str, Path] | None:
    found = []
    for stage in STAGES_NEWEST_FIRST:
        folder = paths.stage_dir(profile, stage)
        weights = folder / "adapter_model.safetensors"
        if weights.is_file():
            found.append((weights.stat().st_mtime, STAGES_NEWEST_FIRST.index(stage) * -1, stage, folder))
    if not found:
        return None
    _, _, stage, folder = max(found)
    return stage, folder


def catalog_hash(catalog) -> str | None:
    """Content hash of the schema export the catalog was loaded from (as the catalog store's manifest)."""
    from vgpt_dagster.catalog.store import input_files  # noqa: PLC0415

    if catalog.source and Path(catalog.source).exists():
        files = input_files(Path(catalog.source))
        return sha256_files(files) if files else None
    return None


def serving_manifest(served: ServedModel, catalog) -> dict:
    """What the ``promoted_model`` asset records: the served weights, their hashes and the gate figures."""
    return {**served.to_dict(), "catalog_hash": catalog_hash(catalog), "catalog_source": catalog.source}


def write_serving_manifest(paths: ProjectPaths, manifest: dict) -> Path:
    return write_json_atomic(paths.data / "serving" / MANIFEST_NAME, manifest)


def promote(paths: ProjectPaths, profile_name: str, catalog) -> tuple[dict, Path]:
    """The ``promoted_model`` asset's work: select the served model and write the serving manifest."""
    manifest = serving_manifest(select_served_model(paths, profile_name), catalog)
    return manifest, write_serving_manifest(paths, manifest)
