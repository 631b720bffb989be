"""The Application Load Balancer: HTTP/HTTPS listeners, X-Forwarded-For modes, SNI certificate list, a
redirect action (LBC ssl-redirect), WebSockets passed."""

from .. import policies
from ..base import LoadBalancerModel

MODEL = LoadBalancerModel(
    name="alb",
    title="ALB",
    article="an ALB",
    marker="edges fronted by an Application Load Balancer",
    protocols=frozenset({"HTTP", "HTTPS"}),
    default_idle_timeout=60,  # [ALB-IT]
    sni=True,  # a default certificate plus an SNI list [ALB-HTTPS23]
    max_certificates=26,  # the default plus at most 25 more [ALB-Q]
    proxy_protocol=None,  # an ALB does not send PROXY protocol [ALB-L]
    xff_modes=("append", "preserve", "remove"),  # routing.http.xff_header_processing.mode [ALB-XFH]
    l7_upgrade="pass",  # WebSockets are native on HTTP and HTTPS listeners [ALB-L]
    h2_on_tls=True,  # HTTP/2 on HTTPS listeners [ALB-ATTR]
    preserves_client_ip_attribute=False,
    redirect_action=True,  # LBC ssl-redirect: a 301 to HTTPS on every HTTP listener [LBC-IA][LBC-CODE]
    tls_policies=policies.ELBV2,
    default_tls_policy=policies.RECOMMENDED,
    policy_by_min_version=policies.BY_MIN_VERSION["elbv2"],
    idle_timeouts={"HTTP": (1, 4000), "HTTPS": (1, 4000)},  # idle_timeout.timeout_seconds [ALB-IT]
    sources={
        "listeners": ("ALB-L",),
        "proxy": ("ALB-L",),
        "xff": ("ALB-XFH",),
        "redirect": ("LBC-IA", "LBC-CODE", "ALB-L23"),
        "websocket": ("ALB-L",),
        "tls_policy": ("ALB-TLSPOL",),
        "lb_certificate": ("ALB-HTTPS23", "LBC-IA"),
        "certificate_limit": ("ALB-Q",),
        "host_sni": ("ALB-HTTPS23",),
        "idle_timeout": ("ALB-IT",),
        "health_check": ("LBC-IA", "ELB-MATCHER"),
        "dual_stack": ("ALB-IPV6", "ALB-XFH", "LBC-IA"),
    },
    host_sni_reason="the ALB picks a certificate by SNI and routes by Host; no Host-vs-SNI check is documented "
                    "(UNVERIFIED; the stand-in routes by Host)",
    standins={"l7": "envoy/l7-load-balancer.yaml.j2"},
    annotation_set="alb",
    attributes=frozenset({"mutual_tls", "xff_client_port", "preserve_host_header", "cloudfront", "dualstack"}),
    health_check_protocols=("HTTP",),  # HTTP / on the traffic port; an HTTP target group has no TCP check [ELB-HCAPI]
    health_check_codes="200",  # [ELB-MATCHER]
)

# Why the cluster targets do not build an ALB with mutual TLS (the trust store is not theirs to make).
MTLS_NOT_ON_KIND = "the kind target's ALB stand-in has no trust store: mutual-TLS topologies run on the local target"
MTLS_NOT_DEPLOYED_ON_EKS = ("ALB mutual TLS needs a trust store ARN (alb.ingress.kubernetes.io/mutual-authentication), "
                            "which this harness's annotation sets do not create: point --edge-url {name}=https://... "
                            "at an ALB you set up")
