"""The Classic ELB: TCP/SSL listeners (no headers, PROXY v1) or HTTP/HTTPS listeners (X-Forwarded-* appended,
one certificate, no SNI, the WebSocket Upgrade broken)."""

from .. import policies
from ..base import LoadBalancerModel

MODEL = LoadBalancerModel(
    name="clb",
    title="Classic ELB",
    article="a Classic ELB",
    marker="edges fronted by a Classic ELB",
    protocols=frozenset({"TCP", "SSL", "HTTP", "HTTPS"}),
    default_idle_timeout=60,  # [CLB-IT]
    sni=False,  # "Classic Load Balancers do not support SNI" [CLB-HTTPS23]
    max_certificates=1,
    proxy_protocol="v1",  # ProxyProtocolPolicyType on the instance port [CLB-PP]
    xff_modes=("append",),  # HTTP/HTTPS listeners always append [CLB-XFH]
    l7_upgrade="break",  # HTTP/HTTPS listeners break the Upgrade [EMS-AWS][#3746]; TCP passes it
    h2_on_tls=False,
    preserves_client_ip_attribute=False,  # it always opens its own connection [CLB-L]
    redirect_action=False,  # it cannot redirect [CLB-L]
    tls_policies=policies.CLB,  # no TLS 1.3 [CLB-TLSPOL][CLB-POL]
    default_tls_policy="ELBSecurityPolicy-TLS-1-2-2017-01",
    policy_by_min_version=policies.BY_MIN_VERSION["clb"],
    idle_timeouts={p: (1, 4000) for p in ("TCP", "SSL", "HTTP", "HTTPS")},  # [CLB-IT]
    sources={
        "listeners": ("CLB-L",),
        "l4_client_ip": ("CLB-L",),
        "passthrough": ("CLB-L",),
        "proxy": ("CLB-PP",),
        "l7_proxy": ("CPA-LB", "CLB-PP"),
        "xff": ("CLB-XFH",),
        "websocket": ("CLB-L", "EMS-AWS"),
        "websocket_break": ("EMS-AWS", "#3746", "istio#11579", "CLB-L"),
        "tls_policy": ("CLB-TLSPOL", "CLB-POL"),
        "lb_certificate": ("CLB-HTTPS23",),
        "certificate_limit": ("CLB-HTTPS23",),
        "host_sni": ("CLB-HTTPS23",),
        "idle_timeout": ("CLB-IT",),
        "health_check": ("CPA", "CLB-HC"),
    },
    host_sni_reason="Classic Load Balancers do not support SNI: the Host cannot be compared with it",
    standins={"l4": "haproxy/l4-load-balancer.cfg.j2", "l7": "envoy/l7-load-balancer.yaml.j2"},
    annotation_set="clb",
    health_check_protocols=("TCP", "HTTP"),  # TCP on the NodePort by default (the legacy provider) [CPA]
    health_check_codes="200",  # "200 OK" only [CLB-HC]
    # The in-tree provider's proxy-protocol annotation on HTTP/HTTPS listeners: it attaches the ProxyProtocol policy
    # to every listener's instance port whatever the listener protocol (ensureLoadBalancer) [CPA-LB]
    l7_proxy_claim=(
        "the in-tree provider attaches the ProxyProtocol policy to the instance port of every listener, HTTP and "
        "HTTPS ones too [CPA-LB]; AWS documents the PROXY v1 header for TCP back-end connections only [CLB-PP], and "
        "no AWS page says what a Classic ELB sends on an HTTP back end: the stand-in puts a PROXY v1 header in front "
        "of each back-end connection of its HTTP/HTTPS listeners (health checks go without one) and appends "
        "X-Forwarded-For as well"),
)
