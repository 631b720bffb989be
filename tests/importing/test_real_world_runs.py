"""The real-world corpus, imported, run: every corpus edge that imports to a topology is built on the local target
with the controller it names and measured by every suite (one run per controller, all its edges in one topology
file). A real edge may pass, be limited or fail -- each is a legitimate reading of someone's configuration -- but no
cell may *error*: an error is the harness failing to build or probe an edge it wrote itself.

A controller that does not run here is skipped, naming why (built by `./dev tools`, or cluster-only).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from edgeconform import controllers, importing

from ..report.suiterun import run_suites
from .test_real_world import CORPUS, EDGES, _renders, reading

pytestmark = pytest.mark.integration  # real proxies and controllers, one suite run per controller
SUITE_TIMEOUT = 1800  # a bound on a hung run (16 edges straight to the application take a few minutes), not a wait


def imported(tmp_path: Path) -> dict[str, dict]:
    """slug -> the topology entry import writes for it (named after the slug), for each edge whose reading says
    import gives one; an overlay kustomize would render where no renderer is here is left out."""
    from edgeconform.importing.formats import kustomize

    out = {}
    for slug in EDGES:
        if reading(slug)["outcome"] != "edge" or (_renders(slug) and kustomize.tool() is None):
            continue
        inputs = [CORPUS / slug / item for item in reading(slug).get("inputs", ["."])]
        result = importing.from_paths(inputs, output=tmp_path / "corpus.yaml", name=slug)
        out[slug] = result.entry
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    folder = tmp_path_factory.mktemp("corpus")
    entries = imported(folder)
    path = folder / "corpus.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "topologies": entries}, sort_keys=False))
    return path, entries


def cell(result: dict) -> str:
    return f"{result['behaviour']}[{result['variant']}]" if result["variant"] else result["behaviour"]


CONTROLLERS = ["none", "ingress-nginx", "traefik", "envoy-gateway", "emissary"]


@pytest.mark.parametrize("controller", CONTROLLERS)
def test_every_imported_corpus_edge_runs_without_an_error(corpus, controller, tmp_path):
    path, entries = corpus
    mine = sorted(slug for slug, entry in entries.items() if entry["controller"]["kind"] == controller)
    if not mine:
        pytest.skip(f"no corpus edge imports to controller {controller}")
    plug_in = controllers.controller_class(controller)
    if "local" not in plug_in.runs_on:
        pytest.skip(f"{controller} runs on a cluster only ({', '.join(plug_in.runs_on)}): its {len(mine)} corpus "
                    f"edge(s) ({', '.join(mine)}) are imported, not run here")
    why = plug_in().local_unavailable()
    if why:
        pytest.skip(f"{controller} is not built here ({why}); `./dev tools` builds it")
    run = run_suites(tmp_path / "run", "--topology-file", str(path), *[a for s in mine for a in ("--topology", s)],
                     "--no-matrix", timeout=SUITE_TIMEOUT)
    report = tmp_path / "run" / "report.json"
    assert report.is_file(), run.output[-4000:]
    results = json.loads(report.read_text())["results"]
    assert {r["topology"] for r in results} == set(mine), run.output[-4000:]
    counts = Counter(r["verdict"] for r in results)
    errors = [f"{r['topology']}/{cell(r)}: {r.get('message', '')}" for r in results if r["verdict"] == "error"]
    print(f"\n{controller}: {len(mine)} corpus edges, {len(results)} cells: "
          + ", ".join(f"{verdict} {n}" for verdict, n in sorted(counts.items())))
    assert not errors, "cells that errored (the harness could not build or probe an edge import wrote):\n" + \
        "\n".join(errors[:40]) + "\n" + run.output[-3000:]
