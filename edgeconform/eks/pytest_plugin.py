"""The eks target's part of the pytest plugin (entry point ``edgeconform-eks``): options, the run's order, the
client-IP rule at test time, and the time-to-ready report.

- Options: --kubeconfig, --context, --keep, --edge-url TOPOLOGY=URL, --acm-cert NAME=ARN, --client-ip,
  --eks-config FILE, --eks-timeout NAME=SECONDS, --eks-scheme, --eks-domain (the ingress controller is the
  shared --controller option).
- Without a cluster the eks target is skipped, saying exactly why (edgeconform.targets.eks.no_cluster_reason).
- Tests marked ``eks_only`` (the node-port bypass check) are deselected on every other target.
- Without --client-ip, L7 topologies run first: their load balancer tells the runner's address
  (edgeconform.eks.client); a client-IP check that still has no ground truth fails, saying so.
- SIGTERM (a CI job cancelled) becomes KeyboardInterrupt, so the fixtures' teardown removes the load balancers.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from . import settings as eks_settings
from .timeouts import NAMES as TIMEOUT_NAMES

SETTINGS = pytest.StashKey[eks_settings.EksSettings]()
SIGTERM = pytest.StashKey[object]()
TARGET = pytest.StashKey[object]()  # the session's EksTarget, once built (for the report)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("edgeconform-eks", "edgeconform: the eks target (a real cluster through a kubeconfig)")
    group.addoption("--kubeconfig", default=None, metavar="FILE",
                    help="eks target: the cluster (only this option or the config file; $KUBECONFIG is not used)")
    group.addoption("--context", default=None, metavar="NAME", help="eks target: the kubeconfig context")
    group.addoption("--keep", action="store_true",
                    help="eks target: keep the namespace, load balancers and controller settings after the run")
    group.addoption("--edge-url", action="append", default=[], metavar="TOPOLOGY=URL",
                    help="eks target: probe the existing load balancer at URL as TOPOLOGY, deploying nothing "
                         "(repeatable)")
    group.addoption("--acm-cert", action="append", default=[], metavar="NAME=ARN",
                    help="eks target: the ACM certificate ARN for a load-balancer certificate name (repeatable)")
    group.addoption("--client-ip", default=None, metavar="ADDR",
                    help="eks target: the runner's address as the internet sees it (client-IP ground truth)")
    group.addoption("--eks-config", default=None, metavar="FILE",
                    help="eks target: YAML settings (kubeconfig, certificates, domain, client_ip, timeouts, edges...)")
    group.addoption("--eks-timeout", action="append", default=[], metavar="NAME=SECONDS",
                    help=f"eks target: override one timeout of the aws profile ({', '.join(TIMEOUT_NAMES)})")
    group.addoption("--eks-scheme", default=None, choices=["internet-facing", "internal"],
                    help="eks target: load-balancer scheme (default internet-facing; internal when the runner is in "
                         "the VPC)")
    group.addoption("--eks-domain", default=None, metavar="DOMAIN",
                    help="eks target: replace edgeconform.test in hostnames and certificate names (your ACM domain)")


def settings_from_options(config: pytest.Config) -> eks_settings.EksSettings:
    option = config.getoption
    return eks_settings.load(
        option("eks_config"), kubeconfig=option("kubeconfig"), context=option("context"), keep=option("keep"),
        controller=option("controller", default=None), scheme=option("eks_scheme"), domain=option("eks_domain"),
        client_ip=option("client_ip"), acm_cert=option("acm_cert"), edge_url=option("edge_url"),
        timeout=option("eks_timeout"))


def settings_of(config: pytest.Config) -> eks_settings.EksSettings:
    return config.stash[SETTINGS]


def _is_eks(config: pytest.Config) -> bool:
    return config.getoption("target", default="local") == "eks"


@pytest.hookimpl(trylast=True)  # after the main plugin has loaded the catalog
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "eks_only: runs on the eks target only (deselected on the others)")
    if not _is_eks(config):
        return
    try:
        settings = settings_from_options(config)
        from .timeouts import Profile
        Profile(settings.timeouts)
    except (eks_settings.SettingsError, ValueError) as exc:
        raise pytest.UsageError(f"edgeconform: {exc}") from None
    if config.getoption("numprocesses", default=None):
        raise pytest.UsageError("edgeconform: the eks target builds one topology at a time (it reconfigures the "
                                "cluster's one ingress controller, whose settings are cluster-wide): drop -n")
    if settings.kubeconfig is not None and not Path(settings.kubeconfig).is_file():
        raise pytest.UsageError(f"edgeconform: --kubeconfig {settings.kubeconfig}: no such file")
    config.stash[SETTINGS] = settings
    _localize_catalog(config, settings)
    if hasattr(signal, "SIGTERM") and _main_thread():
        config.stash[SIGTERM] = signal.signal(signal.SIGTERM, _terminate)


def pytest_unconfigure(config: pytest.Config) -> None:
    previous = config.stash.get(SIGTERM, None)
    if previous is not None and _main_thread():
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


def _terminate(signum, frame):
    raise KeyboardInterrupt("SIGTERM: tearing down the eks edges")


def _main_thread() -> bool:
    import threading
    return threading.current_thread() is threading.main_thread()


def _localize_catalog(config: pytest.Config, settings: eks_settings.EksSettings) -> None:
    """With --eks-domain, the expectations speak of the cluster's names (the same topologies, renamed)."""
    if not settings.domain:
        return
    from ..plugin import STATE
    from .plan import localize

    state = config.stash[STATE]
    # in place: the run record (edgeconform.matrix) reports these same topology objects
    state.topologies.update({name: localize(t, settings) for name, t in state.topologies.items()})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _is_eks(config):
        deselected = [item for item in items if item.get_closest_marker("eks_only")]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if not item.get_closest_marker("eks_only")]
        return
    if settings_of(config).client_ip:
        return
    from ..plugin import STATE

    topologies = config.stash[STATE].topologies

    def teaches(item: pytest.Item) -> bool:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get("topology") if callspec else None
        t = topologies.get(name) if name else None
        return bool(t and t.layer == "l7" and t.xff_mode == "append")
    items.sort(key=lambda item: 0 if teaches(item) else 1)  # stable: each topology's tests stay together


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if _is_eks(item.config) and item.get_closest_marker("client_ip"):
        edge, target = item.funcargs.get("edge"), item.funcargs.get("edge_target")
        problem = target.client_ip_problem(edge) if edge is not None and hasattr(target, "client_ip_problem") else None
        if problem:
            pytest.fail(problem, pytrace=False)
    return (yield)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not _is_eks(config):
        return None
    s = settings_of(config)
    where = ", ".join(f"{name}={url}" for name, url in s.edges.items()) if s.edges else \
        f"kubeconfig {s.kubeconfig or '(none)'}{' context ' + s.context if s.context else ''}"
    client = s.client_ip or "learned through an L7 edge"
    return f"edgeconform eks: {where}; controller {s.controller}; scheme {s.scheme}; client IP {client}"


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    if not _is_eks(config):
        return
    from .report import summary

    for line in summary(config):
        terminalreporter.write_line(line)

