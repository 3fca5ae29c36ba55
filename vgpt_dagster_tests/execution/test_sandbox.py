"""The sandbox itself on the small fixture catalog: determinism, keys, read-only, limits, parameters."""

import dagster as dg
import pytest

from vgpt_dagster.artifacts import sha256_file
from vgpt_dagster.execution.compare import compare_results
from vgpt_dagster.execution.config import SandboxConfig
from vgpt_dagster.execution.run import SandboxConnection, TranspileOptions
from vgpt_dagster.execution.sandbox import build_sandbox, read_sandbox_manifest

COMPANIES = (1, 2, 5, 10, 101)
CFG = SandboxConfig(rows_per_table=30)


@pytest.fixture(scope="module")
def small_box(tmp_path_factory, small_catalog):
    folder = tmp_path_factory.mktemp("small") / "sandbox"
    return folder, build_sandbox(small_catalog, CFG, COMPANIES, folder)


def test_two_builds_give_the_same_content_hash_and_seeds_differ(tmp_path, small_catalog, small_box):
    _, first = small_box
    again = build_sandbox(small_catalog, CFG, COMPANIES, tmp_path / "again")
    assert again["content_hash"] == first["content_hash"]
    assert {v["content_hash"] for v in first["variants"].values()} == {
        v["content_hash"] for v in again["variants"].values()
    }
    other = build_sandbox(
        small_catalog,
        SandboxConfig(rows_per_table=30, seeds=[12]),
        COMPANIES,
        tmp_path / "o",
    )
    assert other["variants"]["seed-12"]["content_hash"] != first["variants"]["seed-11"]["content_hash"]


def test_keys_unique_companies_uneven_months_first_of_month(small_box, small_catalog):
    folder, man = small_box
    assert read_sandbox_manifest(folder)["variants"].keys() == {
        "seed-11",
        "seed-23",
        "adversarial",
    }
    with SandboxConnection(folder / "seed-11.duckdb") as con:
        for name in small_catalog.objects:
            key = small_catalog.business_key(name)
            if key and small_catalog.get(name).columns:
                cols = ", ".join(f'"{k}"' for k in key)
                dup = con.execute(f'SELECT {cols}, COUNT(*) FROM "{name}" GROUP BY {cols} HAVING COUNT(*) > 1')
                assert dup.rows == (), (name, dup.rows[:3])
        counts = con.execute("SELECT APCo, COUNT(*) FROM APTH GROUP BY APCo").rows
        assert {c for c, _ in counts} == set(COMPANIES)
        assert len({n for _, n in counts}) == len(COMPANIES)  # a wrong company changes even a COUNT(*)
        days = con.execute("SELECT DISTINCT day(Mth) FROM APTH").rows
        assert days == ((1,),)
        years = con.execute("SELECT COUNT(DISTINCT year(Mth)) FROM APTH").rows
        assert years[0][0] == 2  # month columns straddle a year boundary
        joined = con.execute(
            "SELECT COUNT(*) FROM APTH a JOIN APTL b ON a.APCo = b.APCo AND a.Mth = b.Mth AND a.APTrans = b.APTrans"
        ).rows[0][0]
        lines = con.execute("SELECT COUNT(*) FROM APTL").rows[0][0]
        assert joined == lines  # every line has its header
        vendors = con.execute(
            "SELECT COUNT(*) FROM APTH a JOIN APVM v ON a.VendorGroup = v.VendorGroup AND a.Vendor = v.Vendor"
        ).rows[0][0]
        assert vendors == con.execute("SELECT COUNT(*) FROM APTH").rows[0][0]  # FK tuples point at real vendors
        nulls = con.execute("SELECT COUNT(*) FROM APTH WHERE Description IS NULL").rows[0][0]
        assert 0 < nulls < 30


def test_writes_never_change_the_file(small_box):
    folder, _ = small_box
    path = folder / "seed-11.duckdb"
    before = sha256_file(path)
    with SandboxConnection(path) as con:
        opts = TranspileOptions()
        for sql in (
            "DELETE FROM APTH",
            "UPDATE APTH SET OpenYN = 'N'",
            "DROP TABLE APTH",
            "INSERT INTO APTH (APCo) VALUES (1)",
        ):
            assert con.run(sql, opts).status == "transpile_error"  # refused before DuckDB sees it
            raw = con.execute(sql)  # and DuckDB itself refuses: the file is opened read-only
            assert raw.status == "execution_error" and "read-only" in raw.error.lower(), raw.error
        outside = con.execute("SELECT * FROM read_csv('/etc/hostname')")
        assert outside.status == "execution_error"
    assert sha256_file(path) == before


def test_timeout_and_row_cap(small_box):
    folder, _ = small_box
    heavy = (
        "SELECT COUNT(*) FROM APTL a, APTL b, APTL c, APTL d, APTL e "
        "WHERE a.Description || b.Description || c.Description || d.Description < e.Description"
    )
    with SandboxConnection(folder / "seed-11.duckdb", timeout_s=0.2, row_cap=5) as con:
        assert con.run(heavy, TranspileOptions()).status == "timeout"
        capped = con.run("SELECT * FROM APTL", TranspileOptions())
        assert capped.ok and len(capped.rows) == 5 and capped.truncated


def test_parameters_and_getdate_are_bound(small_box):
    folder, _ = small_box
    with SandboxConnection(folder / "seed-11.duckdb") as con:
        opts = TranspileOptions(company=2)
        by_name = con.run("SELECT COUNT(*) FROM APTH WHERE APCo = @APCo", opts)
        declared = con.run(
            "DECLARE @APCo bCompany = 2; SELECT COUNT(*) FROM APTH WHERE APCo = @APCo",
            opts,
        )
        literal = con.run("SELECT COUNT(*) FROM APTH WHERE APCo = 2", opts)
        assert by_name.rows == declared.rows == literal.rows and literal.rows[0][0] > 0
        explicit = con.run("SELECT @APCo", TranspileOptions(parameters={"APCo": 5}))
        assert explicit.rows == ((5,),)
        now = con.run("SELECT CAST(GETDATE() AS date)", TranspileOptions())
        assert str(now.rows[0][0]) == "2024-07-01"


def test_compare_bag_order_and_subset_rules():
    assert not compare_results(("a",), [(1,), (2,)], ("a",), [(2,), (1,)], ordered=True).matched
    assert compare_results(("a",), [(1,), (2,)], ("a",), [(2,), (1,)]).matched
    assert not compare_results(("a",), [(1,), (1,)], ("a",), [(1,), (2,)]).matched  # bags, not sets
    full = [(1,), (2,), (3,)]
    assert compare_results(("a",), [(1,), (2,)], ("x",), [(3,), (1,)], subset_of=full).matched  # TOP 2, any 2
    assert not compare_results(("a",), [(1,), (2,)], ("x",), [(4,), (1,)], subset_of=full).matched
    assert compare_results(("n",), [(1.5,)], ("n",), [(__import__("decimal").Decimal("1.50"),)]).matched


@pytest.mark.slow  # builds every catalog object (about a minute on 2 busy cores)
def test_vista_sandbox_asset_materializes_with_the_oracle_check(tmp_path, full_catalog):
    from vgpt_dagster.defs import build_definitions
    from vgpt_dagster.defs.resources import VgptPaths
    from vgpt_dagster.judging.cases import write_suite
    from vgpt_dagster_tests.execution.conftest import CFG as VCFG
    from vgpt_dagster_tests.support.projects import make_project

    paths = make_project(
        tmp_path / "p",
        {"validation.yaml": {"sandbox": {"rows_per_table": 6, "seeds": [3], "adversarial": False}}},
    )
    defs = build_definitions()
    resources = {**defs.resources, "paths": VgptPaths(root=str(paths.root))}
    first = dg.materialize(list(defs.assets), selection=["vista_schema"], resources=resources)
    assert first.success
    from vgpt_dagster.judging.cases import Suite

    suite = Suite(tuple(_suite_sample()))
    write_suite(suite, paths.validation_dir / VCFG.suite_file)
    result = dg.materialize(list(defs.assets), selection=["vista_sandbox"], resources=resources)
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["tables"].value == sum(1 for o in full_catalog.objects.values() if o.columns)
    assert meta["size_bytes"].value > 0
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "oracle_executes" and check.passed
    assert (paths.validation_dir / "sandbox" / "seed-3.duckdb").is_file()


def _suite_sample():
    from vgpt_dagster.judging.cases import Case
    from vgpt_dagster_tests.support.execution_cases import UNPAID_AP

    return [
        UNPAID_AP,
        Case(
            "j-1",
            "main",
            "join",
            "join",
            "Join APTH and APTL",
            objects_must_use=("APTH", "APTL"),
            sql_expected=True,
        ),
    ]
