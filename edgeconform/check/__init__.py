"""``edgeconform check``: a team's own manifests -> every behaviour and the security suite on the local target ->
the matrix, each failure in the words of their files.

    checked = check(prepare(["k8s/edge/"], work=Path("out")), progress=print)
    checked.failed            # True: some cell failed (the CLI exits 1)

1. ``prepare``: import the inputs (edgeconform.importing: files, folders, Helm values, Kustomize, Terraform, or a
   cluster read-only), one edge or each ``--edge`` named, into one topology file (``edge.yaml``) in the work
   folder; then check that this machine can run the controller each edge names (Envoy Gateway and Traefik are built
   by ``./dev tools``; Emissary runs in a cluster only). Anything wrong is one CheckError, before anything is built.
2. ``check``: the suites in a pytest subprocess on that file (edgeconform.compare.run: the one way to run them),
   with progress while edges come up; the report read back, each failure given the lines of the user's files it
   rests on (edgeconform.check.words), and the report files rewritten with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import catalog, controllers, importing, report
from ..compare import run as suites_run
from ..compare.sides import CompareError, Side, Spec
from ..report.model import Report
from ..topology import Topology
from . import words

__all__ = ["CheckError", "Checked", "Prepared", "check", "prepare"]

TOPOLOGY_FILE = "edge.yaml"
JUNIT = "junit.xml"


class CheckError(Exception):
    """Input check cannot use, or an edge this machine cannot build; the message names the cause and the fix."""


@dataclass
class Prepared:
    """What check will run: the imported edges, each bound to the controller its inputs name."""

    inputs: list[str]
    topology_file: Path
    imported: list[importing.Imported]
    topologies: dict[str, Topology]  # bound to their controllers
    documents: list[importing.Document] = field(default_factory=list)

    def controllers(self) -> list[str]:
        return list(dict.fromkeys(t.controller.kind or controllers.DEFAULT for t in self.topologies.values()))


@dataclass
class Checked:
    prepared: Prepared
    report: Report
    directory: Path
    exit_status: int  # pytest's: 0, or 1 when a cell failed

    @property
    def failed(self) -> bool:
        return any(r.verdict in ("fail", "error") for r in self.report.results)


def prepare(paths: list[str], work: Path, *, edges: list[str] | None = None, fills: dict[str, str] | None = None,
            kubeconfig: str | None = None, context: str | None = None, namespace: str | None = None,
            acm_certs: dict[str, str] | None = None, hostnames: list[str] | None = None) -> Prepared:
    """Import every edge asked for into ``work``/edge.yaml and check that each can run here."""
    work.mkdir(parents=True, exist_ok=True)
    output = work / TOPOLOGY_FILE
    try:
        if kubeconfig:
            from ..importing import cluster

            snapshot = work / "cluster.manifests.yaml"
            documents = cluster.read(kubeconfig, snapshot, context=context, namespace=namespace)
            inputs = [str(snapshot)]
        else:
            documents = importing.load(paths, fills=fills)
            inputs = list(paths)
        imported = []
        for edge in edges or [None]:
            if kubeconfig:
                imported.append(importing.from_documents(documents, inputs, output=output, acm_certs=acm_certs,
                                                         hostnames=hostnames, edge=edge))
            else:
                imported.append(importing.from_paths(paths, output=output, acm_certs=acm_certs, hostnames=hostnames,
                                                     edge=edge, fills=fills))
    except importing.ImportFailed as exc:
        raise CheckError(str(exc)) from None
    names = [i.name for i in imported]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CheckError(f"two edges import as the topology {twice[0]!r}: give each --edge once")
    output.write_text(_render(imported), encoding="utf-8")
    try:
        loaded = catalog.load_file(output)
    except catalog.TopologyError as exc:  # import writes what the loader reads: this would be import's bug
        raise CheckError(f"the imported topology does not load: {exc}") from None
    bound = {}
    for name, t in loaded.items():
        kind = t.controller.kind or controllers.DEFAULT
        runnable(kind, name)
        bound[name] = controllers.bind(t, kind)
    return Prepared(inputs=inputs, topology_file=output, imported=imported, topologies=bound, documents=documents)


def runnable(kind: str, edge: str) -> None:
    """CheckError unless the controller ``kind`` runs on this machine's local target (built, where it is built)."""
    try:
        cls = controllers.controller_class(kind)
    except ValueError as exc:
        raise CheckError(f"edge {edge}: {exc}") from None
    if "local" not in cls.runs_on:
        raise CheckError(f"edge {edge}: the inputs name {cls.title} ({kind}), which edgeconform runs in a cluster only "
                         f"(--target kind or eks: pytest suites --topology-file edge.yaml --target kind); check builds "
                         f"edges on this machine, with one of: {', '.join(controllers.for_place('local'))}")
    missing = controllers.get(kind).local_unavailable()
    if missing:
        raise CheckError(f"edge {edge}: the inputs name {cls.title} ({kind}), which is not ready on this machine: "
                         f"{missing}")


def check(prepared: Prepared, directory: Path, pytest_args: list[str] | None = None, *,
          progress: Callable[[str], None] | None = None) -> Checked:
    """Run every behaviour and the security suite on the prepared edges into ``directory`` and read the verdicts
    back, each failure with the lines of the user's files it rests on; the report files are written there."""
    directory = directory.resolve()
    first = next(iter(prepared.topologies.values()))
    side = Side("check", Spec(" ".join(prepared.inputs), prepared.topology_file.resolve(), None),
                first.controller.kind or controllers.DEFAULT, prepared.topologies)
    args = ["--junitxml", str(directory / JUNIT), *(pytest_args or [])]
    try:
        [outcome] = suites_run.run([side], directory, args, progress=progress, nested=False)
    except CompareError as exc:
        raise CheckError(str(exc).replace("the check run", "the run").replace("the check side", "the edge")) from None
    lines = words.Lines(prepared.documents)
    results = [r.model_copy(update={"inputs": words.for_failure(prepared.topologies[r.topology], r.behaviour,
                                                                 r.variant, lines, prepared.topology_file)})
               if r.verdict == "fail" and r.topology in prepared.topologies else r
               for r in outcome.report.results]
    translated = outcome.report.model_copy(update={"results": results})
    report.write(translated, directory)
    return Checked(prepared, translated, directory, outcome.exit_status)


def _render(imported: list[importing.Imported]) -> str:
    """One topology file of every edge (their ``imported:`` records: the first edge's, as import writes it)."""
    if len(imported) == 1:
        return importing.render(imported[0])
    document = {"version": 1, "topologies": {i.name: i.entry for i in imported}, "imported": imported[0].record}
    return importing.HEADER + yaml.safe_dump(document, sort_keys=False, width=120, allow_unicode=True)
