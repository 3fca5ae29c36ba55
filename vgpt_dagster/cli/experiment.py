"""``vgpt experiment``: list, show and run the experiments of configs/experiments/ (one runner for all).

vgpt experiment list
vgpt experiment show dpo_ablation
vgpt experiment run context_ablation --set max_steps=20 --device cpu
"""

import argparse

import yaml

from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.training.arguments import add_run_arguments, run_request


def register(sub) -> None:
    p = sub.add_parser(
        "experiment",
        help="list, show or run an experiment (configs/experiments/<name>.yaml)",
        description="An experiment is a YAML file: arms (a model taken as it is, or a stage trained from the "
        "pipeline's adapters on changed data or recipe keys) and how they are measured (the validation suite, or "
        "the serving engine in several modes). `run` does what the <name> asset does, with the same function, and "
        "writes data/reports/<name>.{json,md,png}. A new experiment is a new YAML file.",
        epilog="Examples:\n  vgpt experiment list\n  vgpt experiment show dpo_ablation\n"
        "  vgpt experiment run context_ablation --set max_steps=20",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=["list", "show", "run"], help="list the experiments, show one's YAML, run one")
    p.add_argument("name", nargs="?", help="the experiment (show, run)")
    add_run_arguments(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from vgpt_dagster.errors import ConfigError
    from vgpt_dagster.experiments.spec import experiment_names, load_experiment

    paths = ProjectPaths.from_env()
    if args.action == "list":
        for name in experiment_names(paths):
            spec = load_experiment(paths, name)
            print(f"{name}: {spec.title} ({len(spec.arms)} arms, measured by {spec.measure.how})")
        return 0
    if not args.name:
        raise ConfigError(f"`vgpt experiment {args.action}` needs a name: one of {', '.join(experiment_names(paths))}.")
    spec = load_experiment(paths, args.name)
    if args.action == "show":
        print(yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False), end="")
        return 0
    from vgpt_dagster.experiments.runner import run_experiment

    run = run_experiment(paths, args.name, **run_request(args), progress=_show)
    print(run.markdown, end="")
    print(f"report: {run.files['markdown']} (chart {run.files['chart']}), {run.report['wall_time_s']} s")
    return 0


def _show(row: dict) -> None:
    from vgpt_dagster.training.api import format_progress

    if "event" in row or "loss" in row or "eval_loss" in row:
        print(format_progress(row), flush=True)
