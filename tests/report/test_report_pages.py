"""report.md and report.html of a real run, read as text: the matrix, the notes, self-containment; and the
terminal output, which stays short."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from suiterun import BROKEN, NO_CLEARTEXT

from edgeconform import catalog

pytestmark = pytest.mark.integration  # every test reads a real conformance run (a pytest subprocess)


def test_markdown_has_the_matrix_and_one_note_per_limited_or_failed_cell(full_run):
    text = (full_run.directory / "report.md").read_text()
    doc = full_run.json
    header = "| topology | " + " | ".join(doc["behaviours"]) + " |"
    assert header in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [t["name"] for t in doc["topologies"]]
    row = {r.split("`")[1]: [c.strip() for c in r.split("|")[2:-1]] for r in rows}
    assert row["nlb-ip"][0] == "limited" and row["clb-http"][2:4] == ["limited", "limited"]
    assert row[BROKEN][:4] == ["**fail**"] * 4 and row[BROKEN][-1] == "**8 fail; 3 n/a**"  # the security checks
    assert row[BROKEN][4:7] == ["pass", "n/a", "n/a"]  # TCP health checks carry no PROXY header; IPv4 only; L4
    assert row[NO_CLEARTEXT][1:3] == ["n/a", "ws:n/a wss:pass"]
    notes = [line for line in text.split("## Limited and failed cells")[1].splitlines() if line.startswith("- **")]
    attention = [r for r in doc["results"] if r["verdict"] in ("limited", "fail")]
    assert len(notes) == len(attention) == doc["summary"]["limited"] + doc["summary"]["fail"]
    assert any("nlb-ip · client_ip**: limited: client-IP preservation is off" in n and "[NLB-TGA](https://" in n
               for n in notes)
    assert any(f"{BROKEN} · redirect**: fail:" in n and "PROXY_NOT_EXPECTED" in n for n in notes)
    assert "controller envoy 1." in text and "target **local**" in text


class _Page(HTMLParser):
    """Everything in the page that a browser could fetch, and its cells and detail sections."""

    def __init__(self):
        super().__init__()
        self.fetches, self.cells, self.details, self.links, self.styles = [], [], set(), [], []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "src" in a or (tag == "link") or (tag in ("object", "embed", "iframe")):
            self.fetches.append((tag, a))
        if tag == "td" and "cell" in (a.get("class") or "").split():
            self.cells.append(a)
        if tag == "section" and "detail" in (a.get("class") or ""):
            self.details.add(a["id"])
        if tag == "a":
            self.links.append(a.get("href", ""))
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def test_html_is_self_contained_and_every_cell_opens_a_detail(full_run):
    text = (full_run.directory / "report.html").read_text()
    page = _Page()
    page.feed(text)
    assert page.fetches == []  # no script src, stylesheet, image, frame: nothing to fetch
    assert not re.search(r"url\(|@import", "".join(page.styles))
    doc = full_run.json
    assert len(page.cells) == len(doc["matrix"]) == len(doc["topologies"]) * len(doc["behaviours"])
    for cell in page.cells:
        assert f"cell-{cell['data-topology']}--{cell['data-behaviour']}" in page.details
    verdicts = {(c["data-topology"], c["data-behaviour"]): c["data-verdict"] for c in page.cells}
    assert verdicts[("nlb-ip", "client_ip")] == "limited" and verdicts[(BROKEN, "sni")] == "fail"
    # every navigation away from the page is a source link a reader follows on purpose
    external = [href for href in page.links if not href.startswith("#")]
    assert external and all(href.startswith("https://") for href in external)
    assert {f"topology-{name}" for name in catalog.load()} <= page.details


def test_terminal_output_is_the_matrix_then_one_line_per_failure(full_run):
    out = full_run.proc.stdout
    summary = out.split("edgeconform matrix")[1]
    table = [line for line in summary.splitlines() if line.startswith("│")]
    assert len(table) == len(full_run.json["topologies"])
    failures = [line for line in summary.splitlines() if line.startswith(("FAIL ", "ERROR "))]
    failed = [r for r in full_run.json["results"] if r["verdict"] == "fail"]
    assert len(failures) == len(failed) > 5 and all(line.startswith(f"FAIL {BROKEN} · ") for line in failures)
    assert all("likely: the load balancer sends PROXY v2" in line for line in failures)
