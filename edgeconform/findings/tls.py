"""TLS: policies that accept outdated versions, and mutual TLS whose verified headers a cleartext client can
write itself."""

from __future__ import annotations

from ..controllers import semantics_of
from ..load_balancers.policies import AWS_DEFAULT, RECOMMENDED
from ..topology import Topology
from .base import Said, rule


@rule("TLS_POLICY_OUTDATED", explains=("security[tls-versions]",))
def policy_outdated(t: Topology) -> Said | None:
    at, model = t.tls_terminates_at, t.lb_model
    policy = t.tls_policy if at == "lb" else None
    if policy is not None and policy.outdated:
        return (f"the load balancer's TLS listeners use {policy.describe()}, which still accepts "
                f"{policy.min.replace('TLSv', 'TLS ')}: AWS recommends {RECOMMENDED} (the console default; "
                f"{model.default_tls_policy} on {model.article}), while {AWS_DEFAULT}, the default of the CLI, "
                "CloudFormation, the CDK and the AWS Load Balancer Controller when no policy annotation is set, "
                "accepts TLS 1.0", (*model.cite("tls_policy"), "LBC-SA", "LBC-IA"))
    if at == "controller" and t.controller.tls_min_version in ("TLSv1.0", "TLSv1.1"):
        who = "the application" if semantics_of(t).straight_to_app else "the controller"
        return (f"{who} accepts {t.controller.tls_min_version}: the AWS recommended security policies "
                f"({RECOMMENDED}) accept TLS 1.2 and 1.3 only", ("NLB-TLSPOL", "ALB-TLSPOL"))
    return None


@rule("MTLS_HEADERS_OVER_CLEARTEXT", explains=("security[mtls-headers]",))
def mtls_headers_over_cleartext(t: Topology) -> Said | None:
    if t.lb.mutual_tls != "off" and t.http_listener is not None and not t.edge_redirects:
        return ("the ALB uses mutual TLS on HTTPS, but its HTTP listener serves requests: a client there can send its "
                "own X-Amzn-Mtls-Clientcert-* headers and nothing verified them (what the ALB does with client copies "
                "is UNVERIFIED). Redirect cleartext at the ALB (ssl-redirect), or strip X-Amzn-Mtls-* at the "
                "controller on its cleartext port", ("ALB-MTLS", "ALB-HDR", "LBC-IA"))
    return None


RULES = (policy_outdated, mtls_headers_over_cleartext)
