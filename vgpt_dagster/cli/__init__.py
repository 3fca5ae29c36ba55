"""``vgpt``: the command-line twin of the Dagster assets.

Each subcommand module (schema, sql, data, train, eval, experiment, ask, serve) has ``register(subparsers)``; its handler
calls the same domain function the matching asset calls. User mistakes (:class:`VgptError`) are printed
without a traceback and exit 2 unless the command documents another code.
"""

import argparse
import logging
import sys
from collections.abc import Sequence

from vgpt_dagster.errors import VgptError

_SUBCOMMANDS = ("schema", "sql", "data", "train", "eval", "experiment", "ask", "serve")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="vgpt",
        description=(
            "Build, audit, train and validate a Viewpoint Vista text-to-SQL model. "
            "Every command works on the embedded Vista 6.x schema unless --schema names your own export."
        ),
        epilog='Examples:\n  vgpt schema show APTL\n  vgpt sql check "SELECT * FROM APTH WITH (NOLOCK) WHERE APCo = 1"\n'
        "  vgpt data audit data/datasets/dpo_v3/train.parquet --kind dpo\n  vgpt eval judge answers.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO) to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _SUBCOMMANDS:
        importlib.import_module(f"vgpt_dagster.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.handler(args) or 0)
    except VgptError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `vgpt ... | head`: the reader left; not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
