"""Source keys: every expectation cites where its AWS behaviour is documented.

The keys and addresses are the ones listed in shared/aws-lb-facts.md ("Source keys"). A topology field or an
expectation that cites a key not listed here is an error, so a citation can always be followed.
"""

from __future__ import annotations

import re

_B = "https://docs.aws.amazon.com/elasticloadbalancing/latest"
_AD = "https://github.com/awsdocs/elb-{guide}-load-balancers-user-guide/blob/main/doc_source/{page}"
_LBC = "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/docs/guide"
_NGX = "https://github.com/kubernetes/ingress-nginx/blob/controller-v1.15.1"

SOURCES: dict[str, str] = {
    "NLB-TGA": f"{_B}/network/edit-target-group-attributes.html",
    "NLB-L": f"{_B}/network/load-balancer-listeners.html",
    "NLB-IT": f"{_B}/network/update-idle-timeout.html",
    "NLB-TG23": _AD.format(guide="network", page="load-balancer-target-groups.md"),
    "NLB-TLS23": _AD.format(guide="network", page="create-tls-listener.md"),
    "NLB-TS23": _AD.format(guide="network", page="load-balancer-troubleshooting.md"),
    "PP-BLOG": "https://aws.amazon.com/blogs/networking-and-content-delivery/"
    "preserving-client-ip-address-with-proxy-protocol-v2-and-network-load-balancer",
    "GO-PP": "https://github.com/pires/go-proxyproto",
    "GO-PP25": "https://github.com/pires/go-proxyproto/pull/25",
    "ALB-XFH": f"{_B}/application/x-forwarded-headers.html",
    "ALB-IT": f"{_B}/application/edit-load-balancer-attributes.html",
    "ALB-L": f"{_B}/application/load-balancer-listeners.html",
    "ALB-ATTR": _AD.format(guide="application", page="application-load-balancers.md"),
    "ALB-L23": _AD.format(guide="application", page="load-balancer-listeners.md"),
    "ALB-HTTPS23": _AD.format(guide="application", page="create-https-listener.md"),
    "ALB-Q": f"{_B}/application/load-balancer-limits.html",
    "CLB-L": f"{_B}/classic/elb-listener-config.html",
    "CLB-QR": f"{_B}/classic/using-elb-listenerconfig-quickref.html",
    "CLB-PP": f"{_B}/classic/enable-proxy-protocol.html",
    "CLB-XFH": f"{_B}/classic/x-forwarded-headers.html",
    "CLB-IT": f"{_B}/classic/config-idle-timeout.html",
    "CLB-DS": f"{_B}/classic/config-desync-mitigation-mode.html",
    "CLB-HTTPS23": _AD.format(guide="classic", page="elb-https-load-balancers.md"),
    "ELB-FEAT": "https://aws.amazon.com/elasticloadbalancing/details",
    "LBC-SA": f"{_LBC}/service/annotations.md",
    "LBC-NLB": f"{_LBC}/service/nlb.md",
    "LBC-IA": f"{_LBC}/ingress/annotations.md",
    "LBC-CODE": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/pkg/ingress/model_builder.go",
    "CPA": "https://github.com/kubernetes/cloud-provider-aws/blob/master/pkg/providers/v1/aws.go",
    "NGX-CM": "https://github.com/kubernetes/ingress-nginx/blob/main/docs/user-guide/nginx-configuration/configmap.md",
    "NGX-AWS": "https://github.com/kubernetes/ingress-nginx/blob/main/hack/manifest-templates/provider/aws/"
    "nlb-with-tls-termination/values.yaml",
    "NGX-DEPLOY": "https://github.com/kubernetes/ingress-nginx/blob/main/docs/deploy/index.md",
    # ingress-nginx's final release: what its template and Lua code do with the ConfigMap keys (the local
    # ingress-nginx controller renders these; docs/controllers/ingress-nginx.md maps each key).
    "NGX-TMPL": f"{_NGX}/rootfs/etc/nginx/template/nginx.tmpl",
    "NGX-LUA": f"{_NGX}/rootfs/etc/nginx/lua/lua_ingress.lua",
    "NGX-CERT": f"{_NGX}/rootfs/etc/nginx/lua/certificate.lua",
    "NGX-TGO": f"{_NGX}/internal/ingress/controller/template/template.go",
    "NGX-CFG": f"{_NGX}/internal/ingress/controller/config/config.go",
    "NGX-CMGO": f"{_NGX}/internal/ingress/controller/template/configmap.go",
    "NGX-ANN": f"{_NGX}/docs/user-guide/nginx-configuration/annotations.md",
    "NGX-WS": f"{_NGX}/docs/user-guide/miscellaneous.md",
    "NGX-E2E-PP": f"{_NGX}/test/e2e/settings/proxy_protocol.go",
    "EMS-MOD": "https://github.com/emissary-ingress/emissary/blob/master/docs/topics/running/ambassador.md",
    "EMS-AWS": "https://github.com/emissary-ingress/emissary/blob/master/docs/topics/running/ambassador-with-aws.md",
    "ENVOY-H": "https://github.com/envoyproxy/envoy/blob/main/docs/root/configuration/http/http_conn_man/headers.rst",
    "ENVOY-PP": "https://www.envoyproxy.io/docs/envoy/latest/configuration/listeners/listener_filters/proxy_protocol",
    "K8S-ETP": "https://kubernetes.github.io/ingress-nginx/user-guide/retaining-client-ipaddress/",
    # Security suite (edgeconform/security.py): TLS policies and the Host-vs-SNI rule.
    "NLB-TLSPOL": f"{_B}/network/describe-ssl-policies.html",
    "ALB-TLSPOL": f"{_B}/application/describe-ssl-policies.html",
    "CLB-TLSPOL": f"{_B}/classic/elb-security-policy-table.html",
    "CONTOUR-421": "https://github.com/projectcontour/contour/pull/2483",
    "RFC9110": "https://www.rfc-editor.org/rfc/rfc9110#name-421-misdirected-request",
    # The eks target's modes (clusters/eks/): the AWS Load Balancer Controller's Gateway API (v3.x) and EKS Auto Mode.
    "LBC-GW": f"{_LBC}/gateway/gateway.md",
    "LBC-GW-L4": f"{_LBC}/gateway/l4gateway.md",
    "LBC-GW-L7": f"{_LBC}/gateway/l7gateway.md",
    "LBC-GW-LBCFG": f"{_LBC}/gateway/loadbalancerconfig.md",
    "LBC-GW-TGCFG": f"{_LBC}/gateway/targetgroupconfig.md",
    "LBC-GW-HC": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/pkg/gateway/routeutils/"
    "backend_service.go",
    "LBC-WEBHOOK": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/docs/deploy/installation.md",
    "LBC-HELM": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/helm/"
    "aws-load-balancer-controller/values.yaml",
    "GWAPI-HTTPROUTE": "https://github.com/kubernetes-sigs/gateway-api/blob/v1.6.3/apis/v1/httproute_types.go",
    "ALB-REDIRECT": "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RedirectActionConfig.html",
    "EKS-AUTO-NLB": "https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-nlb.html",
    "EKS-AUTO-ALB": "https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-alb.html",
    "EKS-AUTO-LB": "https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html",
    "EKS-AUTO-POLICY": "https://docs.aws.amazon.com/eks/latest/userguide/access-policy-reference.html",
}

# Issues from §6 of the facts sheet, cited as "#n" (or "repo#n" where the number is ambiguous).
ISSUES: dict[str, str] = {
    "#6996": "https://github.com/kubernetes/ingress-nginx/issues/6996",
    "#13320": "https://github.com/kubernetes/ingress-nginx/issues/13320",
    "#10982": "https://github.com/kubernetes/ingress-nginx/issues/10982",
    "#2724": "https://github.com/kubernetes/ingress-nginx/issues/2724",
    "#1957": "https://github.com/kubernetes/ingress-nginx/issues/1957",
    "#12877": "https://github.com/kubernetes/ingress-nginx/issues/12877",
    "#3746": "https://github.com/kubernetes/ingress-nginx/issues/3746",
    "istio#11579": "https://github.com/istio/istio/issues/11579",
    "#9163": "https://github.com/kubernetes/ingress-nginx/issues/9163",
    "#6758": "https://github.com/kubernetes/ingress-nginx/issues/6758",
    "#1160": "https://github.com/kubernetes/cloud-provider-aws/issues/1160",
    "#1825": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1825",
    "#3521": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3521",
    "#1813": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1813",
    "#4153": "https://github.com/emissary-ingress/emissary/issues/4153",
    "#3979": "https://github.com/emissary-ingress/emissary/issues/3979",
    "#57250": "https://github.com/kubernetes/kubernetes/issues/57250",
    "#1752": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1752",
    "#1815": "https://github.com/kubernetes/ingress-nginx/issues/1815",
    "#12768": "https://github.com/kubernetes/ingress-nginx/pull/12768",
    "contour#2347": "https://github.com/projectcontour/contour/issues/2347",
}

# Traefik (edgeconform/controllers/traefik.py): its documentation for the release it pins (v3.6), and the source
# where the documentation is silent (X-Real-Ip from a trusted forwarder).
_TRAEFIK_DOC = "https://doc.traefik.io/traefik/v3.6/reference"
_TRAEFIK_SRC = "https://github.com/traefik/traefik/blob/v3.6.12"
TRAEFIK: dict[str, str] = {
    # entryPoints: proxyProtocol (optional header), forwardedHeaders (trust by address), http.redirections
    "TRAEFIK-EP": f"{_TRAEFIK_DOC}/install-configuration/entrypoints/",
    # the generated reference of every static option with its default (redirections.entrypoint.permanent: true)
    "TRAEFIK-OPTS": f"{_TRAEFIK_DOC}/install-configuration/configuration-options/",
    # RedirectScheme: redirects when the scheme (X-Forwarded-Proto from trusted hops) differs; permanent
    "TRAEFIK-RS": f"{_TRAEFIK_DOC}/routing-configuration/http/middlewares/redirectscheme/",
    # the Middleware CRD: "permanent: for HTTP GET requests a 301 is returned, otherwise a 308"
    "TRAEFIK-MW-CRD": f"{_TRAEFIK_SRC}/docs/content/reference/dynamic-configuration/traefik.io_middlewares.yaml",
    # the headers Traefik adds: client's IP in X-Forwarded-For and X-Real-Ip
    "TRAEFIK-HDR": f"{_TRAEFIK_DOC}/routing-configuration/http/middlewares/headers/",
    # X-Real-Ip is set only when absent: kept as sent by a trusted forwarder
    "TRAEFIK-FH": f"{_TRAEFIK_SRC}/pkg/middlewares/forwardedheaders/forwarded_header.go",
    # TLS options (minVersion; chosen per Host rule) and 421 when Host and SNI map to different options
    "TRAEFIK-TLSOPT": f"{_TRAEFIK_DOC}/routing-configuration/http/tls/tls-options/",
    "TRAEFIK-DOMFRONT": f"{_TRAEFIK_DOC}/routing-configuration/kubernetes/crd/http/ingressroute/",
    # certificates by SNI, the default store's default certificate
    "TRAEFIK-CERTS": f"{_TRAEFIK_DOC}/routing-configuration/http/tls/tls-certificates/",
    # the ingress-nginx compatibility provider: annotations only, no ConfigMap keys
    "TRAEFIK-NGINX": f"{_TRAEFIK_DOC}/routing-configuration/kubernetes/ingress-nginx/",
    # the Helm chart the kind target installs (ports.<name>.* values, redirections rendered as :exposedPort)
    "TRAEFIK-HELM": "https://github.com/traefik/traefik-helm-chart/blob/v39.0.7/traefik/values.yaml",
    "traefik#12588": "https://github.com/traefik/traefik/issues/12588",
}

ALL_KEYS = {**SOURCES, **ISSUES, **TRAEFIK}

_KEY = re.compile(r"^(#\d+|[a-z]+#\d+|[A-Z0-9]+(-[A-Z0-9]+)*)$")


def url(key: str) -> str:
    """The address behind a source key; KeyError names the unknown key."""
    try:
        return ALL_KEYS[key]
    except KeyError:
        raise KeyError(f"unknown source key {key!r}; known keys are listed in edgeconform/sources.py") from None


def cite(keys) -> str:
    """Source keys as they appear in messages: [NLB-TGA][#1825]."""
    return "".join(f"[{key}]" for key in keys)


def unknown(keys: list[str] | tuple[str, ...]) -> list[str]:
    """The keys in ``keys`` that cannot be followed."""
    return [k for k in keys if k not in ALL_KEYS or not _KEY.match(k)]
