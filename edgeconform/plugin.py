"""The pytest plugin (registered through the ``pytest11`` entry point): options, markers, fixtures, matrix.

Suites only ask for ``conformance`` (or ``edge``/``expectation``); the plugin parametrizes them over the
selected topologies, builds one edge per topology per session on the chosen target, marks limited cells as
strict xfail, attaches the edge's process logs to failures, and prints the topology x behaviour matrix.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import catalog, expectations, targets
from .addresses import AddressBusy
from .controllers import NAMES as CONTROLLERS
from .binaries import MissingBinary
from .edge import Edge
from .expectations import Behaviour, Expectation
from .matrix import Matrix, verdict_of
from .topology import Topology

if TYPE_CHECKING:
    from . import verdicts
from .outcomes import LimitedObserved, Unmeasurable

MARKERS = {
    "nlb": "edges fronted by a Network Load Balancer",
    "clb": "edges fronted by a Classic ELB",
    "alb": "edges fronted by an Application Load Balancer",
    "l4": "load balancers with L4 listeners (TCP/TLS/SSL)",
    "l7": "load balancers with L7 listeners (HTTP/HTTPS)",
    "client_ip": "behaviour: the backend learns the real client address",
    "redirect": "behaviour: cleartext is redirected to HTTPS, without a loop",
    "websocket": "behaviour: WebSocket upgrade and echo through the edge",
    "sni": "behaviour: which certificate each hostname gets, where TLS terminates",
    "security": "behaviour: forged headers, PROXY abuse, TLS policy, redirect loops",
    "xdist_group(name): pytest-xdist group (one edge per topology per worker)": "",
}
BEHAVIOUR_MARKS = [b.value for b in Behaviour]
STATE = pytest.StashKey["State"]()


@dataclasses.dataclass
class State:
    topologies: dict[str, Topology]
    selected: list[str]
    matrix: Matrix


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("edgeconform", "edgeconform: ingress edge conformance")
    group.addoption("--target", default="local", choices=targets.NAMES,
                    help="where edges are built: local (loopback stand-ins, default), kind, eks")
    group.addoption("--topology", action="append", default=[], metavar="NAME",
                    help="run only this topology (repeatable); default: every catalog topology, or every "
                         "topology of the --topology-file files when given")
    group.addoption("--topology-file", action="append", default=[], metavar="FILE",
                    help="load topologies from FILE (catalog format; repeatable; same names override the catalog)")
    group.addoption("--converge-timeout", type=float, default=None, metavar="SECONDS",
                    help="override the target's convergence timeout")
    group.addoption("--converge-consecutive", type=int, default=None, metavar="N",
                    help="override how many consecutive matching observations make a verdict")
    group.addoption("--no-matrix", action="store_true", help="do not print the topology x behaviour matrix")
    group.addoption("--report", default=None, metavar="DIR",
                    help="write the run's conformance report to DIR: report.json, report.md, report.html")
    # real-cluster targets (kind)
    group.addoption("--controller", default=None, choices=CONTROLLERS,
                    help="ingress controller on the kind and eks targets: emissary (default) or ingress-nginx")
    group.addoption("--keep-cluster", action="store_true",
                    help="kind target: leave the cluster for the next run (it is reused when its config matches)")
    group.addoption("--cluster-name", default=None, metavar="NAME",
                    help="kind target: the cluster's name (default: edgeconform)")


def pytest_configure(config: pytest.Config) -> None:
    for name, doc in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {doc}" if doc else name)
    files = config.getoption("topology_file", default=[]) or []
    try:
        users = catalog.load(files, include_default=False)
        topologies = {**catalog.load(), **users}  # a user's entry overrides the catalog's of the same name
        from_files = list(users)
    except catalog.TopologyError as exc:
        raise pytest.UsageError(f"edgeconform: {exc}") from None
    wanted = config.getoption("topology", default=[]) or from_files or list(topologies)
    unknown = [name for name in wanted if name not in topologies]
    if unknown:
        raise pytest.UsageError(f"edgeconform: unknown topology {unknown}; known: {', '.join(topologies)}")
    selected = list(dict.fromkeys(wanted))
    matrix = Matrix(selected, config.getoption("target", default="local"), show=not config.getoption("no_matrix", default=False),
                    catalog=topologies, report_dir=_report_dir(config))
    config.stash[STATE] = State(topologies, selected, matrix)
    config.pluginmanager.register(matrix, "edgeconform-matrix")


def _report_dir(config: pytest.Config) -> Path | None:
    """--report DIR, checked before any edge is built so a bad path costs nothing."""
    value = config.getoption("report", default=None)
    if not value:
        return None
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise pytest.UsageError(f"edgeconform: --report {value}: is a file; give a directory "
                                "(it is created if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise pytest.UsageError(f"edgeconform: --report {value}: cannot create the directory: {exc.strerror}") from None
    return path


def _state(config: pytest.Config) -> State:
    return config.stash[STATE]


def pytest_report_header(config: pytest.Config) -> str:
    state = _state(config)
    target = config.getoption("target")
    if target == "kind":
        target += f" ({config.getoption('controller') or 'emissary'})"
    return f"edgeconform: target {target}, topologies: {', '.join(state.selected)}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "topology" not in metafunc.fixturenames:
        return
    state = _state(metafunc.config)
    params = []
    for name in state.selected:
        marks = [getattr(pytest.mark, family) for family in state.topologies[name].families()]
        params.append(pytest.param(name, marks=[*marks, pytest.mark.xdist_group(name)], id=name))
    metafunc.parametrize("topology", params, indirect=True, scope="session")


def cell_of(item: pytest.Item) -> tuple[str | None, str]:
    """(behaviour, variant) of a suite test, from its behaviour marker and its ``scheme`` (websocket) or
    ``check`` (security) parameter."""
    behaviour = next((m.name for m in item.iter_markers() if m.name in BEHAVIOUR_MARKS), None)
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec else {}
    variant = str(params.get("scheme", params.get("check", "")))
    return behaviour, variant


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state(config)
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "topology" not in callspec.params:
            continue
        t = state.topologies[callspec.params["topology"]]
        behaviour, variant = cell_of(item)
        item.user_properties += [("topology", t.name), ("target", config.getoption("target"))]
        if behaviour is None or "expectation" not in getattr(item, "fixturenames", ()):
            continue  # a test that judges without a derived expectation (e.g. the eks node-port check)
        expectation = expectations.lookup(t, behaviour, variant)
        item.user_properties += [("behaviour", behaviour), ("variant", variant),
                                 ("expected", expectation.outcome), ("expectation", expectation.describe()),
                                 ("sources", " ".join(expectation.sources))]
        if expectation.outcome == "limited" and behaviour not in t.requires:
            item.add_marker(pytest.mark.xfail(strict=True, raises=LimitedObserved,
                                              reason=f"limited: {expectation.reason}"))


# --- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def topology(request: pytest.FixtureRequest) -> Topology:
    return _state(request.config).topologies[request.param]


@pytest.fixture(scope="session")
def edge_target(request: pytest.FixtureRequest) -> targets.Target:
    try:
        return targets.get(request.config.getoption("target"), request.config)
    except targets.TargetUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def edge(request: pytest.FixtureRequest, topology: Topology, edge_target: targets.Target):
    """The topology built on the selected target, shared by every test of that topology in this session."""
    try:
        built = edge_target.build(topology)
    except targets.TargetUnavailable as exc:
        pytest.skip(str(exc))
    except (AddressBusy, MissingBinary, targets.BuildFailed) as exc:
        pytest.fail(f"edgeconform could not build {topology.name}: {exc}", pytrace=False)
    overrides = {k: v for k, v in {"timeout": request.config.getoption("converge_timeout"),
                                   "consecutive": request.config.getoption("converge_consecutive")}.items() if v}
    if overrides:
        built.converge = dataclasses.replace(built.converge, name=f"{built.converge.name}+cli", **overrides)
    yield built
    built.close()


@pytest.fixture
def expectation(request: pytest.FixtureRequest, topology: Topology) -> Expectation:
    behaviour, variant = cell_of(request.node)
    if behaviour is None:
        raise pytest.UsageError(f"{request.node.nodeid} asks for an expectation but has no behaviour marker "
                                f"({', '.join(BEHAVIOUR_MARKS)})")
    return expectations.lookup(topology, behaviour, variant)


class Conformance:
    """The one call a suite test makes: probe the edge and turn the observation into a verdict."""

    def __init__(self, edge: Edge, expectation: Expectation, node: pytest.Item):
        self.edge, self.expectation, self.node = edge, expectation, node

    def check(self, probe: Callable[[Edge], Any]) -> verdicts.Verdict:
        from . import verdicts  # the probes and their HTTP stack load only when a check runs

        exp = self.expectation
        if exp.outcome == "n/a":
            pytest.skip(f"not applicable to {self.edge.name}: {exp.reason}")
        for key in (exp.cell, str(exp.behaviour)):  # a whole behaviour, or one variant ("websocket[ws]")
            if key in self.edge.unsupported:
                pytest.skip(self.edge.unsupported[key])
        try:
            verdict = verdicts.check_or_raise(self.edge, exp, probe)
        except Unmeasurable as exc:
            pytest.skip(f"cannot be measured here: {exc}")
        m = verdict.measurement
        self.node.user_properties += [("verdict", verdict.kind), ("message", verdict.message)]
        if m is not None:
            self.node.user_properties += [("observation", verdicts.describe(m.observation)), ("attempts", m.attempts),
                                          ("seconds", round(m.seconds, 3))]
        if verdict.kind == "fail":
            pytest.fail(verdict.message, pytrace=False)
        if verdict.kind == "limited":
            raise LimitedObserved(verdict.message)
        return verdict


@pytest.fixture
def conformance(request: pytest.FixtureRequest, edge: Edge, expectation: Expectation) -> Conformance:
    if edge.controller_name:
        request.node.user_properties += [("controller", edge.controller_name),
                                         ("controller_version", edge.controller_version or "")]
    return Conformance(edge, expectation, request.node)


# --- reporting -----------------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    _record_verdict(item, report)
    edge = getattr(item, "funcargs", {}).get("edge")
    if report.failed and isinstance(edge, Edge):
        for name, log in edge.logs().items():
            report.sections.append((f"edge log: {name}", log))
    return report


def _record_verdict(item: pytest.Item, report: pytest.TestReport) -> None:
    """A verdict property for cells that never reached a verdict (setup error, skip, a broken test), so JUnit
    XML (written from the teardown report's properties) carries one for every cell."""
    props = dict(item.user_properties)
    if "behaviour" not in props or "verdict" in props:
        return
    verdict = verdict_of(report, props)
    if verdict:
        item.user_properties.append(("verdict", verdict))
        report.user_properties.append(("verdict", verdict))
