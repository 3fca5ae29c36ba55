"""The web UI in a real browser: Debian's Chromium driven by Playwright against a real ``dagster dev``.

Never `playwright install`: the test launches the system's `chromium` (installed by .ci/run). It skips
locally when Chromium is absent and fails in CI (CI=true), where it must run.
"""

import re
import shutil

import pytest

from vgpt_dagster.paths import PACKAGE_ROOT
from vgpt_dagster_tests.support.asset_groups import ASSET_GROUPS
from vgpt_dagster_tests.support.processes import ARTIFACTS, chromium_or_skip, wait_for_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
GROUPS = ASSET_GROUPS
README_SCREENSHOT = PACKAGE_ROOT / "docs" / "images" / "asset_graph.png"
NODE = "[class*=assetNodeContainer]"  # one per asset in the lineage graph (Dagster 1.13's CSS module name)
UI_TIMEOUT_MS = 240_000  # a run on 2 shared cores: queue, run worker start, the step itself

LATEST_MATERIALIZATION = """
{
  assetNodes(assetKeys: [{path: ["vista_schema"]}]) {
    assetMaterializations(limit: 1) {
      runId
      metadataEntries { label ... on MarkdownMetadataEntry { mdStr } }
    }
  }
}
"""


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def _shows(text: str, name: str) -> bool:
    """Whether a graph node's label shows ``name`` (long names are middle-truncated: ``fake_…_table_pairs``).

    Examples:
        >>> _shows("fake_…_table_pairs", "fake_real_table_pairs"), _shows("sft_dataset", "kto_dataset")
        (True, False)
    """
    if "…" not in text:
        return text == name
    head, tail = text.split("…", 1)
    return name.startswith(head) and name.endswith(tail) and len(name) > len(head) + len(tail)


def _menu(page, item: str) -> None:
    """Pick an entry of the asset graph's settings menu (the gear at the bottom right of the graph)."""
    page.get_by_role("button", name="settings", exact=True).click()
    page.get_by_role("menuitem", name=item).click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(500)


def _graph_clip(page, pad: int = 40) -> dict:
    """The screen rectangle holding every asset node of the graph (plus a margin for the group frames)."""
    nodes = page.locator(NODE)
    boxes = [b for i in range(nodes.count()) if (b := nodes.nth(i).bounding_box())]
    x0 = max(0, min(b["x"] for b in boxes) - pad)
    y0 = max(0, min(b["y"] for b in boxes) - pad)
    zoom = page.get_by_role("button", name="zoom_in").bounding_box()  # keep the zoom controls out
    x1 = min(zoom["x"] - 4, max(b["x"] + b["width"] for b in boxes) + pad)
    size = page.viewport_size
    y1 = min(size["height"], max(b["y"] + b["height"] for b in boxes) + pad)
    return {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}


def _scrolled_text(page, steps: int = 30) -> str:
    """The page's text as a reader scrolling it top to bottom sees it (every row of a virtualised list)."""
    size = page.viewport_size
    page.mouse.move(size["width"] / 2, size["height"] * 0.6)
    seen = [page.inner_text("body")]
    for _ in range(steps):
        page.mouse.wheel(0, size["height"] // 2)
        page.wait_for_timeout(150)
        seen.append(page.inner_text("body"))
    return "\n".join(seen)


def test_asset_graph_materialize_and_markdown_metadata_in_chromium(dagster_dev, page):
    from playwright.sync_api import expect

    url = dagster_dev.url
    all_assets = [a for names in GROUPS.values() for a in names]

    # -- the asset graph: four groups, then every asset once the groups are expanded ------------------
    page.goto(f"{url}/asset-groups", wait_until="networkidle")
    for group in GROUPS:
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    _menu(page, "Expand all groups")
    _menu(page, "vertical orientation")
    page.reload(wait_until="networkidle")  # the graph fits itself to the window on load
    expect(page.get_by_text("vista_schema", exact=True).first).to_be_visible()
    shown = page.locator(NODE).all_inner_texts()
    assert len(shown) == len(all_assets), shown
    missing = [a for a in all_assets if not any(_shows(t.strip(), a) for t in shown)]
    assert not missing, f"assets not in the graph: {missing} (nodes show {shown})"
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "ui_asset_graph_full.png"))

    # -- the catalog lists every asset by its full name --------------------------------------------------
    page.goto(f"{url}/assets", wait_until="networkidle")
    expect(page.get_by_text("model_comparison", exact=True).first).to_be_visible()
    catalog_text = _scrolled_text(page)  # the list is virtualised: rows render only when scrolled into view
    missing = [a for a in all_assets if a not in catalog_text]
    assert not missing, f"assets missing from the catalog page: {missing}"

    # -- materialize vista_schema from its page and watch the run succeed ---------------------------------
    page.goto(f"{url}/assets/vista_schema", wait_until="networkidle")
    page.get_by_role("button", name=re.compile(r"Materialize$")).click()
    launched = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
    expect(launched).to_be_visible()
    short_id = re.search(r"[0-9a-f]{8}", launched.inner_text()).group(0)
    page.get_by_role("link", name="View").or_(page.get_by_role("button", name="View")).first.click()
    expect(page).to_have_url(re.compile(rf"/runs/{short_id}"))
    run_id = page.url.rstrip("/").split("/runs/")[1].split("?")[0]
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "ui_run_success.png"))

    # -- its Markdown metadata: the per-module table ------------------------------------------------------
    page.goto(f"{url}/assets/vista_schema", wait_until="networkidle")
    expect(page.get_by_text("modules_table", exact=True).first).to_be_visible()
    page.get_by_text("[Show Markdown]").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("table")).to_be_visible()
    headers = [h.strip() for h in dialog.locator("th").all_inner_texts()]
    assert headers == ["module", "tables", "views", "columns", "company column"]
    ap_row = dialog.locator("tr", has=page.get_by_role("cell", name="AP", exact=True))
    expect(ap_row).to_contain_text("APCo")
    page.screenshot(path=str(ARTIFACTS / "ui_vista_schema_metadata.png"))
    page.keyboard.press("Escape")

    # -- the same facts through the GraphQL API -----------------------------------------------------------
    assert wait_for_run(dagster_dev, run_id) == "SUCCESS"
    (node,) = dagster_dev.graphql(LATEST_MATERIALIZATION)["assetNodes"]
    (mat,) = node["assetMaterializations"]
    assert mat["runId"] == run_id
    md = {e["label"]: e.get("mdStr") for e in mat["metadataEntries"]}
    assert "| AP |" in md["modules_table"] and "APCo" in md["modules_table"]

    # -- the README's picture of the graph, taken after the run (vista_schema shows as materialized) ------
    page.set_viewport_size({"width": 1800, "height": 1150})  # the graph fits the window when it loads
    page.goto(f"{url}/asset-groups", wait_until="networkidle")
    expect(page.get_by_text("vista_schema", exact=True).first).to_be_visible()
    page.get_by_role("button", name="zoom_out").click()  # the fitted graph runs under the zoom controls
    page.wait_for_timeout(1500)
    README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "asset_graph.png"
    page.screenshot(path=str(shot), clip=_graph_clip(page))
    shutil.copy(shot, README_SCREENSHOT)
    assert README_SCREENSHOT.stat().st_size > 10_000
