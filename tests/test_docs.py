"""The README and docs/ tell the truth about what exists: the commands they show are commands, their relative links
and anchors resolve, the repository paths they name exist, and every page is reachable from the index."""

from __future__ import annotations

import re
from pathlib import Path

from edgeconform.cli import command

REPO = Path(__file__).resolve().parent.parent
INDEX = REPO / "docs" / "README.md"
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`]+)`")  # may wrap over lines: find them in text without its fenced blocks
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
SHELL = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)  # commands (other blocks show output too)
# The folders of the repository a page may name a path in (a word like `docs/` in prose is a path too).
ROOTS = ("edgeconform/", "tests/", "proxies/", "clusters/", "catalog/", "examples/", "suites/", "benchmarks/",
         "tools/", "docs/", ".ci/")


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def links(page: Path) -> list[str]:
    return [target for target in LINK.findall(FENCE.sub("", page.read_text()))
            if not target.startswith(("http://", "https://", "mailto:"))]


def broken_links(pages: list[Path], root: Path = REPO) -> list[str]:
    out = []
    for page in pages:
        for target in links(page):
            path, _, anchor = target.partition("#")
            where = (page.parent / path).resolve() if path else page
            if not where.exists():
                out.append(f"{page.relative_to(root)}: {target}: no such file")
            elif anchor and where.suffix == ".md" and anchor not in anchors(where):
                out.append(f"{page.relative_to(root)}: {target}: no heading #{anchor} in {where.name}")
    return out


def test_every_relative_link_and_anchor_resolves():
    assert not broken_links(PAGES), "\n".join(broken_links(PAGES))


def test_a_broken_link_or_anchor_is_named(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## A section: `with code`\n")
    page.write_text("[ok](other.md#a-section-with-code) [gone](missing.md) [bad](other.md#nope)\n"
                    "```\n[in a code block](ignored.md)\n```\n")
    assert broken_links([page], root=tmp_path) == ["page.md: missing.md: no such file",
                                                   "page.md: other.md#nope: no heading #nope in other.md"]


def test_every_page_is_reachable_from_the_index():
    seen, todo = set(), [INDEX]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        for target in links(page):
            path = (page.parent / target.partition("#")[0]).resolve()
            if path.suffix == ".md" and path.is_file() and REPO / "docs" in path.parents:
                todo.append(path)
    orphans = [str(p.relative_to(REPO)) for p in PAGES if p.is_relative_to(REPO / "docs") and p not in seen]
    assert not orphans, f"pages no index leads to (link them from docs/README.md): {orphans}"
    assert "docs/README.md" in links(REPO / "README.md"), "the README does not link the docs' index"


def test_every_repository_path_a_page_names_exists():
    missing, checked = [], 0
    for page in PAGES:
        for span in CODE_SPAN.findall(FENCE.sub("", page.read_text())):
            path = span.split("::")[0].split()[0].rstrip(",.:;)")
            if not path.startswith(ROOTS) or re.search(r"[<>{}*]|NAME|\.\.\.", path):
                continue  # not a path of this repository, or a pattern (`tests/controllers/test_<name>_*.py`)
            checked += 1
            if not (REPO / path).exists():
                missing.append(f"{page.relative_to(REPO)}: {span}")
    assert checked > 100 and not missing, "paths that do not exist:\n" + "\n".join(missing)


def dev_commands() -> set[str]:
    """The subcommands ./dev's case statement knows."""
    text = (REPO / "dev").read_text()
    return set(re.findall(r"^\s+([a-z][a-z-]*)\)\s*$", text, re.M))


def shown(pattern: str) -> list[tuple[Path, str]]:
    """What the pages show after ``pattern`` in their commands (``sh`` blocks and code spans)."""
    out = []
    for page in PAGES:
        text = page.read_text()
        commands = [re.sub(r"(^|\s)#.*$", "", line) for block in SHELL.findall(text) for line in block.splitlines()]
        code = "\n".join(commands + CODE_SPAN.findall(FENCE.sub("", text)))  # comments are prose
        out += [(page, word) for word in re.findall(pattern, code, re.M)]
    return out


def test_the_readmes_quick_start_is_two_dev_commands_that_exist():
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = FENCE.findall(quick)[0]
    assert [line.split()[1] for line in block.strip().splitlines()] == ["conformance", "test"]
    known = dev_commands()
    assert {"conformance", "test", "tools", "bench", "edgeconform"} <= known, known
    found = shown(r"(?:^|\s|\()\./dev ([a-z][a-z-]*)")
    unknown = [f"{page.relative_to(REPO)}: ./dev {word}" for page, word in found if word not in known]
    assert len(found) > 10 and not unknown, unknown


def test_every_edgeconform_command_the_pages_show_exists():
    known = set(command.registry())
    found = shown(r"(?:^|[\s(])edgeconform ([a-z][a-z-]*)(?=[\s`]|$)")
    unknown = [f"{page.relative_to(REPO)}: edgeconform {word}" for page, word in found if word not in known]
    assert {word for _, word in found} >= {"list", "up", "compare", "import", "plan"} and not unknown, unknown


def table_column(text: str, header: str) -> list[str]:
    """The first cells of the rows of the Markdown (or terminal) table whose first header cell is ``header``."""
    rows = [re.split(r"\s*[|│┃]\s*", line.strip().strip("|│┃").strip()) for line in text.splitlines()
            if line.strip().startswith(("|", "│", "┃"))]
    start = next(i for i, row in enumerate(rows) if row[0] == header)
    return [row[0].strip("`") for row in rows[start + 1:] if row[0] and not set(row[0]) <= set("-:")]


def test_the_readmes_run_and_the_catalog_page_name_the_topologies_of_today():
    """Refresh them when the catalog changes: README's run is `./dev conformance` (the NLB topologies), catalog.md
    lists every topology."""
    from edgeconform import catalog

    topologies = catalog.load()
    readme = (REPO / "README.md").read_text().split("## One run", 1)[1].split("\n## ", 1)[0]
    assert table_column(readme, "topology") == [name for name, t in topologies.items() if "nlb" in t.families()]
    page = (REPO / "docs" / "catalog.md").read_text()
    assert table_column(page, "topology") == list(topologies)
