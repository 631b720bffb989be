"""edgeconform import of the edges issue 19 adds: the load balancer straight to the application (controller none),
controllers recognised but not run (named with the load balancer found), the defaults of the component that creates
the load balancer (the LBC by version and with its own settings, the in-tree provider, Auto Mode), what a person
would resolve (an object given twice, no hostname, annotations the component ignores), an IngressGroup as one ALB,
roles from protocols and redirects scoped to what they attach to, and --edge among a cluster's objects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from edgeconform import controllers, importing, sources
from edgeconform.cli import main
from edgeconform.load_balancers import creators

P = "service.beta.kubernetes.io/aws-load-balancer-"
A = "alb.ingress.kubernetes.io/"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def nlb(annotations: dict[str, str], *, selector: str = "shop", ports: str = "[{name: http, port: 80, targetPort: 8080}]",
        extra: str = "") -> str:
    lines = "".join(f"\n        {key}: {value!r}" for key, value in annotations.items())
    return f"""
    apiVersion: v1
    kind: Service
    metadata:
      name: shop
      namespace: shop
      annotations: {{}}{lines}
    spec:
      type: LoadBalancer{extra}
      selector: {{app.kubernetes.io/name: {selector}}}
      ports: {ports}
    """.replace("annotations: {}\n        ", "annotations:\n        ") if annotations else f"""
    apiVersion: v1
    kind: Service
    metadata: {{name: shop, namespace: shop}}
    spec:
      type: LoadBalancer{extra}
      selector: {{app.kubernetes.io/name: {selector}}}
      ports: {ports}
    """


APP = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: shop, namespace: shop}
    spec:
      selector: {matchLabels: {app.kubernetes.io/name: shop}}
      template:
        metadata: {labels: {app.kubernetes.io/name: shop}}
        spec: {containers: [{name: shop, image: registry.example.test/shop:1.0}]}
    """
ALB = """
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: shop
      namespace: shop
      annotations: {%s}
    spec:
      ingressClassName: alb
      rules:
        - host: shop.example.test
          http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}]}
    """
APP_SERVICE = """
    apiVersion: v1
    kind: Service
    metadata: {name: shop, namespace: shop}
    spec:
      type: NodePort
      selector: {app.kubernetes.io/name: shop}
      ports: [{port: 80, targetPort: 8080}]
    """


def warned(result: importing.Imported, *words: str) -> bool:
    return any(all(word in w for word in words) for w in result.record["warnings"])


# --- the load balancer straight to the application ----------------------------------------------------------------
def test_an_alb_ingress_to_the_application_is_controller_none_with_the_lbc_defaults(tmp_path):
    write(tmp_path, "ingress.yaml", ALB % f"{A}certificate-arn: arn:aws:acm:eu-west-1:111122223333:certificate/a, "
                                          f"{A}listen-ports: '[{{\"HTTP\": 80}}, {{\"HTTPS\": 443}}]', "
                                          f"{A}ssl-redirect: '443'")
    write(tmp_path, "app.yaml", APP_SERVICE)
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml")
    t = result.topology
    assert t.controller.kind == "none" and t.controller.cleartext == "serve"
    assert [(i.port, i.protocol, i.target) for i in t.lb.listeners] == [(80, "HTTP", "http"), (443, "HTTPS", "http")]
    assert t.lb.ssl_redirect and t.layer == "l7"
    # what the LBC applies where the Ingress names nothing, each cited [LBC-CFG]
    assert (t.lb.created_by, t.lb.scheme, t.lb.target_type) == ("lbc", "internal", "instance")
    assert t.tls_policy.name == "ELBSecurityPolicy-2016-08" and t.tls_policy.outdated
    assert "LBC-CFG" in result.entry["sources"]["load_balancer.tls_policy"]
    assert "LBC-CFG" in result.entry["sources"]["load_balancer.scheme"]
    assert "the application straight behind it" in result.entry["description"]


def test_an_nlb_passing_tls_through_to_the_application_lands_on_its_tls_port(tmp_path):
    write(tmp_path, "svc.yaml", nlb({P + "type": "external", P + "nlb-target-type": "ip"},
                                    ports="[{name: https, port: 443, targetPort: https}]"))
    write(tmp_path, "app.yaml", APP)
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml")
    t = result.topology
    assert t.controller.kind == "none" and [(i.protocol, i.target) for i in t.lb.listeners] == [("TCP", "https")]
    assert t.tls_terminates_at == "controller" and t.controller.certificates == ["shop.example.test"]
    assert warned(result, "TLS reaches the application", "one per hostname")
    # no hostname anywhere: one made up from the object's name, and said (never a refusal)
    assert t.hostnames == ["shop.example.test"] and warned(result, "no hostname", "--hostname")


def test_the_application_serves_the_tls_secrets_its_pods_mount(tmp_path):
    """TLS passed through to the application: its certificates are the TLS Secrets its pods mount (in volume order,
    each read from its certificate and cited); a Secret that holds no certificate, or is not among the inputs, is
    none of them; their names stand in for the hostnames no object of an application names."""
    import base64

    import trustme

    ca = trustme.CA()
    issued = [ca.issue_cert(name).cert_chain_pems[0].bytes() for name in ("default.shop.test", "shop.example.com")]
    secrets = "".join(f"""
    ---
    apiVersion: v1
    kind: Secret
    type: kubernetes.io/tls
    metadata: {{name: tls-{i}, namespace: shop}}
    data: {{tls.crt: {base64.b64encode(pem).decode()}, tls.key: eA==}}
    """ for i, pem in enumerate(issued))
    write(tmp_path, "svc.yaml", nlb({P + "type": "external", P + "nlb-target-type": "ip"},
                                    ports="[{name: https, port: 443, targetPort: https}]"))
    write(tmp_path, "app.yaml", APP.replace("spec: {containers:", "spec: {volumes: [{name: a, secret: {secretName: db}}, "
                                            "{name: b, secret: {secretName: tls-0}}, {name: c, secret: {secretName: "
                                            "gone}}, {name: d, secret: {secretName: tls-1}}], containers:") + """
    ---
    apiVersion: v1
    kind: Secret
    metadata: {name: db, namespace: shop}
    stringData: {password: x}
    """ + secrets)
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml")
    t = result.topology
    assert t.controller.kind == "none" and t.controller.certificates == ["default.shop.test", "shop.example.com"]
    # each certificate at its Secret, and the pod volumes that mount them
    assert result.entry["sources"]["controller.certificates"] == ["app.yaml:21", "app.yaml:8", "app.yaml:28"]
    assert t.hostnames == ["default.shop.test", "shop.example.com"] and warned(result, "certificates' names are taken")
    # TLS ended at the load balancer does not reach the application: its certificates are not the edge's
    write(tmp_path, "svc.yaml", nlb({P + "type": "external", P + "nlb-target-type": "ip",
                                     P + "ssl-cert": "arn:aws:acm:eu-west-1:111122223333:certificate/a"},
                                    ports="[{name: https, port: 443, targetPort: 8080}]"))
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml")
    assert result.topology.tls_terminates_at == "lb" and "certificates" not in result.entry["controller"]


def test_an_lbc_gateway_whose_service_is_not_given_forwards_to_the_application(tmp_path):
    write(tmp_path, "gw.yaml", """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: alb}
        spec: {controllerName: gateway.k8s.aws/alb}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: web, namespace: shop}
        spec:
          gatewayClassName: alb
          listeners:
            - {name: https, protocol: HTTP, port: 80}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web, namespace: shop}
        spec:
          parentRefs: [{name: web}]
          rules: [{backendRefs: [{name: shop, port: 80}]}]
        """)
    t = importing.from_paths([tmp_path], output=tmp_path / "out.yaml").topology
    # a listener named https with protocol HTTP is a cleartext listener: roles come from protocols, not names
    assert [(i.port, i.protocol, i.target) for i in t.lb.listeners] == [(80, "HTTP", "http")]
    assert t.controller.kind == "none" and t.lb.created_by == "lbc" and t.lb.scheme == "internal"


# --- the component that creates the load balancer -----------------------------------------------------------------
def test_auto_mode_defaults_to_ip_targets_and_ignores_what_it_does_not_support(tmp_path):
    write(tmp_path, "svc.yaml", nlb({P + "type": "nlb", P + "proxy-protocol": "*"},
                                    extra="\n      loadBalancerClass: eks.amazonaws.com/nlb"))
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml")
    t = result.topology
    assert (t.lb.created_by, t.lb.target_type, t.preserves_client_ip) == ("auto-mode", "ip", False)
    assert t.lb.proxy_protocol is None  # not supported by Auto Mode: ignored as it ignores it, with a note
    assert warned(result, P + "proxy-protocol", "EKS Auto Mode", "ignored", "[EKS-AUTO-NLB]")
    assert warned(result, P + "type", "is not read", "loadBalancerClass")
    assert "scheme internal" in " ".join(t.lb.unverified)  # Auto Mode documents no default scheme: said


def test_the_in_tree_nlb_ignores_proxy_protocol_and_has_no_security_groups(tmp_path):
    write(tmp_path, "svc.yaml", nlb({P + "type": "nlb", P + "proxy-protocol": "*", P + "backend-protocol": "http",
                                     P + "ssl-cert": "arn:aws:acm:eu-west-1:111122223333:certificate/a"},
                                    ports="[{name: https, port: 443, targetPort: 8080}]"))
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml", hostnames=["shop.example.test"])
    t = result.topology
    assert (t.lb.model, t.lb.created_by, t.lb.proxy_protocol, t.security_groups) == ("nlb", "in-tree", None, False)
    assert (t.lb.scheme, t.tls_policy.name) == ("internet-facing", "ELBSecurityPolicy-2016-08")
    assert [(i.protocol, i.target) for i in t.lb.listeners] == [("TLS", "http")]
    # backend-protocol http on an NLB is not refused: the provider reads only ssl there
    assert warned(result, P + "backend-protocol", "not read by the legacy in-tree provider", "[CPA]")
    assert warned(result, P + "proxy-protocol", "Classic ELB only")
    assert "CPA-LB" in result.entry["sources"]["load_balancer.security_groups"]


LBC_DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: aws-load-balancer-controller, namespace: kube-system}
    spec:
      selector: {matchLabels: {app.kubernetes.io/name: aws-load-balancer-controller}}
      template:
        metadata: {labels: {app.kubernetes.io/name: aws-load-balancer-controller}}
        spec:
          containers:
            - name: aws-load-balancer-controller
              image: public.ecr.aws/eks/aws-load-balancer-controller:%s
              args:
                - --cluster-name=prod
                - --default-ssl-policy=ELBSecurityPolicy-TLS13-1-2-2021-06
                - --default-target-type=ip
                - --default-load-balancer-scheme=internet-facing
    """


@pytest.mark.parametrize("version, groups", [("v2.4.7", False), ("v3.6.2", True)])
def test_the_users_lbc_settings_and_release_give_its_defaults(tmp_path, version, groups):
    """The LBC's own Deployment among the inputs: its arguments are the defaults, its release decides the NLB's
    security groups (v2.6.0 and later), and its Service webhook takes the class-less NLB from the in-tree provider."""
    write(tmp_path, "lbc.yaml", LBC_DEPLOYMENT % version)
    write(tmp_path, "svc.yaml", nlb({P + "type": "nlb", P + "ssl-cert": "arn:aws:acm:eu-west-1:111122223333:"
                                                                      "certificate/a"}))
    write(tmp_path, "app.yaml", APP)
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml")
    t = result.topology
    assert (t.lb.created_by, t.lb.target_type, t.lb.scheme) == ("lbc", "ip", "internet-facing")
    assert t.tls_policy.name == "ELBSecurityPolicy-TLS13-1-2-2021-06" and t.security_groups is groups
    assert any(ref.startswith("lbc.yaml:") for ref in result.entry["sources"]["load_balancer.tls_policy"])
    assert warned(result, "Service webhook", "service.k8s.aws/nlb")


def test_creators_yaml_cites_known_sources_and_policies_its_models_have():
    from edgeconform import load_balancers

    for creator in creators.all_creators().values():
        for name, default in creator.defaults.items():
            assert not sources.unknown(list(default.sources)), (creator.name, name)
            if name == "tls_policy":
                for model in creator.models:
                    assert default.value in load_balancers.get(model).tls_policies, (creator.name, model)
        for table in creator.ignores.values():
            for key, ignored in table.items():
                assert "/" in key and not sources.unknown(list(ignored.sources)), (creator.name, key)


# --- what a person would resolve ----------------------------------------------------------------------------------
def test_the_same_object_given_twice_resolves_to_the_later(tmp_path):
    base = write(tmp_path, "a.yaml", nlb({P + "type": "external", P + "nlb-target-type": "instance"}))
    write(tmp_path, "b.yaml", """
        apiVersion: v1
        kind: Service
        metadata:
          name: shop
          namespace: shop
          annotations:
            service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
        """)
    # a fragment (no spec): merged over the earlier key by key, as the overlay's patch is
    result = importing.from_paths([base, tmp_path / "b.yaml"], output=tmp_path / "out.yaml")
    assert result.topology.lb.target_type == "ip" and len(result.topology.lb.listeners) == 1
    assert warned(result, "Service shop/shop is given twice", "merged")
    assert result.entry["sources"]["load_balancer.target_type"][-1] == "b.yaml:7"  # the later file's line
    assert "a.yaml:" in " ".join(result.entry["sources"]["load_balancer.listeners"])
    # a complete later object replaces the earlier, as kubectl apply of it would
    write(tmp_path, "b.yaml", nlb({P + "type": "external", P + "nlb-target-type": "ip"},
                                  ports="[{name: web, port: 8080, targetPort: 8080}]"))
    result = importing.from_paths([base, tmp_path / "b.yaml"], output=tmp_path / "out.yaml")
    assert [i.port for i in result.topology.lb.listeners] == [8080] and warned(result, "replacing the earlier")


def test_an_ingress_group_is_one_alb(tmp_path):
    write(tmp_path, "a.yaml", ALB % f"{A}group.name: shop, {A}target-type: ip")
    write(tmp_path, "b.yaml", (ALB % f"{A}group.name: shop, {A}group.order: '5', {A}listen-ports: "
                                     "'[{\"HTTP\": 8080}]'").replace("name: shop\n", "name: api\n", 1)
          .replace("shop.example.test", "api.example.test"))
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml")
    t = result.topology
    assert [i.port for i in t.lb.listeners] == [80, 8080] and t.hostnames == ["shop.example.test", "api.example.test"]
    assert warned(result, "IngressGroup shop", "one ALB")
    write(tmp_path, "b.yaml", (tmp_path / "b.yaml").read_text().replace("group.order: '5'",
                                                                       "group.order: '5', alb.ingress.kubernetes.io/"
                                                                       "scheme: internet-facing"))
    with pytest.raises(importing.ImportFailed, match=r"b.yaml:\d+: Ingress shop/api: .*scheme is 'internet-facing' "
                                                     r"here and 'internal' in Ingress shop/shop"):
        importing.from_paths([tmp_path], output=tmp_path / "out.yaml")


# --- controllers recognised, not run ------------------------------------------------------------------------------
RECOGNISED = {
    "istio": ("apps/v1", "Deployment", "spec: {template: {metadata: {labels: {istio: ingressgateway}}, spec: "
              "{containers: [{name: istio-proxy, image: docker.io/istio/proxyv2:1.28.0}]}}}", "Istio ingress gateway"),
    "contour": ("gateway.networking.k8s.io/v1", "GatewayClass", "spec: {controllerName: "
                "projectcontour.io/gateway-controller}", "Contour"),
    "nginx-gateway-fabric": ("gateway.nginx.org/v1alpha2", "NginxProxy", "spec: {}", "NGINX Gateway Fabric"),
    "haproxy": ("networking.k8s.io/v1", "IngressClass", "spec: {controller: haproxy.org/ingress-controller/prod}",
                "HAProxy ingress controller"),
    "kgateway": ("gateway.networking.k8s.io/v1", "GatewayClass", "spec: {controllerName: kgateway.dev/kgateway}",
                 "kgateway"),
    "cilium": ("networking.k8s.io/v1", "IngressClass", "spec: {controller: cilium.io/ingress-controller}",
               "Cilium ingress / Gateway API"),
}


@pytest.mark.parametrize("name", RECOGNISED)
def test_a_recognised_controller_is_refused_naming_it_and_the_load_balancer(tmp_path, name):
    api, kind, spec, title = RECOGNISED[name]
    write(tmp_path, "mark.yaml", f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: mark, namespace: edge}}\n{spec}\n")
    write(tmp_path, "svc.yaml", nlb({P + "type": "external", P + "nlb-target-type": "ip"}, selector="edge"))
    with pytest.raises(importing.ImportFailed) as caught:
        importing.from_paths([tmp_path])
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'mark.yaml'}:") and f": {kind} edge/mark: field " in message
    assert f"{title} " in message and "behind an NLB created by the AWS Load Balancer Controller" in message
    assert "\n" not in message
    assert controllers.controller_class(name).runs_on == ()


def test_the_load_balancer_a_recognised_controller_makes_itself_is_named(tmp_path):
    """NGINX Gateway Fabric's NginxProxy says how its Service is made: the refusal names that NLB."""
    write(tmp_path, "ngf.yaml", """
        apiVersion: gateway.nginx.org/v1alpha2
        kind: NginxProxy
        metadata: {name: proxy, namespace: nginx-gateway}
        spec:
          kubernetes:
            service:
              type: LoadBalancer
              annotations:
                service.beta.kubernetes.io/aws-load-balancer-type: external
                service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
        """)
    with pytest.raises(importing.ImportFailed, match=r"ngf.yaml:1: NginxProxy nginx-gateway/proxy: field apiVersion: "
                                                     r"NGINX Gateway Fabric \[NGF-NLB\] behind an NLB created by the "
                                                     r"AWS Load Balancer Controller \(the Service NginxProxy"):
        importing.from_paths([tmp_path])


def test_every_refusal_after_the_load_balancer_says_what_was_found(tmp_path):
    write(tmp_path, "svc.yaml", nlb({P + "type": "external", P + "nlb-target-type": "ip",
                                     P + "ip-address-type": "ipv7"}))
    write(tmp_path, "app.yaml", APP)
    with pytest.raises(importing.ImportFailed) as caught:
        importing.from_paths([tmp_path])
    assert str(caught.value).endswith("(found: an NLB (Service shop/shop) in front of the application (controller "
                                      "none))")


# --- roles from protocols, scoped redirects -----------------------------------------------------------------------
def test_a_traefik_websecure_entry_point_with_tls_off_is_cleartext(tmp_path):
    write(tmp_path, "svc.yaml", nlb({P + "type": "external", P + "nlb-target-type": "ip"}, selector="traefik",
                                    ports="[{name: web, port: 80, targetPort: web}, "
                                          "{name: websecure, port: 8080, targetPort: websecure}]"))
    write(tmp_path, "values.yaml", "ports:\n  web: {port: 8000, exposedPort: 80}\n"
                                   "  websecure: {port: 8443, exposedPort: 8080, tls: {enabled: false}}\n")
    t = importing.from_paths([tmp_path], output=tmp_path / "out.yaml", hostnames=["a.example.test"]).topology
    assert [(i.port, i.target) for i in t.lb.listeners] == [(80, "http"), (8080, "http")]


def test_a_redirect_scoped_to_one_listener_makes_no_loop(tmp_path):
    """An LBC ALB Gateway: the redirect route attaches to the HTTP listener (sectionName), the backend route to the
    HTTPS one: the ALB redirects 80 and serves 443, no loop."""
    write(tmp_path, "gw.yaml", """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: alb}
        spec: {controllerName: gateway.k8s.aws/alb}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: web, namespace: shop}
        spec:
          gatewayClassName: alb
          infrastructure: {parametersRef: {group: gateway.k8s.aws, kind: LoadBalancerConfiguration, name: web}}
          listeners:
            - {name: plain, protocol: HTTP, port: 80}
            - {name: secure, protocol: HTTPS, port: 443}
        ---
        apiVersion: gateway.k8s.aws/v1beta1
        kind: LoadBalancerConfiguration
        metadata: {name: web, namespace: shop}
        spec:
          listenerConfigurations:
            - {protocolPort: "HTTPS:443", defaultCertificate: "arn:aws:acm:eu-west-1:111122223333:certificate/a"}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: to-https, namespace: shop}
        spec:
          parentRefs: [{name: web, sectionName: plain}]
          rules: [{filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: app, namespace: shop}
        spec:
          parentRefs: [{name: web, sectionName: secure}]
          hostnames: [shop.example.test]
          rules: [{backendRefs: [{name: shop, port: 80}]}]
        """)
    t = importing.from_paths([tmp_path], output=tmp_path / "out.yaml").topology
    assert t.lb.ssl_redirect and [(i.port, i.protocol) for i in t.lb.listeners] == [(80, "HTTP"), (443, "HTTPS")]
    from edgeconform import findings
    assert "REDIRECT_LOOP" not in [f.code for f in findings.findings(t)]


# --- a cluster's objects: --edge ----------------------------------------------------------------------------------
def test_several_load_balancers_need_edge_and_edge_picks_one(tmp_path, capsys):
    write(tmp_path, "a.yaml", nlb({P + "type": "external", P + "nlb-target-type": "ip"}))
    write(tmp_path, "b.yaml", nlb({P + "type": "external", P + "nlb-target-type": "instance"})
          .replace("name: shop\n", "name: mqtt\n", 1))
    assert main(["import", str(tmp_path)]) == 2
    assert "give --edge" not in capsys.readouterr().err  # (the wording is "naming it with --edge")
    with pytest.raises(importing.ImportFailed, match=r"b.yaml:\d+: Service shop/mqtt: a second load balancer .*"
                                                     r"naming it with --edge 'Service shop/mqtt'"):
        importing.from_paths([tmp_path])
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml", edge="Service shop/mqtt")
    assert result.topology.lb.target_type == "instance"
    with pytest.raises(importing.ImportFailed, match=r"--edge Service shop/nope: no such load balancer object"):
        importing.from_paths([tmp_path], edge="Service shop/nope")
    out = tmp_path / "edge.yaml"
    assert main(["import", str(tmp_path), "--edge", "Service shop/shop", "-o", str(out)]) == 0
    assert yaml.safe_load(out.read_text())["topologies"]["shop"]["load_balancer"]["target_type"] == "ip"


EMISSARY_1X = """
    apiVersion: v1
    kind: Service
    metadata:
      name: ambassador
      namespace: ambassador
      annotations:
        service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:eu-west-1:111122223333:certificate/a
        service.beta.kubernetes.io/aws-load-balancer-ssl-ports: "443"
        service.beta.kubernetes.io/aws-load-balancer-proxy-protocol: "*"
        getambassador.io/config: |
          ---
          apiVersion: getambassador.io/v2
          kind:  Module
          name:  ambassador
          config:
            use_remote_address: false
            use_proxy_proto: true
          ---
          apiVersion: getambassador.io/v2
          kind: Module
          name: tls
          config:
            server:
              enabled: true
              redirect_cleartext_from: 8080
    spec:
      type: LoadBalancer
      selector: {service: ambassador}
      ports: [{name: https, port: 443, targetPort: 8443}, {name: http, port: 80, targetPort: 8080}]
    """


@pytest.mark.parametrize("as_objects", [False, True])
def test_emissary_1x_modules_in_the_service_annotation(tmp_path, as_objects):
    """Emissary's AWS guide (L4 with redirect): its Modules in the Service's getambassador.io/config annotation, read
    there or as the objects they stand for (as branch import-formats hands them over), at their lines."""
    text = textwrap.dedent(EMISSARY_1X).lstrip()
    if as_objects:
        head, _, rest = text.partition("    getambassador.io/config: |\n")
        text = head + rest[rest.index("spec:"):] + textwrap.dedent("""
            ---
            apiVersion: getambassador.io/v2
            kind: Module
            metadata: {name: ambassador, namespace: ambassador}
            spec: {config: {use_remote_address: false, use_proxy_proto: true}}
            ---
            apiVersion: getambassador.io/v2
            kind: Module
            metadata: {name: tls, namespace: ambassador}
            spec: {config: {server: {enabled: true, redirect_cleartext_from: 8080}}}
            """)
    (tmp_path / "svc.yaml").write_text(text)
    result = importing.from_paths([tmp_path], output=tmp_path / "out.yaml", hostnames=["shop.example.test"])
    t = result.topology
    assert t.controller.kind == "emissary" and t.controller.proxy_protocol and t.controller.trusted_hops == 1
    assert [(i.port, i.protocol, i.target) for i in t.lb.listeners] == [(80, "TCP", "redirect"), (443, "SSL", "http")]
    assert (t.lb.created_by, t.lb.proxy_protocol, t.tls_policy.name) == ("in-tree", "v1", "ELBSecurityPolicy-2016-08")
    # the TLS the ELB ends reaches Emissary's TLS port in cleartext: imported on the http port, and said
    assert warned(result, "listener 443 ends TLS at the load balancer", "expects TLS")
    if not as_objects:
        assert result.entry["sources"]["controller.proxy_protocol"][-1] == "svc.yaml:17"


@pytest.mark.parametrize("path, value, said", [
    (("spec", "rules"), "x", "field spec.rules: must be a list (got 'x')"),
    (("spec", "rules", 0, "http", "paths", 0), None, "field spec.rules[0].http.paths[0]: must be a mapping (got "
                                                     "None)"),
    (("spec", "rules", 0, "http", "paths", 0, "backend", "service", "port"), 80, "must be a mapping (got 80)"),
    (("metadata", "annotations"), ["a"], "field metadata.annotations: must be a mapping (got a list"),
])
def test_a_value_of_the_wrong_shape_is_one_line_naming_the_field(tmp_path, path, value, said):
    data = yaml.safe_load(textwrap.dedent(ALB % ""))
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    (tmp_path / "ingress.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(importing.ImportFailed) as caught:
        importing.from_paths([tmp_path])
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'ingress.yaml'}:") and "Ingress shop/shop" in message and said in message
    assert "\n" not in message
