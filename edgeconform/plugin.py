"""The pytest plugin (the ``pytest11`` entry point): options, markers, fixtures and the matrix. It is the only
pytest-facing module (with hookspecs.py); everything it calls is plain library code.

Suites ask for ``conformance`` (or ``edge``/``expectation``); the plugin parametrizes them over the selected
topologies, builds one edge per topology per session on the chosen target, marks limited cells as strict xfail,
attaches the edge's process logs to failures, turns each test phase's outcome into a verdict (``verdict_of``; an
edge that could not be built is ``EdgeNotBuilt``: its results say ``error: build``), and prints the topology x
behaviour matrix. What the markers,
columns and options are comes from the registries: edgeconform.behaviours, edgeconform.load_balancers,
edgeconform.controllers, and the targets (built in, or added through ``pytest_edgeconform_add_targets``).
"""

from __future__ import annotations

import dataclasses
import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import behaviours, catalog, controllers, hookspecs, load_balancers, targets
from .behaviours import Expectation
from .binaries import MissingBinary
from .edge import Edge
from .outcomes import LimitedObserved, Unmeasurable
from .report.collect import Collector, render
from .supervisor import ProcessFailed
from .targets import TargetRegistry, TargetSpec
from .targets import builtin as builtin_targets
from .targets.local.addresses import AddressBusy
from .topology import Topology

if TYPE_CHECKING:
    from . import verdicts

LAYER_MARKERS = {"l4": "load balancers with L4 listeners (TCP/TLS/SSL)",
                 "l7": "load balancers with L7 listeners (HTTP/HTTPS)"}
STATE = pytest.StashKey["State"]()
REGISTRY = pytest.StashKey[TargetRegistry]()


@dataclasses.dataclass
class State:
    topologies: dict[str, Topology]
    selected: list[str]
    spec: TargetSpec
    controller: str
    collector: Collector
    target: targets.Target | None = None
    unavailable: str = ""  # why the target cannot run here: its tests skip with this
    report_dir: Path | None = None
    show_matrix: bool = True
    written: list[Path] = dataclasses.field(default_factory=list)
    previous_sigterm: Any = None


# --- options and targets ---------------------------------------------------------------------------------------
def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    group = parser.getgroup("edgeconform", "edgeconform: ingress edge conformance")
    group.addoption("--target", default="local", metavar="NAME",
                    help="where edges are built: local (real proxies on this machine, the default), kind, eks, or a "
                         "target another package adds")
    group.addoption("--controller", default=None, choices=controllers.names(),
                    help="the ingress controller (default: the target's own; local: envoy, kind and eks: emissary)")
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

    def add_target_options(spec: TargetSpec) -> None:
        target_group = parser.getgroup(f"edgeconform-{spec.name}", f"edgeconform: the {spec.name} target")
        for option in spec.options:
            target_group.addoption(option.flag, **option.argparse_kwargs())

    registry = TargetRegistry(on_add=add_target_options)
    pluginmanager._edgeconform_targets = registry  # type: ignore[attr-defined]  # read back in pytest_configure
    pluginmanager.hook.pytest_edgeconform_add_targets.call_historic(kwargs={"targets": registry})


def pytest_edgeconform_add_targets(targets: TargetRegistry) -> None:
    for spec in builtin_targets():
        targets.add(spec)


# --- configuration ---------------------------------------------------------------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): pytest-xdist group (one edge per topology per worker)")
    config.addinivalue_line("markers", "target_only(name): runs on that target only (deselected on the others)")
    for model in load_balancers.MODELS.values():
        config.addinivalue_line("markers", f"{model.name}: {model.marker}")
    for name, doc in LAYER_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {doc}")
    for behaviour in behaviours.REGISTRY.values():
        config.addinivalue_line("markers", f"{behaviour.name}: {behaviour.description}")

    registry: TargetRegistry = config.pluginmanager._edgeconform_targets  # type: ignore[attr-defined]
    try:
        spec = registry.get(config.getoption("target"))
    except targets.TargetUsageError as exc:
        raise pytest.UsageError(f"edgeconform: --target: {exc}") from None
    controller = config.getoption("controller") or spec.default_controller or controllers.for_place(spec.place)[0]
    cls = controllers.controller_class(controller)
    if spec.place not in cls.runs_on or spec.name in cls.not_on:
        why = f": {cls.not_on[spec.name]}" if spec.name in cls.not_on else f" ({spec.place})"
        raise pytest.UsageError(f"edgeconform: the {controller} controller does not run on the {spec.name} target"
                                f"{why}; choose one of {', '.join(controllers.for_place(spec.place, spec.name))}")
    if not spec.parallel and config.getoption("numprocesses", default=None):
        raise pytest.UsageError(f"edgeconform: the {spec.name} target builds one topology at a time (it reconfigures "
                                "the cluster's one ingress controller, whose settings are cluster-wide): drop -n")
    topologies, selected = _topologies(config)
    state = State(topologies, selected, spec, controller, Collector(selected, spec.name, catalog=topologies),
                  report_dir=_report_dir(config), show_matrix=not config.getoption("no_matrix"))
    options = {option.dest: config.getoption(option.dest) for option in spec.options}
    try:
        state.target = spec.target_class().from_options(options, controller)
    except targets.TargetUsageError as exc:
        raise pytest.UsageError(f"edgeconform: {exc}") from None
    except targets.TargetUnavailable as exc:
        state.unavailable = str(exc)
    # Each topology as this run builds it: with its own controller (a block written in a controller's terms names
    # it), else the run's; then as the target builds it (eks: renamed to the cluster's domain).
    bound = {name: controllers.bind(t, controller) for name, t in topologies.items()}
    if state.target is not None:
        bound = state.target.prepare(bound)
    state.topologies.update(bound)  # in place: the record reports these
    config.stash[STATE] = state
    config.pluginmanager.register(_Collect(state.collector), "edgeconform-collect")
    if threading.current_thread() is threading.main_thread():  # SIGTERM (a cancelled CI job) runs the teardowns
        state.previous_sigterm = signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum, frame):
    raise KeyboardInterrupt("SIGTERM: tearing down the edges")


def _topologies(config: pytest.Config) -> tuple[dict[str, Topology], list[str]]:
    try:
        users = catalog.load(config.getoption("topology_file"), include_default=False)
        topologies = {**catalog.load(), **users}  # a user's entry overrides the catalog's of the same name
    except catalog.TopologyError as exc:
        raise pytest.UsageError(f"edgeconform: {exc}") from None
    wanted = config.getoption("topology") or list(users) or list(topologies)
    unknown = [name for name in wanted if name not in topologies]
    if unknown:
        raise pytest.UsageError(f"edgeconform: unknown topology {unknown}; known: {', '.join(topologies)}")
    return topologies, list(dict.fromkeys(wanted))


def _report_dir(config: pytest.Config) -> Path | None:
    """--report DIR, checked before any edge is built so a bad path costs nothing."""
    value = config.getoption("report")
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


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    if state.target is not None:
        state.target.close()
    if state.previous_sigterm is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, state.previous_sigterm)


def pytest_report_header(config: pytest.Config) -> str:
    state = _state(config)
    where = state.target.header() if state.target else f"{state.spec.name} (unavailable: {state.unavailable})"
    return f"edgeconform: target {where or state.spec.name}"


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> str:  # noqa: ARG001
    """What will run, after -m / -k / --topology have selected (not every topology of the catalog)."""
    running = list(dict.fromkeys(name for item in items if (name := _topology_of(item))))
    return f"edgeconform: topologies: {', '.join(running)}" if running else ""


# --- collection ------------------------------------------------------------------------------------------------
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
    """(behaviour, variant) of a suite test: its behaviour marker, and its variant parameter (edgeconform.behaviours)."""
    behaviour = next((m.name for m in item.iter_markers() if m.name in behaviours.REGISTRY), None)
    if behaviour is None:
        return None, ""
    callspec = getattr(item, "callspec", None)
    return behaviour, behaviours.variant_of(behaviour, callspec.params if callspec else {})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state(config)
    elsewhere = [item for item in items if (m := item.get_closest_marker("target_only")) and m.args[0] != state.spec.name]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if item not in elsewhere]
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "topology" not in callspec.params:
            continue
        t = state.topologies[callspec.params["topology"]]
        behaviour, variant = cell_of(item)
        item.user_properties += [("topology", t.name), ("target", state.spec.name)]
        if behaviour is None or "expectation" not in getattr(item, "fixturenames", ()):
            continue  # a test that judges without a derived expectation (e.g. the eks node-port check)
        expectation = behaviours.expectation(t, behaviour, variant)
        item.user_properties += [("behaviour", behaviour), ("variant", variant),
                                 ("expected", expectation.outcome), ("expectation", expectation.describe()),
                                 ("sources", " ".join(expectation.sources))]
        if expectation.outcome == "limited" and behaviour not in t.requires:
            item.add_marker(pytest.mark.xfail(strict=True, raises=LimitedObserved,
                                              reason=f"limited: {expectation.reason}"))
    if state.target is not None:  # some topologies first (stable: each topology's tests stay together)
        first = {name for name in state.selected if state.target.runs_first(state.topologies[name])}
        if first:
            items.sort(key=lambda item: 0 if _topology_of(item) in first else 1)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tell the target which topologies the session will build, in test order (after -m / -k / deselection)."""
    state = session.config.stash.get(STATE, None)
    if state is None or state.target is None:
        return
    running = list(dict.fromkeys(name for item in session.items if (name := _topology_of(item))))
    state.target.will_build([state.topologies[name] for name in running])


def _topology_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("topology") if callspec else None


# --- fixtures --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def topology(request: pytest.FixtureRequest) -> Topology:
    return _state(request.config).topologies[request.param]


@pytest.fixture(scope="session")
def edge_target(request: pytest.FixtureRequest) -> targets.Target:
    state = _state(request.config)
    if state.target is None:
        pytest.skip(state.unavailable)
    return state.target


class EdgeNotBuilt(Exception):
    """A topology's edge could not be built (a missing binary, a port in use, a crashed process, a failed cluster
    step): every test of the topology errors with this message, and its results say ``error: build``."""

    def __init__(self, topology: str, cause: Exception):
        super().__init__(f"edgeconform could not build {topology}: {cause}")


@pytest.fixture(scope="session")
def edge(request: pytest.FixtureRequest, topology: Topology, edge_target: targets.Target):
    """The topology built on the selected target, shared by every test of that topology in this session."""
    failure = None
    try:
        built = edge_target.build(topology)
    except targets.TargetUnavailable as exc:
        pytest.skip(str(exc))
    except (AddressBusy, MissingBinary, ProcessFailed, targets.BuildFailed) as exc:
        failure = EdgeNotBuilt(topology.name, exc)
    if failure:  # outside the except: the message alone, not chained to the exception it explains
        raise failure
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
                                f"({', '.join(behaviours.NAMES)})")
    return behaviours.expectation(topology, behaviour, variant)


class Conformance:
    """The one call a suite test makes: probe the edge and turn the observation into a verdict."""

    def __init__(self, edge: Edge, expectation: Expectation, node: pytest.Item, target: targets.Target):
        self.edge, self.expectation, self.node, self.target = edge, expectation, node, target

    def check(self, probe: Callable[[Edge], Any] | None = None) -> verdicts.Judgement:
        """Measure the cell (with its own probe, or ``probe``) and judge it: pass, limited (xfail) or fail."""
        from . import verdicts  # the probes and their HTTP stack load only when a check runs

        exp = self.expectation
        if exp.outcome == "n/a":
            pytest.skip(f"not applicable to {self.edge.name}: {exp.reason}")
        depends_on = behaviours.get(exp.behaviour).cell(exp.variant).depends_on
        for key in (exp.cell, exp.behaviour, *depends_on):  # the cell, its behaviour, what it builds on
            if key in self.edge.unsupported:
                pytest.skip(self.edge.unsupported[key])
        problem = self.target.before_check(self.edge, exp.behaviour)
        if problem:
            pytest.fail(problem, pytrace=False)
        try:
            judgement = verdicts.check_or_raise(self.edge, exp, probe)
        except Unmeasurable as exc:
            pytest.skip(f"cannot be measured here: {exc}")
        m = judgement.measurement
        self.node.user_properties += [("verdict", judgement.verdict), ("message", judgement.message)]
        if judgement.facts:  # JSON: properties travel as strings (JUnit XML, pytest-xdist)
            self.node.user_properties.append(("facts", json.dumps(judgement.facts, sort_keys=True)))
        if m is not None:
            self.node.user_properties += [("observation", verdicts.describe(m.observation)), ("attempts", m.attempts),
                                          ("seconds", round(m.seconds, 3))]
        if judgement.verdict == "fail":
            pytest.fail(judgement.message, pytrace=False)
        if judgement.verdict == "limited":
            raise LimitedObserved(judgement.message)
        return judgement


@pytest.fixture
def conformance(request: pytest.FixtureRequest, edge: Edge, expectation: Expectation,
                edge_target: targets.Target) -> Conformance:
    if edge.controller.name:
        request.node.user_properties += [("controller", edge.controller.name),
                                         ("controller_version", edge.controller.version or "")]
    return Conformance(edge, expectation, request.node, edge_target)


# --- reporting -------------------------------------------------------------------------------------------------
def verdict_of(report: pytest.TestReport, props: dict) -> str | None:
    """The verdict one phase's report carries (None: this phase says nothing): a setup that failed is an error
    (the edge, or a fixture, broke before anything was measured), a skip in setup or call is a skip (n/a when the
    expectation says there is nothing to measure), a strict xfail is the documented limitation observed, a failed
    call is a failure when the check judged it (else the test broke: an error), a failed teardown an error."""
    if report.when == "setup":
        if report.failed:
            return "error"
        if report.skipped:
            return "n/a" if props.get("expected") == "n/a" else "skip"
        return None
    if report.when == "call":
        if report.skipped:
            if hasattr(report, "wasxfail"):
                return "limited"
            return "n/a" if props.get("expected") == "n/a" else "skip"
        if report.failed:
            return "fail" if props.get("verdict") == "fail" else "error"
        return "pass"
    return "error" if report.failed else None


def _said(report: pytest.TestReport) -> str:
    """What a phase said: a skip's reason, an xfail's reason, or a failure's text."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # skips: (path, line, "Skipped: reason")
        return str(longrepr[2]).removeprefix("Skipped: ")
    if getattr(report, "wasxfail", ""):
        return str(report.wasxfail)
    return report.longreprtext or ""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if call.excinfo is not None and isinstance(call.excinfo.value, EdgeNotBuilt):
        report.longrepr = str(call.excinfo.value)  # the cause, not the fixture's traceback
        for properties in (item.user_properties, report.user_properties):
            if ("error", "build") not in properties:
                properties.append(("error", "build"))
    _record_verdict(item, report)
    edge = getattr(item, "funcargs", {}).get("edge")
    if report.failed and isinstance(edge, Edge):
        for name, log in edge.lifecycle.logs().items():
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


class _Collect:
    """Every test report reaches the matrix, wherever reports arrive (the xdist controller included). Registered
    per session as its own plugin object: pytest_runtest_logreport is given no config to find the state in."""

    def __init__(self, collector: Collector):
        self.collector = collector

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        verdict = verdict_of(report, props)
        if verdict is not None:
            self.collector.add(report.nodeid, props, verdict, duration=report.duration, text=_said(report))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
    if hasattr(session.config, "workerinput") or state.collector.empty:
        return  # an xdist worker: the controller assembles the record
    state.collector.assemble([str(a) for a in session.config.invocation_params.args], int(exitstatus),
                             pytest.__version__)
    if state.report_dir is not None:
        from .report import write
        state.written = write(state.collector.report, state.report_dir)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if not state.collector.empty:
        if state.show_matrix:
            terminalreporter.write_sep("=", "edgeconform matrix")
            report = state.collector.report or state.collector.assemble()
            terminalreporter.write(render(report, terminalreporter._tw.fullwidth, terminalreporter.hasmarkup))
        if state.written:
            terminalreporter.write_line(f"edgeconform report: {', '.join(str(p) for p in state.written)}")
    for line in state.target.summary() if state.target is not None else []:
        terminalreporter.write_line(line)
