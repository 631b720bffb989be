"""Source keys: every expectation cites where its AWS behaviour is documented.

The keys and addresses are the ones listed in shared/aws-lb-facts.md ("Source keys"), checked against the
primary sources on 2026-11-27. A topology field or an expectation that cites a key not listed here is an error,
so a citation can always be followed; tests/test_sources.py checks that every address is https on a host of
``ALLOWED_HOSTS`` (for GitHub, a repository of ``GITHUB_ORGS``).

The awsdocs GitHub repositories (the user guides' source until June 2023) are archived and their ``doc_source/``
is gone from the default branch, so every AWS key points at the current docs.aws.amazon.com page. Where a claim
rests on text that the current page no longer shows in the same words, ``DATED`` says which text and its date.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_B = "https://docs.aws.amazon.com/elasticloadbalancing/latest"
_AD = "https://github.com/awsdocs/elb-{guide}-load-balancers-user-guide/blob/main/doc_source/{page}"
_NGX = "https://github.com/kubernetes/ingress-nginx/blob/controller-v1.15.1"
_CF = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide"
_LBC_REPO = "https://github.com/kubernetes-sigs/aws-load-balancer-controller"
_LBC = f"{_LBC_REPO}/blob/main/docs/guide"
_LBC_SRC = f"{_LBC_REPO}/blob/v3.6.2"
_CPA_SRC = "https://github.com/kubernetes/cloud-provider-aws/blob/63ec440c3275321b55afa45480e2fdfd2b0e93c4"

SOURCES: dict[str, str] = {
    # --- NLB
    "NLB-TGA": f"{_B}/network/edit-target-group-attributes.html",
    "NLB-L": f"{_B}/network/load-balancer-listeners.html",
    "NLB-IT": f"{_B}/network/update-idle-timeout.html",
    "NLB-TG23": f"{_B}/network/edit-target-group-attributes.html#proxy-protocol",
    "NLB-TLS23": f"{_B}/network/tls-listener-certificates.html",
    "NLB-TS23": f"{_B}/network/load-balancer-troubleshooting.html",
    "NLB-TLSPOL": f"{_B}/network/describe-ssl-policies.html",
    "NLB-SG": f"{_B}/network/load-balancer-security-groups.html",
    "NLB-IPV6": f"{_B}/network/network-load-balancers.html#ip-address-type",
    "PP-BLOG": "https://aws.amazon.com/blogs/networking-and-content-delivery/"
    "preserving-client-ip-address-with-proxy-protocol-v2-and-network-load-balancer",
    # --- ALB
    "ALB-XFH": f"{_B}/application/x-forwarded-headers.html",
    "ALB-IT": f"{_B}/application/edit-load-balancer-attributes.html#connection-idle-timeout",
    "ALB-L": f"{_B}/application/load-balancer-listeners.html",
    "ALB-ATTR": f"{_B}/application/application-load-balancers.html#load-balancer-attributes",
    "ALB-HOST": f"{_B}/application/edit-load-balancer-attributes.html#host-header-preservation",
    "ALB-L23": f"{_B}/application/rule-action-types.html#redirect-actions",
    "ALB-HTTPS23": f"{_B}/application/https-listener-certificates.html",
    "ALB-Q": f"{_B}/application/load-balancer-limits.html",
    "ALB-TLSPOL": f"{_B}/application/describe-ssl-policies.html",
    "ALB-MTLS": f"{_B}/application/mutual-authentication.html",
    "ALB-HDR": f"{_B}/application/header-modification.html",
    "ALB-IPV6": f"{_B}/application/application-load-balancers.html#ip-address-type",
    # --- both ELBv2 models: health checks
    "ELB-HCAPI": "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
    "ELB-MATCHER": "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
    "aws-properties-elasticloadbalancingv2-targetgroup-matcher.html",
    # --- Classic ELB
    "CLB-L": f"{_B}/classic/elb-listener-config.html",
    "CLB-QR": f"{_B}/classic/using-elb-listenerconfig-quickref.html",
    "CLB-PP": f"{_B}/classic/enable-proxy-protocol.html",
    "CLB-XFH": f"{_B}/classic/x-forwarded-headers.html",
    "CLB-IT": f"{_B}/classic/config-idle-timeout.html",
    "CLB-DS": f"{_B}/classic/config-desync-mitigation-mode.html",
    "CLB-HTTPS23": f"{_B}/classic/elb-https-load-balancers.html",
    "CLB-TLSPOL": f"{_B}/classic/elb-security-policy-table.html",
    "CLB-POL": f"{_B}/classic/elb-ssl-security-policy.html",
    "CLB-HC": "https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_HealthCheck.html",
    "ELB-FEAT": "https://aws.amazon.com/elasticloadbalancing/features/",
    # --- CloudFront in front of an ALB
    "CF-ORIGIN": f"{_CF}/RequestAndResponseBehaviorCustomOrigin.html",
    "CF-HDR": f"{_CF}/adding-cloudfront-headers.html",
    "CF-DIST": f"{_CF}/DownloadDistValuesOrigin.html",
    "CF-VIEWER": f"{_CF}/DownloadDistValuesCacheBehavior.html",
    # --- Kubernetes side
    "LBC-SA": f"{_LBC}/service/annotations.md",
    "LBC-NLB": f"{_LBC}/service/nlb.md",
    "LBC-IA": f"{_LBC}/ingress/annotations.md",
    "LBC-SG": f"{_LBC_REPO}/blob/main/docs/deploy/security_groups.md",
    "LBC-CODE": f"{_LBC_REPO}/blob/main/pkg/ingress/model_builder.go",
    "CPA": "https://github.com/kubernetes/cloud-provider-aws/blob/master/pkg/providers/v1/aws.go",
    "K8S-ETP": "https://kubernetes.github.io/ingress-nginx/user-guide/retaining-client-ipaddress/",
    "K8S-HCNP": "https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/"
    "#preserving-the-client-source-ip",
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
    # the controller's Go: what it computes before rendering (the server_names hash sizes, nginxHashBucketSize)
    "NGX-CTRL": f"{_NGX}/internal/ingress/controller/nginx.go",
    # nginx itself: ngx_http_get_forwarded_addr_internal() parses each X-Forwarded-For entry with
    # ngx_parse_addr_port(), so "198.51.100.11:40312" is the address 198.51.100.11 (the realip module's walk)
    "NGINX-XFF": "https://github.com/nginx/nginx/blob/master/src/http/ngx_http_core_module.c",
    "NGX-CMGO": f"{_NGX}/internal/ingress/controller/template/configmap.go",
    "NGX-ANN": f"{_NGX}/docs/user-guide/nginx-configuration/annotations.md",
    "NGX-WS": f"{_NGX}/docs/user-guide/miscellaneous.md",
    "NGX-E2E-PP": f"{_NGX}/test/e2e/settings/proxy_protocol.go",
    "EMS-MOD": "https://github.com/emissary-ingress/emissary/blob/master/docs/topics/running/ambassador.md",
    "EMS-AWS": "https://github.com/emissary-ingress/emissary/blob/master/docs/topics/running/ambassador-with-aws.md",
    # --- proxies and protocols
    "ENVOY-H": "https://github.com/envoyproxy/envoy/blob/main/docs/root/configuration/http/http_conn_man/headers.rst",
    "ENVOY-PP": "https://www.envoyproxy.io/docs/envoy/latest/configuration/listeners/listener_filters/proxy_protocol",
    "PP-SPEC": "https://github.com/haproxy/haproxy/blob/master/doc/proxy-protocol.txt",
    "HAPROXY-28": "https://github.com/haproxy/haproxy/blob/v2.8.0/doc/configuration.txt",
    "GO-PP": "https://github.com/pires/go-proxyproto",
    "GO-PP4": "https://github.com/pires/go-proxyproto/pull/4",
    "GO-PP25": "https://github.com/pires/go-proxyproto/pull/25",
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
    # The AWS Load Balancer Controller's source at the release edgeconform pins (v3.6.2): the defaults it applies
    # when the manifests name none, and which Services it takes (docs/defaults.md is the audit).
    "LBC-CFG": f"{_LBC_SRC}/pkg/config/controller_config.go",
    "LBC-FG": f"{_LBC_SRC}/pkg/config/feature_gates.go",
    "LBC-SVCDEF": f"{_LBC_SRC}/pkg/service/model_builder.go",
    "LBC-SVCSUP": f"{_LBC_SRC}/pkg/service/service_utils.go",
    "LBC-SVCLB": f"{_LBC_SRC}/pkg/service/model_build_load_balancer.go",
    "LBC-SVCLIS": f"{_LBC_SRC}/pkg/service/model_build_listener.go",
    "LBC-INGDEF": f"{_LBC_SRC}/pkg/ingress/model_builder.go",
    "LBC-MUT": f"{_LBC_SRC}/webhooks/core/service_mutator.go",
    "LBC-CHART": f"{_LBC_SRC}/helm/aws-load-balancer-controller/templates/deployment.yaml",
    "LBC-CERTDISC": f"{_LBC_SRC}/docs/guide/ingress/cert_discovery.md",
    # the legacy in-tree provider (cloud-provider-aws), at the commit docs/defaults.md read
    "CPA-LB": f"{_CPA_SRC}/pkg/providers/v1/aws_loadbalancer.go",
    "CPA-EXT": f"{_CPA_SRC}/pkg/providers/v1/aws.go#L2361",
    "CPA-CFG": f"{_CPA_SRC}/pkg/providers/v1/config/config.go",
    # AWS: the Classic ELB's predefined policy for an HTTPS/SSL listener that names none
    "CLB-SSLDEF": f"{_B}/classic/ssl-config-update.html",
    # Controllers edgeconform recognises but does not run: where the marks import knows them by are documented
    "ISTIO-GW": "https://github.com/istio/istio/blob/master/manifests/charts/gateway/values.yaml",
    "CONTOUR-EX": "https://github.com/projectcontour/contour/blob/main/examples/contour/03-envoy.yaml",
    "CONTOUR-GW": "https://github.com/projectcontour/contour/blob/main/site/content/docs/main/guides/gateway-api.md",
    "NGF-NLB": "https://github.com/nginx/nginx-gateway-fabric/blob/main/deploy/aws-nlb/deploy.yaml",
    "HAPROXY-IC": "https://github.com/haproxytech/kubernetes-ingress/blob/master/documentation/ingressclass.md",
    "HAPROXY-INGRESS": "https://github.com/jcmoraisjr/haproxy-ingress/blob/master/README.md",
    "KGATEWAY": "https://github.com/kgateway-dev/kgateway/blob/main/README.md",
    "CILIUM-INGRESS": "https://github.com/cilium/cilium/blob/main/Documentation/network/servicemesh/ingress.rst",
    "CILIUM-GW": "https://github.com/cilium/cilium/blob/main/Documentation/network/servicemesh/gateway-api/gateway-api.rst",
    "GWAPI-HTTPROUTE": "https://github.com/kubernetes-sigs/gateway-api/blob/v1.6.3/apis/v1/httproute_types.go",
    "ALB-REDIRECT": "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RedirectActionConfig.html",
    "EKS-AUTO-NLB": "https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-nlb.html",
    "EKS-AUTO-ALB": "https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-alb.html",
    "EKS-AUTO-LB": "https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html",
    "EKS-AUTO-POLICY": "https://docs.aws.amazon.com/eks/latest/userguide/access-policy-reference.html",
    "RFC9113": "https://www.rfc-editor.org/rfc/rfc9113#name-starting-http-2",
    "RFC6125": "https://www.rfc-editor.org/rfc/rfc6125#section-6.4.3",
    # Envoy Gateway and Gateway API, Traefik: how compare's hints say a setting in their terms (catalog/advice.yaml).
    "EG-CTP": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#clienttrafficpolicyspec",
    "EG-PP": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#proxyprotocolsettings",
    "EG-XFF": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#xforwardedforsettings",
    "GW-REDIRECT": "https://gateway-api.sigs.k8s.io/reference/spec/#httprequestredirectfilter",
    "TRAEFIK-EP": "https://github.com/traefik/traefik/blob/v3.6.12/pkg/config/static/entrypoints.go",
    "TRAEFIK-RD": "https://github.com/traefik/traefik/blob/v3.6.12/pkg/middlewares/redirect/redirect.go",
    # Envoy Gateway (edgeconform/controllers/envoy_gateway/): its API reference, tasks and Gateway API's spec.
    "EG-CIP": "https://gateway.envoyproxy.io/v1.9/tasks/traffic/client-traffic-policy/",
    "EG-TLS": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#clienttlssettings",
    "EG-SVC": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#kubernetesservicespec",
    "EG-STANDALONE": "https://gateway.envoyproxy.io/v1.9/tasks/operations/standalone-deployment-mode/",
    "EG-HOST": "https://gateway.envoyproxy.io/v1.9/api/extension_types/#envoygatewayhostinfrastructureprovider",
    "GW-LISTENER": "https://gateway-api.sigs.k8s.io/reference/spec/#listener",
    "GW-HTTPROUTE": "https://gateway-api.sigs.k8s.io/api-types/httproute/",
}

# Issues from §6 of the facts sheet (and the ones this harness's rules rest on), cited as "#n" (or "repo#n" where
# the number is ambiguous). Issue threads are secondary sources: user reports, maintainers' words.
ISSUES: dict[str, str] = {
    "#6996": "https://github.com/kubernetes/ingress-nginx/issues/6996",
    "#13320": "https://github.com/kubernetes/ingress-nginx/issues/13320",
    "#10982": "https://github.com/kubernetes/ingress-nginx/issues/10982",
    "#2724": "https://github.com/kubernetes/ingress-nginx/issues/2724",
    "#1957": "https://github.com/kubernetes/ingress-nginx/issues/1957",
    "#12877": "https://github.com/kubernetes/ingress-nginx/issues/12877",
    "#3746": "https://github.com/kubernetes/ingress-nginx/issues/3746",
    "istio#11579": "https://github.com/istio/istio/issues/11579",
    "istio#25875": "https://github.com/istio/istio/issues/25875",
    "contour#4833": "https://github.com/projectcontour/contour/issues/4833",
    "#9163": "https://github.com/kubernetes/ingress-nginx/issues/9163",
    "#6758": "https://github.com/kubernetes/ingress-nginx/issues/6758",
    "#1160": "https://github.com/kubernetes/cloud-provider-aws/issues/1160",
    "#1825": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1825",
    "#3521": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/3521",
    "#4326": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/4326",
    "#1813": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1813",
    "#4153": "https://github.com/emissary-ingress/emissary/issues/4153",
    "#3979": "https://github.com/emissary-ingress/emissary/issues/3979",
    "#57250": "https://github.com/kubernetes/kubernetes/issues/57250",
    "#1752": "https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/1752",
    "#1815": "https://github.com/kubernetes/ingress-nginx/issues/1815",
    "#12768": "https://github.com/kubernetes/ingress-nginx/pull/12768",
    "contour#2347": "https://github.com/projectcontour/contour/issues/2347",
    # Envoy Gateway and Envoy
    "eg#9219": "https://github.com/envoyproxy/gateway/issues/9219",
    "eg#2632": "https://github.com/envoyproxy/gateway/issues/2632",
    "eg#9452": "https://github.com/envoyproxy/gateway/issues/9452",
    "envoy#43031": "https://github.com/envoyproxy/envoy/issues/43031",
    "envoy#34241": "https://github.com/envoyproxy/envoy/issues/34241",
}

# Traefik (edgeconform/controllers/traefik/): its documentation for the release it pins (v3.6), and the source
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

# What edgeconform import reads beside manifests (edgeconform/importing/formats): the Helm charts whose values it
# renders (charts.yaml), Helm's --set syntax, the Terraform providers' resources.
FORMATS: dict[str, str] = {
    "CHART-NGX": "https://github.com/kubernetes/ingress-nginx/blob/main/charts/ingress-nginx/values.yaml",
    "CHART-NGX-SVC": "https://github.com/kubernetes/ingress-nginx/blob/main/charts/ingress-nginx/templates/"
    "controller-service.yaml",
    "CHART-BITNAMI-NGX": "https://github.com/bitnami/charts/blob/main/bitnami/nginx-ingress-controller/values.yaml",
    "CHART-TRAEFIK": "https://github.com/traefik/traefik-helm-chart/blob/master/traefik/values.yaml",
    "CHART-TRAEFIK-SVC": "https://github.com/traefik/traefik-helm-chart/blob/master/traefik/templates/_service.tpl",
    "CHART-EG": "https://github.com/envoyproxy/gateway/blob/v1.9.1/charts/gateway-helm/values.tmpl.yaml",
    "CHART-ISTIO-GW": "https://github.com/istio/istio/blob/master/manifests/charts/gateway/values.yaml",
    "HELM-SET": "https://github.com/helm/helm/blob/main/pkg/strvals/parser.go",
    "TF-K8S": "https://github.com/hashicorp/terraform-provider-kubernetes/tree/main/docs/resources",
    "TF-HELM": "https://github.com/hashicorp/terraform-provider-helm/blob/main/docs/resources/release.md",
}

ALL_KEYS = {**SOURCES, **ISSUES, **TRAEFIK, **FORMATS}

# Where a claim rests on words the current page does not show in the same form: the text relied on, and its date.
# The awsdocs archive (github.com/awsdocs/elb-*-load-balancers-user-guide, doc_source/) was frozen on 2023-06-15.
DATED: dict[str, str] = {
    "NLB-TG23": "the 'Proxy protocol' section as the NLB guide had it on 2023-06-15 (awsdocs archive, "
                "load-balancer-target-groups.md): the header is prepended, existing headers kept, health checks "
                "carry it without client information, PrivateLink adds TLV 0xEA",
    "NLB-TLS23": "the certificate-list and smart-selection text of 2023-06-15 (create-tls-listener.md)",
    "NLB-TS23": "the hairpin (loopback) timeout text of 2023-06-15 (load-balancer-troubleshooting.md)",
    "ALB-ATTR": "the attribute list of 2023-06-15 (application-load-balancers.md): routing.http2.enabled, "
                "xff_client_port, preserve_host_header, desync mitigation and their defaults",
    "ALB-L23": "the redirect-action text of 2023-06-15 (load-balancer-listeners.md): #{host|port|path|query}, the "
               "loop guard, no HTTPS to HTTP",
    "ALB-HTTPS23": "the certificate-list and smart-selection text of 2023-06-15 (create-https-listener.md)",
    "CLB-HTTPS23": "'Classic Load Balancers do not support SNI' and 'do not support mutual TLS', as of 2023-06-15 "
                   "(elb-https-load-balancers.md); the current page still says so",
    "CLB-TLSPOL": "the 'Protocols by policy' table as of 2023-06-15 (elb-security-policy-table.md)",
    "CF-ORIGIN": "the request-header table of 2023-06-15 (amazon-cloudfront-developer-guide archive): CloudFront "
                 "appends the viewer to X-Forwarded-For and removes X-Forwarded-Proto",
}

# Addresses a source may have: AWS's own documentation and blogs, the Kubernetes projects, the RFC editor, Envoy's
# site; on GitHub only the organisations whose code or issues the rules cite.
ALLOWED_HOSTS = ("docs.aws.amazon.com", "aws.amazon.com", "github.com", "www.rfc-editor.org", "www.envoyproxy.io",
                 "kubernetes.github.io", "kubernetes.io", "doc.traefik.io", "gateway.envoyproxy.io",
                 "gateway-api.sigs.k8s.io")
GITHUB_ORGS = ("kubernetes", "kubernetes-sigs", "envoyproxy", "haproxy", "pires", "projectcontour", "istio",
               "emissary-ingress", "traefik", "ICRAR", "nginx", "haproxytech", "jcmoraisjr", "kgateway-dev", "cilium",
               "bitnami", "helm", "hashicorp")

_KEY = re.compile(r"^(#\d+|[a-z]+#\d+|[A-Z0-9]+(-[A-Z0-9]+)*)$")


def url(key: str) -> str:
    """The address behind a source key; KeyError names the unknown key."""
    try:
        return ALL_KEYS[key]
    except KeyError:
        raise KeyError(f"unknown source key {key!r}; known keys are listed in edgeconform/sources.py") from None


def address_problem(address: str) -> str | None:
    """Why ``address`` is not an acceptable source address (None: it is)."""
    parts = urlsplit(address)
    if parts.scheme != "https":
        return "not https"
    if parts.hostname not in ALLOWED_HOSTS:
        return f"host {parts.hostname} is not one of {', '.join(ALLOWED_HOSTS)}"
    if parts.hostname == "github.com":
        org = parts.path.strip("/").split("/")[0]
        if org not in GITHUB_ORGS:
            return f"GitHub organisation {org!r} is not one of {', '.join(GITHUB_ORGS)}"
    return None


def cite(keys) -> str:
    """Source keys as they appear in messages: [NLB-TGA][#1825]."""
    return "".join(f"[{key}]" for key in keys)


def unknown(keys: list[str] | tuple[str, ...]) -> list[str]:
    """The keys in ``keys`` that cannot be followed."""
    return [k for k in keys if k not in ALL_KEYS or not _KEY.match(k)]
