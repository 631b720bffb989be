"""report.html in a real browser: headless Chromium (Debian's chromium + chromium-driver) opens the file from
disk, the matrix renders with one cell per topology x behaviour, a click on a cell shows its observation,
expectation and sources, and nothing is fetched. A screenshot is saved under artifacts/.

Without Chromium the test skips with the install hint, unless EDGECONFORM_REQUIRE_BROWSER=1 (CI) makes that a
failure. Selenium drives the system chromedriver; nothing downloads a browser.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from suiterun import BROKEN, REPO

pytestmark = pytest.mark.integration  # a real conformance run, and Chromium

CHROMIUM = os.environ.get("EDGECONFORM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("EDGECONFORM_CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver (or run .ci/install-browser)"
# Chromium on a machine with no network: no first-run, sync, component or background fetches.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1100"]
ARTIFACTS = Path(os.environ.get("EDGECONFORM_ARTIFACTS", REPO / "artifacts"))


@pytest.fixture(scope="session")  # session scope: checked before the (session) suite run it would open
def browser(tmp_path_factory):
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not (Path(path).is_file() and os.access(path, os.X_OK))]
    try:
        from selenium import webdriver
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    if missing:
        message = f"no headless browser: {', '.join(missing)} missing; install with {INSTALL}"
        if os.environ.get("EDGECONFORM_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER, log_output=str(profile / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_the_matrix_renders_and_a_cell_opens_its_details(browser, full_run):
    from selenium.webdriver.common.by import By

    page = full_run.directory / "report.html"
    browser.get(page.as_uri())
    doc = full_run.json
    cells = browser.find_elements(By.CSS_SELECTOR, "table.matrix td.cell")
    assert len(cells) == len(doc["topologies"]) * len(doc["behaviours"]) == len(doc["matrix"])
    assert all(cell.is_displayed() for cell in cells)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.matrix tbody tr")
    assert len(rows) == len(doc["topologies"])
    details = browser.find_elements(By.CSS_SELECTOR, "section.detail")
    assert details and not any(d.is_displayed() for d in details)  # closed until a cell is clicked

    # colour-coded: a limited cell and a failed cell do not share a background
    def background(topology, behaviour):
        selector = f'td.cell[data-topology="{topology}"][data-behaviour="{behaviour}"]'
        cell = browser.find_element(By.CSS_SELECTOR, selector)
        return cell.value_of_css_property("background-color")
    assert len({background("nlb-ip", "client_ip"), background(BROKEN, "sni"), background("alb", "sni")}) == 3

    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-topology="nlb-ip"][data-behaviour="client_ip"] a').click()
    shown = [d for d in details if d.is_displayed()]
    assert [d.get_attribute("id") for d in shown] == ["cell-nlb-ip--client_ip"]
    text = shown[0].text
    assert "client-IP preservation is off" in text  # the expectation
    assert "backend saw client=" in text  # the observation
    links = {a.text: a.get_attribute("href") for a in shown[0].find_elements(By.CSS_SELECTOR, ".sources a")}
    assert links["NLB-TGA"].startswith("https://docs.aws.amazon.com/")
    assert browser.current_url.endswith("#cell-nlb-ip--client_ip")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-browser.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")

    # another cell replaces the first; a failed cell shows its diagnosis
    browser.find_element(By.CSS_SELECTOR, f'td.cell[data-topology="{BROKEN}"][data-behaviour="redirect"] a').click()
    shown = [d for d in details if d.is_displayed()]
    assert [d.get_attribute("id") for d in shown] == [f"cell-{BROKEN}--redirect"]
    assert "PROXY_NOT_EXPECTED" in shown[0].find_element(By.CSS_SELECTOR, ".diagnosis").text

    # self-contained: the page loaded nothing besides itself
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_the_page_works_without_script_too(browser, full_run):
    """Opened at a cell's address with JavaScript off, CSS :target alone shows that cell's details."""
    from selenium.webdriver.common.by import By

    browser.get("about:blank")  # a fresh document: no state from the previous test's clicks
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get((full_run.directory / "report.html").as_uri() + "#cell-clb-http--sni")
        assert "js" not in (browser.find_element(By.TAG_NAME, "html").get_dom_attribute("class") or "")
        shown = [d for d in browser.find_elements(By.CSS_SELECTOR, "section.detail") if d.is_displayed()]
        assert [d.get_dom_attribute("id") for d in shown] == ["cell-clb-http--sni"]
        assert "do not support SNI" in shown[0].text
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
