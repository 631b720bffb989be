"""The topology against the AWS model the LBC built for it: one Difference per field that disagrees, naming what the
topology means, what was built, and the annotation or CRD field that was to put it into effect.

What is compared (the topology's fields as edgeconform/topology.py settles them, and the AWS properties they mean):
  load_balancer.model                type network (nlb) / application (alb)
  scheme                             the run's scheme (the plans' settings)
  load_balancer.ip_address_type      IpAddressType (dualstack)
  load_balancer.listeners            every listener port with its protocol (TCP/TLS, HTTP/HTTPS), nothing more
  load_balancer.certificates         each TLS listener's default certificate (the first) and SNI list (the rest)
  load_balancer.tls_policy           each TLS listener's SslPolicy (the topology's, or its model's default)
  load_balancer.target_type          every target group's TargetType
  load_balancer.proxy_protocol       proxy_protocol_v2.enabled (NLB target groups)
  load_balancer.client_ip_preservation  preserve_client_ip.enabled (NLB target groups)
  load_balancer.idle_timeout         tcp.idle_timeout.seconds (NLB TCP listeners), idle_timeout.timeout_seconds (ALB)
  load_balancer.xff / xff_client_port / preserve_host_header   the ALB's routing.http.* attributes
  load_balancer.ssl_redirect         the ALB's HTTP listeners: a 301 redirect to HTTPS (and no forward)
  load_balancer.mutual_tls           the HTTPS listeners' MutualAuthentication mode
  load_balancer.health_check         every target group's health check (protocol, port, path, success codes)
  targets                            each target group has targets: the node (instance) or pods (ip)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..topology import Topology
from .model import LoadBalancer

NLB_DEFAULT_TCP_IDLE = 350
DEVIATES = "deviates from the topology"  # how a plan's Setting says it sets a stand-in on purpose (lbc_gateway.py)


@dataclass(frozen=True)
class Difference:
    topology: str
    field: str
    expected: str
    built: str
    responsible: str  # the annotation or CRD field (with its value) meant to set it
    # the plan says it sets something else on purpose (a mode that cannot express the field): reported, not failed
    documented: bool = False

    def line(self) -> str:
        kind = "documented deviation of the plan: " if self.documented else ""
        return (f"{self.topology}: {kind}{self.field}: expected {self.expected}, the LBC built {self.built} "
                f"(set by {self.responsible})")

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def responsible_for(settings: list[Any], field: str, fallback: str) -> str:
    """The plan's settings that encode ``field`` (edgeconform.targets.eks.modes.Setting), as `where key: value`."""
    found = [f"{item.where} {item.key}: {item.value}" for item in settings if field in item.encodes]
    return "; ".join(found) or fallback


def compare(t: Topology, lb: LoadBalancer | None, settings: list[Any], *, scheme: str,
            expected_targets: dict[str, Any] | None = None) -> list[Difference]:
    """Every disagreement between ``t`` and the load balancer built for it (None: nothing was built)."""
    out: list[Difference] = []

    def differ(field: str, expected: Any, built: Any, fallback: str = "") -> None:
        if expected == built:
            return
        documented = any(field in item.encodes and item.why.startswith(DEVIATES) for item in settings)
        found = Difference(t.name, field, _show(expected), _show(built),
                           responsible_for(settings, field, fallback or "no setting of the plan"), documented)
        if found not in out:
            out.append(found)

    if lb is None:
        differ("load_balancer.model", t.lb.model, "no load balancer")
        return out
    model = {"network": "nlb", "application": "alb"}.get(lb.type, lb.type)
    differ("load_balancer.model", t.lb.model, model)
    if model != t.lb.model:
        return out
    m = t.lb_model
    differ("scheme", scheme, lb.scheme, "the scheme setting")
    differ("load_balancer.ip_address_type", t.lb.ip_address_type, lb.ip_address_type)
    differ("load_balancer.listeners", sorted((item.port, item.protocol) for item in t.lb.listeners),
           sorted((item.port, item.protocol) for item in lb.listeners))
    built = {item.port: item for item in lb.listeners}
    policy = t.lb_tls_policy.name if t.lb_tls_policy else None
    for listener in t.lb.listeners:
        got = built.get(listener.port)
        if got is None or got.protocol != listener.protocol:
            continue
        if listener.terminates_tls:
            differ("load_balancer.certificates", (t.lb.certificates[:1] or [None])[0], got.default_certificate)
            differ("load_balancer.certificates", sorted(set(t.lb.certificates[1:])), got.sni_certificates)
            differ("load_balancer.tls_policy", policy, got.ssl_policy)
        if m.has("listener_idle_timeout") and listener.protocol == "TCP":
            want = t.nlb_tcp_idle_timeouts.get(listener.port, NLB_DEFAULT_TCP_IDLE)
            have = got.attributes.get("tcp.idle_timeout.seconds", str(NLB_DEFAULT_TCP_IDLE))
            differ("load_balancer.idle_timeout", str(want), have)
        if m.has("mutual_tls") and listener.protocol == "HTTPS":
            mode = got.mutual_authentication.get("Mode", "off")
            differ("load_balancer.mutual_tls", t.lb.mutual_tls, mode)
        if m.redirect_action and listener.protocol == "HTTP":
            differ("load_balancer.ssl_redirect", t.lb.ssl_redirect, _redirects_everything(got))
    if "l7" in m.layers:  # the ALB's load-balancer attributes (a Classic ELB is never rehearsed)
        attrs = lb.attributes
        differ("load_balancer.xff", t.xff_mode, attrs.get("routing.http.xff_header_processing.mode", "append"))
        differ("load_balancer.xff_client_port", t.lb.xff_client_port,
               attrs.get("routing.http.xff_client_port.enabled", "false") == "true")
        differ("load_balancer.preserve_host_header", t.lb.preserve_host_header,
               attrs.get("routing.http.preserve_host_header.enabled", "false") == "true")
        differ("load_balancer.idle_timeout", str(t.lb.idle_timeout or 60), attrs.get("idle_timeout.timeout_seconds", "60"))
    hc = t.health_check
    for group in lb.target_groups:
        differ("load_balancer.target_type", t.lb.target_type, group.target_type)
        if m.preserves_client_ip_attribute:  # the NLB's target-group attributes
            differ("load_balancer.proxy_protocol", t.lb.proxy_protocol == "v2",
                   group.attributes.get("proxy_protocol_v2.enabled", "false") == "true")
            differ("load_balancer.client_ip_preservation", t.preserves_client_ip,
                   group.attributes.get("preserve_client_ip.enabled") == "true")
        differ("load_balancer.health_check", _health(hc), _built_health(group.health_check))
        if not group.targets:
            differ("targets", "registered targets", f"none in target group {group.name}",
                   "the Service's endpoints (the TargetGroupBinding)")
        elif expected_targets:
            kind = "instance" if group.target_type == "instance" else "ip"
            wrong = [target.id for target in group.targets if target.id not in expected_targets[kind]]
            if wrong:
                differ("targets", f"{kind} targets {sorted(expected_targets[kind])}",
                       f"{', '.join(wrong)} in {group.name}", "the Service's endpoints (the TargetGroupBinding)")
    return out


def _redirects_everything(listener) -> bool:
    """An HTTP listener that forwards nothing and answers with a 301 to HTTPS: its default action (Ingress
    ssl-redirect), or its rules (an HTTPRoute RequestRedirect; the default action then answers unknown hosts)."""
    actions = [*listener.default_actions, *(a for rule in listener.rules for a in rule.actions)]
    redirects = [a for a in actions if a.type == "redirect"]
    return (bool(redirects) and not any(a.type == "forward" for a in actions)
            and all(a.redirect.get("Protocol") == "HTTPS" and a.redirect.get("StatusCode") == "HTTP_301"
                    for a in redirects))


def _health(hc) -> dict[str, Any]:
    port = "traffic-port" if hc.port in (None, "traffic-port") else hc.port
    return {"protocol": hc.protocol, "port": port, "path": hc.path, "success_codes": hc.success_codes}


def _built_health(hc) -> dict[str, Any]:
    """The built health check in the topology's words: a port number other than the traffic port is kube-proxy's
    healthCheckNodePort (the only other port the plans name)."""
    port = "traffic-port" if hc.port in (None, "traffic-port") else "health-check-node-port"
    http = hc.protocol in ("HTTP", "HTTPS")
    return {"protocol": hc.protocol, "port": port, "path": hc.path if http else None,
            "success_codes": hc.matcher if http else None}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, tuple):
        return ":".join(str(v) for v in value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items() if v is not None) + "}"
    return "none" if value is None else str(value)
