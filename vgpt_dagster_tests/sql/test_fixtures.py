"""Run every case of fixtures/<rule>.sql through the analyzer against the full embedded catalog."""

from collections import Counter

import pytest

from vgpt_dagster.sql.analyze import analyze
from vgpt_dagster_tests.sql.cases import Case, all_cases, load_cases

CASES = all_cases()


def test_every_rule_has_a_fixture_file():
    from vgpt_dagster.sql.analyze import RULES

    files = {c.file for c in CASES}
    rule_names = {r.__name__.rsplit(".", 1)[1] for r in RULES}
    assert rule_names <= files, f"rules without a fixture file: {sorted(rule_names - files)}"
    assert "parse_error" in files


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture_case(case: Case, full_catalog):
    a = analyze(case.sql, full_catalog, **case.options)
    got = Counter(f.rule for f in a.findings)
    want = Counter(e.rule for e in case.expected)
    shown = "\n".join(f"  {f.line}:{f.col} {f.rule}: {f.message}" for f in a.findings) or "  (none)"
    assert got == want, f"{case.id}\nfindings:\n{shown}"
    for e in case.expected:
        if e.line is not None:
            assert any(f.rule == e.rule and (f.line, f.col) == (e.line, e.col) for f in a.findings), (
                f"{case.id}: no {e.rule} at {e.line}:{e.col}\nfindings:\n{shown}"
            )


def test_loader_rejects_a_case_without_expect(tmp_path):
    bad = tmp_path / "x.sql"
    bad.write_text("-- title: a\nSELECT 1\n-- title: b\nSELECT 2\n-- expect: ok\n")
    with pytest.raises(ValueError, match="case 'a' has no '-- expect:' line"):
        load_cases(bad)


def test_loader_rejects_unknown_option(tmp_path):
    bad = tmp_path / "x.sql"
    bad.write_text("-- title: a\n-- options: allow_write\nSELECT 1\n-- expect: ok\n")
    with pytest.raises(ValueError, match="unknown option 'allow_write'"):
        load_cases(bad)
