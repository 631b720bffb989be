"""The registries agree: behaviours with their suites and markers; findings with the cells they explain and the
controllers' codes; load-balancer models with their sources, templates and annotation sets; controllers with
their packages' pieces, the targets and the kinds they create; targets with the hook that adds them.
docs/extending.md names these tests: a new piece that is only half-registered fails here."""

from __future__ import annotations

import ast
import dataclasses
import importlib
from pathlib import Path

import pytest

from edgeconform import assets, behaviours, catalog, controllers, findings, load_balancers, sources
from edgeconform.controllers.base import COMMON_KINDS, Controller, EdgeFacts
from edgeconform.importing.common import Importer
from edgeconform.load_balancers.base import CITED_FACTS, ModelError
from edgeconform.targets import TargetRegistry, TargetSpec, builtin
from edgeconform.targets.base import Target
from edgeconform.topology import LBModel

REPO = Path(__file__).resolve().parent.parent
pytest_plugins = ["pytester"]


# --- behaviours ----------------------------------------------------------------------------------------------------
def _suite_declarations() -> dict[str, tuple[str, set[str]]]:
    """Suite module -> (its behaviour marker, the names its tests parametrize)."""
    out = {}
    for path in sorted((REPO / "suites").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        marker, params = None, set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
                marks = [n.attr for n in ast.walk(node.value) if isinstance(n, ast.Attribute)
                         and isinstance(n.value, ast.Attribute) and n.value.attr == "mark"]
                marker = next((m for m in marks if m in behaviours.REGISTRY), None)
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("mark.parametrize"):
                params.add(ast.literal_eval(node.args[0]))
        out[path.name] = (marker, params)
    return out


def test_every_behaviour_has_a_suite_and_every_suite_a_behaviour():
    suites = _suite_declarations()
    measured = {marker for marker, _ in suites.values()}
    assert set(behaviours.NAMES) <= measured, f"behaviours without a suite: {set(behaviours.NAMES) - measured}"
    unknown = {name: m for name, (m, _) in suites.items() if m is None and name != "test_node_port_bypass.py"}
    assert not unknown, f"suites without a registered behaviour marker: {unknown}"


@pytest.mark.parametrize("name", behaviours.NAMES)
def test_a_suite_parametrizes_exactly_by_its_behaviours_variant_param(name):
    b = behaviours.get(name)
    params = {p for marker, ps in _suite_declarations().values() if marker == name for p in ps}
    assert params == ({b.variant_param} if b.variant_param else set()), (
        f"the {name} suite parametrizes {params}; the behaviour names its variants by {b.variant_param!r}")


def _known_cells() -> set[str]:
    """Every cell and every behaviour (a finding that names a behaviour explains each of its cells)."""
    return set(behaviours.NAMES) | {f"{b.name}[{v}]" for b in behaviours.REGISTRY.values() for v in b.variants}


def test_a_finding_rule_names_known_cells_and_a_code_of_its_own():
    codes = findings.codes()
    assert len(codes) == len(set(codes)), f"a finding code declared twice: {sorted(c for c in codes if codes.count(c) > 1)}"
    for rule in findings.RULES:
        if isinstance(rule, findings.Rule):
            explained = () if rule.explains == findings.EVERYWHERE else rule.explains
            assert set(explained) <= _known_cells(), f"{rule.code} explains unknown cells: {set(explained) - _known_cells()}"
            assert rule.kind == "mistake" or not explained, f"{rule.code} is a note: it explains no failure"
            assert rule.kind == "note" or rule.explains, f"{rule.code} explains nothing: name its cells, or EVERYWHERE"


def test_every_finding_is_produced_and_explains_what_it_declares():
    produced: dict[str, set[str]] = {}
    for t in _topologies_with_every_finding():
        own = set(controllers.controller_class(t.controller.kind).finding_codes) | {controllers.CONTROLLER_LIMIT}
        for limit in controllers.limits_of(t):
            assert limit.code in own, f"{t.controller.kind} produces {limit.code}, which it does not declare"
            assert set(limit.cells) <= _known_cells(), f"{limit.code} names unknown cells: {set(limit.cells)}"
        for f in findings.findings(t):
            produced.setdefault(f.code, set()).add(t.name)
            assert f.kind == "note" or f.everywhere or f.cells, f"{f.code} explains no cell of {t.name}"
    mistakes = set(findings.CODES) - set(findings.NOTES)  # notes are shown at load time (tests/test_findings.py)
    assert set(produced) >= mistakes, f"codes never produced: {mistakes - set(produced)}"
    assert set(produced) <= set(findings.CODES), f"produced but not declared: {set(produced) - set(findings.CODES)}"


def test_the_finding_codes_derive_from_the_rules_and_the_controllers():
    declared = {code for name in controllers.names() for code in controllers.controller_class(name).finding_codes}
    assert declared and declared <= set(findings.CODES)
    assert set(findings.CODES) == {*(r.code for r in findings.RULES if isinstance(r, findings.Rule)), *declared,
                                   controllers.CONTROLLER_LIMIT}


def _topologies_with_every_finding():
    """The catalog and every known-bad example (examples/misconfigured and its per-controller folders), each as
    every controller runs it (a controller's limits are findings too)."""
    found = list(catalog.load().values())
    for path in sorted((REPO / "examples" / "misconfigured").rglob("*.yaml")):  # the controllers' folders too
        if path.parent.name == "rehearsal" and path.name != "intended.yaml":
            continue  # the rehearsal's known-bad examples are Kubernetes manifests; intended.yaml is their topologies
        found += list(catalog.load_file(path).values())
    return [t.with_controller(name) for t in found for name in controllers.names()]


def test_requirable_behaviours_are_behaviours_and_the_catalog_uses_only_them():
    assert set(behaviours.REQUIRABLE) <= set(behaviours.NAMES)
    for t in catalog.load().values():
        assert set(t.requires) <= set(behaviours.REQUIRABLE), t.name


def test_for_topology_covers_every_cell_in_registry_order():
    t = catalog.load()["alb"]
    cells = [e.cell for e in behaviours.for_topology(t)]
    expected = [f"{b.name}[{v}]" if v else b.name for b in behaviours.REGISTRY.values() for v in b.cells]
    assert cells == expected


def test_a_behaviour_needs_its_cells_named_consistently():
    cell = behaviours.get("sni").cell()
    with pytest.raises(ValueError, match="variant_param"):
        behaviours.Behaviour("broken", "x", {"a": cell, "b": cell})
    with pytest.raises(KeyError, match="no variant 'wsx'.*ws, wss"):
        behaviours.get("websocket").cell("wsx")


# --- load-balancer models ------------------------------------------------------------------------------------------
def test_the_topology_model_field_lists_exactly_the_registered_models():
    assert set(LBModel.__args__) == set(load_balancers.NAMES)


@pytest.mark.parametrize("name", load_balancers.NAMES)
def test_a_model_cites_known_sources_and_its_assets_exist(name):
    model = load_balancers.get(name)
    for fact, keys in model.sources.items():
        assert not sources.unknown(list(keys)), f"{name}.{fact}: unknown keys {sources.unknown(list(keys))}"
    for layer, template in model.standins.items():
        assert (assets.path("proxies") / template).is_file(), f"{name} {layer} stand-in {template} is missing"
    import yaml
    data = yaml.safe_load(assets.path("clusters/eks/annotations.yaml").read_text())
    for section in ("models", "annotations", "refuse"):
        assert model.annotation_set in data[section], f"clusters/eks/annotations.yaml has no {section}.{name}"


def test_a_model_missing_a_piece_fails_when_it_is_defined():
    nlb = load_balancers.get("nlb")
    with pytest.raises(ModelError, match=r"'nlb-lite': no source keys for websocket"):
        dataclasses.replace(nlb, name="nlb-lite", sources={k: v for k, v in nlb.sources.items() if k != "websocket"})
    with pytest.raises(ModelError, match=r"stand-in templates for layers \['l4'\], but its listeners are \['l4', 'l7'\]"):
        dataclasses.replace(nlb, name="mixed", protocols=frozenset({"TCP", "HTTP"}), xff_modes=("append",),
                            l7_upgrade="pass", sources={**nlb.sources, "xff": ("ALB-XFH",)})
    assert set(CITED_FACTS) <= set(nlb.sources)


# --- controllers ---------------------------------------------------------------------------------------------------
def missing_pieces(cls: type[Controller]) -> list[str]:
    """What a controller package lacks for what its class says it is (docs/extending.md lists the pieces): the
    modules of the places it runs on, its importer, its vocabulary, its limits' codes, its tool's pinned module, its
    documentation page."""
    folder = Path(importlib.import_module(cls.__module__).__file__).parent
    out = []

    def module(name: str, why: str) -> None:
        if not (folder / f"{name}.py").is_file():
            out.append(f"{name}.py ({why})")

    def overrides(method: str, why: str) -> None:
        if getattr(cls, method) is getattr(Controller, method) or (
                getattr(getattr(cls, method), "__func__", None) is getattr(getattr(Controller, method), "__func__", 0)):
            out.append(f"{cls.__name__}.{method} ({why})")

    if "local" in cls.runs_on:
        module("local", "it runs as local processes")
        overrides("local", "it runs as local processes")
    if "cluster" in cls.runs_on:
        module("cluster", "it is installed in a cluster")
        overrides("install", "it is installed in a cluster")
        overrides("translate", "it is installed in a cluster")
        for fact in ("namespace", "pod_selector", "container_ports", "resource_kinds"):
            if not getattr(cls, fact):
                out.append(f"{cls.__name__}.{fact} (it is installed in a cluster)")
    if "cluster" in cls.runs_on or not cls.runs_on:  # what runs in clusters, or is only recognised, is imported
        module("importer", "import recognises it")
        importer = cls.importer()
        if not isinstance(importer, Importer) or importer.kind != cls.name:
            out.append(f"{cls.__name__}.importer() (an Importer of kind {cls.name!r})")
        elif type(importer).evidence is Importer.evidence or not importer.cluster_kinds:
            out.append(f"{type(importer).__name__}: evidence and cluster_kinds (what makes it this controller)")
    if cls.settings_model is not None:
        module("settings", "it has a vocabulary of its own")
        overrides("to_abstract", "its settings give the trust model")
        overrides("to_native", "an abstract block is written in its settings")
        if not (folder / "advice.yaml").is_file() or not cls.advice:
            out.append("advice.yaml (how compare says its settings)")
    if cls.limits is not Controller.limits:
        module("limits", "it has limits")
    if cls.program is not None and not (REPO / "tools" / cls.program.name / "go.mod").is_file():
        out.append(f"tools/{cls.program.name}/go.mod (the module ./dev tools builds it from)")
    if not (REPO / "docs" / "controllers" / f"{cls.name}.md").is_file():
        out.append(f"docs/controllers/{cls.name}.md (its page)")
    return out


@pytest.mark.parametrize("name", controllers.BUILTIN)
def test_a_controller_package_has_every_piece_it_needs(name):
    missing = missing_pieces(controllers.controller_class(name))
    assert missing == []


def test_a_controller_package_missing_a_piece_fails(installed_controller):
    installed_controller("half_controller", """
        from edgeconform.controllers.base import Controller, LocalController

        class Half(Controller):
            name = "half"
            title = "a controller said to run in clusters, with nothing for it"
            runs_on = ("local", "cluster")

            def local(self, t, place):
                return LocalController([])
    """, "half", "Half")
    found = "\n".join(missing_pieces(controllers.controller_class("half")))
    for piece in ("local.py", "cluster.py", "Half.install", "Half.translate", "Half.namespace", "importer.py",
                  "Half.importer()", "docs/controllers/half.md"):
        assert piece in found, found
    assert "Half.local" not in found


@pytest.mark.parametrize("name", controllers.names())
def test_a_controller_loads_and_says_where_it_runs(name):
    cls = controllers.controller_class(name)
    assert issubclass(cls, Controller) and cls.name == name and cls.title
    assert set(cls.runs_on) <= set(controllers.PLACES), f"{name} runs on {cls.runs_on}"
    assert cls.runs_on or cls.importer() is not None, f"{name} runs nowhere and is not recognised by import"


def test_tools_importers_and_cluster_kinds_derive_from_the_controllers():
    from edgeconform.importing import cluster

    from edgeconform import binaries
    from edgeconform.importing import formats

    # the controllers', the rehearsal control plane's, the renderers import runs, the workflows' linter and the kind
    # target's images'
    tools = {**controllers.tools(), **binaries.PLATFORM, **formats.programs(), **binaries.DEVELOPMENT,
             **binaries.KIND_IMAGES}
    built = {path.parent.name for path in (REPO / "tools").glob("*/go.mod")}
    assert {p.tool_dir or name for name, p in tools.items()} == built, \
        "tools/<name>/go.mod and the programs built from Go (the controllers', binaries.PLATFORM, import's) disagree"
    script = (REPO / "tools" / "build").read_text()
    for name, program in tools.items():
        assert (f"[{name}]=" in script or name in script.split("KUBE_COMMANDS=")[1].splitlines()[0]
                or name in script.split('KIND_TOOLS="')[1].split('"')[0].split()) \
            and program.go_module in script, f"tools/build does not build {name}"
        assert program.env_var.startswith("EDGECONFORM_")
    importers = controllers.importers()
    assert set(importers) == {n for n in controllers.names() if controllers.controller_class(n).importer()}
    listed = cluster.kinds()
    for name, importer in importers.items():
        assert importer.kind == name
        assert set(importer.cluster_kinds) <= set(listed), f"{name}'s kinds are not read from a cluster"


def test_every_target_runs_its_default_controller():
    for spec in builtin():
        assert spec.place in controllers.PLACES, spec.name
        assert spec.default_controller and spec.place in controllers.controller_class(spec.default_controller).runs_on


@pytest.mark.parametrize("name", controllers.for_place("cluster"))
def test_a_controller_declares_every_kind_it_creates(name, tmp_path):
    """Teardown and the EKS sweep delete exactly the declared kinds: an undeclared one would leak into the next
    topology (and past the end of an EKS run)."""
    from edgeconform import certs

    controller = controllers.get(name)
    declared = {*controller.resource_kinds, *COMMON_KINDS}
    for t in catalog.load().values():
        issued = certs.issue(tmp_path, "controller", t.controller.certificates)
        plan = controller.translate(t, EdgeFacts(("10.0.0.5",), issued))
        made = {(obj["apiVersion"], obj["kind"]) for obj in plan.manifests
                if (obj["metadata"].get("labels") or {}).get("edgeconform.dev/topology") == t.name}
        assert made <= declared, f"{name} creates {made - declared} for {t.name} without declaring them"


def test_a_controller_can_come_from_another_package(installed_controller):
    installed_controller("other_controller", """
        from edgeconform.controllers.base import Controller

        class Other(Controller):
            name = "other"
            title = "Other controller"
            runs_on = ("local",)
    """, "other", "Other")
    assert "other" in controllers.names() and "other" in controllers.for_place("local")
    assert controllers.get("other").title == "Other controller"


def test_an_uninstalled_controller_is_gone():
    assert "other" not in controllers.names() and "vocab" not in controllers.names()


# --- targets -------------------------------------------------------------------------------------------------------
def test_builtin_targets_load_their_classes_and_own_their_options():
    seen: dict[str, str] = {}
    for spec in builtin():
        cls = spec.target_class()
        assert issubclass(cls, Target) and cls.name == spec.name
        for option in spec.options:
            assert option.dest not in seen, f"{option.flag} of {spec.name} clashes with {seen[option.dest]}'s"
            seen[option.dest] = spec.name


def test_the_registry_refuses_a_second_target_of_the_same_name():
    registry = TargetRegistry()
    registry.add(TargetSpec("x", "a target", "mod:Cls"))
    with pytest.raises(ValueError, match="registered twice"):
        registry.add(TargetSpec("x", "another", "mod:Cls"))


@pytest.mark.integration
def test_a_target_can_come_from_another_plugin_without_touching_the_plugin(pytester):
    """A pytest plugin adds a target and its option through the hook; --target selects it; its tests skip with
    its own reason (this fake target has nowhere to build)."""
    pytester.makeconftest("""
        from edgeconform.targets.base import Option, Target, TargetSpec, TargetUnavailable

        class Nowhere(Target):
            name = "nowhere"

            @classmethod
            def from_options(cls, options, controller):
                raise TargetUnavailable(f"nowhere has no room (region {options['nowhere_region']})")

        def pytest_edgeconform_add_targets(targets):
            targets.add(TargetSpec("nowhere", "a target that cannot build", "conftest:Nowhere", place="cluster",
                                   options=(Option("--nowhere-region", "where", default="far"),)))
    """)
    pytester.makepyfile(test_x="""
        import pytest
        pytestmark = pytest.mark.sni

        def test_cert(conformance):
            conformance.check()
    """)
    result = pytester.runpytest_subprocess("--target", "nowhere", "--nowhere-region", "moon", "--topology", "alb",
                                           "-p", "no:cacheprovider", "-rs")
    result.stdout.fnmatch_lines(["*nowhere has no room (region moon)*", "*1 skipped*"])
    unknown = pytester.runpytest_subprocess("--target", "elsewhere", "-p", "no:cacheprovider")
    unknown.stderr.fnmatch_lines(["*unknown target 'elsewhere'; known: local, kind, eks, nowhere*"])
