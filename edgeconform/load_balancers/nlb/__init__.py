"""The Network Load Balancer: TCP and TLS listeners, no HTTP headers, PROXY v2, client-IP preservation."""

from .. import policies
from ..base import LoadBalancerModel

MODEL = LoadBalancerModel(
    name="nlb",
    title="NLB",
    article="an NLB",
    marker="edges fronted by a Network Load Balancer",
    protocols=frozenset({"TCP", "TLS"}),
    default_idle_timeout=350,  # TCP listeners [NLB-IT]
    sni=True,  # a default certificate plus a certificate list with smart selection [NLB-TLS23]
    max_certificates=None,
    proxy_protocol="v2",  # proxy_protocol_v2.enabled on the target group [NLB-TG23]
    xff_modes=(),  # it adds no HTTP headers [NLB-TLS23]
    l7_upgrade="n/a",  # bytes pass through: WebSockets work on TCP and TLS listeners [NLB-L]
    h2_on_tls=False,  # ALPN policy None by default [NLB-TLS23]
    preserves_client_ip_attribute=True,  # preserve_client_ip.enabled [NLB-TGA]
    redirect_action=False,
    tls_policies=policies.ELBV2,
    default_tls_policy=policies.RECOMMENDED,
    policy_by_min_version=policies.BY_MIN_VERSION["elbv2"],
    # TCP listeners: tcp.idle_timeout.seconds, 60-6000 (default 350); TLS listeners: 350, fixed [NLB-IT]
    idle_timeouts={"TCP": (60, 6000), "TLS": (350, 350)},
    sources={
        "listeners": ("NLB-L",),
        "l4_client_ip": ("NLB-TGA", "#1825"),
        "passthrough": ("NLB-L",),
        "proxy": ("NLB-TG23", "PP-BLOG"),
        "websocket": ("NLB-L",),
        "tls_policy": ("NLB-TLSPOL",),
        "lb_certificate": ("NLB-TLS23",),
        "host_sni": ("NLB-TLS23",),
        "idle_timeout": ("NLB-IT",),
        "health_check": ("LBC-SA", "ELB-MATCHER"),
        "dual_stack": ("NLB-IPV6", "NLB-TGA", "LBC-SA"),
    },
    host_sni_reason="the NLB picks a certificate by SNI but adds no HTTP headers; the controller never sees the SNI",
    standins={"l4": "haproxy/l4-load-balancer.cfg.j2"},
    annotation_set="nlb",
    attributes=frozenset({"security_groups", "listener_idle_timeout", "dualstack"}),
    health_check_protocols=("TCP", "HTTP"),  # TCP on the traffic port by default [LBC-SA]
    health_check_codes="200-399",  # [ELB-MATCHER]
)
