"""``traefik``: Traefik v3, the real binary with its file provider on the local target, its Helm chart on kind.

A topology's controller block may be written in Traefik's own terms (``kind: traefik`` plus ``settings``), the
settings that decide the four behaviours exactly as a user writes them: the entry points of the static
configuration (in the Helm chart: ``ports.<name>.*``), and the dynamic configuration's redirectScheme middlewares
and TLS options. Unknown keys are refused with the field.

    controller:
      kind: traefik
      settings:
        entryPoints:
          web:
            proxyProtocol: {trustedIPs: [10.0.0.0/16]}          # or {insecure: true}
            forwardedHeaders: {trustedIPs: [10.0.0.0/16]}       # or {insecure: true}
            http:
              redirections: {entryPoint: {to: websecure, scheme: https, permanent: true}}
              middlewares: [redirect-to-https]                  # defined under http.middlewares
          websecure:
            http: {tls: {options: default}}
        http:
          middlewares:
            redirect-to-https: {redirectScheme: {scheme: https, port: "443", permanent: true}}
        tls:
          options:
            default: {minVersion: VersionTLS12}

Entry points are named as the Helm chart's Service names its ports: the one the load balancer's cleartext
listener (port 80) lands on is ``web``, the one its HTTPS listener (443) lands on is ``websecure``; when both land
on one port, it is ``web``. 10.0.0.0/16 is the VPC in edgeconform's network namespaces (the load balancer
10.0.1.17, kube-proxy's node 10.0.2.11).

Both directions (docs/controllers/traefik.md has the table): ``to_abstract`` derives the trust model the rules
read from these settings; ``to_native`` writes a block given in abstract terms as these settings. ``limits`` names
what a topology asks that Traefik cannot express. Documented semantics that differ from the generic controller:
a PROXY header is optional (never required), trust is by the sender's address (no hop count) and Traefik draws no
client from X-Forwarded-For, and redirect codes follow the method (permanent: 301 for GET, 308 otherwise).

What the backend learns (edgeconform.headers): Traefik's headers cannot carry variables, so it cannot state the
client it concluded in x-edgeconform-client. Its own statement of the client is X-Real-Ip (the TCP peer after the
PROXY header, or the value a trusted forwarder passed on): the echo backend reads that as the client. It states
no TCP peer, no SNI name and no TLS version; a headers middleware per entry point states the port, and on TLS
routers that TLS ended at Traefik.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from .. import binaries, headers
from ..binaries import Program
from ..kube import manifests
from ..render import render
from ..supervisor import Connect, Process, ProcessFailed, all_of, http_get, tcp_open
from ..topology import Topology
from .base import (Controller, ControllerPlan, EdgeFacts, Limit, LocalController, LocalPlace, Semantics, SettingsError,
                   service_ports, versions)

VPC = "10.0.0.0/16"  # the VPC's network in edgeconform's namespaces: what "trust the load balancer" becomes
ADMIN_ENTRYPOINT = "traefik"  # ping and the API, on the controller's admin port
REDIRECT_MIDDLEWARE = "redirect-to-https"
TLS_VERSIONS = {"TLSv1.0": "VersionTLS10", "TLSv1.1": "VersionTLS11", "TLSv1.2": "VersionTLS12",
                "TLSv1.3": "VersionTLS13"}
ABSTRACT_TLS = {value: key for key, value in TLS_VERSIONS.items()}
# what TLS routers state (Traefik cannot put the version in a header; the router only matches TLS connections)
TLS_STATED = "TLS (Traefik states no version)"
STATIC, DYNAMIC = "traefik-static.yaml", "traefik-dynamic.yaml"

SEMANTICS = Semantics(
    redirect_default=301,  # entryPoints.<name>.http.redirections.entryPoint.permanent defaults to true
    proxy_protocol="optional",  # "can accept connections with or without PROXY protocol headers"
    host_sni="route",  # 421 only when the Host's and the SNI name's TLS options differ
    redirect_for_get={308: 301, 307: 302},  # permanent: 301 for GET, 308 otherwise; temporary: 302 / 307
    forwarded_trust="addresses",
    client_from_xff=False,
    sources={"redirect_default": ("TRAEFIK-OPTS",), "proxy_protocol": ("TRAEFIK-EP",),
             "host_sni": ("TRAEFIK-DOMFRONT",), "redirect": ("TRAEFIK-MW-CRD", "TRAEFIK-RS"),
             "forwarded_trust": ("TRAEFIK-EP",), "client": ("TRAEFIK-HDR", "TRAEFIK-FH")})


# --- its own vocabulary ------------------------------------------------------------------------------------------
class _Native(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _networks(values: list[str]) -> list[str]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or CIDR") from None
    return values


class ProxyProtocol(_Native):
    """entryPoints.<name>.proxyProtocol: whose PROXY header is used (a header is read from anyone, and optional)."""

    trustedIPs: list[str] = []
    insecure: bool = False

    @field_validator("trustedIPs")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return _networks(value)

    @property
    def enabled(self) -> bool:
        return self.insecure or bool(self.trustedIPs)


class ForwardedHeaders(_Native):
    """entryPoints.<name>.forwardedHeaders: whose X-Forwarded-* (and X-Real-Ip) are kept."""

    trustedIPs: list[str] = []
    insecure: bool = False
    connection: list[str] = []

    @field_validator("trustedIPs")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return _networks(value)

    def trusted(self) -> list[str]:
        return ["0.0.0.0/0", "::/0"] if self.insecure else list(self.trustedIPs)


class RedirectEntryPoint(_Native):
    """entryPoints.<name>.http.redirections.entryPoint. Defaults as Traefik sets them (SetDefaults, and the
    configuration-options reference): scheme https, permanent true."""

    to: str
    scheme: str = "https"
    permanent: bool = True
    priority: int | None = None


class Redirections(_Native):
    entryPoint: RedirectEntryPoint


class EntryPointTLS(_Native):
    options: str = ""


class EntryPointHTTP(_Native):
    redirections: Redirections | None = None
    middlewares: list[str] = []  # names under http.middlewares (a provider suffix like @file is ignored)
    tls: EntryPointTLS | None = None


class EntryPoint(_Native):
    address: str | None = None  # accepted as written; the harness binds the edge's own address and port
    proxyProtocol: ProxyProtocol | None = None
    forwardedHeaders: ForwardedHeaders | None = None
    http: EntryPointHTTP = EntryPointHTTP()


class RedirectScheme(_Native):
    """http.middlewares.<name>.redirectScheme: redirects when the request's scheme (X-Forwarded-Proto from a trusted
    forwarder, else the connection's) differs; permanent defaults to false."""

    scheme: Literal["https", "http"]
    port: str = ""
    permanent: bool = False


class Middleware(_Native):
    redirectScheme: RedirectScheme


class HTTPConfig(_Native):
    middlewares: dict[str, Middleware] = {}


TlsVersion = Literal["VersionTLS10", "VersionTLS11", "VersionTLS12", "VersionTLS13"]


class TLSOptions(_Native):
    minVersion: TlsVersion = "VersionTLS12"  # Traefik's default options
    maxVersion: TlsVersion | None = None


class TLSConfig(_Native):
    options: dict[str, TLSOptions] = {}


class TraefikSettings(_Native):
    """Traefik's settings that decide the four behaviours: entry points (static), middlewares and TLS options."""

    entryPoints: dict[str, EntryPoint] = {}
    http: HTTPConfig = HTTPConfig()
    tls: TLSConfig = TLSConfig()

    def entry_point(self, name: str) -> EntryPoint:
        return self.entryPoints.get(name) or EntryPoint()

    def middleware(self, reference: str) -> Middleware | None:
        return self.http.middlewares.get(reference.split("@", 1)[0])

    def dump(self) -> dict[str, Any]:
        return self.model_dump(exclude_defaults=True)


def entry_points(t: Topology) -> dict[str, str]:
    """Entry point name -> the controller port kind the load balancer's listeners land on, named as the Helm
    chart's Service names its ports: the cleartext listener's (80) ``web``, the HTTPS listener's (443)
    ``websecure``; a port both land on is ``web``. Any other port kind gets ``web-<kind>``."""
    names: dict[str, str] = {}
    plain, secure = t.http_listener, t.https_listener
    if plain is not None:
        names["web"] = plain.target
    if secure is not None and secure.target not in names.values():
        names["websecure"] = secure.target
    for kind in t.controller_kinds:
        if kind not in names.values():
            names[f"web-{kind}"] = kind
    return names


def _listener_port(t: Topology, kind: str) -> int | None:
    return next((item.port for item in t.lb.listeners if item.target == kind), None)


def _redirect_of(settings: TraefikSettings, name: str) -> tuple[str, bool] | None:
    """How the entry point redirects cleartext, if it does: (the setting's path, permanent)."""
    ep = settings.entry_point(name)
    if ep.http.redirections is not None:
        target = ep.http.redirections.entryPoint
        if target.scheme != "https":
            raise SettingsError(f"entryPoints.{name}.http.redirections.entryPoint.scheme",
                                f"edgeconform measures redirects to https; {target.scheme!r} is not one")
        return f"entryPoints.{name}.http.redirections.entryPoint.permanent", target.permanent
    for i, reference in enumerate(ep.http.middlewares):
        middleware = settings.middleware(reference)
        if middleware is None:
            raise SettingsError(f"entryPoints.{name}.http.middlewares.{i}",
                                f"{reference!r} is not defined under http.middlewares")
        if middleware.redirectScheme.scheme != "https":
            raise SettingsError(f"http.middlewares.{reference.split('@')[0]}.redirectScheme.scheme",
                                "edgeconform measures redirects to https")
        return f"http.middlewares.{reference.split('@')[0]}.redirectScheme.permanent", middleware.redirectScheme.permanent
    return None


def abstract(settings: TraefikSettings, t: Topology) -> dict[str, Any]:
    """The trust model (edgeconform.topology.TRUST_FIELDS) Traefik's settings amount to for ``t``."""
    eps = entry_points(t)
    for name in settings.entryPoints:
        if name not in eps:
            raise SettingsError(f"entryPoints.{name}", f"the load balancer's listeners land on {', '.join(eps)} (named "
                                f"as the Traefik Helm chart's Service ports: 80 on web, 443 on websecure); {name} would "
                                "receive nothing")
    names = list(eps)
    proxy = {name: bool(settings.entry_point(name).proxyProtocol and settings.entry_point(name).proxyProtocol.enabled)
             for name in names}
    if len(set(proxy.values())) > 1:
        off = next(name for name, on in proxy.items() if not on)
        raise SettingsError(f"entryPoints.{off}.proxyProtocol", f"the load balancer sends PROXY to every port of the "
                            f"controller or to none: set proxyProtocol on {' and '.join(names)} alike")
    trust = {name: (settings.entry_point(name).forwardedHeaders or ForwardedHeaders()).trusted() for name in names}
    if len({tuple(sorted(v)) for v in trust.values()}) > 1:
        raise SettingsError(f"entryPoints.{names[-1]}.forwardedHeaders", f"trust the same forwarders on "
                            f"{' and '.join(names)}: edgeconform's trust model is one per controller")
    kinds = {kind: name for name, kind in eps.items()}
    redirects = {}
    out: dict[str, Any] = {"proxy_protocol": any(proxy.values()), "trusted_hops": 0,
                           "trusted_cidrs": trust[names[0]] if names else [], "host_sni_mismatch": "route"}
    if "http" in kinds:
        found = _redirect_of(settings, kinds["http"])
        out["cleartext"] = "redirect" if found else "serve"
        if found:
            redirects[found[0]] = found[1]
    if "redirect" in kinds:
        found = _redirect_of(settings, kinds["redirect"])
        if found is None:
            name = kinds["redirect"]
            raise SettingsError(f"entryPoints.{name}.http.redirections", f"{name} is where the load balancer's port "
                                f"{_listener_port(t, 'redirect')} lands, the port that only redirects (the NGX-AWS "
                                "port split): give it http.redirections.entryPoint")
        redirects[found[0]] = found[1]
    if len(set(redirects.values())) > 1:
        raise SettingsError(list(redirects)[-1], f"{' and '.join(redirects)} disagree: edgeconform's model has one "
                            "redirect code per controller")
    if redirects:
        out["redirect_code"] = 301 if next(iter(redirects.values())) else 302  # the code a GET gets
    if "https" in kinds:
        ep_tls = settings.entry_point(kinds["https"]).http.tls
        option = (ep_tls.options if ep_tls else "") or "default"
        if option not in settings.tls.options and option != "default":
            raise SettingsError(f"entryPoints.{kinds['https']}.http.tls.options",
                                f"TLS options {option!r} are not defined under tls.options")
        out["tls_min_version"] = ABSTRACT_TLS[settings.tls.options.get(option, TLSOptions()).minVersion]
    return out


def native(t: Topology) -> TraefikSettings:
    """An abstract controller block written as Traefik's settings (the table in docs/controllers/traefik.md)."""
    ctl = t.controller
    eps = entry_points(t)
    proxy = ProxyProtocol(trustedIPs=[VPC]) if ctl.proxy_protocol else None
    cidrs = list(ctl.trusted_cidrs) or ([VPC] if ctl.trusted_hops > 0 else [])
    forwarded = ForwardedHeaders(trustedIPs=cidrs) if cidrs else None
    permanent = ctl.redirect_code in (301, 308)
    to = "websecure" if "websecure" in eps else ":443"
    middlewares: dict[str, Middleware] = {}
    entries: dict[str, EntryPoint] = {}
    for name, kind in eps.items():
        http: dict[str, Any] = {}
        if kind == "redirect" or (kind == "http" and ctl.cleartext == "redirect"):
            if kind == "http" and t.layer == "l7":
                # the port also serves what the load balancer's HTTPS listener forwards: redirect by the trusted
                # X-Forwarded-Proto and serve the rest (an entry point redirection would answer those 418)
                middlewares[REDIRECT_MIDDLEWARE] = Middleware(redirectScheme=RedirectScheme(
                    scheme="https", port="443", permanent=permanent))
                http["middlewares"] = [REDIRECT_MIDDLEWARE]
            else:
                http["redirections"] = Redirections(entryPoint=RedirectEntryPoint(to=to, permanent=permanent))
        entries[name] = EntryPoint(proxyProtocol=proxy, forwardedHeaders=forwarded, http=EntryPointHTTP(**http))
    options = {"default": TLSOptions(minVersion=TLS_VERSIONS[ctl.tls_min_version])} \
        if t.tls_terminates_at == "controller" else {}
    return TraefikSettings(entryPoints=entries, http=HTTPConfig(middlewares=middlewares),
                           tls=TLSConfig(options=options))


def written_natively(t: Topology) -> bool:
    return t.controller.kind == Traefik.name and bool(t.controller.settings)


def settings_of(t: Topology) -> TraefikSettings:
    return TraefikSettings.model_validate(t.controller.settings) if written_natively(t) else native(t)


# --- the controller ----------------------------------------------------------------------------------------------
# Built by ./dev tools from tools/traefik/go.mod; `traefik version` says "Version:      v3.6.12"
PROGRAM = Program("traefik", "EDGECONFORM_TRAEFIK", ("version",), r"^\s*Version:\s*v?(\S+)",
                  go_module="github.com/traefik/traefik/v3")
NAMESPACE = "traefik"
RELEASE = "traefik"
CONTAINER_PORTS = {"http": 8000, "https": 8443, "redirect": 8081}


class Traefik(Controller):
    name: ClassVar[str] = "traefik"
    title: ClassVar[str] = "Traefik"
    runs_on: ClassVar[tuple[str, ...]] = ("local", "cluster")
    program = PROGRAM
    settings_model = TraefikSettings
    semantics = SEMANTICS
    reports = frozenset({"client", "tls", "port"})
    client_header = "x-real-ip"  # Traefik's own statement of the client (no variables in its headers)
    resource_kinds = (("traefik.io/v1alpha1", "IngressRoute"), ("traefik.io/v1alpha1", "Middleware"),
                      ("traefik.io/v1alpha1", "TLSOption"), ("traefik.io/v1alpha1", "TLSStore"))
    tools = ("helm",)
    namespace = NAMESPACE
    pod_selector = {"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": f"{RELEASE}-{NAMESPACE}"}
    container_ports = CONTAINER_PORTS

    def version(self) -> str | None:
        """The local binary's (./dev tools, EDGECONFORM_TRAEFIK); without one, the release the Helm chart pinned in
        clusters/kind/versions.yaml runs (the same version: tests/targets/kind/test_kind_traefik.py)."""
        try:
            return binaries.version(PROGRAM)
        except binaries.MissingBinary:
            return str(versions()["controllers"]["traefik"]["app_version"]).lstrip("v")

    @classmethod
    def to_abstract(cls, settings: TraefikSettings, t: Topology) -> dict[str, Any]:  # type: ignore[override]
        return abstract(settings, t)

    def to_native(self, t: Topology) -> TraefikSettings:
        return settings_of(t)

    def limits(self, t: Topology) -> list[Limit]:
        return limits(t)

    def deciding(self, t: Topology, behaviour: str, variant: str = "") -> list[str]:
        return deciding(t, f"{behaviour}[{variant}]" if variant else behaviour)

    # --- local target --------------------------------------------------------------------------------------------
    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        settings = settings_of(t)
        eps = entry_points(t)
        static = render_static(t, settings, place, eps)
        dynamic = render_dynamic(t, settings, place, eps)
        admin = f"http://{place.ip}:{place.admin_port}"
        routers = [router["name"] for router in _routers(t, settings, eps)]
        ready = all_of(routers_enabled(f"{admin}/api/http/routers", routers),
                       *(tcp_open(place.ip, place.ports[kind]) for kind in eps.values()))
        env = {key: value for key, value in os.environ.items() if not key.startswith("TRAEFIK_")}
        process = Process("controller (traefik)", [binaries.find(PROGRAM), f"--configFile={place.workdir / STATIC}"],
                          ready, {STATIC: static, DYNAMIC: dynamic}, env=env)
        return LocalController([process], unsupported={**unsupported(t), **_fallback_notes(t, settings, place)})

    # --- clusters (kind: Helm chart, then per topology an upgrade with its entry points and the CRD resources) ----
    def install(self, api, run, kubeconfig: str) -> None:
        from ..kube.timeouts import CONTROLLER_INSTALL, CONTROLLER_READY

        run(install_command(kubeconfig, CONTROLLER_INSTALL.seconds, str(base_values_file())), CONTROLLER_INSTALL)
        api.wait(CONTROLLER_READY, "Traefik becoming ready", api.pods_ready(NAMESPACE, self.pod_selector))

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        settings = settings_of(t)
        eps = entry_points(t)
        at_controller = t.tls_terminates_at == "controller"
        secrets = [manifests.tls_secret(manifests.secret_name(name), manifests.NAMESPACE, cert, t.name)
                   for name, cert in facts.certificates.items()] if at_controller else []
        objects = manifests.render("traefik/edge.yaml.j2", namespace=manifests.NAMESPACE, labels=manifests.labels(t.name),
                                   routers=_routers(t, settings, eps), middlewares=_middlewares(t, settings, eps),
                                   tls_options=_tls_options(settings), default_cert=_default_secret(t),
                                   secrets=[secret["metadata"]["name"] for secret in secrets],
                                   backend={"service": manifests.ECHO_SERVICE, "port": manifests.ECHO_PORT})
        service = manifests.edge_service(NAMESPACE, self.pod_selector, t.kubernetes.external_traffic_policy,
                                         service_ports(t, CONTAINER_PORTS), t.name)
        values = helm_values(t, settings, facts)
        note = ("Traefik's entry points are static configuration of its installation: on a cluster edgeconform did "
                "not install, the release must already run with these Helm values (kind applies them itself): "
                + json.dumps(values, sort_keys=True))
        return ControllerPlan(self.name, [*secrets, *objects, *service],
                              {kind: CONTAINER_PORTS[kind] for kind in t.controller_kinds},
                              {"values": values, "native": settings.dump()}, unsupported=unsupported(t), notes=[note])

    def configure(self, api, run, kubeconfig: str, plan: ControllerPlan, workdir: Path) -> None:
        """Traefik's entry points are static configuration: an upgrade of the release with the topology's values
        (a rolling restart), then its routes, middlewares and TLS resources."""
        from ..kube.timeouts import CONTROLLER_INSTALL, CONTROLLER_READY

        values = workdir / "traefik-values.yaml"
        values.write_text(yaml.safe_dump(plan.settings["values"], sort_keys=False))
        run(install_command(kubeconfig, CONTROLLER_INSTALL.seconds, str(base_values_file()), str(values)),
            CONTROLLER_INSTALL)
        api.wait(CONTROLLER_READY, "Traefik becoming ready with the topology's entry points",
                 api.pods_ready(NAMESPACE, self.pod_selector))
        api.apply(plan.manifests)


# --- limits ------------------------------------------------------------------------------------------------------
def limits(t: Topology) -> list[Limit]:
    """What ``t`` asks that Traefik cannot express, or that Traefik's trust brings along."""
    found: list[Limit] = []
    ctl = t.controller
    settings = settings_of(t)
    if not written_natively(t):
        translated = t.model_copy(update={"controller": ctl.model_copy(update=abstract(settings, t))})
        if not ctl.trusted_cidrs and translated.forwarded_hops != ctl.trusted_hops:
            cidrs = ", ".join(translated.controller.trusted_cidrs) or "none"
            found.append(Limit("controller.trusted_hops", (
                f"Traefik trusts forwarders by their address (forwardedHeaders.trustedIPs), not by a hop count, and "
                f"concludes no client from X-Forwarded-For: trusted_hops {ctl.trusted_hops} becomes trustedIPs "
                f"[{cidrs}], which trusts {translated.forwarded_hops} hop(s) on this edge (a cluster migrated with "
                "Traefik's ingress-nginx provider loses use-forwarded-headers the same way: it reads annotations, not "
                "the ConfigMap)"), ("TRAEFIK-EP", "TRAEFIK-NGINX", "traefik#12588"), "TRAEFIK_CANNOT_EXPRESS",
                ("client_ip", "security[forged-client]", "security[forged-proto]")))
        at_controller = t.redirect_intended and not t.lb.ssl_redirect
        got = SEMANTICS.get_redirect_code(ctl.redirect_code)
        if at_controller and got != ctl.redirect_code:
            found.append(Limit("controller.redirect_code", (
                f"Traefik's redirect is permanent or temporary and its code follows the method: permanent gives 301 to "
                f"GET and 308 to other methods, temporary 302 and 307; {ctl.redirect_code} for GET cannot be "
                f"configured, so a GET gets {got}"), ("TRAEFIK-MW-CRD", "TRAEFIK-OPTS"), "TRAEFIK_CANNOT_EXPRESS",
                REDIRECT_CELLS))
        if t.tls_terminates_at == "controller" and ctl.host_sni_mismatch == "misdirected":
            found.append(Limit("controller.host_sni_mismatch", HOST_SNI_REASON, ("TRAEFIK-DOMFRONT", "TRAEFIK-TLSOPT"),
                               "TRAEFIK_CANNOT_EXPRESS", ("security[host-sni]",)))
    if t.forwarded_hops > 0:
        found.append(Limit("controller.settings.entryPoints.forwardedHeaders", (
            "Traefik keeps the X-Real-Ip header a trusted forwarder passes on (it sets X-Real-Ip only when the request "
            "has none), and an AWS load balancer passes the client's own: X-Real-Ip, one of the two headers Traefik "
            "documents for the client's address, then carries what the client wrote. Remove it with a headers "
            "middleware (customRequestHeaders X-Real-Ip: \"\") and read the client from X-Forwarded-For"),
            ("TRAEFIK-FH", "TRAEFIK-HDR"), "TRAEFIK_KEEPS_REAL_IP", ("security[forged-client]",)))
    return found


REDIRECT_CELLS = ("redirect", "websocket[ws]", "security[forged-proto]", "security[redirect-loop]")
HOST_SNI_REASON = ("Traefik answers 421 Misdirected Request only when the TLS options of the Host and of the SNI name "
                   "differ; edgeconform gives every host the same options, so a Host that differs from the SNI name is "
                   "routed by Host (set controller.host_sni_mismatch: route in a topology file to measure that)")


def unsupported(t: Topology) -> dict[str, str]:
    if t.tls_terminates_at == "controller" and t.controller.host_sni_mismatch == "misdirected":
        return {"security[host-sni]": HOST_SNI_REASON}
    return {}


# What decides each cell, among Traefik's settings: entry point keys ("http": redirections and middlewares), and
# whether the middlewares' and TLS options' definitions matter.
_TRUST = ("proxyProtocol", "forwardedHeaders")
_DECIDES: dict[str, tuple[tuple[str, ...], bool, bool]] = {
    "client_ip": (_TRUST, False, False),
    "redirect": (("forwardedHeaders", "http"), True, False),
    "websocket[ws]": (("forwardedHeaders", "http"), True, False),
    "websocket[wss]": (("proxyProtocol",), False, False),
    "sni": ((), False, True),
    "security[forged-client]": (_TRUST, False, False),
    "security[forged-proto]": (("forwardedHeaders", "http"), True, False),
    "security[proxy-required]": (("proxyProtocol",), False, False),
    "security[proxy-local]": (("proxyProtocol",), False, False),
    "security[proxy-forged]": (("proxyProtocol",), False, False),
    "security[tls-versions]": ((), False, True),
    "security[default-cert]": ((), False, True),
    "security[host-sni]": ((), False, True),
    "security[redirect-loop]": (("forwardedHeaders", "http"), True, False),
    "security[hostile-input]": (("proxyProtocol",), False, False),
}


def deciding(t: Topology, cell: str) -> list[str]:
    """Traefik's settings that decide ``cell`` on ``t``, as written or as translated from the abstract block."""
    keys, middlewares, tls = _DECIDES.get(cell, (_TRUST, True, True))
    dumped = settings_of(t).dump()
    how = "as written" if written_natively(t) else "translated from the abstract block"
    out = []
    for name in entry_points(t):
        ep = dumped.get("entryPoints", {}).get(name, {})
        for key in keys:
            value = {k: v for k, v in (ep.get(key) or {}).items() if k != "tls"} if key == "http" else ep.get(key)
            out.append(f"entryPoints.{name}.{key}: {json.dumps(value) if value else '(not set: Traefik default)'}")
    if middlewares:
        out += [f"http.middlewares.{name}: {json.dumps(mw)}" for name, mw in dumped.get("http", {}).get("middlewares", {}).items()]
    if tls:
        out += [f"tls.options.{name}: {json.dumps(option)}" for name, option in _tls_options(settings_of(t)).items()]
    return [f"({how})", *out] if out else []


def _fallback_notes(t: Topology, settings: TraefikSettings, place: LocalPlace) -> dict[str, str]:
    """On the loopback fallback clients reach HTTPS on port 8443, not 443. A redirectScheme middleware compares the
    request's URL, port included, with the one it would redirect to: a WebSocket client names 8443 in Host (an HTTP
    probe, like a client of port 443, names none), so wss:// is redirected there and would not be Traefik's doing
    on AWS. That cell is not measured on the fallback; in a network namespace the ports are AWS's own."""
    if place.https_port is None or not any(settings.middleware(m) for ep in settings.entryPoints.values()
                                           for m in ep.http.middlewares):
        return {}
    return {"websocket[wss]": (
        f"on the loopback fallback the HTTPS listener is port {place.https_port}, which the WebSocket client names in "
        "Host; Traefik's redirectScheme compares that port with its own and redirects, which it would not do behind "
        "an AWS load balancer on 443 (run where a network namespace can be made to measure it)")}


# --- rendering: the local target's static and dynamic configuration --------------------------------------------
def at_place(cidrs: list[str], place: LocalPlace) -> list[str]:
    """Trusted networks as written for the edge's place. In a network namespace the VPC's addresses are real and
    the networks stand as written; on the loopback fallback a private network that holds the namespace's load
    balancer or node stands for the place's own load balancer and node."""
    peers = [*place.lb_addresses, *place.node_addresses]
    if not peers or not ipaddress.ip_address(place.ip).is_loopback:
        return list(cidrs)
    out: list[str] = []
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr, strict=False)
        if net.prefixlen and net.is_private and not net.is_loopback and \
                any(ipaddress.ip_address(a) in net for a in ("10.0.1.17", "10.0.2.11")):
            out += [f"{address}/32" for address in peers]
        else:
            out.append(cidr)
    return list(dict.fromkeys(out))


def _redirect_target(t: Topology, to: str, https_port: int | None) -> str:
    """``to`` as the Helm chart renders it: an entry point's name becomes its public port (exposedPort); the
    topology's public HTTPS port becomes the port clients reach it on at this place."""
    public = str(t.https_listener.port if t.https_listener else 443)
    if re.fullmatch(r":\d+", to) and to[1:] != public:
        return to
    return f":{https_port or 443}"


def _static_entry(t: Topology, ep: dict[str, Any], place: LocalPlace, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"address": f"{place.ip}:{place.ports[kind]}",
                           "transport": {"respondingTimeouts": {"idleTimeout": f"{place.idle_timeout + 5}s"},
                                         "lifeCycle": {"graceTimeOut": "0s"}}}
    for key in ("proxyProtocol", "forwardedHeaders"):
        block = copy.deepcopy(ep.get(key))
        if block and block.get("trustedIPs"):
            block["trustedIPs"] = at_place(block["trustedIPs"], place)
        if block:
            out[key] = block
    http = copy.deepcopy(ep.get("http") or {})
    http.pop("tls", None)  # TLS is the routers' (render_dynamic)
    target = (http.get("redirections") or {}).get("entryPoint")
    if target:
        target["to"] = _redirect_target(t, target["to"], place.https_port)
        target.setdefault("scheme", "https")
        target.setdefault("permanent", True)  # written out: Traefik's default, whatever the docs table says
    if http.get("middlewares"):
        http["middlewares"] = [f"{name.split('@')[0]}@file" for name in http["middlewares"]]
    if http:
        out["http"] = http
    return out


def render_static(t: Topology, settings: TraefikSettings, place: LocalPlace, eps: dict[str, str]) -> str:
    dumped = settings.dump().get("entryPoints", {})
    entries = {name: _static_entry(t, dumped.get(name, {}), place, kind) for name, kind in eps.items()}
    return render("traefik/static.yaml.j2", topology=t.name, ip=place.ip, admin_port=place.admin_port,
                  admin=ADMIN_ENTRYPOINT, entry_points=entries, dynamic=str(place.workdir / DYNAMIC))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "any"


def _routers(t: Topology, settings: TraefikSettings, eps: dict[str, str]) -> list[dict[str, Any]]:
    """One router per hostname (Host rule) and a catch-all per entry point, each through the entry point's
    conclusion middleware to the echo backend; TLS on the https port."""
    out = []
    for name, kind in eps.items():
        ep_tls = settings.entry_point(name).http.tls
        tls = {"options": ep_tls.options} if kind == "https" and ep_tls and ep_tls.options else ({} if kind == "https" else None)
        rules = [(f"{name}-{_slug(host)}", f"Host(`{host}`)", 0) for host in t.hostnames]
        rules.append((f"{name}-any", "PathPrefix(`/`)", 1))
        for router, rule, priority in rules:
            out.append({"name": router, "rule": rule, "entry_point": name, "kind": kind, "priority": priority,
                        "tls": tls, "middleware": f"edgeconform-{kind}"})
    return out


def _middlewares(t: Topology, settings: TraefikSettings, eps: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The settings' middlewares, and per port kind the headers that state what Traefik can state."""
    out = {name: mw.model_dump(exclude_defaults=False, exclude_none=True)
           for name, mw in settings.http.middlewares.items()}
    for kind in dict.fromkeys(eps.values()):
        stated = {headers.PORT: kind, headers.TLS: TLS_STATED if kind == "https" else "",
                  headers.CLIENT: "", headers.PEER: "", headers.SNI: ""}  # "": removed, so no client can forge one
        out[f"edgeconform-{kind}"] = {"headers": {"customRequestHeaders": stated}}
    return out


def _tls_options(settings: TraefikSettings) -> dict[str, dict[str, Any]]:
    options = {name: option.model_dump(exclude_none=True) for name, option in settings.tls.options.items()}
    options.setdefault("default", TLSOptions().model_dump(exclude_none=True))
    return options


def _default_secret(t: Topology) -> str | None:
    if t.tls_terminates_at != "controller" or not t.controller.certificates:
        return None
    return manifests.secret_name(t.controller.certificates[0])


def render_dynamic(t: Topology, settings: TraefikSettings, place: LocalPlace, eps: dict[str, str]) -> str:
    # A redirectScheme middleware stays as written: it compares the request's URL (whose Host carries no port, as
    # clients of port 443 send it, also from the probes on the loopback fallback) with the one it would redirect
    # to, so rendering the fallback's own port there would redirect every HTTPS request again.
    middlewares = _middlewares(t, settings, eps)
    certificates = [place.certificates[name] for name in t.controller.certificates] \
        if t.tls_terminates_at == "controller" else []
    return render("traefik/dynamic.yaml.j2", topology=t.name, routers=_routers(t, settings, eps),
                  middlewares=middlewares, tls_options=_tls_options(settings), certificates=certificates,
                  backend=f"http://{place.backend[0]}:{place.backend[1]}")


def routers_enabled(url: str, names: list[str]) -> Any:
    """Ready when Traefik's API lists every router of the file provider as enabled; a router Traefik refused
    (a bad rule, missing TLS options) is one error naming it, at once."""
    def check(connect: Connect) -> bool:
        status, body = http_get(connect, url)
        if status != 200:
            return False
        seen = {item["name"]: item for item in json.loads(body)}
        broken = {name: seen[f"{name}@file"].get("error") for name in names
                  if seen.get(f"{name}@file", {}).get("status") == "disabled"}
        if broken:
            raise ProcessFailed(f"controller (traefik) refused routers of its configuration: {broken}")
        return all(seen.get(f"{name}@file", {}).get("status") == "enabled" for name in names)
    return check


# --- kind: Helm values and commands ------------------------------------------------------------------------------
def base_values_file() -> Path:
    from .. import assets

    return assets.path("clusters/manifests/traefik/values.yaml")


def install_command(kubeconfig: str, timeout: float, *values: str) -> list[str]:
    """The helm command line that installs (or upgrades) Traefik's chart, with the values files in order."""
    pins = versions()["controllers"]["traefik"]
    return ["helm", "upgrade", "--install", RELEASE, pins["chart"], "--version", str(pins["version"]),
            "--namespace", NAMESPACE, "--create-namespace", *(arg for path in values for arg in ("--values", path)),
            "--kubeconfig", kubeconfig, "--wait", "--timeout", f"{int(timeout)}s"]


def _cluster_cidrs(cidrs: list[str], facts: EdgeFacts) -> list[str]:
    """On a cluster the VPC is the network the load balancer and the nodes connect from: a private network as
    written becomes their addresses (0.0.0.0/0 and other networks stay)."""
    out: list[str] = []
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr, strict=False)
        if net.prefixlen and net.is_private and any(ipaddress.ip_address(a) in net for a in ("10.0.1.17", "10.0.2.11")):
            out += [a if "/" in a else f"{a}/32" for a in (*facts.lb_addresses, *facts.node_addresses)]
        else:
            out.append(cidr)
    return list(dict.fromkeys(out))


def helm_values(t: Topology, settings: TraefikSettings, facts: EdgeFacts) -> dict[str, Any]:
    """The chart's values for ``t``'s entry points (ports.<name>.*): the same settings the local target renders.
    Redirections name an entry point (the chart renders it as that port's exposedPort)."""
    dumped = settings.dump().get("entryPoints", {})
    ports: dict[str, Any] = {}
    for name, kind in entry_points(t).items():
        ep = copy.deepcopy(dumped.get(name, {}))
        ep.pop("address", None)
        port: dict[str, Any] = {"port": CONTAINER_PORTS[kind], "exposedPort": _listener_port(t, kind) or
                                CONTAINER_PORTS[kind], "expose": {"default": False}, "protocol": "TCP"}
        for key in ("proxyProtocol", "forwardedHeaders"):
            if ep.get(key):
                block = ep[key]
                if block.get("trustedIPs"):
                    block["trustedIPs"] = _cluster_cidrs(block["trustedIPs"], facts)
                port[key] = block
        http = ep.get("http") or {}
        target = (http.get("redirections") or {}).get("entryPoint")
        if target:
            if target["to"].startswith(":"):
                target["to"] = "websecure"  # the chart takes an entry point name and renders :exposedPort
            http["redirections"]["entryPoint"] = {"scheme": "https", "permanent": True, **target}
        if http.get("middlewares"):
            http["middlewares"] = [f"{manifests.NAMESPACE}-{m.split('@')[0]}@kubernetescrd" for m in http["middlewares"]]
        http.pop("tls", None)
        http["tls"] = {"enabled": kind == "https"}
        port["http"] = http
        ports[name] = port
    if "websecure" not in ports:  # the chart's own websecure port stays, unexposed, as a redirection target
        ports["websecure"] = {"port": CONTAINER_PORTS["https"], "exposedPort": 443, "expose": {"default": False}}
    return {"ports": ports}
