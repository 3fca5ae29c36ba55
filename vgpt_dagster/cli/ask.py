"""`vgpt ask "QUESTION"`: one question through the serving path (catalog answer, or retrieval + model + guard).

vgpt ask "What is the business key of APTH?"          # answered from the catalog, no model call
vgpt ask "Show unpaid AP invoices for company 1" --json
vgpt ask "..." --adapter saves/tiny/kto --no-guard     # the raw model answer, no analyzer / repairs / re-ask
"""

import json
import sys


def add_model_options(p) -> None:
    """Options shared by `vgpt ask` and `vgpt serve`."""
    p.add_argument(
        "--adapter",
        metavar="PATH",
        help="adapter folder to serve (default: the promoted model, else the newest adapter of the profile, said so)",
    )
    p.add_argument("--profile", help="model profile in configs/model_options/ (default: configs/serving.yaml)")
    p.add_argument(
        "--require-promoted",
        action="store_true",
        help="refuse (exit 2, saying why) unless an adapter passed its promotion gate",
    )


def register(sub) -> None:
    p = sub.add_parser(
        "ask",
        help="answer one question: schema facts from the catalog, SQL from the model through the guard",
        description="Schema questions (exists? columns? key? type? company column? view or table? module tables?) "
        "are answered from the catalog with the facts cited. Other questions go to the model with the retrieved "
        "schema block; every SQL statement is analyzed, repaired where certain, re-asked once otherwise, and "
        "refused (naming the real objects) when it still fails. The SQL is never executed.",
    )
    p.add_argument("question", help="the question, in quotes")
    add_model_options(p)
    p.add_argument("--no-guard", action="store_true", help="return the model's answer without analyzer or repairs")
    p.add_argument("--no-retrieval", action="store_true", help="ask without the retrieved schema block")
    p.add_argument("--json", action="store_true", help="print the whole response as JSON")
    p.set_defaults(handler=run_ask)


def run_ask(args) -> int:
    from vgpt_dagster.errors import VgptError
    from vgpt_dagster.paths import ProjectPaths
    from vgpt_dagster.serving.engine import AskOptions, Engine, prepare

    question = (args.question or "").strip()
    if not question:
        raise VgptError('the question is empty; pass it in quotes: vgpt ask "Does APTH exist?"')
    paths = ProjectPaths.from_env()
    overrides = {"profile": args.profile} if args.profile else None
    cfg, served, catalog = _prepare_or_catalog_only(paths, overrides, args, question, prepare)
    if len(question) > cfg.limits.max_question_chars:
        raise VgptError(
            f"the question has {len(question)} characters; the limit is {cfg.limits.max_question_chars} "
            "(limits.max_question_chars in configs/serving.yaml)."
        )
    engine = Engine(paths, cfg, served, catalog)
    options = AskOptions(retrieval=not args.no_retrieval, guard=not args.no_guard)
    answer = engine.catalog_answer(question, options)  # schema questions never load the model
    if answer is None:
        answer = engine.load().ask(question, options)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(answer.answer)
    if not served.promoted and answer.source == "model":
        print(f"\n[{served.reason}]", file=sys.stderr)
    return 0


def _prepare_or_catalog_only(paths, overrides, args, question, prepare):
    """The served model; with no adapter at all a schema question is still answered from the catalog."""
    from vgpt_dagster.catalog.load import load_default_catalog
    from vgpt_dagster.judging.question import classify_question
    from vgpt_dagster.serving.config import load_serving_config
    from vgpt_dagster.serving.promoted import ServedModel, ServingError
    from vgpt_dagster.serving.schema_answers import answer_schema_question

    try:
        return prepare(paths, overrides, args.adapter, args.require_promoted or None)
    except ServingError as err:
        if args.adapter or args.require_promoted:
            raise
        cfg, catalog = load_serving_config(paths, overrides), load_default_catalog(paths=paths)
        if answer_schema_question(classify_question(question, catalog), catalog) is None:
            raise
        return cfg, ServedModel("none", cfg.profile_name, None, reason=f"no model loaded: {err}"), catalog
