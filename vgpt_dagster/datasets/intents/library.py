"""Loading ``configs/intents/``: one YAML per module plus ``library.yaml``, checked, split into train / held-out."""

from pathlib import Path

from vgpt_dagster.config import build_config, read_yaml
from vgpt_dagster.datasets.intents.checks import checked_library, require_objects
from vgpt_dagster.datasets.intents.model import Intent, IntentLibrary, LibraryIntent, LibrarySettings, ModuleFile
from vgpt_dagster.datasets.intents.slots import PLACEHOLDER, SETTINGS_FILE, SLOTS
from vgpt_dagster.datasets.intents.templates import fill
from vgpt_dagster.datasets.records import normalise_instruction, stable_fraction
from vgpt_dagster.errors import ConfigError, did_you_mean

# -- loading -------------------------------------------------------------------------------------------


def _check_intent(intent: Intent, where: str, min_phrasings: int) -> None:
    if len(intent.phrasings) < min_phrasings:
        raise ConfigError(
            f"{where}: intent '{intent.id}' field 'phrasings' has {len(intent.phrasings)} phrasing(s); "
            f"the library needs at least {min_phrasings} (library.yaml min_phrasings)."
        )
    for k, p in enumerate(intent.phrasings):
        for m in PLACEHOLDER.finditer(p):
            if m.group(1) not in SLOTS:
                hint = did_you_mean(m.group(1), SLOTS)
                raise ConfigError(
                    f"{where}: intent '{intent.id}' phrasings[{k}] uses the unknown slot {{{m.group(1)}}}.{hint} "
                    f"Valid slots: {', '.join(SLOTS)}."
                )
            if m.group(1) not in intent.sql_slots:
                raise ConfigError(
                    f"{where}: intent '{intent.id}' phrasings[{k}] names {{{m.group(1)}}} but the 'sql' never "
                    "uses it, so the answer would ignore what the question asks. Use it in the SQL or drop it."
                )
    for m in PLACEHOLDER.finditer(intent.sql):
        if m.group(1) not in SLOTS:
            raise ConfigError(
                f"{where}: intent '{intent.id}' field 'sql' uses the unknown slot {{{m.group(1)}}}."
                f"{did_you_mean(m.group(1), SLOTS)} Valid slots: {', '.join(SLOTS)}."
            )
        if m.group(1) == "period" and not m.group(2):
            raise ConfigError(
                f"{where}: intent '{intent.id}' field 'sql': write the period slot with its column, "
                "e.g. {period(h.InvDate)}."
            )
    keys = [normalise_instruction(p) for p in intent.phrasings]
    dup = next(
        (p for p, key in zip(intent.phrasings, keys, strict=True) if keys.count(key) > 1),
        None,
    )
    if dup:
        raise ConfigError(f"{where}: intent '{intent.id}' repeats the phrasing {dup!r} (after normalising).")


def _split(settings: LibrarySettings, module: str, intents: list[Intent]) -> dict[str, tuple[bool, tuple[int, ...]]]:
    """Held-out intents (lowest hashes of the module) and held-out phrasings (lowest hashes of the intent)."""
    ranked = sorted(intents, key=lambda i: stable_fraction(f"intent:{module}:{i.id}"))
    n_out = round(len(intents) * settings.holdout_intent_fraction)
    out_ids = {i.id for i in ranked[:n_out]}
    result = {}
    for i in intents:
        if i.id in out_ids:
            result[i.id] = (True, tuple(range(len(i.phrasings))))
            continue
        n = len(i.phrasings)
        k = max(1, round(n * settings.holdout_phrasing_fraction)) if settings.holdout_phrasing_fraction > 0 else 0
        order = sorted(range(n), key=lambda j: stable_fraction(f"phrasing:{i.id}:{i.phrasings[j]}"))
        seeds = {normalise_instruction(s.question) for s in i.seeds}
        forced = {j for j in range(n) if normalise_instruction(fill(i, j, "@Co", {}).question) in seeds}
        result[i.id] = (False, tuple(sorted(set(order[:k]) | forced)))
    return result


def library_for(root: Path, intents_dir: Path, catalog, analyze_fn=None) -> tuple[IntentLibrary, list[str]]:
    """The configured library (``intents_dir`` relative to the project ``root``) limited to ``catalog``.

    Intents whose ``uses`` columns the catalog lacks are left out (their ids are returned). With
    ``analyze_fn``, so are intents whose SQL reads an object the catalog lacks, and any other SQL problem
    raises (``checked_library``).
    """
    folder = intents_dir if Path(intents_dir).is_absolute() else Path(root) / intents_dir
    lib, skipped = require_objects(load_intent_library(folder), lambda o, c: catalog.column(o, c) is not None)
    if analyze_fn is None:
        return lib, skipped
    lib, absent = checked_library(lib, catalog, analyze_fn)
    return lib, skipped + absent


def load_intent_library(folder: Path) -> IntentLibrary:
    """Load and validate every module file under ``folder``; a ConfigError names file, intent and field."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(
            f"{folder}: intent library folder not found. Set `intents_dir` in configs/datasets.yaml to the folder "
            "holding library.yaml and the <module>.yaml intent files."
        )
    settings = build_config(LibrarySettings, read_yaml(folder / SETTINGS_FILE), str(folder / SETTINGS_FILE))
    seen: dict[str, str] = {}
    out: list[LibraryIntent] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == SETTINGS_FILE:
            continue
        mf = build_config(ModuleFile, read_yaml(path), str(path))
        for intent in mf.intents:
            if intent.id in seen:
                raise ConfigError(f"{path}: intent id '{intent.id}' is already used in {seen[intent.id]}.")
            seen[intent.id] = str(path)
            _check_intent(intent, str(path), settings.min_phrasings)
        split = _split(settings, mf.module, mf.intents)
        for intent in mf.intents:
            heldout, phr = split[intent.id]
            cp = intent.company_param or mf.company_param
            out.append(LibraryIntent(intent, mf.module, str(path), cp, heldout, phr))
    if not out:
        raise ConfigError(f"{folder}: no intent files (<module>.yaml) found next to {SETTINGS_FILE}.")
    return IntentLibrary(settings, tuple(out), str(folder))
