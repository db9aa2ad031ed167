"""`run --report` and `compare --report`: one self-contained HTML page (summary, explanation, figures, tables,
provenance), checked as text and in a real headless Chromium with the network cut off."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sim.cli import main

from .conftest import SCENARIOS

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; .ci/run installs it when missing
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

# A title with markup in it: the page must show it as text, not as markup.
TITLED = """
metadata: {title: "Talks <b>& co</b>", description: "Two states & a draft"}
states:
  - {id: AAA, ideal: {attribution_transparency: 0.6, data_sovereignty: 0.4, enforcement: 0.5}, capability: 2}
  - {id: BBB, ideal: {attribution_transparency: 0.5, data_sovereignty: 0.5, enforcement: 0.5}, capability: 1}
"""
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    scenario = out / "titled.yaml"
    scenario.write_text(TITLED, encoding="utf-8")
    assert main(["run", str(scenario), "--rounds", "4", "--report", "--quiet", "--out", str(out / "results")]) == 0
    return next((out / "results").iterdir())


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare-report")
    path = str(SCENARIOS / "classroom.yaml")
    code = main(["compare", path, path, "--set-b", "rules.decision=majority_count", "--replicates", "3",
                 "--rounds", "5", "--report", "--quiet", "--out", str(out)])
    assert code in (0, 4)
    return next(out.iterdir())


def test_run_report_is_self_contained_and_complete(run_folder):
    """report.html names the outcome, holds the summary, the three figures as data: URIs, the states and rounds
    tables and the provenance (reproduce line, scenario hash); it refers to nothing outside itself, shows markup
    in a title as text, and is listed in the manifest."""
    html = (run_folder / "report.html").read_text(encoding="utf-8")
    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
    assert not EXTERNAL.search(html) and "<script" not in html
    images = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert len(images) == 3 and all(src.startswith("data:image/png;base64,") for src in images)
    assert "Talks &lt;b&gt;&amp; co&lt;/b&gt;" in html and "<b>&" not in html
    assert f"after {summary['rounds']} rounds" in html
    assert "Summary and explanation" in html and "States at round" in html and "Rounds" in html
    assert manifest["reproduce"] in html.replace("&#x27;", "'") and manifest["scenario"]["sha256"] in html
    numerics = manifest["environment"]["numerics"]  # what decides numpy's last digits, shown with the provenance
    simd = " ".join(numerics["numpy_simd_dispatch"]) or "baseline only"
    assert f"{numerics['machine']}, {numerics['libc']}, numpy SIMD {simd}" in html.split("Provenance", 1)[1]
    assert "report.html" in manifest["files"]


def test_run_report_without_figures_says_so(tmp_path, capsys):
    """With --no-figures the page is still written and says that there are no figures."""
    out = tmp_path / "results"
    assert main(["run", str(SCENARIOS / "classroom.yaml"), "--rounds", "2", "--no-figures", "--report", "--quiet",
                 "--out", str(out)]) == 0
    html = (Path(capsys.readouterr().out.strip()) / "report.html").read_text(encoding="utf-8")
    assert "<img" not in html and "--no-figures" in html


def test_compare_report_holds_every_difference_and_both_figures(compare_folder):
    """The comparison's page embeds the forest plot and the outcome shares, and has one row per measure of the
    differences table."""
    import pandas as pd

    html = (compare_folder / "report.html").read_text(encoding="utf-8")
    assert not EXTERNAL.search(html) and "<script" not in html
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) == 2
    differences = pd.read_csv(compare_folder / "differences.csv")
    table = html.split("<h2>Every difference</h2>", 1)[1].split("<h2>", 1)[0]
    assert table.split("<tbody>", 1)[1].count("<tr>") == len(differences)
    assert "report.html" in json.loads((compare_folder / "manifest.json").read_text(encoding="utf-8"))["files"]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_reports_render_offline_in_chromium(run_folder, compare_folder):
    """In headless Chromium with the network cut off, both pages load without asking for anything but the file
    itself, every figure decodes, and the heading is on screen."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1366, "height": 768})
            page = context.new_page()
            requested = []
            page.on("request", lambda request: requested.append(request.url))
            for folder, figures in ((run_folder, 3), (compare_folder, 2)):
                requested.clear()
                page.goto((folder / "report.html").as_uri(), wait_until="load")
                widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
                assert len(widths) == figures and all(w > 300 for w in widths)
                assert page.locator("h1").is_visible()
                assert [u for u in requested if not u.startswith(("file:", "data:"))] == []
        finally:
            browser.close()
