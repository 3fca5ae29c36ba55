"""Training subprocess: ``python -m vgpt_dagster.training.pipes_entry`` (or ``accelerate launch -m ...``).

Under Dagster Pipes the parameters come from ``context.extras`` — ``stage``, ``profile``, ``overrides``
(recipe keys), ``device`` (DeviceRequest fields), ``root`` (project root) — logs stream back through
``context.log`` and the StageResult is reported as the asset materialization. Without Pipes (debugging) the
same parameters come from argv. Exit codes: 0 trained; 2 a user mistake (VgptError: the message on stderr and,
under Pipes, as an ERROR event via ``context.log.error``; no traceback); anything else is a bug or a crash::

    python -m vgpt_dagster.training.pipes_entry --stage sft --profile tiny --set max_steps=20 --device cpu
"""

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from vgpt_dagster.errors import VgptError
from vgpt_dagster.paths import ProjectPaths

log = logging.getLogger(__name__)

PIPES_ENV = "DAGSTER_PIPES_CONTEXT"
USER_ERROR_EXIT = 2  # a VgptError (user mistake); 1 stays "crashed" (a bug or OOM, with its traceback)


def _pipes_value(v):
    """Pipes takes scalars as they are; a dict or list (e.g. the CPU matmul probe) goes as typed JSON."""
    return {"type": "json", "raw_value": v} if isinstance(v, (dict, list, tuple)) else v


def pipes_metadata(result) -> dict:
    """StageResult -> Pipes metadata (typed where the UI renders it better)."""
    meta = {k: _pipes_value(v) for k, v in result.metadata().items() if v is not None}
    folder = Path(result.out_dir)
    meta["loss_curve"] = {"type": "path", "raw_value": str(folder / "loss_curve.png")}
    meta["model_card"] = {"type": "md", "raw_value": (folder / "README.md").read_text(encoding="utf-8")}
    meta["data_versions"] = {"type": "json", "raw_value": result.data_versions}
    return meta


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The same run arguments as ``vgpt train`` (training.arguments), plus ``--stage`` and ``--root``."""
    from vgpt_dagster.training.arguments import add_run_arguments, add_stage_argument, run_request

    p = argparse.ArgumentParser(prog="python -m vgpt_dagster.training.pipes_entry")
    add_stage_argument(p, flag=True)
    add_run_arguments(p)
    p.add_argument("--root", default=None, help="project root (default: $VGPT_ROOT or this checkout)")
    args = p.parse_args(argv)
    args.overrides = run_request(args)["overrides"]
    return args


def _params_from_pipes(context) -> dict:
    extras = dict(context.extras or {})
    unknown = set(extras) - {"stage", "profile", "overrides", "device", "root"}
    if unknown or "stage" not in extras:
        raise VgptError(f"Pipes extras need 'stage' and may have profile/overrides/device/root; got {sorted(extras)}.")
    return extras


def run_pipes(context) -> int:
    """The Pipes branch: train with ``context.extras``; a VgptError becomes an ERROR event and exit code 2.

    A user mistake (bad recipe key, missing upstream file, unbalanced KTO weights) is reported with
    ``context.log.error`` (an ERROR event in the Dagster UI, not a traceback) and on stderr. Any other exception
    is a bug and propagates: dagster_pipes reports it with its traceback.
    """
    from vgpt_dagster.training.api import format_progress, train_stage

    try:
        params = _params_from_pipes(context)
        paths = ProjectPaths(Path(params["root"])) if params.get("root") else ProjectPaths.from_env()
        result = train_stage(
            params["stage"],
            paths=paths,
            profile_name=params.get("profile"),
            overrides=params.get("overrides") or {},
            device=params.get("device") or {},
            progress=lambda row: context.log.info(format_progress(row)),
        )
    except VgptError as err:
        context.log.error(f"{type(err).__name__}: {err}")
        print(f"error: {err}", file=sys.stderr)
        return USER_ERROR_EXIT
    context.report_asset_materialization(metadata=pipes_metadata(result), data_version=_data_version(result))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """One entry for both modes; a VgptError exits 2 with its message (an ERROR event under Pipes), no traceback."""
    from vgpt_dagster.training.api import format_progress, train_stage
    from vgpt_dagster.training.arguments import run_request

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if os.environ.get(PIPES_ENV):
        from dagster_pipes import open_dagster_pipes

        with open_dagster_pipes() as context:
            return run_pipes(context)
    args = parse_args(argv)
    if not args.stage:
        print("error: --stage is required outside Dagster Pipes", file=sys.stderr)
        return USER_ERROR_EXIT
    paths = ProjectPaths(Path(args.root).resolve()) if args.root else ProjectPaths.from_env()
    try:
        result = train_stage(
            args.stage, paths=paths, **run_request(args), progress=lambda row: log.info(format_progress(row))
        )
    except VgptError as err:
        print(f"error: {err}", file=sys.stderr)
        return USER_ERROR_EXIT
    print(
        f"{result.stage}: {result.steps} steps, loss {result.train_loss_first} -> {result.train_loss_last}, "
        f"eval loss {result.eval_loss}, {result.wall_time_s} s on {result.device} -> {result.out_dir}"
    )
    return 0


def _data_version(result) -> str:
    from vgpt_dagster.artifacts import sha256_json

    return sha256_json(result.data_versions)[:16]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
