"""What a topology asks that ingress-nginx cannot express, or that its settings bring along: load-time findings
(CONTROLLER_LIMIT), each naming the cells whose failure it explains."""

from __future__ import annotations

from typing import Any

from ...topology import Topology
from ..base import Limit, host_sni_note
from .settings import redirects_host, to_native

CODES: dict[str, dict[str, Any]] = {}  # none of its own: its limits are CONTROLLER_LIMIT


def limits(t: Topology) -> list[Limit]:
    s, ctl, found = to_native(t), t.controller, []
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
    redirected = {hostname: redirects_host(s, t, hostname) for hostname in t.hostnames}
    if written and len(set(redirected.values())) > 1:
        first = t.hostnames[0]
        others = [h for h, on in redirected.items() if on != redirected[first]]
        found.append(Limit("controller.settings.ssl-redirect", (
            f"ssl-redirect redirects only the hosts whose Ingress has TLS: {first} is "
            f"{'redirected' if redirected[first] else 'served in cleartext'}, {', '.join(others)} "
            f"{'is' if len(others) == 1 else 'are'} not; the redirect cells probe {first}"),
            ("NGX-LUA", "NGX-CERT", "NGX-CM"), cells=("redirect", "security[forged-proto]", "security[redirect-loop]")))
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


def unsupported(t: Topology) -> dict[str, str]:
    """Cells this controller cannot be set up to measure for ``t`` (see ``limits``)."""
    out = host_sni_note("ingress-nginx", t)  # settings of its own say "route" (to_abstract)
    if t.controller.trusted_hops > 1:  # only an abstract block has a hop count
        out["client_ip"] = (
            f"ingress-nginx trusts X-Forwarded-For by address (proxy-real-ip-cidr), not by a hop count; "
            f"{t.name} asks for {t.controller.trusted_hops} trusted hops")
    return out
