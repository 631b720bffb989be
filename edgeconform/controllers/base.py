"""What an ingress controller plug-in is: where it runs, what it creates, and how it is configured for a topology.

A controller is one class with class-level facts (name, title, the targets it runs on, the Kubernetes kinds it
creates per topology, the tools its install needs) and the methods of the targets it supports:

- where it runs (``runs_on``): ``local``, as processes next to the stand-ins (the local target): ``local(t, place)``
  returns them, configured from the topology's controller block; ``cluster``, installed in a Kubernetes cluster
  (kind, eks, or a cluster target another package adds): ``install`` once per cluster, ``translate`` per
  topology into its own resources.

Teardown on kind and the EKS sweep delete exactly ``resource_kinds`` (plus the Secrets and Services every
controller gets), so another controller's objects never survive into the next topology.

Its own vocabulary: a topology's controller block may be written in the controller's terms (``kind`` and
``settings``, see edgeconform.topology.Controller). ``settings_model`` checks them (unknown keys are refused with
the field), ``to_abstract`` derives the trust model the expectation rules read, and ``to_native`` goes the other
way for a block written in abstract terms. ``semantics`` states what the controller documentably does where
controllers differ (its default redirect code, whether PROXY is required or merely accepted), each with its
source; the rules take it into account. ``limits`` names, at load time, what a topology asks that the controller
cannot express (a finding with its source), so the suites then show what really happens.

What the registry derives from it (edgeconform.controllers): ``program`` (the binary ./dev tools builds for it),
``importer()`` (how ``edgeconform import`` recognises it), ``finding_codes`` (its limits' codes, among
edgeconform.findings.CODES) and ``advice`` (how compare says its settings). A built-in controller is a package whose
``__init__`` holds the class and whose modules hold the rest (docs/extending.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import yaml
from pydantic import BaseModel

from .. import certs, headers
from ..binaries import Program
from ..kube.manifests import versions
from ..supervisor import Connect, Process
from ..topology import Topology

if TYPE_CHECKING:
    from ..importing.common import Importer

CONTROLLER_KINDS = ("http", "https", "redirect")
NODE_PORTS = {"http": 30080, "https": 30443, "redirect": 30081}  # the edge Service's fixed NodePorts
PUBLIC_PORTS = {"http": 80, "https": 443, "redirect": 81}  # the edge Service's own ports
# What every controller gets per topology on a cluster, besides its own kinds.
COMMON_KINDS = (("v1", "Secret"), ("v1", "Service"))
# The finding code of a limit that names none of the controller's own (Controller.finding_codes)
CONTROLLER_LIMIT = "CONTROLLER_LIMIT"


class Unsupported(Exception):
    """The controller cannot run on this target (the message says where it can)."""


class SettingsError(ValueError):
    """A controller's own settings that it cannot take; ``field`` is the path under ``controller.settings``."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Semantics:
    """What a controller documentably does where controllers differ; ``sources`` cites each fact."""

    redirect_default: int  # the cleartext redirect's code when the settings name none
    proxy_protocol: Literal["required", "optional"]  # a PROXY listener refuses, or serves, a connection without one
    # its answer to a Host that differs from the SNI name: 421 (by default, or by a setting), or "route" (it has no 421)
    host_sni: Literal["misdirected", "route"]
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # fact -> source keys
    # The code a GET gets where the controller's redirect codes depend on the method: asked code -> GET's code
    # (Traefik: a permanent redirect is 301 for GET and 308 otherwise). Missing: every method gets the code asked.
    redirect_for_get: Mapping[int, int] = field(default_factory=dict)
    # Whose X-Forwarded-* it trusts: a number of hops, or senders by address (networks)
    forwarded_trust: Literal["hops", "addresses"] = "hops"
    # Whether it concludes the client from X-Forwarded-For (False: it states its TCP peer and passes the list on)
    client_from_xff: bool = True
    # Whether it reads an X-Forwarded-For entry with a port (ip:port, [ipv6]:port, an ALB's xff_client_port) as that
    # address (nginx's realip module does); False: such an entry is not an address to it
    xff_port_parsed: bool = False

    # A PROXY header whose destination port is 443 means the client spoke TLS to the load balancer, so a request on
    # the http port is not redirected (ingress-nginx's Lua); otherwise only the connection itself says so.
    https_by_proxy_port: bool = False
    # No controller: the load balancer sends straight to the application (controller ``none``). Nothing between them
    # concludes a client, redirects or answers; the rules state what arrives at the application (the TCP peer, the
    # raw X-Forwarded-* headers, a PROXY header), and what it trusts of that is its own business.
    straight_to_app: bool = False
    # Further documented facts its translation and rules follow (fact -> words; each cited in ``sources``).
    notes: Mapping[str, str] = field(default_factory=dict)

    def get_redirect_code(self, asked: int) -> int:
        """The code a GET request gets from a redirect configured (in abstract terms) with ``asked``."""
        return self.redirect_for_get.get(asked, asked)


# edgeconform's own generic controller (a hand-configured Envoy): what the abstract controller block means.
GENERIC = Semantics(redirect_default=308, proxy_protocol="required", host_sni="misdirected",
                    sources={"redirect_default": ("NGX-CM",), "proxy_protocol": ("ENVOY-PP",),
                             "host_sni": ("CONTOUR-421",)})


@dataclass(frozen=True)
class Upstream:
    """The project a controller plug-in runs, as a Gateway API ConformanceReport names its implementation
    (edgeconform.report.conformance): the organization, the project, where it lives, whom to contact."""

    organization: str
    project: str
    url: str
    contact: tuple[str, ...]


@dataclass(frozen=True)
class Limit:
    """Something a topology asks that the controller cannot express: shown at load time, with its source, as the
    finding ``code`` (CONTROLLER_LIMIT, or one of the controller's ``finding_codes``)."""

    field: str  # the controller block's field (or cell) it concerns
    message: str
    sources: tuple[str, ...]
    code: str = CONTROLLER_LIMIT
    # the cells whose failure it can explain: a behaviour (every variant of it) or one cell ("websocket[ws]");
    # none: any cell
    cells: tuple[str, ...] = ()
    everywhere: bool = False  # explains a failure of any cell (it breaks the whole edge)


@dataclass(frozen=True)
class EdgeFacts:
    """What the cluster side needs to know about the edge in front of it."""

    lb_addresses: tuple[str, ...]  # where the load balancer connects from (trusted for PROXY / X-Forwarded-*)
    certificates: dict[str, certs.IssuedCert]  # the controller's certificates by name (default first)
    node_addresses: tuple[str, ...] = ()  # where kube-proxy's SNAT makes traffic come from (the cluster's nodes)
    # an image of the echo backend that carries its dependency (websockets), where no registry or PyPI is reachable
    # (the kind target on the images ./dev kind-images builds); None: the stock Python image, with an init container
    # installing websockets
    echo_image: str | None = None


@dataclass
class ControllerPlan:
    """One topology translated for one controller on a cluster."""

    controller: str
    manifests: list[dict[str, Any]]
    container_ports: dict[str, int]  # controller port kind -> the pod's port
    settings: dict[str, Any]  # the controller-specific settings, for reports and the translation tests
    unsupported: dict[str, str] = field(default_factory=dict)  # behaviour (or cell) -> why it cannot be measured
    notes: list[str] = field(default_factory=list)  # what a cluster the harness did not install must already have


@dataclass(frozen=True)
class LocalPlace:
    """Where the local target puts the controller: its address and ports, the backend, and what clients see."""

    ip: str
    ports: dict[str, int]  # controller port kind (http/https/redirect) -> port
    admin_port: int
    backend: tuple[str, int]  # the echo backend
    https_port: int | None  # the https port clients use in a redirect's Location; None: the default, 443
    idle_timeout: int  # the load balancer's, which the controller's keep-alive must exceed
    certificates: dict[str, certs.IssuedCert]  # the controller's certificates by name (default first)
    workdir: Path
    # Who connects to the controller at this place: the load balancer and kube-proxy's node (the VPC's addresses)
    lb_addresses: tuple[str, ...] = ()
    node_addresses: tuple[str, ...] = ()
    # The VPC those addresses are in (no client's is): what a private network in a controller's trusted networks
    # stands for here, whatever network a topology's own settings name (ingress-nginx's proxy-real-ip-cidr).
    vpc: tuple[str, ...] = ()
    isolated: bool = False  # a network namespace of the edge's own: nothing else listens there
    standby: Any = None  # the controller's process started here ahead of the topology (Controller.standby), if any


@dataclass
class LocalController:
    """The controller's processes on the local target, and what probes may read from it."""

    processes: list[Process]
    admin_url: str | None = None  # an Envoy admin endpoint (PROXY-protocol counters), where there is one
    unsupported: dict[str, str] = field(default_factory=dict)
    version: str | None = None  # what reports name as its version here, when it is not ``Controller.version()``
    # What a failing test gets besides the processes' logs (name -> text), read through the edge's connect
    # function: a controller's status, the configuration it produced.
    diagnostics: Callable[[Connect], dict[str, str]] | None = None
    takes_over: Process | None = None  # of ``processes``: the one already running as the place's standby
    # Its processes are the backend itself (controller ``none``: the echo plays the application at the place's
    # address and ports), so the target starts no echo backend of its own.
    is_backend: bool = False


class Controller:
    """Base class of the controller plug-ins (edgeconform.controllers lists them)."""

    name: ClassVar[str]
    title: ClassVar[str]  # in reports: "Envoy (generic controller)", "Emissary-ingress"
    runs_on: ClassVar[tuple[str, ...]]  # "local" (processes on this machine), "cluster" (installed in Kubernetes)
    not_on: ClassVar[dict[str, str]] = {}  # targets of those places it is not built for -> why
    resource_kinds: ClassVar[tuple[tuple[str, str], ...]] = ()  # (apiVersion, kind) it creates per topology
    tools: ClassVar[tuple[str, ...]] = ()  # command-line tools its cluster install needs (helm)
    binaries: ClassVar[tuple[str, ...]] = ()  # programs its local processes run (edgeconform.binaries names)
    program: ClassVar[Program | None] = None  # its own program, built by ./dev tools (controllers.tools() lists them)
    # The finding codes its ``limits`` use besides CONTROLLER_LIMIT, each with the settings that resolve it in
    # compare's advice ({}: the limit's own message says what to change). edgeconform.findings.CODES has them.
    finding_codes: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    # its own vocabulary (None: the abstract controller block is all it takes) and documented semantics
    settings_model: ClassVar[type[BaseModel] | None] = None
    semantics: ClassVar[Semantics] = GENERIC
    # What it tells the backend about each request (edgeconform.headers): the client it concluded, its TCP peer,
    # the TLS version and SNI name it saw, the port. A controller that cannot state one leaves it out, and the
    # behaviours then do not judge what only that report could show (client_ip: how the address arrived).
    reports: ClassVar[frozenset[str]] = frozenset({"client", "peer", "tls", "sni", "port"})
    # The request header in which it states the client it concluded (the echo backend reports it as "client"):
    # edgeconform's own, set from the controller's variables, or one the controller sets itself (Traefik: X-Real-Ip).
    client_header: ClassVar[str] = headers.CLIENT
    # the project it runs, as conformance reports name it (None: reports say "unknown")
    upstream: ClassVar[Upstream | None] = None
    # how compare's hints say a setting in its terms: field -> {say, fix, why, sources} (edgeconform.compare.advice;
    # a built-in package keeps them in its advice.yaml: ``package_advice``)
    advice: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    # The trust model's fields it fixes, whatever a topology's block says (TRUST_FIELDS -> value): a controller that
    # is not there (``none``) trusts, redirects and expects nothing, so writing them is an error (edgeconform.catalog)
    fixed_trust: ClassVar[Mapping[str, Any]] = {}
    # Whether it is an installation of its own on a cluster (install): a cluster target then runs it only where
    # it is the run's --controller. False: nothing to install, so any run can build a topology that names it.
    installs: ClassVar[bool] = True
    # cluster targets
    namespace: ClassVar[str] = ""
    pod_selector: ClassVar[dict[str, str]] = {}
    container_ports: ClassVar[dict[str, int]] = {}

    def version(self) -> str | None:
        """The version that runs (local: the binary's; clusters: the pinned release)."""
        return None

    @classmethod
    def importer(cls) -> Importer | None:
        """How ``edgeconform import`` recognises it among manifests and reads its objects (its package's
        importer.py, imported only when asked for); None: it is not recognised."""
        return None

    @classmethod
    def to_abstract(cls, settings: BaseModel, t: Topology) -> dict[str, Any]:
        """The trust model (edgeconform.topology.TRUST_FIELDS) its own settings amount to; SettingsError for a
        value it cannot take."""
        raise SettingsError("", f"{cls.name} has no settings of its own: write the abstract controller block")

    def to_native(self, t: Topology) -> BaseModel | None:
        """Its own settings for ``t``: as written (``kind`` + ``settings``), else translated from the abstract block."""
        if self.settings_model is None:
            return None
        if t.controller.kind == self.name and t.controller.settings is not None:
            return self.settings_model.model_validate(t.controller.settings)
        raise NotImplementedError(f"{self.name}: translating the abstract controller block is not written yet")

    def limits(self, t: Topology) -> list[Limit]:
        """What ``t`` asks that this controller cannot express (load-time findings)."""
        return []

    def deciding(self, t: Topology, behaviour: str, variant: str = "") -> list[str]:
        """Its own settings that decide one cell on ``t`` ("entryPoints.web.proxyProtocol: {...}"), named in a
        failure so that a controller behaving unlike its documentation is told with the setting it ignored."""
        return []

    @classmethod
    def semantics_for(cls, t: Topology) -> Semantics:
        """Its documented semantics as ``t`` sets it up (a setting may make PROXY optional); ``semantics`` here."""
        return cls.semantics

    def local_unavailable(self, isolated: bool = True) -> str | None:
        """Why it cannot run as local processes on this machine (a skip reason naming the fix), or None.
        ``isolated``: each edge gets a network namespace of its own (False: the loopback fallback). By default: a
        program of ``binaries``, or the controller's own ``program`` (built by ./dev tools), that cannot be found or
        does not answer."""
        from .. import binaries

        for name in (*self.binaries, *([self.program] if self.program else [])):
            try:
                binaries.version(name)
            except binaries.MissingBinary as exc:
                return str(exc)
        return None

    def standby(self, place: LocalPlace) -> Process | None:
        """The slow part of its start-up, begun in an edge's place before the topology is known (the local target
        starts it in the next edge's namespace while the current edge is probed). local() then finds it running
        as ``place.standby`` and takes it over (LocalController.takes_over). None: nothing starts early."""
        return None

    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        raise Unsupported(f"{self.name} does not run as local processes; it runs on: {', '.join(self.runs_on)}")

    def install(self, api, run, kubeconfig: str, assets: Path | None = None) -> None:
        """Install on a cluster (kind). ``assets``: where no registry is reachable, the charts and manifests
        `./dev kind-images` prepared from the controller's module (None: its published chart)."""
        raise Unsupported(f"{self.name} does not install on a cluster; it runs on: {', '.join(self.runs_on)}")

    def configure(self, api, run, kubeconfig: str, plan: ControllerPlan, workdir: Path,
                  assets: Path | None = None) -> None:
        """Put one topology's plan in place on a cluster the harness installed the controller on (kind): its
        manifests. A controller whose settings live in its installation (Traefik's entry points) also upgrades it."""
        api.apply(plan.manifests)

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        raise Unsupported(f"{self.name} has no cluster resources; it runs on: {', '.join(self.runs_on)}")


def package_advice(module_file: str) -> dict[str, Any]:
    """A built-in controller package's compare vocabulary: the advice.yaml beside ``module_file``."""
    return yaml.safe_load((Path(module_file).parent / "advice.yaml").read_text(encoding="utf-8")) or {}


def service_ports(t: Topology, container_ports: dict[str, int]) -> list[dict[str, Any]]:
    return [{"name": kind, "port": PUBLIC_PORTS[kind], "target_port": container_ports[kind],
             "node_port": NODE_PORTS[kind]} for kind in t.controller_kinds]


def redirect_code_note(controller: str, fixed: int, t: Topology) -> dict[str, str]:
    """A controller whose cleartext redirect code is fixed cannot show another one the topology asks for."""
    at_controller = t.redirect_intended and not t.lb.ssl_redirect
    if not at_controller or t.controller.redirect_code == fixed:
        return {}
    reason = (f"{controller} answers its cleartext redirect with {fixed} and has no setting for the code; "
              f"{t.name} asks for {t.controller.redirect_code} (set controller.redirect_code: {fixed} in a "
              "topology file to measure the redirect on this controller)")
    return {"redirect": reason, "websocket[ws]": reason}


def host_sni_note(controller: str, t: Topology) -> dict[str, str]:
    """edgeconform does not configure a real controller's answer to a Host that differs from the SNI name, so a
    topology asking for 421 (controller.host_sni_mismatch: misdirected) cannot be measured on it."""
    if t.tls_terminates_at != "controller" or t.controller.host_sni_mismatch != "misdirected":
        return {}
    return {"security[host-sni]": (
        f"edgeconform does not set up {controller}'s answer to a Host that differs from the SNI name; {t.name} asks "
        "for 421 Misdirected Request (set controller.host_sni_mismatch: route in a topology file to measure "
        "routing by Host on this controller)")}


__all__ = ["COMMON_KINDS", "CONTROLLER_KINDS", "CONTROLLER_LIMIT", "GENERIC", "Controller", "ControllerPlan", "EdgeFacts", "Limit",
           "LocalController", "LocalPlace", "NODE_PORTS", "PUBLIC_PORTS", "Semantics", "SettingsError", "Unsupported",
           "Upstream",
           "host_sni_note", "package_advice", "redirect_code_note", "service_ports", "versions"]
