"""The build's speed-ups give exactly the answers of the plain versions: analyzer pool, regex prefilters."""

import random
import re

import polars as pl
import pytest

from vgpt_dagster.datasets import language
from vgpt_dagster.datasets.config import DatasetsConfig
from vgpt_dagster.datasets.leak_audit import holdout_matcher
from vgpt_dagster.datasets.records import last_content
from vgpt_dagster.datasets.sft import build_sft_dataset
from vgpt_dagster.datasets.sqlcheck import MIN_PARALLEL, SqlChecker
from vgpt_dagster.sql.analyze import analyze
from vgpt_dagster.sql.extract import _PROSE_LINE, _START, _bare_blocks, looks_like_sql


def _texts(built) -> list[str]:
    out = []
    for kind in ("sft", "dpo_v3", "kto"):
        folder = built["paths"].dataset_dir(kind)
        df = pl.read_parquet(folder / "train.parquet")
        for c in ("instruction", "input", "output"):
            out += df[c].to_list() if c in df.columns else []
        for c in ("chosen", "rejected", "completion"):
            out += [last_content(m) for m in df[c].to_list()] if c in df.columns else []
    return out


def test_pool_prefetch_gives_the_in_process_analyses(built, catalog, checker):
    sqls = sorted({s for t in _texts(built) for s in checker.extract(t)})
    assert len(sqls) >= MIN_PARALLEL
    with SqlChecker(catalog, workers=2) as pooled:
        assert pooled.prefetch(sqls) == len(sqls)  # analysed by the workers, not lazily
        assert pooled.prefetch(sqls) == 0  # cached by text
        for sql in sqls:
            assert pooled.analyze(sql).to_dict() == analyze(sql, catalog).to_dict()


def test_prefetch_is_a_no_op_in_process(catalog):
    one = SqlChecker(catalog)
    assert one.prefetch(["SELECT 1"] * 1000) == 0 and one.analysed == 0


def test_sft_is_identical_with_one_or_two_workers(built, catalog):
    folder = built["paths"].dataset_dir("pairs")
    tables, columns, cases = (
        pl.read_parquet(folder / f"{n}.parquet") for n in ("fake_table_pairs", "fake_column_pairs", "case_variants")
    )
    cfg = DatasetsConfig(scale=0.01)
    frames = []
    for workers in (1, 2):
        with SqlChecker(catalog, workers=workers) as chk:
            frames.append(build_sft_dataset(catalog, tables, columns, cfg, None, cases, chk))
            pooled = chk.analysed
    assert pooled >= MIN_PARALLEL
    assert frames[0].equals(frames[1])


def _old_refused_names(text: str) -> list[str]:
    out: list[str] = []
    for _, pat in language._TABLE_PATTERNS:
        for m in pat.finditer(text):
            if m.group(1).lower() not in language._SKIP and m.group(1) not in out:
                out.append(m.group(1))
    return out


EDGE_TEXTS = [
    "The table 'APTL' DOES NOT EXIST in Vista.",
    "Invoice is NOT a table.",
    "There is NO 'Invoices' table.",
    "ARCM HAS NO COLUMN named 'CustomerName'.",
    "The table 'APTL' does not ex\u0131st",  # dotless i: IGNORECASE folds it to i
    "X \u0131s not in the catalog",
    "no column called Foo on [ARCM] \u00e9",
    "",
]


def test_refusal_prefilter_matches_the_full_patterns(built):
    texts = random.Random(0).sample(_texts(built), 3000) + EDGE_TEXTS
    for t in texts:
        assert language.refused_names(t) == _old_refused_names(t), t
        cols = [(m.group(1), m.group(2)) for m in language._COLUMN_PATTERNS[0][1].finditer(t)]
        cols += [(m.group(2), m.group(1)) for m in language._COLUMN_PATTERNS[1][1].finditer(t)]
        assert language.refused_columns(t) == list(dict.fromkeys(cols)), t


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM invoices WITH (NOLOCK)",
        "JOIN FROM Invoices x",
        "use 'JobCost' or [JobCost] or \"jobcost\"",
        "'AB_JobCost' 'JobCost_X' `JobCost`",
        "FROM JOBCOST\u00e9 and FROM jobcost",
        "FROM \u212aost",  # Kelvin sign: IGNORECASE matches it to k
        "no leak here: FROM APTH h JOIN APTL l",
    ],
)
def test_holdout_matcher_fast_path_equals_the_full_regex(text):
    names = ["Invoices", "JobCost", "kost"]
    alt = "|".join(map(re.escape, sorted(names)))
    full = re.compile(rf"['\"`\[]({alt})['\"`\]]|\b(?i:FROM|JOIN)\s+((?i:{alt}))\b")
    m = full.search(text)
    assert holdout_matcher(names)(text) == ((m.group(1) or m.group(2)) if m else None)


def test_holdout_matcher_on_generated_text(built):
    names = ["Invoices", "Vendor", "APTH", "JobCost", "Customer"]
    alt = "|".join(map(re.escape, sorted(names)))
    full = re.compile(rf"['\"`\[]({alt})['\"`\]]|\b(?i:FROM|JOIN)\s+((?i:{alt}))\b")
    fast, hits = holdout_matcher(names), 0
    for t in random.Random(1).sample(_texts(built), 3000):
        m = full.search(t)
        assert fast(t) == ((m.group(1) or m.group(2)) if m else None), t
        hits += m is not None
    assert hits > 0  # the sample exercised the matching branch too


def _old_bare_blocks(text: str) -> list[tuple[int, str]]:
    """sql.extract._bare_blocks before the first-character filter (every line tried with _START)."""
    out, lines, starts, offset, i = [], text.split("\n"), [], 0, 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    while i < len(lines):
        if not _START.match(lines[i]):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j].strip() and not _PROSE_LINE.match(lines[j]):
            j += 1
        block = "\n".join(lines[i:j]).strip()
        if looks_like_sql(block):
            out.append((starts[i], block))
        i = j
    return out


def test_extract_line_filter_finds_the_same_blocks(built):
    edge = [
        "Here:\n\n  select Vendor from APTH with (nolock)\nwhere APCo = 1",
        "\u0131nsert into #t select 1 from x",  # dotless i folds to I under IGNORECASE
        ";WITH x AS (SELECT 1 a) SELECT a FROM x",
        "With NOLOCK you avoid blocking.\n\t\tDELETE FROM APTH WHERE APCo = 1",
        "",
    ]
    for t in random.Random(2).sample(_texts(built), 3000) + edge:
        assert _bare_blocks(t) == _old_bare_blocks(t), t
