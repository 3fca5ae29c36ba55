"""The request path: read the question -> catalog answer, or retrieval -> batched generation -> guard -> one re-ask.

:class:`Engine` loads the model once and answers a *batch* of questions per call (the server's queue hands it
whatever arrived together). Every answer records the final SQL, the findings before and after repair, the
objects used, which adapter and catalog answered (hashes) and the latency.

Options per question (:class:`AskOptions`): ``retrieval`` (schema block in the prompt) and ``guard``
(analyzer + repairs + re-ask). Both on is the served configuration; the serving-effect measurement turns
them off to show what each adds.
"""

import functools
import logging
import time
from dataclasses import dataclass, field, replace

from vgpt_dagster.catalog.model import Catalog
from vgpt_dagster.errors import VgptError
from vgpt_dagster.paths import ProjectPaths
from vgpt_dagster.retrieval.schema import LazyIndex, render_schema_block, retrieve_objects, with_schema_context
from vgpt_dagster.serving.config import ServingConfig
from vgpt_dagster.serving.guard import Repair, reask_message, refusal_text, repair_sql
from vgpt_dagster.serving.promoted import ServedModel, catalog_hash
from vgpt_dagster.serving.schema_answers import answer_schema_question, not_found_text
from vgpt_dagster.sql.extract import extract_sql

log = logging.getLogger(__name__)
SQL_KINDS = frozenset({"write_sql", "fix_sql", "join", "business_question"})


class PromptTooLong(VgptError):
    """The question does not fit the model's context window."""


@dataclass(frozen=True)
class AskOptions:
    """``catalog_answers``: schema questions from the catalog; ``retrieval``: schema block + did-you-mean notes;
    ``guard``: analyzer, repairs and the re-ask. All on is what ``vgpt ask`` / ``vgpt serve`` do."""

    retrieval: bool = True
    guard: bool = True
    catalog_answers: bool = True


@dataclass
class Answer:
    """One response (``to_dict`` is the JSON shape of ``vgpt ask --json`` and of the server's ``vgpt`` field)."""

    question: str
    answer: str
    source: str  # catalog | model
    question_kind: str  # what the question asks (judging.question.QUESTION_KINDS)
    sql: list[str] = field(default_factory=list)
    guard: list[dict] = field(default_factory=list)  # one entry per SQL block of the final answer
    guard_first: list[dict] = field(default_factory=list)  # the first answer's blocks when re-asked
    reasked: bool = False
    refused_invalid_sql: bool = False
    objects_retrieved: list[str] = field(default_factory=list)
    objects_used: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    model: dict = field(default_factory=dict)
    catalog_hash: str | None = None
    latency_ms: float = 0.0
    options: dict = field(default_factory=dict)
    # Tokens the model read and wrote for this answer (both generation turns when re-asked; 0 for a catalog answer)
    usage: dict = field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0})

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class _Plan:
    question: str
    options: AskOptions
    reading: object
    answer: Answer
    messages: list[dict] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    first_text: str = ""


class Engine:
    """Model + catalog + retrieval index, loaded once; :meth:`answer_batch` is thread-compatible (one at a time)."""

    def __init__(self, paths: ProjectPaths, cfg: ServingConfig, served: ServedModel, catalog: Catalog):
        from vgpt_dagster.datasets.config import load_system_prompt  # noqa: PLC0415
        from vgpt_dagster.judging.question import classify_question  # noqa: PLC0415

        self.paths, self.cfg, self.served, self.catalog = paths, cfg, served, catalog
        self.system_prompt = load_system_prompt(paths.configs)
        self._readings = functools.lru_cache(maxsize=1024)(functools.partial(classify_question, catalog=catalog))
        self.catalog_hash = catalog_hash(catalog)
        self.index = LazyIndex(catalog)
        self.model = self.tokenizer = None
        self.max_positions: int | None = None

    # -- loading -----------------------------------------------------------------------------
    def load(self) -> "Engine":
        from pathlib import Path  # noqa: PLC0415

        from vgpt_dagster.runtime.inference import load_for_inference  # noqa: PLC0415
        from vgpt_dagster.runtime.profiles import load_profile  # noqa: PLC0415

        profile = load_profile(self.served.profile, self.paths)
        adapter = Path(self.served.adapter_dir) if self.served.adapter_dir else None
        self.model, self.tokenizer = load_for_inference(self.paths, profile, adapter)
        self.max_positions = getattr(self.model.config, "max_position_embeddings", None)
        _ = self.index.index  # build the BM25 index now, not on the first request
        return self

    @property
    def model_info(self) -> dict:
        s = self.served
        return {
            "status": s.status,
            "promoted": s.promoted,
            "profile": s.profile,
            "stage": s.stage,
            "adapter": s.adapter_dir,
            "adapter_sha256": s.adapter_sha256,
            "base_model": s.base_model,
            "note": s.reason,
        }

    # -- planning ----------------------------------------------------------------------------
    def read_question(self, question: str):
        """What ``question`` asks (:func:`judging.question.classify_question`), read once per question: the
        catalog path, planning and retrieval of one request share the reading."""
        return self._readings(question)

    def _plan(self, question: str, options: AskOptions) -> _Plan:
        if not self.cfg.guard.enabled:  # configs/serving.yaml guard.enabled: false turns it off for every request
            options = replace(options, guard=False)
        reading = self.read_question(question)
        ans = Answer(question, "", "catalog", reading.kind, model=self.model_info, catalog_hash=self.catalog_hash)
        ans.options = {
            "retrieval": options.retrieval,
            "guard": options.guard,
            "catalog_answers": options.catalog_answers,
        }
        plan = _Plan(question, options, reading, ans)
        schema = answer_schema_question(reading, self.catalog) if options.catalog_answers else None
        if schema is not None:
            ans.answer, ans.facts, ans.objects_used = schema.text, schema.facts, schema.objects
            return plan
        ans.source = "model"
        block = ""
        if options.retrieval:  # invented names are reported (with did-you-mean) before the model is asked
            ans.notes = self._unknown_names(reading)
            plan.retrieved = [
                r.name for r in retrieve_objects(self.index.index, question, self.cfg.retrieval.top_k, reading)
            ]
            block = self._fit_block(question, plan.retrieved)
        ans.objects_retrieved = list(plan.retrieved)
        plan.messages = [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": with_schema_context(question, block)},
        ]
        self._check_fits(plan.messages)
        return plan

    def _unknown_names(self, reading) -> list[str]:
        """A sentence (with did-you-mean) per invented object the question names or its SQL reads."""
        from vgpt_dagster.sql.analyze import analyze  # noqa: PLC0415

        names = [o.text for o in reading.objects if o.exact is None]
        for sql in getattr(reading, "sql", ()) or ():
            names += [f.object for f in analyze(sql, self.catalog).findings if f.rule == "unknown_object" and f.object]
        return [not_found_text(self.catalog, n) for n in dict.fromkeys(names)]

    def _prompt_tokens(self, messages: list[dict]) -> int:
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _budget(self) -> int | None:
        return self.max_positions - self.cfg.generation.max_new_tokens if self.max_positions else None

    def _fit_block(self, question: str, names: list[str]) -> str:
        """The schema block, with objects dropped from the end until the prompt fits the context window."""
        budget = self._budget()
        for n in range(len(names), -1, -1):
            block = render_schema_block(self.catalog, names[:n], question, self.cfg.retrieval.columns_per_object)
            if budget is None or self.tokenizer is None:
                return block
            msgs = [
                {"role": "system", "content": self.system_prompt},
                {"role": "user", "content": with_schema_context(question, block)},
            ]
            if self._prompt_tokens(msgs) <= budget:
                return block
        return ""

    def _count_usage(self, answer: Answer, messages: list[dict], text: str) -> None:
        """Add one generation turn's prompt and completion tokens (the answer text as the tokenizer reads it)."""
        if self.tokenizer is None:
            return
        answer.usage["prompt_tokens"] += self._prompt_tokens(messages)
        answer.usage["completion_tokens"] += len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _check_fits(self, messages: list[dict]) -> None:
        budget = self._budget()
        if budget is not None and self.tokenizer is not None and self._prompt_tokens(messages) > budget:
            raise PromptTooLong(
                f"the question is too long for the model's context ({self.max_positions} tokens, "
                f"{self.cfg.generation.max_new_tokens} kept for the answer); shorten it."
            )

    # -- generation --------------------------------------------------------------------------
    def _generate(self, conversations: list[list[dict]]) -> list[str]:
        from vgpt_dagster.runtime.inference import generate  # noqa: PLC0415

        if not conversations:
            return []
        if self.model is None:
            raise VgptError("the model is not loaded yet; call Engine.load() first.")
        return generate(
            self.model,
            self.tokenizer,
            conversations,
            max_new_tokens=self.cfg.generation.max_new_tokens,
            batch_size=max(1, len(conversations)),
        )

    def _guard(self, plan: _Plan, text: str) -> tuple[list[Repair], str]:
        blocks = extract_sql(text)
        repairs = [repair_sql(b, self.catalog, getattr(plan.reading, "company", None)) for b in blocks]
        for r in repairs:
            if r.sql != r.original:
                text = text.replace(r.original, r.sql)
        return repairs, text

    def _needs_reask(self, plan: _Plan, repairs: list[Repair]) -> bool:
        if any(not r.ok for r in repairs):
            return True
        return not repairs and plan.reading.kind in SQL_KINDS

    def _reask_turn(self, plan: _Plan, repairs: list[Repair]) -> list[dict] | None:
        """The re-ask conversation, shortened to fit the context (schema block, then first answer dropped)."""
        if repairs:
            msg = reask_message([r for r in repairs if not r.ok], self.catalog, plan.retrieved)
        else:
            msg = "Your answer has no SQL query. Answer with one T-SQL query"
            msg += f" on these objects: {', '.join(plan.retrieved)}." if plan.retrieved else "."
        system, user = plan.messages
        bare = {"role": "user", "content": plan.question}
        budget = self._budget()
        for first, answer in ((user, plan.first_text), (bare, plan.first_text), (bare, plan.first_text[:200])):
            conv = [system, first, {"role": "assistant", "content": answer}, {"role": "user", "content": msg}]
            if budget is None or self._prompt_tokens(conv) <= budget:
                return conv
        return None

    def answer_batch(self, questions: list[str], options: list[AskOptions] | None = None) -> list[Answer | VgptError]:
        """Answers in input order; a question that cannot be planned yields its error, the others still answer."""
        t0 = time.perf_counter()
        options = options or [AskOptions()] * len(questions)
        plans: list[_Plan | VgptError] = []
        for q, o in zip(questions, options, strict=True):
            try:
                plans.append(self._plan(q, o))
            except VgptError as err:
                plans.append(err)
        todo = [p for p in plans if isinstance(p, _Plan) and p.messages]
        for p, text in zip(todo, self._generate([p.messages for p in todo]), strict=True):
            p.first_text = text
            self._count_usage(p.answer, p.messages, text)
        reask: list[tuple[_Plan, list[Repair]]] = []
        for p in todo:
            if not p.options.guard:
                p.answer.answer, p.answer.sql = _with_notes(p.answer.notes, p.first_text), extract_sql(p.first_text)
                continue
            repairs, text = self._guard(p, p.first_text)
            turn = self._reask_turn(p, repairs) if self.cfg.guard.reask and self._needs_reask(p, repairs) else None
            if turn is not None:
                p.answer.guard_first = [r.to_dict() for r in repairs]
                reask.append((p, turn))
            else:
                self._finish(p, repairs, text)
        second = self._generate([turn for _, turn in reask])
        for (p, turn), text in zip(reask, second, strict=True):
            p.answer.reasked = True
            self._count_usage(p.answer, turn, text)
            repairs, fixed = self._guard(p, text)
            self._finish(p, repairs, fixed)
        elapsed = round((time.perf_counter() - t0) * 1000, 1)
        for p in plans:
            if isinstance(p, _Plan):
                p.answer.latency_ms = elapsed
        return [p.answer if isinstance(p, _Plan) else p for p in plans]

    def _finish(self, plan: _Plan, repairs: list[Repair], text: str) -> None:
        ans = plan.answer
        ans.guard = [r.to_dict() for r in repairs]
        failed = [r for r in repairs if not r.ok]
        if failed:
            ans.refused_invalid_sql = True
            ans.answer = refusal_text(failed, self.catalog, plan.retrieved)
            ans.sql = []
        else:
            ans.answer, ans.sql = text, [r.sql for r in repairs]
            if not repairs and plan.reading.kind in SQL_KINDS:
                ans.notes.append("(The model's answer holds no SQL query.)")
        ans.answer = _with_notes(ans.notes, ans.answer)
        used = [self.catalog.resolve(t).name for s in ans.sql for t in _sql_objects(s, self.catalog)]
        ans.objects_used = list(dict.fromkeys(used))

    def catalog_answer(self, question: str, options: AskOptions = AskOptions()) -> Answer | None:  # noqa: B008
        """The answer when the catalog alone answers ``question`` (no model, no queue), else None."""
        if not options.catalog_answers:
            return None
        t0 = time.perf_counter()
        if answer_schema_question(self.read_question(question), self.catalog) is None:
            return None
        answer = self._plan(question, options).answer  # the catalog path: no retrieval, no model
        answer.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        return answer

    def ask(self, question: str, options: AskOptions = AskOptions()) -> Answer:  # noqa: B008 - frozen dataclass
        out = self.answer_batch([question], [options])[0]
        if isinstance(out, VgptError):
            raise out
        return out


def _with_notes(notes: list[str], text: str) -> str:
    return " ".join(notes) + "\n\n" + text if notes else text


def _sql_objects(sql: str, catalog: Catalog) -> list[str]:
    from vgpt_dagster.sql.analyze import analyze  # noqa: PLC0415

    return list(analyze(sql, catalog).catalog_objects)


def prepare(paths: ProjectPaths, overrides: dict | None = None, adapter=None, require_promoted: bool | None = None):
    """(config, served model, catalog) for ``vgpt ask`` / ``vgpt serve``; every refusal is a clear VgptError."""
    from vgpt_dagster.catalog.load import load_default_catalog  # noqa: PLC0415
    from vgpt_dagster.serving.config import load_serving_config  # noqa: PLC0415
    from vgpt_dagster.serving.promoted import select_served_model  # noqa: PLC0415

    cfg = load_serving_config(paths, overrides)
    require = cfg.require_promoted if require_promoted is None else require_promoted
    served = select_served_model(paths, cfg.profile_name, adapter or cfg.adapter, require)
    return cfg, served, load_default_catalog(paths=paths)
