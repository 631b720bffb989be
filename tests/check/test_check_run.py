"""edgeconform check on real manifests, end to end: the suites run on the imported edge, the terminal matrix in
100 columns, each failure with the lines of the user's files, the reports (JSON, Markdown through cmark-gfm, HTML in
headless Chromium with a screenshot kept), and verdicts that agree with the suites run on the imported topology."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cmarkgfm
import pytest

from edgeconform import binaries, controllers

pytestmark = pytest.mark.integration  # real edges

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BAD = HERE / "edges" / "proxy-not-expected"
MIGRATION = REPO / "examples" / "migrations" / "nginx-nlb-proxy-v2-to-envoy-gateway"
ARTIFACTS = Path(os.environ.get("EDGECONFORM_ARTIFACTS", REPO / "artifacts"))
CHROMIUM = os.environ.get("EDGECONFORM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("EDGECONFORM_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1300,1500"]


def check(folder: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgeconform.cli", "check", str(folder), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "100"})


def verdicts(report: dict) -> dict[tuple[str, str, str], str]:
    return {(r["topology"], r["behaviour"], r["variant"]): r["verdict"] for r in report["results"]}


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("check")
    shutil.copytree(BAD, work / "edge")
    done = check(work / "edge", work, "--report", "out")
    return work, done


def test_a_failure_is_said_in_the_words_of_the_files(bad_run):
    work, done = bad_run
    assert done.returncode == 1, done.stderr[-3000:]
    out = done.stdout
    assert "bringing up the edge shop" in done.stderr and "tests done" in done.stderr  # progress while it runs
    table = out[:out.index("target: local")]
    assert all(len(line) <= 100 for line in table.splitlines()), table
    assert "│ client_ip    │ fail" in table
    assert "FAIL shop · 13 cells: client_ip, redirect" in out
    assert ('edge/service.yaml:12  service.beta.kubernetes.io/aws-load-balancer-proxy-protocol: "*"  (annotation '
            "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol of Service "
            "ingress-nginx/ingress-nginx-controller)") in out
    assert ('edge/configmap.yaml:8  use-proxy-protocol: "false"  (key use-proxy-protocol of ConfigMap '
            "ingress-nginx/ingress-nginx-controller)") in out
    assert 'fix: set `use-proxy-protocol: "true"` in the ingress-nginx ConfigMap [NGX-CM]' in out
    assert "likely: the load balancer sends PROXY v2 but the controller does not expect PROXY" in out


def test_the_reports_carry_the_words_too(bad_run):
    work, _ = bad_run
    out = work / "out"
    assert {p.name for p in out.iterdir()} >= {"report.json", "report.md", "report.html", "junit.xml", "edge.yaml"}
    report = json.loads((out / "report.json").read_text())
    failed = [r for r in report["results"] if r["verdict"] == "fail"]
    assert failed and all(r["inputs"]["lines"][1]["file"] == "edge/configmap.yaml" for r in failed)
    html = cmarkgfm.github_flavored_markdown_to_html((out / "report.md").read_text())
    assert "<table>" in html and "<code>edge/configmap.yaml:8</code>" in html
    assert "<code>use-proxy-protocol: &quot;false&quot;</code>" in html


def test_check_agrees_with_the_suites_run_on_the_imported_topology(bad_run):
    work, _ = bad_run
    report = json.loads((work / "out" / "report.json").read_text())
    again = work / "again"
    subprocess.run([sys.executable, "-m", "pytest", str(REPO / "suites"), "-p", "no:cacheprovider", "-q",
                    "--topology-file", str(work / "out" / "edge.yaml"), "--report", str(again)], cwd=REPO,
                   capture_output=True, text=True, timeout=600)
    assert verdicts(json.loads((again / "report.json").read_text())) == verdicts(report)


@pytest.mark.parametrize("side", ["before", "after"])
def test_check_on_each_side_of_a_migration(side, tmp_path):
    """examples/migrations' manifests: check on each side's folder, and the suites on that side's import."""
    manifests = MIGRATION / side / "manifests"
    done = check(manifests, tmp_path, "--report", "out")
    if done.returncode == 2 and "not ready on this machine" in done.stderr:
        pytest.skip(done.stderr.strip())
    expected = {"before": 0, "after": 1}[side]  # after: Envoy Gateway without proxyProtocol behind PROXY v2
    assert done.returncode == expected, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    subprocess.run([sys.executable, "-m", "pytest", str(REPO / "suites"), "-p", "no:cacheprovider", "-q",
                    "--topology-file", str(tmp_path / "out" / "edge.yaml"), "--report", str(tmp_path / "again")],
                   cwd=REPO, capture_output=True, text=True, timeout=600)
    assert verdicts(json.loads((tmp_path / "again" / "report.json").read_text())) == verdicts(report)


def test_the_html_report_shows_the_matrix_and_a_failure_in_the_files_words(bad_run, tmp_path):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).is_file() and os.access(p, os.X_OK))]
    if missing:
        message = f"no headless browser ({', '.join(missing)}): apt-get install chromium chromium-driver"
        if os.environ.get("EDGECONFORM_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.common.by import By

    work, _ = bad_run
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    browser = webdriver.Chrome(options=options, service=service)
    try:
        browser.set_page_load_timeout(30)
        browser.get((work / "out" / "report.html").as_uri())  # file:// only
        cells = browser.find_elements(By.CSS_SELECTOR, "table.matrix td.cell")
        assert cells and all(c.is_displayed() for c in cells)
        browser.find_element(By.CSS_SELECTOR, 'td.cell[data-topology="shop"][data-behaviour="client_ip"] a').click()
        shown = [d for d in browser.find_elements(By.CSS_SELECTOR, "section.detail") if d.is_displayed()]
        assert len(shown) == 1
        inputs = shown[0].find_element(By.CSS_SELECTOR, "dd.inputs")
        assert inputs.is_displayed()
        assert 'edge/configmap.yaml:8 use-proxy-protocol: "false"' in inputs.text
        assert "PROXY_NOT_EXPECTED" in shown[0].find_element(By.CSS_SELECTOR, ".diagnosis").text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.execute_script("window.scrollTo(0, 0)")  # the matrix, then the failure's words
        for name, element in (("check-report-browser.png", None), ("check-report-browser-failure.png", inputs)):
            if element is not None:
                browser.execute_script("arguments[0].scrollIntoView()", element)
            shot = ARTIFACTS / name
            assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    finally:
        browser.quit()
