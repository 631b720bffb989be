"""The topology model: one declarative edge, load balancer to controller.

A topology is data. Its fields say what the AWS load balancer does (listener protocols, certificates, PROXY
protocol, X-Forwarded-For mode, client-IP preservation, target type), what Kubernetes does between the load
balancer and the controller (externalTrafficPolicy), and how the controller is set up to trust what arrives
(PROXY expected, trusted hops, cleartext policy). Everything else (where TLS terminates, which hops rewrite the
source address) is derived here, once, so the rules and the stand-ins agree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import load_balancers
from .load_balancers import LoadBalancerModel, creators
from .load_balancers.policies import TlsPolicy

LBModel = Literal[load_balancers.NAMES]  # type: ignore[valid-type]
CreatedBy = Literal[creators.NAMES]  # type: ignore[valid-type]
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
    # NLB TCP listeners only: the listener attribute tcp.idle_timeout.seconds (60-6000) [NLB-IT]; ALB and Classic
    # ELB idle timeouts are load-balancer attributes (load_balancer.idle_timeout).
    idle_timeout: int | None = None

    @property
    def terminates_tls(self) -> bool:
        return self.protocol in TLS_PROTOCOLS

    @property
    def is_l7(self) -> bool:
        return self.protocol not in L4_PROTOCOLS


class HealthCheck(_Strict):
    """The target group's health check (every listener's). Unset fields take the defaults of what builds the load
    balancer: the LBC for an NLB Service and an ALB Ingress [LBC-SA][LBC-IA], cloud-provider-aws for a Classic ELB
    [CPA], and AWS's own success codes [ELB-MATCHER][CLB-HC]."""

    protocol: Literal["TCP", "HTTP"] | None = None
    # traffic-port: the port the listener's traffic goes to; health-check-node-port: the Service's
    # healthCheckNodePort, where kube-proxy answers (instance targets with externalTrafficPolicy Local).
    port: Literal["traffic-port", "health-check-node-port"] | None = None
    path: str | None = Field(default=None, pattern=r"^/")
    # HTTP codes that count as healthy: "200", "200-399", "200,202" [ELB-MATCHER]
    success_codes: str | None = Field(default=None, pattern=r"^[2-5][0-9]{2}(-[2-5][0-9]{2})?(,[2-5][0-9]{2}(-[2-5][0-9]{2})?)*$")


class CloudFront(_Strict):
    """A CloudFront distribution in front of the ALB (edgeconform.load_balancers.cloudfront)."""

    viewer_protocol: Literal["allow-all", "redirect-to-https", "https-only"]
    origin_protocol: Literal["http-only", "https-only", "match-viewer"]
    certificate: str  # the distribution's one certificate (a hostname or a wildcard)


class LoadBalancer(_Strict):
    model: LBModel
    # The component that creates it (catalog/creators.yaml): the AWS Load Balancer Controller, the legacy in-tree
    # provider, or EKS Auto Mode. Its defaults fill the fields below that are unset (tls_policy, security_groups);
    # None: a hand-written edge, whose unset fields mean what each says.
    created_by: CreatedBy | None = None
    # internet-facing or internal: who can reach it (not emulated: the local target's clients reach it either way).
    scheme: Literal["internet-facing", "internal"] | None = None
    listeners: list[Listener] = Field(min_length=1)
    # Certificate names for TLS/SSL/HTTPS listeners; the first is the default (LBC certificate-arn order).
    certificates: list[str] = []
    proxy_protocol: Literal["v1", "v2"] | None = None
    # NLB PROXY v2 only: when the header goes out (proxy_protocol_v2.client_to_server.header_placement): with the
    # client's first data (the default, per [GO-PP25][#4326]; AWS documents neither) or right after connecting.
    proxy_protocol_placement: Literal["on_first_ack_with_payload", "on_first_ack"] = "on_first_ack_with_payload"
    # NLB PROXY v2 only: clients come through a PrivateLink (VPC endpoint service) endpoint with this ID: the header
    # carries TLV 0xEA with it [NLB-TG23][GO-PP].
    privatelink_endpoint: str | None = Field(default=None, pattern=r"^vpce-[0-9a-f]{8,17}$")
    # L7 only: routing.http.xff_header_processing.mode [ALB-XFH]; CLB HTTP always appends [CLB-XFH].
    xff: Literal["append", "preserve", "remove"] | None = None
    # NLB only: preserve_client_ip.enabled; None means the AWS default for the target type [NLB-TGA].
    client_ip_preservation: bool | None = None
    target_type: Literal["instance", "ip"] = "instance"
    # ALB only: LBC ssl-redirect, a 301 to HTTPS on every HTTP listener [LBC-IA].
    ssl_redirect: bool = False
    # Seconds, for every listener (the model's ranges per listener protocol are checked at load time: ALB and
    # Classic ELB 1-4000, NLB TCP 60-6000, NLB TLS 350 fixed); None: the model's default.
    idle_timeout: int | None = None
    # The security policy of the TLS listeners, by AWS name (edgeconform.load_balancers.policies); None: the default
    # of the component that creates it (created_by: ELBSecurityPolicy-2016-08 for each of them), else the
    # recommended one (ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09; Classic ELB: ELBSecurityPolicy-TLS-1-2-2017-01).
    tls_policy: str | None = None
    # The old way to pick a policy, by its oldest TLS version (TLSv1.0: ELBSecurityPolicy-2016-08, TLSv1.1:
    # ELBSecurityPolicy-TLS-1-1-2017-01, TLSv1.2: the default, TLSv1.3: ELBSecurityPolicy-TLS13-1-3-2021-06).
    tls_min_version: Literal["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"] | None = None
    # NLB only: whether the NLB has security groups (the LBC creates and attaches them by default since v2.6;
    # service.beta.kubernetes.io/aws-load-balancer-disable-nlb-sg turns them off; the in-tree provider creates none)
    # [LBC-NLB][NLB-SG][CPA-LB]. None: the default of created_by, else the LBC's. Not emulated locally: its
    # interaction with client-IP preservation is a load-time note.
    security_groups: bool | None = None
    # ALB HTTPS listeners: mutual TLS [ALB-MTLS]: off; passthrough (the client's certificate is forwarded unverified
    # in X-Amzn-Mtls-Clientcert); verify (checked against the trust store, described in X-Amzn-Mtls-Clientcert-*).
    mutual_tls: Literal["off", "passthrough", "verify"] = "off"
    # ALB attributes [ALB-ATTR][ALB-XFH][ALB-HOST]: routing.http.xff_client_port.enabled (X-Forwarded-For entries
    # as ip:port, [ipv6]:port) and routing.http.preserve_host_header.enabled (otherwise the Host's port is rewritten).
    xff_client_port: bool = False
    preserve_host_header: bool = False
    # NLB and ALB: ipv4, or dualstack (IPv6 clients too; the targets stay IPv4) [LBC-SA][LBC-IA][NLB-IPV6][ALB-IPV6].
    ip_address_type: Literal["ipv4", "dualstack"] = "ipv4"
    # ALB only: a CloudFront distribution in front of it (two L7 hops).
    cloudfront: CloudFront | None = None
    # The target groups' health check; None: the defaults (see HealthCheck and Topology.health_check).
    health_check: HealthCheck | None = None
    # Claims of this edge's expectations that no AWS page confirms: claim -> what it rests on (shown by
    # `edgeconform list` as UNVERIFIED).
    unverified: dict[str, str] = {}


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

    def listener_idle_timeout(self, listener: Listener) -> int:
        """One listener's idle timeout in seconds: its own (NLB TCP), the load balancer's, or the AWS default."""
        return listener.idle_timeout or self.lb.idle_timeout or self.lb_model.default_idle_timeout

    @property
    def idle_timeout(self) -> int:
        """The load balancer's longest listener idle timeout, in seconds (the controller's keep-alive must exceed
        what its load balancer holds open)."""
        return max(self.listener_idle_timeout(listener) for listener in self.lb.listeners)

    @property
    def nlb_tcp_idle_timeouts(self) -> dict[int, int]:
        """NLB TCP listeners whose idle timeout differs from AWS's 350 s: port -> seconds (the LBC's
        aws-load-balancer-listener-attributes.TCP-<port> annotation sets tcp.idle_timeout.seconds) [NLB-IT]."""
        if not self.lb_model.has("listener_idle_timeout"):
            return {}
        default = self.lb_model.default_idle_timeout
        return {item.port: self.listener_idle_timeout(item) for item in self.lb.listeners
                if item.protocol == "TCP" and self.listener_idle_timeout(item) != default}

    @property
    def health_check(self) -> HealthCheck:
        """The health check with every field settled. Defaults: an NLB (LBC) checks TCP on the traffic port, or
        HTTP /healthz on the healthCheckNodePort when instance targets meet externalTrafficPolicy Local [LBC-SA];
        an ALB (LBC) HTTP / on the traffic port, success 200 [LBC-IA][ELB-MATCHER]; a Classic ELB (legacy
        provider) TCP on the NodePort, HTTP /healthz on the healthCheckNodePort for Local [CPA]. Success codes:
        NLB 200-399, ALB 200 [ELB-MATCHER], Classic ELB "200 OK" only [CLB-HC]."""
        given = self.lb.health_check or HealthCheck()
        local = self.lb.target_type == "instance" and self.kubernetes.external_traffic_policy == "Local"
        model = self.lb_model
        if model.health_check_protocols[0] == "HTTP":
            protocol, port, path = "HTTP", "traffic-port", "/"
        elif local:
            protocol, port, path = "HTTP", "health-check-node-port", "/healthz"
        else:
            protocol, port, path = "TCP", "traffic-port", None
        wants_http = bool(given.path or given.success_codes) or given.port == "health-check-node-port"
        protocol = given.protocol or ("HTTP" if wants_http else protocol)
        if protocol == "HTTP":
            path = given.path or path or "/"
        codes = model.health_check_codes
        return HealthCheck(protocol=protocol, port=given.port or port, path=path if protocol == "HTTP" else None,
                           success_codes=(given.success_codes or codes) if protocol == "HTTP" else None)

    @property
    def tls_policy(self) -> TlsPolicy | None:
        """The security policy of the load balancer's TLS listeners (None: none terminates TLS there); with
        CloudFront in front, the distribution's viewer policy, since that is where clients' TLS ends."""
        if not any(listener.terminates_tls for listener in self.lb.listeners):
            return None
        if self.lb.cloudfront:
            from .load_balancers.cloudfront import VIEWER_POLICY
            return VIEWER_POLICY
        return self.lb_tls_policy

    @property
    def lb_tls_policy(self) -> TlsPolicy | None:
        """The security policy set on the load balancer's own TLS listeners (what its annotations name), CloudFront
        or not."""
        if not any(listener.terminates_tls for listener in self.lb.listeners):
            return None
        model = self.lb_model
        name = self.lb.tls_policy
        if name is None and self.lb.tls_min_version is not None:
            name = model.policy_by_min_version.get(self.lb.tls_min_version)
        if name is None:
            name = self.creator_default("tls_policy")
        return model.tls_policies.get(name or model.default_tls_policy)

    def creator_default(self, name: str) -> Any:
        """The default of the component that creates the load balancer (load_balancer.created_by) for one of its
        fields; None where no component is named or it has none for this model."""
        if self.lb.created_by is None:
            return None
        found = creators.get(self.lb.created_by).default(name, self.lb.model)
        return None if found is None else found.value

    @property
    def security_groups(self) -> bool | None:
        """Whether the NLB has security groups of its own: as written, else the creating component's default, else
        the LBC's (v2.6 and later) [LBC-NLB][CPA-LB]. None: the model has no such setting."""
        if not self.lb_model.has("security_groups"):
            return None
        if self.lb.security_groups is not None:
            return self.lb.security_groups
        default = self.creator_default("security_groups")
        return True if default is None else bool(default)

    @property
    def tls_terminates_at(self) -> Literal["lb", "controller"] | None:
        listener = self.https_listener
        if listener is None:
            return None
        return "lb" if listener.terminates_tls else "controller"

    @property
    def l7_hops(self) -> int:
        """The HTTP hops in front of the controller that add X-Forwarded-For entries: the ALB or Classic ELB, and
        CloudFront in front of it."""
        if self.layer == "l4":
            return 0
        return 2 if self.lb.cloudfront else 1

    @property
    def edge_redirects(self) -> bool:
        """Whether AWS answers cleartext with a redirect before the controller: the ALB's ssl-redirect, or
        CloudFront's viewer protocol policy redirect-to-https."""
        cf = self.lb.cloudfront
        return bool(cf and cf.viewer_protocol == "redirect-to-https") or (self.lb.ssl_redirect and not cf)

    @property
    def certificates(self) -> list[str]:
        """Certificate names at the TLS terminator, default first."""
        at = self.tls_terminates_at
        if at == "lb" and self.lb.cloudfront:
            return [self.lb.cloudfront.certificate]
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
        client_is_peer = self.lb.proxy_protocol is not None or (
            self.layer == "l4" and self.preserves_client_ip and not self.node_snat)
        vpc_trusted = any(net.is_private for net in networks) and not client_is_peer
        return max(ctl.trusted_hops, 1 if vpc_trusted else 0)

    @property
    def redirect_intended(self) -> bool:
        """Whether this edge means to redirect cleartext to HTTPS (at the LB, or at the controller)."""
        if self.lb.ssl_redirect or self.edge_redirects:
            return True
        http = self.http_listener
        if http is None:
            return False
        return http.target == "redirect" or self.controller.cleartext == "redirect"

    def with_controller(self, name: str, fixed: Mapping[str, Any] | None = None) -> Topology:
        """This topology as the controller ``name`` runs it, when its block names no controller of its own; ``fixed``:
        the trust fields that controller fixes whatever the block says (Controller.fixed_trust:
        edgeconform.controllers.bind passes them)."""
        if self.controller.kind:
            return self
        update = {**(fixed or {}), "kind": name}
        return self.model_copy(update={"controller": self.controller.model_copy(update=update)})

    def families(self) -> list[str]:
        """Marker names that select this topology (LB family and layer)."""
        return [self.lb.model, self.layer]
