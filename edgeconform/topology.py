"""The topology model: one declarative edge, load balancer to controller.

A topology is data. Its fields say what the AWS load balancer does (listener protocols, certificates, PROXY
protocol, X-Forwarded-For mode, client-IP preservation, target type), what Kubernetes does between the load
balancer and the controller (externalTrafficPolicy), and how the controller is set up to trust what arrives
(PROXY expected, trusted hops, cleartext policy). Everything else (where TLS terminates, which hops rewrite the
source address) is derived here, once, so the rules and the stand-ins agree.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import load_balancers
from .load_balancers import LoadBalancerModel

LBModel = Literal[load_balancers.NAMES]  # type: ignore[valid-type]
ListenerProtocol = Literal["TCP", "TLS", "SSL", "HTTP", "HTTPS"]
ControllerPort = Literal["http", "https", "redirect"]
Role = Literal["client", "lb", "node", "controller", "backend"]

L4_PROTOCOLS = {"TCP", "TLS", "SSL"}
TLS_PROTOCOLS = {"TLS", "SSL", "HTTPS"}
# What the load balancer itself answers with when it generates a response (ALB redirects, errors).
LB_SERVER_HEADER = "awselb/2.0"
ALL_HOPS = 99  # a controller that trusts X-Forwarded-* from any address trusts every hop anyone writes


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Listener(_Strict):
    """One load-balancer listener: the public port, its protocol, and the controller port it forwards to."""

    port: int = Field(ge=1, le=65535)
    protocol: ListenerProtocol
    target: ControllerPort

    @property
    def terminates_tls(self) -> bool:
        return self.protocol in TLS_PROTOCOLS

    @property
    def is_l7(self) -> bool:
        return self.protocol not in L4_PROTOCOLS


class LoadBalancer(_Strict):
    model: LBModel
    listeners: list[Listener] = Field(min_length=1)
    # Certificate names for TLS/SSL/HTTPS listeners; the first is the default (LBC certificate-arn order).
    certificates: list[str] = []
    proxy_protocol: Literal["v1", "v2"] | None = None
    # L7 only: routing.http.xff_header_processing.mode [ALB-XFH]; CLB HTTP always appends [CLB-XFH].
    xff: Literal["append", "preserve", "remove"] | None = None
    # NLB only: preserve_client_ip.enabled; None means the AWS default for the target type [NLB-TGA].
    client_ip_preservation: bool | None = None
    target_type: Literal["instance", "ip"] = "instance"
    # ALB only: LBC ssl-redirect, a 301 to HTTPS on every HTTP listener [LBC-IA].
    ssl_redirect: bool = False
    idle_timeout: int | None = Field(default=None, ge=1, le=6000)
    # The oldest TLS version a TLS-terminating listener accepts (AWS recommended policies: TLS 1.2).
    tls_min_version: Literal["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"] = "TLSv1.2"


class Kubernetes(_Strict):
    external_traffic_policy: Literal["Local", "Cluster"] = "Cluster"


# The fields of the controller block that form its trust model: derived from ``settings`` when the block is
# written in a controller's own vocabulary (edgeconform.catalog), given directly otherwise.
TRUST_FIELDS = ("proxy_protocol", "trusted_hops", "trusted_cidrs", "cleartext", "redirect_code", "tls_min_version",
                "host_sni_mismatch")


class Controller(_Strict):
    """How the ingress controller is configured to read what the load balancer sends.

    Written either in the abstract terms below (every controller plug-in translates them into its own settings),
    or in one controller's own vocabulary: ``kind`` names the controller and ``settings`` holds its settings as in
    the cluster (an Envoy Gateway ClientTrafficPolicy, Traefik's entryPoints, ingress-nginx's ConfigMap keys);
    the abstract fields are then derived from them by that controller's plug-in.
    """

    # The controller this block is written for, and that runs this edge (edgeconform.controllers); None: the
    # run's --controller.
    kind: str | None = None
    # That controller's own settings, exactly as a user writes them in the cluster (checked by its plug-in). None:
    # not given (the abstract fields below say it all); {} given: the controller's defaults, all of them.
    settings: dict[str, Any] | None = None
    # Expects a PROXY header (v1 or v2, auto-detected) on every listener.
    proxy_protocol: bool = False
    # X-Forwarded-For / X-Forwarded-Proto hops it trusts (Envoy xff_num_trusted_hops, Emissary l7Depth).
    trusted_hops: int = Field(default=0, ge=0, le=10)
    # Peer networks whose X-Forwarded-* it trusts (Envoy Gateway trustedCIDRs, Traefik forwardedHeaders.trustedIPs,
    # ingress-nginx proxy-real-ip-cidr), instead of a hop count.
    trusted_cidrs: list[str] = []
    # What its cleartext (http) port does with a request it believes arrived over cleartext.
    cleartext: Literal["redirect", "serve"] = "redirect"
    redirect_code: Literal[301, 302, 307, 308] = 308
    # Certificate names when TLS terminates at the controller; the first is the default.
    certificates: list[str] = []
    tls_min_version: Literal["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"] = "TLSv1.2"
    # Where TLS ends here: an HTTPS request whose Host is not a name of the certificate SNI chose gets
    # 421 Misdirected Request (Contour) or is routed by Host (Envoy's default, most controllers).
    host_sni_mismatch: Literal["misdirected", "route"] = "misdirected"


class Topology(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    hostnames: list[str] = Field(min_length=1)
    load_balancer: LoadBalancer
    kubernetes: Kubernetes = Kubernetes()
    controller: Controller = Controller()
    # Behaviours this edge must deliver: a documented limitation of one of them is then a failure, not a pass
    # (names from edgeconform.behaviours, checked by the catalog loader).
    requires: list[str] = []
    # Field path -> source keys from aws-lb-facts.md (see edgeconform.sources).
    sources: dict[str, list[str]] = {}
    # Where the entry came from (file path); set by the loader, not by users.
    origin: str = ""

    # --- derived facts ---------------------------------------------------------------------------
    @property
    def lb(self) -> LoadBalancer:
        return self.load_balancer

    @property
    def lb_model(self) -> LoadBalancerModel:
        """What this kind of AWS load balancer can do, with its sources (edgeconform.load_balancers)."""
        return load_balancers.get(self.lb.model)

    @property
    def lb_title(self) -> str:
        """The load balancer's name in messages: NLB, Classic ELB or ALB."""
        return self.lb_model.title

    @property
    def layer(self) -> Literal["l4", "l7"]:
        return "l7" if any(listener.is_l7 for listener in self.lb.listeners) else "l4"

    @property
    def xff_mode(self) -> str | None:
        """What an L7 load balancer does with X-Forwarded-For; None at L4 (no HTTP headers touched)."""
        if self.layer == "l4":
            return None
        return self.lb.xff or "append"

    @property
    def preserves_client_ip(self) -> bool:
        """Whether the load balancer's packets still carry the client's source address."""
        if not self.lb_model.preserves_client_ip_attribute:
            return False  # CLB and ALB always open their own connection [CLB-L][ALB-XFH]
        if self.lb.client_ip_preservation is not None:
            return self.lb.client_ip_preservation
        return self.lb.target_type == "instance"  # [NLB-TGA] defaults

    @property
    def node_snat(self) -> bool:
        """kube-proxy re-originates from the node: instance targets with externalTrafficPolicy Cluster."""
        return self.lb.target_type == "instance" and self.kubernetes.external_traffic_policy == "Cluster"

    @property
    def http_listener(self) -> Listener | None:
        """The cleartext listener clients reach with http:// (the lowest non-TLS port)."""
        plain = [item for item in self.lb.listeners if not item.terminates_tls and item.target != "https"]
        return min(plain, key=lambda item: item.port) if plain else None

    @property
    def https_listener(self) -> Listener | None:
        """The listener clients reach with https://: TLS at the LB, or TCP passthrough to the controller."""
        tls = [item for item in self.lb.listeners if item.terminates_tls or item.target == "https"]
        return min(tls, key=lambda item: item.port) if tls else None

    @property
    def controller_kinds(self) -> list[str]:
        """The controller ports the load balancer's listeners land on, in a fixed order."""
        used = {item.target for item in self.lb.listeners}
        return [kind for kind in ("http", "https", "redirect") if kind in used]

    @property
    def idle_timeout(self) -> int:
        """The load balancer's idle timeout in seconds: the topology's, or the model's AWS default."""
        return self.lb.idle_timeout or self.lb_model.default_idle_timeout

    @property
    def tls_terminates_at(self) -> Literal["lb", "controller"] | None:
        listener = self.https_listener
        if listener is None:
            return None
        return "lb" if listener.terminates_tls else "controller"

    @property
    def certificates(self) -> list[str]:
        """Certificate names at the TLS terminator, default first."""
        at = self.tls_terminates_at
        if at == "lb":
            return list(self.lb.certificates)
        if at == "controller":
            return list(self.controller.certificates)
        return []

    @property
    def forwarded_hops(self) -> int:
        """How many X-Forwarded-* hops the controller trusts. A hop count says it directly; trusted networks trust
        the load-balancer hops inside them: an AWS load balancer (and a node) connects from the VPC's private
        addresses, CloudFront from public ones. A network holding every address trusts any number (ALL_HOPS)."""
        ctl = self.controller
        if not ctl.trusted_cidrs:
            return ctl.trusted_hops
        networks = [ipaddress.ip_network(cidr, strict=False) for cidr in ctl.trusted_cidrs]
        if any(net.prefixlen == 0 for net in networks):
            return ALL_HOPS
        # The peer it judges is the load balancer or node (VPC addresses) unless PROXY or client-IP preservation
        # puts the client's own address there; behind an L4 load balancer one trusted hop is then the client's
        # own X-Forwarded-For entry.
        client_is_peer = self.layer == "l4" and (self.lb.proxy_protocol is not None
                                                  or (self.preserves_client_ip and not self.node_snat))
        vpc_trusted = any(net.is_private for net in networks) and not client_is_peer
        return max(ctl.trusted_hops, 1 if vpc_trusted else 0)

    @property
    def redirect_intended(self) -> bool:
        """Whether this edge means to redirect cleartext to HTTPS (at the LB, or at the controller)."""
        if self.lb.ssl_redirect:
            return True
        http = self.http_listener
        if http is None:
            return False
        return http.target == "redirect" or self.controller.cleartext == "redirect"

    def with_controller(self, name: str) -> Topology:
        """This topology as the controller ``name`` runs it, when its block names no controller of its own."""
        if self.controller.kind:
            return self
        return self.model_copy(update={"controller": self.controller.model_copy(update={"kind": name})})

    def families(self) -> list[str]:
        """Marker names that select this topology (LB family and layer)."""
        return [self.lb.model, self.layer]
