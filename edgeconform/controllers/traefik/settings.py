"""Traefik's vocabulary: its settings as a user writes them, and both directions to the abstract trust model.

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

Both directions (docs/controllers/traefik.md has the table): ``abstract`` derives the trust model the rules read
from these settings; ``native`` writes a block given in abstract terms as these settings. Documented semantics that differ from the generic controller:
a PROXY header is optional (never required), trust is by the sender's address (no hop count) and Traefik draws no
client from X-Forwarded-For, and redirect codes follow the method (permanent: 301 for GET, 308 otherwise).

What the backend learns (edgeconform.headers): Traefik's headers cannot carry variables, so it cannot state the
client it concluded in x-edgeconform-client. Its own statement of the client is X-Real-Ip (the TCP peer after the
PROXY header, or the value a trusted forwarder passed on): the echo backend reads that as the client. It states
no TCP peer, no SNI name and no TLS version; a headers middleware per entry point states the port, and on TLS
routers that TLS ended at Traefik.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from ...topology import Topology
from ..base import Semantics, SettingsError

VPC = "10.0.0.0/16"  # the VPC's network in edgeconform's namespaces: what "trust the load balancer" becomes
REDIRECT_MIDDLEWARE = "redirect-to-https"
TLS_VERSIONS = {"TLSv1.0": "VersionTLS10", "TLSv1.1": "VersionTLS11", "TLSv1.2": "VersionTLS12",
                "TLSv1.3": "VersionTLS13"}
ABSTRACT_TLS = {value: key for key, value in TLS_VERSIONS.items()}

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


def listener_port(t: Topology, kind: str) -> int | None:
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
                                f"{listener_port(t, 'redirect')} lands, the port that only redirects (the NGX-AWS "
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
    return t.controller.kind == "traefik" and bool(t.controller.settings)


def settings_of(t: Topology) -> TraefikSettings:
    return TraefikSettings.model_validate(t.controller.settings) if written_natively(t) else native(t)


def tls_options(settings: TraefikSettings) -> dict[str, dict[str, Any]]:
    options = {name: option.model_dump(exclude_none=True) for name, option in settings.tls.options.items()}
    options.setdefault("default", TLSOptions().model_dump(exclude_none=True))
    return options


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
        out += [f"tls.options.{name}: {json.dumps(option)}" for name, option in tls_options(settings_of(t)).items()]
    return [f"({how})", *out] if out else []
