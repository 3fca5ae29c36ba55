"""The one definition of a training run's command-line arguments (``vgpt train`` and the Pipes entry).

Both front ends call :func:`add_run_arguments` and :func:`run_request`, so a flag, its default and its
parsing (``--set key=value`` as typed YAML scalars) cannot drift apart.
"""

import argparse

from vgpt_dagster.runtime.stages import STAGE_NAMES

DEVICES = ("auto", "cpu", "cuda")


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """``--profile``, ``--set KEY=VALUE`` (repeatable), ``--device``."""
    p.add_argument(
        "--profile",
        default=None,
        help="configs/model_options/<profile>.yaml (default: $VGPT_PROFILE, else the project default smollm2-135m)",
    )
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="recipe override")
    p.add_argument("--device", default="auto", choices=DEVICES, help="auto: CUDA when present (default)")


def add_stage_argument(p: argparse.ArgumentParser, *, flag: bool) -> None:
    """The stage to train: ``--stage NAME`` (Pipes entry) or a positional (``vgpt train NAME``)."""
    if flag:
        p.add_argument("--stage", choices=STAGE_NAMES, help="the stage to train")


def run_request(args: argparse.Namespace) -> dict:
    """Parsed arguments -> the keyword arguments of :func:`vgpt_dagster.training.api.train_stage`."""
    from vgpt_dagster.training.recipe import parse_overrides

    overrides = args.overrides if isinstance(args.overrides, dict) else parse_overrides(args.overrides)
    return {"profile_name": args.profile, "overrides": overrides, "device": {"device": args.device}}
