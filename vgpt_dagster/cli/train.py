"""``vgpt train``: build the base model, train a stage, or print a resolved recipe.

vgpt train base                       # the default profile (smollm2-135m: converts the wheel's GGUF once)
vgpt train sft --profile tiny --set max_steps=20 --device cpu
vgpt train show-recipe dpo_v3 --profile qwen2.5-7b-lora
"""

import argparse

import yaml

from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.runtime.stages import STAGE_NAMES
from vgpt_dagster.training.arguments import add_run_arguments, run_request


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="build the base model, train sft / dpo_v3 / kto adapters, show a resolved recipe",
        description="Build the base model or train one stage in this process, with the same functions as the "
        "base_model / *_adapter assets (the assets run them in a Dagster Pipes subprocess). Stages read "
        "data/datasets/<kind>/ and write saves/<profile>/<stage>/; an unchanged stage resumes from its last "
        "checkpoint.",
        epilog="Examples:\n  vgpt train base\n  vgpt train sft --set learning_rate=2e-4 --set max_steps=50\n"
        "  vgpt train show-recipe dpo_v3 --profile qwen2.5-7b-lora",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "what",
        choices=["base", *STAGE_NAMES, "show-recipe"],
        help=f"base (build, convert or locate the base model), {', '.join(STAGE_NAMES)} (train that stage), "
        "show-recipe STAGE. Experiments (ablations) run with `vgpt experiment run NAME`.",
    )
    p.add_argument("stage", nargs="?", choices=STAGE_NAMES, help="stage for show-recipe")
    add_run_arguments(p)
    p.add_argument("--seed", type=int, default=0, help="base: initialisation seed of the tiny model")
    p.set_defaults(handler=run)


def run(args) -> int:
    from vgpt_dagster.errors import ConfigError
    from vgpt_dagster.runtime.profiles import default_profile_name, load_profile
    from vgpt_dagster.training import api
    from vgpt_dagster.training.recipe import load_recipe

    paths = ProjectPaths.from_env()
    request = run_request(args)
    overrides = request["overrides"]
    if args.what == "show-recipe":
        if not args.stage:
            raise ConfigError("show-recipe needs a stage: vgpt train show-recipe sft|dpo_v3|kto --profile P")
        profile = load_profile(args.profile or default_profile_name(), paths)
        recipe = load_recipe(args.stage, paths, profile, overrides)
        print(f"# {args.stage} recipe resolved for profile '{profile.name}'")
        print(yaml.safe_dump(recipe.model_dump(mode="json"), sort_keys=False), end="")
        return 0
    if args.stage:
        raise ConfigError(f"unexpected argument '{args.stage}' after '{args.what}'.")
    if args.what == "base":
        facts = api.build_base_model(paths, args.profile, seed=args.seed)
        print(
            f"base model ({facts['kind']}) at {facts['path']}"
            + (
                f": {facts['parameters'] / 1e6:.2f}M parameters, vocab {facts['vocab_size']}"
                if "parameters" in facts
                else ""
            )
        )
        return 0

    def show(row: dict) -> None:
        if "event" in row:
            _show_event(row)
        elif "loss" in row or "eval_loss" in row:
            loss = row.get("loss", row.get("eval_loss"))
            kind = "loss" if "loss" in row else "eval_loss"
            print(f"{row['stage']} step {row['step']}: {kind} {loss:.4f}", flush=True)

    res = api.train_stage(args.what, paths=paths, **request, progress=show)
    print(
        f"{res.stage}: {res.steps} steps on {res.device} ({res.precision}), loss {res.train_loss_first:.4f} -> "
        f"{res.train_loss_last:.4f}, eval loss {res.eval_loss}, {res.tokens_per_second} tokens/s, "
        f"{res.wall_time_s:.0f} s{' (resumed)' if res.resumed else ''} -> {res.out_dir}"
    )
    return 0


def _show_event(row: dict) -> None:
    if "event" in row:
        print(f"{row['stage']}: {row['reason']}", flush=True)
