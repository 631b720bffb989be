"""The two sides of a comparison: which topologies each runs, under which controller, and how they pair up.

A side is a topology file (FILE:NAME: one of its topologies), a catalog topology's name, a folder or file of
manifests (imported on the fly, as ``edgeconform import`` would), or a git revision of one (``REV:PATH``, read with
git as data: edgeconform.compare.git). Three shapes, one mechanism (each side is one run of the suites):

- two topology files (or FILE:NAME, or catalog names): one topology each, or topologies matched by name;
- two load-balancer settings with one controller: the same, with ``--controller A`` once (or none);
- one topology under two controllers: ``compare FILE --controller A --controller B`` (AFTER omitted).

Everything a user can get wrong here (a missing file, an unknown or non-local controller, topologies that do not
pair up, a --controller a topology's own ``controller.kind`` overrides) is one CompareError naming the cause and
the fix, raised before anything is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import catalog, controllers, untrusted
from ..topology import Topology

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class CompareError(Exception):
    """Input compare cannot use; the message names the cause and the fix. Nothing was built."""


TOPOLOGIES = re.compile(rb"^topologies\s*:", re.MULTILINE)  # a topology file's top-level key


@dataclass(frozen=True)
class Spec:
    """A side as given: a topology file, one topology of a file (FILE:NAME), a catalog topology (NAME), or manifests
    (a folder or file, or REV:PATH of a git revision) imported into a topology file (``file``) on the fly."""

    text: str
    file: Path | None
    name: str | None
    manifests: Path | None = None  # the folder or file imported (for REV:PATH: the revision's copy)
    revision: str | None = None  # REV of REV:PATH

    @classmethod
    def parse(cls, text: str, work: Path | None = None, label: str = "side") -> Spec:
        path = Path(text)
        if path.is_dir() or (path.is_file() and not _topology_file(path)):
            return cls._imported(text, path, work, label)
        if path.is_file():
            return cls(text, path.resolve(), None)
        file, sep, name = text.rpartition(":")
        if sep and Path(file).is_file():
            return cls(text, Path(file).resolve(), name)
        if NAME.match(text) and not text.endswith((".yaml", ".yml")):
            return cls(text, None, text)
        from . import git

        try:
            found = git.split(text)
            if found is not None:
                rev, inside = found
                tree = _work(work, label) / "tree"
                return cls._imported(text, git.read(rev, inside, tree), work, label, revision=rev)
        except git.GitError as exc:
            raise CompareError(str(exc)) from None
        raise CompareError(f"{text}: no such file; give a topology file, FILE:NAME (one topology of it), the name of a "
                           "catalog topology (edgeconform list), a folder or file of manifests, or REV:PATH (a git "
                           "revision of one, e.g. origin/main:deploy/edge)")

    @classmethod
    def _imported(cls, text: str, path: Path, work: Path | None, label: str, revision: str | None = None) -> Spec:
        """Manifests -> a topology file in the work folder (edgeconform.importing), before anything runs."""
        from .. import importing

        output = _work(work, label) / "edge.yaml"
        try:
            result = importing.from_paths([str(path)], output=output)
        except importing.ImportFailed as exc:
            raise CompareError(f"{text}: {exc}") from None
        output.write_text(importing.render(result), encoding="utf-8")
        return cls(text, output.resolve(), None, manifests=path, revision=revision)

    def load(self) -> dict[str, Topology]:
        found = catalog.load_file(self.file) if self.file else catalog.load()
        where = str(self.file) if self.file else "the catalog"
        if self.name is None:
            return found
        if self.name not in found:
            raise CompareError(f"{self.text}: {where} has no topology {self.name!r}; it has: {', '.join(found)}")
        return {self.name: found[self.name]}

    def imported(self) -> catalog.ImportRecord | None:
        """The file's ``imported:`` block (what an import read but did not understand), when it has one."""
        if self.file is None:
            return None
        try:  # the file load() read already: through the reading layer, like every topology file
            parsed = untrusted.yaml_document(self.file)
        except untrusted.Refused as exc:
            raise catalog.TopologyError.refused(exc) from None
        return catalog.imported(parsed.data, str(self.file), parsed.lines) if parsed is not None else None


@dataclass
class Side:
    label: str  # before | after
    spec: Spec
    controller: str  # the run's --controller
    topologies: dict[str, Topology]  # as the run binds them: each with the controller that runs it
    imported: catalog.ImportRecord | None = None

    def pytest_args(self) -> list[str]:
        args = ["--controller", self.controller]
        if self.spec.file:
            args += ["--topology-file", str(self.spec.file)]
        for name in self.topologies:
            args += ["--topology", name]
        return args

    @property
    def files(self) -> list[str]:
        return [str(self.spec.file)] if self.spec.file else [catalog.default_catalog().as_posix()]

    def controllers(self) -> list[str]:
        return list(dict.fromkeys(t.controller.kind or self.controller for t in self.topologies.values()))


@dataclass(frozen=True)
class Pair:
    name: str  # the matrix row
    before: str
    after: str


@dataclass
class Plan:
    before: Side
    after: Side
    pairs: list[Pair] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        """Nothing differs at the edge: each pair's topologies are equal but for names, words and where each field
        was read (``sources``), and the same controller runs them: there is nothing to run."""
        return bool(self.pairs) and all(
            _edge(self.before.topologies[p.before]) == _edge(self.after.topologies[p.after])
            and self.before.topologies[p.before].controller == self.after.topologies[p.after].controller
            for p in self.pairs)

    @property
    def shape(self) -> str:
        controllers_differ = any(self.before.topologies[p.before].controller.kind
                                 != self.after.topologies[p.after].controller.kind for p in self.pairs)
        topologies_differ = any(_edge(self.before.topologies[p.before]) != _edge(self.after.topologies[p.after])
                                for p in self.pairs)
        if controllers_differ and topologies_differ:
            return "topologies-and-controllers"
        return "controllers" if controllers_differ else "topologies" if topologies_differ else "none"


def _topology_file(path: Path) -> bool:
    """Whether a file is a topology file (its top-level ``topologies:``), not manifests; a file the reading layer
    refuses is left to the topology loader, which names the problem."""
    try:
        return bool(TOPOLOGIES.search(untrusted.read_bytes(path)))
    except untrusted.Refused:
        return True


def _work(work: Path | None, label: str) -> Path:
    if work is None:
        raise CompareError("manifests and REV:PATH are imported into the comparison's folder: give compare one")
    folder = Path(work) / f"{label}.imported"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def plan(before: str, after: str | None, chosen: list[str], work: Path | None = None) -> Plan:
    """Both sides, checked: the topologies each runs, bound to their controllers, and the pairs. Manifests and
    REV:PATH are imported into ``work``/<label>.imported/."""
    if len(chosen) > 2:
        raise CompareError(f"--controller given {len(chosen)} times: give it once (both sides) or twice (before, after)")
    if after is None and len(chosen) != 2:
        raise CompareError("nothing to compare: give AFTER (a second topology file or name), or two controllers "
                           "(--controller A --controller B) to run BEFORE under each")
    default = controllers.DEFAULT
    names = [chosen[0] if chosen else default, chosen[-1] if chosen else default]
    for name in names:
        _check_local(name, "--controller")
    sides = []
    for label, text, controller in (("before", before, names[0]), ("after", after or before, names[1])):
        spec = Spec.parse(text, work, label)
        topologies = spec.load()
        for t in topologies.values():
            kind = t.controller.kind
            if kind and chosen and kind != controller:
                raise CompareError(f"{spec.text}: topology {t.name!r} names its controller (controller.kind: {kind}), "
                                   f"which --controller {controller} cannot change: drop controller.kind from the "
                                   "file to run it under the --controller given, or give no --controller")
            if kind:
                _check_local(kind, f"{spec.text}: topology {t.name!r}: controller.kind")
        bound = {name: controllers.bind(t, controller) for name, t in topologies.items()}
        sides.append(Side(label, spec, controller, bound, spec.imported()))
    result = Plan(*sides)
    result.pairs = _pairs(result.before, result.after)
    return result


def _pairs(before: Side, after: Side) -> list[Pair]:
    b, a = list(before.topologies), list(after.topologies)
    if len(b) == 1 and len(a) == 1:
        name = b[0] if b[0] == a[0] else f"{b[0]} -> {a[0]}"
        return [Pair(name, b[0], a[0])]
    if set(b) != set(a):
        only_b, only_a = [n for n in b if n not in a], [n for n in a if n not in b]
        raise CompareError(f"the topologies do not pair up by name: {before.spec.text} has {', '.join(b)}; "
                           f"{after.spec.text} has {', '.join(a)} (unmatched: {', '.join(only_b + only_a)}); give "
                           "FILE:NAME on each side to compare one topology with another")
    return [Pair(name, name, name) for name in b]


def _check_local(name: str, what: str) -> None:
    """compare builds both edges on the local target: the controller must be known and run there."""
    local = controllers.for_place("local")
    if name not in controllers.available():
        raise CompareError(f"{what}: unknown controller {name!r}; known: {', '.join(controllers.names())} (a controller "
                           "another package adds is listed once that package is installed)")
    if name not in local:
        where = ", ".join(controllers.controller_class(name).runs_on)
        raise CompareError(f"{what}: the {name} controller does not run on the local target (it runs on: {where}); "
                           f"compare builds both edges locally, with one of: {', '.join(local)}")


def _edge(t: Topology) -> dict:
    """What makes an edge the edge it is (not its name, words, provenance or the controller that runs it)."""
    data = t.model_dump(exclude={"name", "description", "origin", "sources"})
    data["controller"].pop("kind", None)
    data["controller"].pop("settings", None)
    return data


def abstract_copy(pair: Path, into: Path) -> Path:
    """A migration pair's folder (before.yaml, after.yaml and their manifests) copied into ``into`` with
    ``controller.kind`` removed from both topology files: the same edges on the generic controller, as compare runs
    them where the named controllers cannot run (manifests alongside, so their references resolve). A side
    straight to the application (``none``: no controller whose words the abstract block would stand for) keeps it."""
    import shutil

    target = into / pair.name
    shutil.copytree(pair, target)
    for side in ("before", "after"):
        path = target / f"{side}.yaml"
        document = yaml.safe_load(path.read_text())
        for block in [(document.get("defaults") or {}).get("controller") or {},
                      *((entry or {}).get("controller") or {} for entry in document["topologies"].values())]:
            if block.get("kind") and controllers.controller_class(block["kind"]).fixed_trust:
                continue  # none is not a vocabulary: without it the edge would gain a controller
            block.pop("kind", None)
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return target
