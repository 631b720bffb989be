"""Likely misconfigurations: where the controller's settings disagree with what the load balancer does.

These are the real failure modes of aws-lb-facts.md §6. A finding does not decide a verdict (observations do);
it explains a failure. Some break every cell of an edge (a PROXY mismatch drops every connection): they are
named with any failure. The others are named where a cell lists them (``Cell.explained_by`` in
edgeconform.behaviours).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .behaviours import get as behaviour
from .controllers import limits_of, semantics_of
from .load_balancers.policies import AWS_DEFAULT, RECOMMENDED
from .sources import cite

if TYPE_CHECKING:
    from .topology import Topology


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    sources: tuple[str, ...]
    everywhere: bool = False  # explains a failure of any cell, not only of the cells that list it
    cells: tuple[str, ...] = ()  # cells it explains besides those that list it ("redirect", "security[host-sni]")
    # "mistake": the load balancer and the controller disagree; "note": something of the edge that cannot be
    # emulated here (the harness says so at load time, with its source, instead of faking an observation).
    kind: str = "mistake"

    def __str__(self) -> str:
        return f"{self.message} {cite(self.sources)} ({self.code})"


CODES = ("PROXY_NOT_EXPECTED", "PROXY_NOT_SENT", "XFF_TRUSTED_BEHIND_L4", "XFF_TOO_MANY_HOPS", "XFF_NOT_TRUSTED",
         "REDIRECT_LOOP_TLS_AT_LB", "CLB_HTTP_WEBSOCKET", "TLS_POLICY_OUTDATED", "HEALTH_CHECK_PROXY_NODE_PORT",
         "HEALTH_CHECK_REDIRECTED", "XFF_TOO_FEW_HOPS", "REDIRECT_LOOP_CLOUDFRONT_HTTP_ORIGIN",
         "MTLS_HEADERS_OVER_CLEARTEXT", "XFF_CLIENT_PORT", "NLB_SECURITY_GROUPS", "ALB_HOST_PORT",
         "ALB_MTLS_PASSTHROUGH_CHAIN",
         # a controller's limit (Controller.limits; ingress-nginx's, edgeconform.controllers.ingress_nginx)
         "CONTROLLER_LIMIT",
         # Traefik's limits (edgeconform.controllers.traefik.limits): what it cannot express for a topology, and the
         # X-Real-Ip it keeps from a trusted forwarder
         "TRAEFIK_CANNOT_EXPRESS", "TRAEFIK_KEEPS_REAL_IP",
         # Envoy Gateway's (edgeconform.controllers.envoy_gateway.limits)
         "EG_NO_XFP_FROM_PROXY_PORT", "EG_SERVICE_ETP_LOCAL", "EG_UPGRADE_REFUSED_ON_REDIRECT")
# Findings that explain no cell: load-time notes about what the local target cannot emulate.
NOTES = ("NLB_SECURITY_GROUPS", "ALB_HOST_PORT", "ALB_MTLS_PASSTHROUGH_CHAIN")


def findings(t: Topology) -> list[Finding]:
    found: list[Finding] = []
    lb, ctl, model = t.lb, t.controller, t.lb_model
    if lb.proxy_protocol and not ctl.proxy_protocol:
        found.append(Finding(
            "PROXY_NOT_EXPECTED",
            f"the load balancer sends PROXY {lb.proxy_protocol} but the controller does not expect PROXY: it reads "
            "the header as the start of the request and every connection fails",
            ("#13320", "#57250", "NLB-TG23"), everywhere=True))
    if ctl.proxy_protocol and not lb.proxy_protocol:
        semantics = semantics_of(t)
        outage = ("every connection is dropped as a broken header" if semantics.proxy_protocol == "required" else
                  f"{ctl.kind} serves connections without one too (its PROXY header is optional), so nothing breaks "
                  "visibly")
        found.append(Finding(
            "PROXY_NOT_SENT",
            f"the controller expects a PROXY header but the load balancer does not send one: {outage}, and a client "
            "that sends its own PROXY header chooses the address the controller believes",
            ("#6996", "#57250", "ENVOY-PP", *semantics.sources.get("proxy_protocol", ())), everywhere=True))
    hops = t.forwarded_hops
    if t.layer == "l4" and hops > 0:
        found.append(Finding(
            "XFF_TRUSTED_BEHIND_L4",
            f"the controller trusts {_hops(t)} behind an L4 load balancer that adds "
            "none: any client can forge its address (and X-Forwarded-Proto)",
            ("#1815", "#9163", "ENVOY-H")))
    l7 = t.l7_hops
    if t.layer == "l7" and t.xff_mode == "append" and hops > l7:
        how = ("it walks past every entry it trusts, so a client-sent one is believed" if ctl.trusted_cidrs else
               "without a client-sent entry it falls back to the load balancer's address, and with one it believes "
               "the forged entry")
        found.append(Finding(
            "XFF_TOO_MANY_HOPS",
            f"the controller trusts {_hops(t)} behind {'one L7 hop' if l7 == 1 else f'{l7} L7 hops'}: {how}",
            ("ALB-XFH", "ENVOY-H", "#9163")))
    # a controller that concludes no client from X-Forwarded-For (Traefik) trusts its peer's list or not: behind
    # CloudFront the ALB is that peer, and there is no hop count to fall short of
    if t.layer == "l7" and t.xff_mode == "append" and 0 < hops < l7 and semantics_of(t).client_from_xff:
        found.append(Finding(
            "XFF_TOO_FEW_HOPS",
            f"CloudFront in front of the ALB makes {l7} L7 hops, and the controller trusts {_hops(t)}: it takes "
            "CloudFront's edge address for the client. Trust two hops (Envoy xff_num_trusted_hops: 2, ingress-nginx "
            "proxy-real-ip-cidr with CloudFront's ranges)",
            ("CF-ORIGIN", "ALB-XFH", "ENVOY-H")))
    cf = lb.cloudfront
    if cf and cf.origin_protocol == "http-only" and any(_redirects(t, item.target) for item in lb.listeners):
        found.append(Finding(
            "REDIRECT_LOOP_CLOUDFRONT_HTTP_ORIGIN",
            "CloudFront reaches the ALB over HTTP (origin protocol http-only), so the ALB sets X-Forwarded-Proto: "
            "http on every request, HTTPS viewers' too, and the controller redirects them to HTTPS again, forever. "
            "Use origin protocol https-only (or match-viewer), or stop redirecting at the controller and let "
            "CloudFront redirect viewers (redirect-to-https)",
            ("CF-ORIGIN", "CF-DIST", "ALB-XFH", "#1957"), everywhere=True))
    if t.layer == "l7" and hops == 0:
        found.append(Finding(
            "XFF_NOT_TRUSTED",
            "the controller trusts no X-Forwarded-* hop behind an L7 load balancer: it takes the load balancer "
            "(or node) for the client and ignores X-Forwarded-Proto, so a cleartext redirect fires on HTTPS "
            "requests too and loops",
            ("#1957", "ENVOY-H", "NGX-CM"), everywhere=True))
    https = t.https_listener
    if https is not None and https.terminates_tls and t.layer == "l4" and _redirects(t, https.target) \
            and not _https_by_proxy_port(t, https.port):
        found.append(Finding(
            "REDIRECT_LOOP_TLS_AT_LB",
            f"TLS ends at the load balancer (port {https.port}) and the plaintext lands on a controller port that "
            "redirects cleartext; the load balancer adds no X-Forwarded-Proto, so HTTPS requests are redirected "
            "to HTTPS again, forever. Send 443 to a port that serves and 80 to one that redirects",
            ("#2724", "#12877", "NGX-AWS"), everywhere=True))
    if model.breaks_upgrade and t.layer == "l7":
        found.append(Finding(
            "CLB_HTTP_WEBSOCKET",
            f"{model.title} HTTP/HTTPS listeners break the WebSocket Upgrade; use TCP/SSL listeners (and PROXY "
            f"{model.proxy_protocol} for the client address) for WebSocket traffic",
            ("#3746", "istio#11579", "EMS-AWS")))
    at = t.tls_terminates_at
    policy = t.tls_policy if at == "lb" else None
    if policy is not None and policy.outdated:
        recommended = model.default_tls_policy
        found.append(Finding(
            "TLS_POLICY_OUTDATED",
            f"the load balancer's TLS listeners use {policy.describe()}, which still accepts "
            f"{policy.min.replace('TLSv', 'TLS ')}: AWS recommends {RECOMMENDED} (the console default; "
            f"{recommended} on {model.article}), while {AWS_DEFAULT}, the default of the CLI, CloudFormation, "
            "the CDK and the AWS Load Balancer Controller when no policy annotation is set, accepts TLS 1.0",
            (*model.cite("tls_policy"), "LBC-SA", "LBC-IA")))
    elif at == "controller" and t.controller.tls_min_version in ("TLSv1.0", "TLSv1.1"):
        found.append(Finding(
            "TLS_POLICY_OUTDATED",
            f"the controller accepts {t.controller.tls_min_version}: the AWS recommended security policies "
            f"({RECOMMENDED}) accept TLS 1.2 and 1.3 only",
            ("NLB-TLSPOL", "ALB-TLSPOL")))
    for limit in limits_of(t):  # what the controller cannot express: explains the cells the limit names
        found.append(Finding(limit.code, f"{t.controller.kind}: {limit.message}", limit.sources,
                             everywhere=limit.everywhere or not limit.cells,
                             cells=limit.cells))
    if lb.mutual_tls != "off" and t.http_listener is not None and not t.edge_redirects:
        found.append(Finding(
            "MTLS_HEADERS_OVER_CLEARTEXT",
            "the ALB uses mutual TLS on HTTPS, but its HTTP listener serves requests: a client there can send its own "
            "X-Amzn-Mtls-Clientcert-* headers and nothing verified them (what the ALB does with client copies is "
            "UNVERIFIED). Redirect cleartext at the ALB (ssl-redirect), or strip X-Amzn-Mtls-* at the controller "
            "on its cleartext port",
            ("ALB-MTLS", "ALB-HDR", "LBC-IA")))
    if lb.xff_client_port and t.xff_mode == "append" and not semantics_of(t).xff_port_parsed:
        found.append(Finding(
            "XFF_CLIENT_PORT",
            "routing.http.xff_client_port.enabled makes the ALB append ip:port ([ipv6]:port) to X-Forwarded-For; "
            "a controller that reads X-Forwarded-For entries as addresses (Envoy) cannot parse them and falls back to "
            "its TCP peer (the ALB, or the node), and one that passes the list on (Traefik) hands the backend ip:port "
            "where an address belongs. Turn the attribute off, or strip the port before trusting (nginx's realip "
            "module parses the port away)",
            ("ALB-XFH", "ALB-ATTR", "ENVOY-H")))
    check = t.health_check
    if lb.proxy_protocol == "v2" and check.protocol == "HTTP" and check.port == "health-check-node-port":
        found.append(Finding(
            "HEALTH_CHECK_PROXY_NODE_PORT",
            "PROXY v2 with instance targets and externalTrafficPolicy Local: the NLB's HTTP health checks go to "
            "kube-proxy's healthCheckNodePort with a PROXY header in front, which kube-proxy cannot parse, so every "
            "target is unhealthy. The LBC says not to combine them: use ip targets, or externalTrafficPolicy "
            "Cluster, or a health check on the controller's own PROXY-aware port",
            ("LBC-NLB", "NLB-TG23", "#10982", "contour#4833", "istio#25875")))
    if check.protocol == "HTTP" and check.port == "traffic-port":
        codes = [code for item in lb.listeners if _redirects(t, item.target)
                 for code in [ctl.redirect_code] if not _code_in(code, check.success_codes or "")]
        if codes:
            found.append(Finding(
                "HEALTH_CHECK_REDIRECTED",
                f"the HTTP health checks reach a controller port that redirects cleartext: they carry no "
                f"X-Forwarded-Proto, so they get {codes[0]}, which the success codes {check.success_codes} do not "
                "include, and every target is unhealthy. Check a path the controller serves, or accept 200-399",
                ("ELB-MATCHER", "LBC-IA", "LBC-SA", "ALB-XFH")))
    found += _notes(t)
    return found


def _code_in(code: int, codes: str) -> bool:
    """Whether an HTTP status is among success codes like "200-399,404"."""
    for part in filter(None, codes.split(",")):
        low, _, high = part.partition("-")
        if int(low) <= code <= int(high or low):
            return True
    return False


def _notes(t: Topology) -> list[Finding]:
    """What the local target cannot emulate, said at load time with its sources (never a faked observation)."""
    notes = []
    lb = t.lb
    odd = [item.port for item in lb.listeners if item.port not in (80, 443)]
    if lb.model == "alb" and not lb.preserve_host_header and odd:
        notes.append(Finding(
            "ALB_HOST_PORT",
            f"on listener port(s) {odd} the ALB appends the port to a Host that has none [ALB-HOST]; the stand-in "
            "does not (it leaves Host as sent there)", ("ALB-HOST",), kind="note"))
    if lb.mutual_tls == "passthrough":
        notes.append(Finding(
            "ALB_MTLS_PASSTHROUGH_CHAIN",
            "in passthrough mode the ALB forwards the client's whole certificate chain; the stand-in forwards the "
            "certificate the client presented (the leaf; these probes send no intermediates)", ("ALB-MTLS",),
            kind="note"))
    if lb.model == "nlb":
        with_groups = lb.security_groups is not False
        if with_groups and t.preserves_client_ip:
            notes.append(Finding(
                "NLB_SECURITY_GROUPS",
                "the NLB has security groups (the LBC default since v2.6) and client-IP preservation is on: targets "
                "see the clients' own addresses. AWS says a target security group that references the NLB's admits "
                "its traffic even so; LBC users report that new NLBs of this kind route nothing until the targets' "
                "groups admit the client networks (#3521, a user report). Security groups are not emulated here",
                ("NLB-SG", "LBC-NLB", "LBC-SG", "#3521"), kind="note"))
        elif with_groups:
            notes.append(Finding(
                "NLB_SECURITY_GROUPS",
                "the NLB has security groups (the LBC default since v2.6) and preservation is off: targets see the "
                "NLB's address, and the LBC ignores load-balancer-source-ranges on the targets' side; the NLB's "
                "frontend group decides who may connect. Security groups are not emulated here",
                ("NLB-SG", "LBC-NLB", "LBC-SA"), kind="note"))
        else:
            notes.append(Finding(
                "NLB_SECURITY_GROUPS",
                "the NLB has no security groups (aws-load-balancer-disable-nlb-sg): the targets' own groups must "
                "admit the clients' addresses where preservation is on, and the NLB's addresses otherwise. "
                "Security groups are not emulated here",
                ("NLB-SG", "LBC-SA", "LBC-SG"), kind="note"))
    return notes


def for_cell(t: Topology, name: str, variant: str = "") -> list[Finding]:
    """The findings that explain a failure of one cell: those that break everything, and those the cell lists."""
    listed = behaviour(name).cell(variant).explained_by
    cell = f"{name}[{variant}]" if variant else name
    return [f for f in findings(t) if f.kind == "mistake" and (f.everywhere or f.code in listed or cell in f.cells)]


def _hops(t: Topology) -> str:
    """The controller's trust in words: its hop count, or the networks it trusts."""
    ctl = t.controller
    if ctl.trusted_cidrs:
        return f"X-Forwarded-For from {', '.join(ctl.trusted_cidrs)}"
    return f"{ctl.trusted_hops} X-Forwarded-For hop(s)"


def _https_by_proxy_port(t: Topology, port: int) -> bool:
    """A controller that takes a PROXY header's destination port 443 for https (ingress-nginx) does not loop when
    TLS ends at the load balancer's 443 and PROXY reaches it."""
    return (port == 443 and t.lb.proxy_protocol is not None and t.controller.proxy_protocol
            and semantics_of(t).https_by_proxy_port)


def _redirects(t: Topology, target: str) -> bool:
    """Whether a controller port redirects requests that look like cleartext to it."""
    return target == "redirect" or (target == "http" and t.controller.cleartext == "redirect")
