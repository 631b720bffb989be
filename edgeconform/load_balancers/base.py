"""What one AWS load-balancer model is, as one frozen value: the facts the catalog checks, the expectation rules
read and the stand-ins follow, each with the source keys of its documentation.

A model module (nlb.py, clb.py, alb.py) builds one ``LoadBalancerModel``. A missing or misspelt piece fails
when that module is imported, with the model's name and what is missing, never later as a KeyError in a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .policies import TlsPolicy

# Facts every model must cite (``LoadBalancerModel.sources``). The rules and the catalog look them up by name.
CITED_FACTS = (
    "listeners",       # which listener protocols it has
    "proxy",           # its PROXY protocol header (or that it sends none)
    "websocket",       # that WebSocket Upgrades pass its listeners
    "tls_policy",      # its TLS security policies
    "lb_certificate",  # how it picks a certificate where TLS ends at it (SNI list or one certificate)
    "host_sni",        # what it does with a Host that differs from the SNI name where TLS ends at it
    "idle_timeout",    # its idle timeout
    "health_check",    # its target groups' health checks (protocol, port, success codes by default)
)
# Facts a model cites only when it has the feature: L4 listeners (what a target sees, TLS passed through),
# L7 listeners (X-Forwarded-* handling), a redirect action, a broken Upgrade, a certificate limit.
CITED_IF = {"l4_client_ip": "l4", "passthrough": "l4", "xff": "l7", "redirect": "redirect_action",
            "websocket_break": "breaks_upgrade", "certificate_limit": "max_certificates", "dual_stack": "dualstack",
            "l7_proxy": "l7_proxy_claim"}
# The key of ``load_balancer.unverified`` a topology states PROXY on HTTP/HTTPS listeners under (a model's
# ``l7_proxy_claim``): what no AWS page confirms is a claim the topology carries and `edgeconform list` shows.
L7_PROXY_CLAIM = "proxy_protocol_http_back_end"
# The topology's load_balancer settings that only some models have (the catalog refuses them on the others); a model
# names the ones it has in ``attributes``.
ATTRIBUTES = {
    "mutual_tls": "mutual TLS on HTTPS listeners (a trust store, the client certificate in headers)",
    "xff_client_port": "the client's port in the X-Forwarded-For entry it appends",
    "preserve_host_header": "Host passed as the client sent it; without it, a port in Host is removed on 80 and 443",
    "cloudfront": "a CloudFront distribution in front of it, as its origin",
    "security_groups": "security groups of its own (in front of the targets' rules)",
    "listener_idle_timeout": "an idle timeout per listener rather than one for the load balancer",
    "dualstack": "ip_address_type dualstack: IPv6 clients on IPv4 targets",
}


class ModelError(Exception):
    """A load-balancer model module that leaves out a piece (raised at import, naming the model and the piece)."""


@dataclass(frozen=True)
class LoadBalancerModel:
    name: str  # the catalog's load_balancer.model and the pytest marker: nlb, clb, alb
    title: str  # in messages: NLB, Classic ELB, ALB
    article: str  # "an NLB", "a Classic ELB": messages read as English
    marker: str  # the pytest marker's description
    protocols: frozenset[str]  # listener protocols AWS offers on this model
    default_idle_timeout: int  # seconds
    # Certificates where TLS ends at the load balancer: SNI picks among a list (NLB, ALB), or one certificate
    # serves every name (Classic ELB). ``max_certificates`` counts the default too.
    sni: bool
    max_certificates: int | None
    proxy_protocol: Literal["v1", "v2"] | None  # the PROXY version it can send
    xff_modes: tuple[str, ...]  # what its L7 listeners can do with X-Forwarded-For; () without L7 listeners
    # What its L7 listeners do with a WebSocket Upgrade: pass it, or break it (Classic ELB HTTP listeners).
    l7_upgrade: Literal["pass", "break", "n/a"]
    # Whether it negotiates HTTP/2 with clients on TLS listeners (ALPN h2).
    h2_on_tls: bool
    preserves_client_ip_attribute: bool  # the NLB target-group attribute preserve_client_ip.enabled
    redirect_action: bool  # it can answer cleartext with a redirect itself (ALB ssl-redirect)
    sources: Mapping[str, tuple[str, ...]]  # fact -> source keys (edgeconform.sources)
    # Why a Host that differs from the SNI name is routed by Host when TLS ends at this load balancer.
    host_sni_reason: str
    # Its TLS security policies by name, the one a topology that names none means, and the old tls_min_version
    # field's mapping to a policy (None: the model has no policy starting there).
    tls_policies: Mapping[str, TlsPolicy] = field(default_factory=dict)
    default_tls_policy: str = ""
    policy_by_min_version: Mapping[str, str | None] = field(default_factory=dict)
    # Idle timeout range in seconds per listener protocol: (lowest, highest); equal ends mean fixed [NLB-IT].
    idle_timeouts: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    # The stand-in template per listener layer (files under proxies/), and the EKS annotation set's name
    # (a section of clusters/eks/annotations.yaml).
    standins: Mapping[str, str] = field(default_factory=dict)
    annotation_set: str = ""
    # The settings of ATTRIBUTES it has.
    attributes: frozenset[str] = frozenset()
    # Its target groups' health checks: the protocols modelled (the default first) and the success codes of an HTTP
    # check that names none.
    health_check_protocols: tuple[str, ...] = ("TCP", "HTTP")
    health_check_codes: str = "200"
    # Where its HTTP/HTTPS listeners can be given a PROXY header on their back-end connections although AWS documents
    # it for TCP back ends only: the claim (UNVERIFIED) a topology doing so states under
    # ``unverified: {L7_PROXY_CLAIM: ...}``, saying what the stand-in does. Empty: never (the catalog refuses it).
    l7_proxy_claim: str = ""

    def __post_init__(self) -> None:
        layers = self.layers
        has = lambda when: (when in layers if when in ("l4", "l7") else when in self.attributes  # noqa: E731
                            if when in ATTRIBUTES else bool(getattr(self, when)))
        needed = [*CITED_FACTS, *(fact for fact, when in CITED_IF.items() if has(when))]
        missing = [fact for fact in needed if not self.sources.get(fact)]
        if missing:
            raise ModelError(f"load-balancer model {self.name!r}: no source keys for {', '.join(missing)} "
                             f"(LoadBalancerModel.sources)")
        if set(self.standins) != layers:
            raise ModelError(f"load-balancer model {self.name!r}: stand-in templates for layers "
                             f"{sorted(self.standins)}, but its listeners are {sorted(layers)}")
        if ("l7" in layers) != bool(self.xff_modes) or ("l7" in layers) != (self.l7_upgrade != "n/a"):
            raise ModelError(f"load-balancer model {self.name!r}: xff_modes and l7_upgrade describe L7 listeners; "
                             "give them exactly when the model has HTTP/HTTPS listeners")
        if self.default_tls_policy not in self.tls_policies:
            raise ModelError(f"load-balancer model {self.name!r}: its default TLS policy {self.default_tls_policy!r} "
                             "is not one of its tls_policies")
        if set(self.idle_timeouts) != set(self.protocols):
            raise ModelError(f"load-balancer model {self.name!r}: idle_timeouts names {sorted(self.idle_timeouts)}, "
                             f"its listener protocols are {sorted(self.protocols)}")
        if not self.annotation_set:
            raise ModelError(f"load-balancer model {self.name!r}: no EKS annotation set (annotation_set)")
        unknown = sorted(self.attributes - set(ATTRIBUTES))
        if unknown:
            raise ModelError(f"load-balancer model {self.name!r}: unknown attributes {unknown}; known: "
                             f"{', '.join(ATTRIBUTES)}")
        if not set(self.health_check_protocols) <= {"TCP", "HTTP"} or not self.health_check_protocols:
            raise ModelError(f"load-balancer model {self.name!r}: health_check_protocols are TCP and/or HTTP, the "
                             "default first")

    @property
    def layers(self) -> frozenset[str]:
        return frozenset("l4" if p in ("TCP", "TLS", "SSL") else "l7" for p in self.protocols)

    def has(self, attribute: str) -> bool:
        """Whether it has one of the settings of ATTRIBUTES."""
        if attribute not in ATTRIBUTES:
            raise KeyError(f"unknown load-balancer attribute {attribute!r}; known: {', '.join(ATTRIBUTES)}")
        return attribute in self.attributes

    @property
    def breaks_upgrade(self) -> bool:
        return self.l7_upgrade == "break"

    def cite(self, *facts: str) -> tuple[str, ...]:
        """The source keys of ``facts``, in order, without repeats."""
        keys: list[str] = []
        for fact in facts:
            keys += [k for k in self.sources[fact] if k not in keys]
        return tuple(keys)
