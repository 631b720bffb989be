"""Envoy Gateway's vocabulary: its settings as a user writes them in the cluster, and both directions to the
abstract trust model.

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
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ...topology import Topology
from ..base import Semantics, SettingsError

NAME = "envoy-gateway"
XFP_HTTP = {"headers": [{"name": "X-Forwarded-Proto", "value": "http"}]}  # the cleartext a redirect rule matches
TLS = {"1.0": "TLSv1.0", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3"}


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


def to_abstract(settings: BaseModel, t: Topology) -> dict[str, Any]:
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


def to_native(t: Topology) -> Settings:
    ctl = t.controller
    if ctl.kind == NAME and ctl.settings:
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


def semantics_for(t: Topology) -> Semantics:
    pp = settings_of(t).clientTrafficPolicy.proxyProtocol
    if pp is not None and pp.optional:
        return dataclasses.replace(SEMANTICS, proxy_protocol="optional")
    return SEMANTICS


def describe(t: Topology, cell: str) -> str | None:
    """Its settings that decide ``cell`` ("client_ip", "security[host-sni]"), in its terms with sources."""
    settings = settings_of(t)
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


def _matches_cleartext(matches: list[RouteMatch]) -> bool:
    """One match, on X-Forwarded-Proto: http (header names match case-insensitively [GW-HTTPROUTE])."""
    return len(matches) == 1 and len(matches[0].headers) == 1 and \
        matches[0].headers[0].name.lower() == "x-forwarded-proto" and matches[0].headers[0].value == "http"


def settings_of(t: Topology) -> Settings:
    """The settings ``t`` runs Envoy Gateway with: as written, or translated from the abstract block."""
    return to_native(t)


def _short(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))
