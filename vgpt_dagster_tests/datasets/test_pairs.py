import polars as pl

from vgpt_dagster.datasets.pairs import build_case_variants, build_fake_column_pairs, build_fake_table_pairs


def test_no_fake_table_is_a_real_object_in_any_case(catalog, cfg):
    df = build_fake_table_pairs(catalog, cfg)
    assert df.height > 500
    assert [f for f in df["fake"].to_list() if catalog.resolve(f) is not None] == []
    fakes = {f.lower() for f in df["fake"].to_list()}
    assert "companies" not in fakes and "aphd" not in fakes  # real in the full catalog, though they look invented
    assert catalog.exists("Companies") and catalog.exists("APHD")


def test_every_pattern_present_and_real_targets_exist(catalog, cfg):
    df = build_fake_table_pairs(catalog, cfg)
    assert set(df["pattern"].unique()) == {
        "plain_english",
        "plural",
        "camel_case",
        "abbreviation_near_miss",
        "separator_variant",
        "cross_module",
    }
    for fake in ("Invoice", "Invoices", "CustomerMaster", "APTransactionHeader", "AP_TH"):
        row = df.filter(pl.col("fake") == fake)
        assert row.height == 1, fake
        assert all(catalog.exists(r) for r in row["real"][0])
    assert df.filter(pl.col("fake") == "APTransactionHeader")["real"][0].to_list() == ["APTH"]


def test_split_is_deterministic_and_has_holdout(catalog, cfg):
    a, b = build_fake_table_pairs(catalog, cfg), build_fake_table_pairs(catalog, cfg)
    assert a.equals(b)
    share = (a["split"] == "holdout").mean()
    assert 0.08 < share < 0.25


def test_case_variants_are_not_fakes(catalog, cfg):
    cv = build_case_variants(catalog, cfg)
    assert cv.filter(pl.col("variant") == "apth")["exact_name"].to_list() == ["APTH"]
    assert "apth" not in {f.lower() for f in build_fake_table_pairs(catalog, cfg)["fake"].to_list() if f == "apth"}
    assert "apth" not in build_fake_table_pairs(catalog, cfg)["fake"].to_list()


def test_fake_columns_never_exist_and_map_to_real_columns(catalog, cfg):
    df = build_fake_column_pairs(catalog, cfg)
    for t, c, real in df.select("table", "fake_column", "real_columns").iter_rows():
        assert catalog.column(t, c) is None, (t, c)
        assert all(catalog.column(t, r) is not None for r in real)
    got = {(t, c): list(r) for t, c, r in df.select("table", "fake_column", "real_columns").iter_rows()}
    assert got[("ARCM", "CustomerName")] == ["Name"]
    assert got[("APTH", "InvoiceID")] == ["APTrans", "APRef"]
    assert got[("JCJM", "JobNumber")] == ["Job"]
