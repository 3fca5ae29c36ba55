"""Catalog answers, each checked on the full embedded catalog AND the small fixture."""

import pytest

from vgpt_dagster.errors import CatalogError


@pytest.fixture(params=["full", "small"])
def cat(request, full_catalog, small_catalog):
    return full_catalog if request.param == "full" else small_catalog


def test_exists_case_insensitive_with_exact_spelling(cat):
    look = cat.lookup("apth")
    assert look.found and look.exact_name == "APTH" and not look.case_matches
    assert "collation is binary" in look.message() and "write 'APTH'" in look.message()
    assert cat.lookup("APTH").case_matches
    assert cat.exists("apth") and not cat.exists("apth", case_sensitive=True)
    assert cat.resolve("[dbo].[APTL]").name == "APTL"


def test_surprising_real_names_exist(cat):
    assert cat.resolve("APHD") is not None and cat.objects["APHD"].base_table == "bAPHD"
    assert cat.objects["Companies"].kind == "view" and cat.objects["Companies"].module is None


def test_views_and_base_tables(cat):
    assert cat.objects["APTL"].kind == "view" and cat.objects["bAPTL"].kind == "table"
    assert cat.base_table_of("APTL") == "bAPTL"
    assert cat.base_table_of("bAPTL") == "bAPTL"
    assert cat.views_of("bAPTL") == ("APTL",)
    assert cat.base_table_of("Companies") is None


def test_module(cat):
    assert [cat.objects[n].module for n in ("APTL", "bARCM", "JCCD", "bPREH", "GLAC", "HQCO")] == [
        "AP",
        "AR",
        "JC",
        "PR",
        "GL",
        "HQ",
    ]


def test_columns_with_udts_resolved(cat):
    apco = cat.column("APTL", "apco")
    assert apco.name == "APCo" and apco.data_type == "bCompany" and apco.base_type == "tinyint"
    assert apco.nullable is False
    gross = cat.column("APTL", "GrossAmt")
    assert (gross.data_type, gross.base_type, gross.precision, gross.scale) == ("bDollar", "numeric", 12, 2)
    assert gross.base_type_sql == "numeric(12,2)"
    assert cat.column("bAPTL", "KeyID").is_identity
    assert [c.name for c in cat.columns("APTL")[:4]] == ["APCo", "Mth", "APTrans", "APLine"]


@pytest.mark.parametrize(
    ("table", "key"),
    [  # the reference README's spot checks: all unique clustered bi<Table> indexes
        ("bAPTH", ("APCo", "Mth", "APTrans")),
        ("bAPTL", ("APCo", "Mth", "APTrans", "APLine")),
        ("bAPTD", ("APCo", "Mth", "APTrans", "APLine", "APSeq")),
        ("bJCJM", ("JCCo", "Job")),
        ("bARCM", ("CustGroup", "Customer")),
        ("bAPVM", ("VendorGroup", "Vendor")),
        ("bPREH", ("PRCo", "Employee")),
        ("bGLAC", ("GLCo", "GLAcct")),
    ],
)
def test_business_keys_spot_checks(cat, table, key):
    assert cat.business_key(table) == key
    assert cat.business_key(table[1:]) == key  # the view uses its base table's key


def test_primary_key_on_keyid_is_a_surrogate(cat):
    kinds = {k.name: (k.kind, k.columns) for k in cat.objects["bGLAC"].keys}
    assert kinds["PK_bGLAC"] == ("PRIMARY KEY", ("KeyID",))
    assert "KeyID" not in cat.business_key("bGLAC")


def test_join_keys_header_detail_in_key_order(cat):
    assert cat.join_keys("APTH", "APTL") == (("APCo", "APCo"), ("Mth", "Mth"), ("APTrans", "APTrans"))
    assert cat.join_keys("APTL", "APTH") == (("APCo", "APCo"), ("Mth", "Mth"), ("APTrans", "APTrans"))
    assert cat.join_keys("APTL", "APTD") == tuple((c, c) for c in ("APCo", "Mth", "APTrans", "APLine"))


def test_master_lookup_evidence(full_catalog, small_catalog):
    # APTH -> APVM shares VendorGroup, Vendor and neither key extends the other: Viewpoint's views join them
    # (observed_joins, embedded in the full export); without that file, the master's two-column key is the evidence.
    ev = full_catalog.join_evidence("APTH", "APVM")
    assert ev.pairs == (("VendorGroup", "VendorGroup"), ("Vendor", "Vendor")) and ev.kind == "observed"
    assert "30 time(s)" in ev.detail
    small = small_catalog.join_evidence("APTH", "APVM")
    assert small.kind == "master_lookup" and small.pairs == ev.pairs


def test_coincidental_shared_keys_are_no_join(full_catalog):
    # Same key (HRCo, HRRef, Seq) / (Co, Mth, BatchId, BatchSeq) by coincidence: no FK, never observed.
    assert full_catalog.business_key("HREH") == full_catalog.business_key("HRDP") == ("HRCo", "HRRef", "Seq")
    assert full_catalog.join_evidence("HREH", "HRDP") is None
    assert full_catalog.join_evidence("PRAB", "PRTB") is None
    assert full_catalog.join_evidence("APTH", "APTL").kind == "observed"


def test_header_detail_inference_without_observed_file(small_catalog):
    ev = small_catalog.join_evidence("APTH", "APTL")
    assert ev.kind == "header_detail" and "extends APTH's (APCo, Mth, APTrans)" in ev.detail


def test_company_column_found_where_the_module_has_none(full_catalog):
    assert full_catalog.company_column("vrvJBLaborRates") == "JCCo"  # module JB, no JBCo: the leading JCCo
    assert full_catalog.company_column("vGLEntryBatch") == "Co"  # keyed by an ID; Co among Co, InterfacingCo
    assert full_catalog.company_column("HQAI") is None  # APCo, ARCo, JCCo, POCo: attachment index, no partition
    assert full_catalog.company_column("DDUP") is None  # keyed by user name


def test_join_keys_from_declared_foreign_keys(cat):
    assert cat.join_keys("GLAC", "GLCO") == (("GLCo", "GLCo"),)
    assert cat.join_keys("HQCO", "GLCO") == (("HQCo", "GLCo"),)  # FK_bGLCO_bHQCO_GLCo: names differ
    assert cat.join_keys("GLCO", "bHQCO") == (("GLCo", "HQCo"),)


def test_company_columns(cat):
    assert cat.company_column("APTL") == "APCo"
    assert cat.company_column("JCCD") == "JCCo"
    assert cat.company_column("PREH") == "PRCo"
    assert cat.company_column("APVM") is None  # vendors are shared through VendorGroup
    assert cat.company_column("ARCM") is None
    assert [cat.module_company_column(m) for m in ("AP", "JC", "PR", "GL", "AR")] == [
        "APCo",
        "JCCo",
        "PRCo",
        "GLCo",
        "ARCo",
    ]


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("APTHX", "APTH"),
        ("AP_TH", "APTH"),
        ("APTransactionHeader", "APTH"),
        ("APHeader", "APTH"),
        ("Invoice", "APTH"),
        ("Invoices", "APTH"),
        ("ARInvoice", "ARTH"),
        ("Vendors", "APVM"),
        ("JobMaster", "JCJM"),
        ("GLAccount", "GLAC"),
        ("bAPTHX", "APTH"),
    ],
)
def test_did_you_mean(cat, typed, first):
    assert cat.resolve(typed) is None
    look = cat.lookup(typed)
    assert not look.found and look.suggestions[0] == first
    assert f"'{typed}' is not a table or view in the Vista catalog. Did you mean '{first}'" in look.message()


def test_invoice_suggests_ap_invoice_tables(cat):
    assert cat.suggest("Invoice")[:2] == ["APTH", "APTL"]


def test_suggestions_prefer_the_same_module(full_catalog):
    assert all(s.startswith("AP") for s in full_catalog.suggest("APTHX"))
    assert full_catalog.suggest("APHeader")[:2] == ["APTH", "APHB"]


def test_get_unknown_raises_with_suggestions(cat):
    with pytest.raises(
        CatalogError, match=r"'APTHX' is not a table or view in the Vista catalog\. Did you mean 'APTH'"
    ):
        cat.get("APTHX")


def test_labels(cat):
    assert cat.label("APTL") == "AP Transaction Lines (invoice line detail)"
    assert cat.label("bAPTL") == cat.label("APTL")
    assert cat.label("APHD") == "AP Trans Hold Detail"  # the export's description, module-prefixed


def test_labels_have_content_never_the_name_again(full_catalog):
    cat = full_catalog
    assert cat.label("PMOP") == "Project Management (PM) view keyed by PMCo, Project, PCOType, PCO"
    assert cat.label("APTL") == "AP Transaction Lines (invoice line detail)"  # curated
    echoes = [n for n, o in cat.objects.items() if cat.label(n) in (n, f"{o.module} {n}", f"Lists {o.module} {n}")]
    assert echoes == []  # the old fallback label was "PM PMOP"
    untyped = next(c for o in cat.objects.values() for c in o.columns if not (c.data_type or c.base_type))
    assert untyped.type_sql == "unknown" and untyped.type_text == "computed, type not recorded"
