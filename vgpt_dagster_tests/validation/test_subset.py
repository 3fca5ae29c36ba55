"""The fixed stratified subset CPU-sized profiles are judged on (configs/validation.yaml `subset:`)."""

import pytest

from vgpt_dagster.config import build_config
from vgpt_dagster.errors import ConfigError
from vgpt_dagster.judging.cases import Case, Suite
from vgpt_dagster.validation.config import ValidationConfig
from vgpt_dagster.validation.runner import judged_subset


def _suite() -> Suite:
    cases = [
        Case(id=f"m-{c}-{i}", part="main", category=c, kind="k", question="q")
        for c in ("join", "sql_generation")
        for i in range(10)
    ]
    cases += [
        Case(id=f"p-{i}", part="probe", category="hallucination", kind="existence", question="q") for i in range(4)
    ]
    cases += [Case(id=f"h-{i}", part="holdout", category="hallucination", kind="k", question="q") for i in range(3)]
    return Suite(tuple(cases))


def _cfg(**subset) -> ValidationConfig:
    return build_config(ValidationConfig, {"subset": subset}, "test")


def test_subset_keeps_n_per_category_every_probe_and_holdout_and_says_which():
    cfg = _cfg(profiles=["smollm2-135m"], per_category={"join": 2, "sql_generation": 3})
    sub = judged_subset(_suite(), cfg, "smollm2-135m")
    main = [c for c in sub.cases if c.part == "main"]
    assert sum(c.category == "join" for c in main) == 2 and sum(c.category == "sql_generation" for c in main) == 3
    assert len(sub.part("probe")) == 4 and len(sub.part("holdout")) == 3
    assert sub.meta["subset"] == {
        "profile": "smollm2-135m",
        "per_category": cfg.subset.per_category,
        "cases": 12,
        "of": 27,
    }
    assert [c.id for c in judged_subset(_suite(), cfg, "smollm2-135m").cases] == [c.id for c in sub.cases]  # fixed
    assert judged_subset(_suite(), cfg, "tiny").cases == _suite().cases  # other profiles: the full suite
    assert judged_subset(_suite(), cfg, "smollm2-135m", on_cuda=True).cases == _suite().cases  # GPU: full suite


def test_subset_with_an_unknown_category_names_the_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown categories \['joins'\]; valid: .*join"):
        _cfg(profiles=["x"], per_category={"joins": 2})
