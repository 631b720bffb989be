"""Source keys: every expectation cites where its AWS behaviour is documented.

The keys and addresses are the ones listed in shared/aws-lb-facts.md ("Source keys"). A topology field or an
expectation that cites a key not listed here is an error, so a citation can always be followed.
"""

from __future__ import annotations

import re

_B = "https://docs.aws.amazon.com/elasticloadbalancing/latest"
_AD = "https://github.com/awsdocs/elb-{guide}-load-balancers-user-guide/blob/main/doc_source/{page}"
_LBC = "https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/docs/guide"

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
    # Envoy Gateway (edgeconform/controllers/envoy_gateway.py): its API reference, tasks and Gateway API's spec.
    "EG-CTP": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#clienttrafficpolicyspec",
    "EG-PP": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#proxyprotocolsettings",
    "EG-XFF": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#xforwardedforsettings",
    "EG-CIP": "https://gateway.envoyproxy.io/v1.9/tasks/traffic/client-traffic-policy/",
    "EG-TLS": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#clienttlssettings",
    "EG-SVC": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#kubernetesservicespec",
    "EG-STANDALONE": "https://gateway.envoyproxy.io/v1.9/tasks/operations/standalone-deployment-mode/",
    "EG-HOST": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#envoygatewayhostinfrastructureprovider",
    "GW-REDIRECT": "https://gateway-api.sigs.k8s.io/reference/spec/#httprequestredirectfilter",
    "GW-LISTENER": "https://gateway-api.sigs.k8s.io/reference/spec/#listener",
    "GW-HTTPROUTE": "https://gateway-api.sigs.k8s.io/api-types/httproute/",
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
    "contour#2347": "https://github.com/projectcontour/contour/issues/2347",
    # Envoy Gateway and Envoy
    "eg#9219": "https://github.com/envoyproxy/gateway/issues/9219",
    "eg#2632": "https://github.com/envoyproxy/gateway/issues/2632",
    "eg#9452": "https://github.com/envoyproxy/gateway/issues/9452",
    "envoy#43031": "https://github.com/envoyproxy/envoy/issues/43031",
    "envoy#34241": "https://github.com/envoyproxy/envoy/issues/34241",
}

ALL_KEYS = {**SOURCES, **ISSUES}

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
