"""Every rendering shows what it quotes from its inputs as text: report.md and migration.md as GitHub renders them
(cmark-gfm, with raw HTML allowed, so the escaping itself is what is tested), report.html and migration.html as a
browser parses them, and the terminal views. The inputs carry injection strings in every field (payloads.py):
hostile hostnames, annotation values, header values a probe saw, and a merged report's every string."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
import yaml
from cmarkgfm.cmark import Options

from edgeconform import compare
from edgeconform.compare import run, sides
from edgeconform.report import collect, html, markdown, model
from edgeconform.report.escaping import html_id, md, md_code, md_source, md_spans, safe_url
from edgeconform.sources import ALL_KEYS

from .payloads import HTML, MARKDOWN, PAYLOADS, TERMINAL, injection_report, injection_topology

# what the renderers write themselves (migration.md folds its details: <details>, whose <summary> quotes no input)
MARKDOWN_TAGS = {"h1", "h2", "p", "ul", "li", "strong", "code", "table", "thead", "tbody", "tr", "th", "td", "a",
                 "details", "summary"}
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours
KNOWN = set(ALL_KEYS.values())


class Page(HTMLParser):
    """Tags, attributes and text of a page, as a browser's parser would see them."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    @property
    def words(self) -> str:
        return "".join(self.text)


def check_markdown(text: str, shown: list[str] = HTML + MARKDOWN) -> Page:
    page = Page(cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE))
    assert {tag for tag, _ in page.tags} <= MARKDOWN_TAGS, {tag for tag, _ in page.tags} - MARKDOWN_TAGS
    for tag, attrs in page.tags:
        if tag == "a":  # a source's address as edgeconform knows it, an e-mail address, a side's report
            assert attrs["href"] in KNOWN or re.match(r"^(mailto:|[a-z]+/report\.md$)", attrs["href"]), attrs
    for payload in shown:
        assert payload in page.words, payload
    assert "\x1b" not in text and "\u202e" not in text
    return page


def check_html(text: str, shown: list[str] = HTML + MARKDOWN) -> Page:
    page = Page(text)
    assert [tag for tag, _ in page.tags].count("script") == 1  # the page's own, inline
    for tag, attrs in page.tags:
        assert tag not in ("img", "iframe") and not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not attrs.get("src"), (tag, attrs)
        href = attrs.get("href")
        assert href is None or href.startswith("#") or href in KNOWN or href.endswith("/report.html"), (tag, attrs)
        if "id" in attrs:
            assert re.match(r"^[A-Za-z0-9_-]+$", attrs["id"]), attrs
    for payload in shown:
        assert payload in page.words, payload
    assert "javascript:alert('url')" not in text
    return page


def check_terminal(text: str) -> None:
    plain = SGR.sub("", text)
    assert "\x1b" not in plain and "\u202e" not in plain, repr(plain[:500])
    assert "term-markup[/]" in plain.replace("\n", "").replace("│", "").replace(" ", ""), plain  # not a style


@pytest.fixture(scope="module")
def report() -> model.Report:
    return model.Report.model_validate(injection_report())


def test_report_md_shows_every_injection_as_text(report):
    check_markdown(markdown.render(report))


def test_report_html_shows_every_injection_as_text(report):
    check_html(html.render(report))


def test_the_terminal_view_shows_markup_and_control_characters_as_text(report):
    check_terminal(collect.render(report, width=200, color=True))


@pytest.fixture(scope="module")
def migration(tmp_path_factory):
    """compare's report for an injection topology against itself, both runs reporting injection strings (and a
    regression, so changes, hints and explanations are rendered)."""
    folder = tmp_path_factory.mktemp("migration")
    path = folder / "edge.yaml"
    path.write_text(yaml.safe_dump(injection_topology(), allow_unicode=True))
    plan = sides.plan(str(path), str(path), [])
    outcomes = []
    for side, verdict in ((plan.before, "pass"), (plan.after, "fail")):
        data = copy.deepcopy(injection_report())  # compare's own runs: its topology and behaviours by their names
        behaviours = dict(zip(data["behaviours"], ("client_ip", "redirect")))
        data["topologies"] = [{**data["topologies"][0], "name": "injection"}]
        data["behaviours"] = list(behaviours.values())
        for r in data["results"]:
            r.update(topology="injection", behaviour=behaviours[r["behaviour"]], variant="", verdict=verdict)
        report = model.assemble(**{key: value for key, value in model.Report.model_validate(
            {**data, "matrix": []}).__dict__.items() if key in ("generated_at", "harness_version", "runs",
                                                                "topologies", "behaviours", "results", "warnings")})
        (folder / side.label).mkdir()
        outcomes.append(run.SideRun(side, folder / side.label, 0, report))
    return compare.build(plan, *outcomes, directory=folder)


def test_migration_md_shows_every_injection_as_text(migration):
    assert migration.changes  # the regressions are rendered, with what the after run said
    text = markdown.render_migration(migration)
    page = check_markdown(text, shown=[])  # the after run's words for each regression, what import did not understand
    assert "## Regressions" in text and "## Read but not understood" in text, text
    assert sum(payload in page.words for payload in PAYLOADS) >= 6, page.words


def test_migration_html_and_terminal_show_every_injection_as_text(migration):
    page = check_html(html.render_migration(migration), shown=[])  # both runs' reports are embedded whole
    assert all(payload in page.words for payload in HTML), page.words
    check_terminal(compare.render(migration, width=200, color=True))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_escaping_round_trips_through_githubs_renderer(payload):
    for rendered in (md(payload, start=True), md_code(payload), md_spans(f"`{payload}` and {payload}")):
        page = Page(cmarkgfm.github_flavored_markdown_to_html(f"- {rendered}\n", options=Options.CMARK_OPT_UNSAFE))
        assert {tag for tag, _ in page.tags} <= {"ul", "li", "code"}, (payload, rendered, page.tags)
    table = f"| a |\n|---|\n| {md_code(payload, table=True)} |\n| {md(payload)} |\n"
    page = Page(cmarkgfm.github_flavored_markdown_to_html(table, options=Options.CMARK_OPT_UNSAFE))
    assert [tag for tag, _ in page.tags].count("td") == 2, (payload, page.tags)


def test_a_source_links_to_the_address_edgeconform_knows_never_to_a_reports(report):
    data = report.model_dump()
    data["results"][0]["expectation"]["sources"] = [{"key": "LBC-SA", "url": "https://phishing.invalid/lbc"},
                                                    {"key": "NEWER-KEY", "url": "https://newer.invalid/doc"}]
    hostile = model.Report.model_validate(data)
    for page in (Page(html.render(hostile)), Page(cmarkgfm.github_flavored_markdown_to_html(
            markdown.render(hostile), options=Options.CMARK_OPT_UNSAFE))):
        hrefs = [attrs.get("href") for tag, attrs in page.tags if tag == "a"]
        assert ALL_KEYS["LBC-SA"] in hrefs and not any("invalid" in (h or "") for h in hrefs), hrefs
    assert md_source("NEWER-KEY") == "NEWER-KEY" and md_source("LBC-SA").startswith("[LBC-SA](https://")


def test_only_plain_http_addresses_are_linked_and_ids_stay_plain():
    assert safe_url("https://docs.aws.amazon.com/elasticloadbalancing/latest/network/x.html#y")
    for url in ("javascript:alert(1)", "data:text/html,x", "https://a.test/\"><script>", "https://a.test/x y",
                "//a.test", "https://a.test/\x1b", "vbscript:x", "file:///etc/passwd", ""):
        assert safe_url(url) is None, url
    assert html_id("cell", "nlb-ip", "client_ip") == "cell-nlb-ip--client_ip"  # plain names keep their id
    ids = {html_id("cell", name, "sni") for name in ('a"]b', "a b", "a-b", "a\u202eb")}
    assert len(ids) == 4 and all(re.match(r"^[A-Za-z0-9_-]+$", i) for i in ids), ids
