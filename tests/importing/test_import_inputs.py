"""edgeconform import on hand-written manifests: what each kind of input gives, bad input as one error naming the
file, the object and the field, partial input as documented defaults with a warning, the CLI, and the cluster path
up to the API server (objects built here, an unreachable server on a closed loopback port)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from edgeconform import catalog, controllers, findings, importing
from edgeconform.cli import main
from edgeconform.importing import cluster

P = "service.beta.kubernetes.io/aws-load-balancer-"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


SERVICE = """
    apiVersion: v1
    kind: Service
    metadata:
      name: ingress-nginx-controller
      namespace: ingress-nginx
      annotations:
        service.beta.kubernetes.io/aws-load-balancer-type: external
        service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
        service.beta.kubernetes.io/aws-load-balancer-proxy-protocol: "*"
    spec:
      type: LoadBalancer
      externalTrafficPolicy: Cluster
      selector: {app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller}
      ports:
        - {name: http, port: 80, targetPort: http}
        - {name: https, port: 443, targetPort: https}
    """
CONFIGMAP = """
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
    data:
      use-proxy-protocol: "true"
      enable-opentelemetry: "true"
    """
INGRESS = """
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: shop, namespace: shop}
    spec:
      ingressClassName: nginx
      tls: [{hosts: [shop.example.test], secretName: shop-tls}]
      rules:
        - host: shop.example.test
          http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}]}
    """


def test_a_service_configmap_and_ingress_make_an_nlb_topology_with_lines(tmp_path):
    folder = tmp_path / "k8s"
    folder.mkdir()
    write(folder, "service.yaml", SERVICE)
    write(folder, "configmap.yaml", CONFIGMAP)
    write(folder, "ingress.yaml", INGRESS)
    result = importing.from_paths([folder], output=tmp_path / "before.yaml")
    t = result.topology
    assert (t.lb.model, t.lb.target_type, t.lb.proxy_protocol) == ("nlb", "ip", "v2")
    assert [(item.port, item.protocol, item.target) for item in t.lb.listeners] == [(80, "TCP", "http"),
                                                                                     (443, "TCP", "https")]
    assert t.controller.kind == "ingress-nginx" and t.controller.proxy_protocol
    assert t.controller.settings == {"use-proxy-protocol": "true"}
    assert t.hostnames == ["shop.example.test"] and result.name == "shop"
    assert result.entry["sources"]["load_balancer.proxy_protocol"][-1] == "k8s/service.yaml:9"
    assert result.entry["sources"]["controller.settings.use-proxy-protocol"] == ["NGX-CM", "k8s/configmap.yaml:5"]
    # read but not understood: listed with where it is, never dropped
    assert {"file": "k8s/configmap.yaml", "line": 6, "object": "ConfigMap ingress-nginx/ingress-nginx-controller",
            "key": "enable-opentelemetry", "value": "true"} in result.record["not_understood"]
    (tmp_path / "before.yaml").write_text(importing.render(result))
    assert list(catalog.load_file(tmp_path / "before.yaml")) == ["shop"]


def test_helm_output_in_one_file_and_a_list_object_are_read(tmp_path):
    helm = "---\n# Source: ingress-nginx/templates/controller-service.yaml\n" + textwrap.dedent(SERVICE) + \
           "---\n# Source: ingress-nginx/templates/controller-configmap.yaml\n" + textwrap.dedent(CONFIGMAP)
    write(tmp_path, "rendered.yaml", helm)
    listed = {"apiVersion": "v1", "kind": "List", "items": [yaml.safe_load(textwrap.dedent(INGRESS))]}
    (tmp_path / "list.yaml").write_text(yaml.safe_dump(listed))
    result = importing.from_paths([tmp_path / "rendered.yaml", tmp_path / "list.yaml"])
    assert result.topology.controller.proxy_protocol and result.topology.hostnames == ["shop.example.test"]


def test_a_service_without_its_controller_config_gets_the_documented_defaults_and_a_warning(tmp_path):
    write(tmp_path, "service.yaml", SERVICE)
    result = importing.from_paths([tmp_path / "service.yaml"], hostnames=["shop.example.test"])
    t = result.topology
    assert t.controller.kind == "ingress-nginx"
    assert not t.controller.proxy_protocol  # the release's default: use-proxy-protocol false
    # ssl-redirect (on by default) redirects the hosts of Ingresses with a tls section, and none is given [NGX-CM]
    assert t.controller.cleartext == "serve"
    assert any("no ingress-nginx ConfigMap" in w and "defaults" in w for w in result.record["warnings"])
    assert any("no Ingress among the inputs has a tls section" in w for w in result.record["warnings"])
    # and what that means is a finding before anything runs
    assert "PROXY_NOT_EXPECTED" in [f.code for f in findings.findings(t)]


def test_legacy_in_tree_annotations_make_a_classic_elb(tmp_path):
    write(tmp_path, "svc.yaml", """
        apiVersion: v1
        kind: Service
        metadata:
          name: edge
          namespace: emissary
          annotations:
            service.beta.kubernetes.io/aws-load-balancer-backend-protocol: http
            service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:eu-west-1:111122223333:certificate/abc
            service.beta.kubernetes.io/aws-load-balancer-ssl-ports: https
            service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout: "120"
            service.beta.kubernetes.io/aws-load-balancer-access-log-enabled: "true"
        spec:
          type: LoadBalancer
          selector: {app.kubernetes.io/name: emissary-ingress}
          ports:
            - {name: http, port: 80, targetPort: 8080}
            - {name: https, port: 443, targetPort: 8080}
        """)
    result = importing.from_paths([tmp_path / "svc.yaml"], acm_certs={"*.example.test": "arn:aws:acm:eu-west-1:"
                                                                      "111122223333:certificate/abc"},
                                  hostnames=["shop.example.test"])
    t = result.topology
    assert t.lb.model == "clb" and t.lb.idle_timeout == 120 and t.lb.certificates == ["*.example.test"]
    assert [(i.port, i.protocol) for i in t.lb.listeners] == [(80, "HTTP"), (443, "HTTPS")]
    assert [n["key"] for n in result.record["not_understood"]] == [P + "access-log-enabled"]
    assert any("Emissary's documented defaults" in w for w in result.record["warnings"])


def test_eks_auto_mode_load_balancer_class_makes_an_nlb(tmp_path):
    text = SERVICE.replace("service.beta.kubernetes.io/aws-load-balancer-type: external",
                           "service.beta.kubernetes.io/aws-load-balancer-scheme: internal")
    text = text.replace("      type: LoadBalancer",
                        "      type: LoadBalancer\n      loadBalancerClass: eks.amazonaws.com/nlb")
    write(tmp_path, "svc.yaml", text)
    result = importing.from_paths([tmp_path / "svc.yaml"], hostnames=["a.example.test"])
    assert result.topology.lb.model == "nlb"
    assert "EKS-AUTO-NLB" in result.entry["sources"]["load_balancer.model"]


# --- bad input: one error naming the file, the object and the field ----------------------------------------------
def test_unparsable_yaml_names_the_file_and_line(tmp_path):
    write(tmp_path, "broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x\n")
    with pytest.raises(importing.ImportFailed) as caught:
        importing.from_paths([tmp_path / "broken.yaml"])
    assert f"{tmp_path / 'broken.yaml'}:" in str(caught.value) and "not valid YAML" in str(caught.value)


def test_a_controller_edgeconform_does_not_run_is_named_with_the_load_balancer_found(tmp_path):
    write(tmp_path, "svc.yaml", SERVICE.replace("ingress-nginx, app.kubernetes.io/component: controller", "contour"))
    with pytest.raises(importing.ImportFailed) as caught:
        importing.from_paths([tmp_path / "svc.yaml"])
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'svc.yaml'}:13: Service ingress-nginx/ingress-nginx-controller: field "
                              "spec.selector: Contour ")
    assert "behind an NLB created by the AWS Load Balancer Controller" in message and "\n" not in message
    # the controllers it does run are named as the way out
    assert all(name in message for name in ("emissary", "ingress-nginx", "traefik", "envoy-gateway"))


def test_a_service_selecting_pods_of_no_known_controller_is_the_application(tmp_path):
    """The load balancer straight to the application: controller none, which serves what arrives."""
    write(tmp_path, "svc.yaml", SERVICE.replace("ingress-nginx, app.kubernetes.io/component: controller", "shop"))
    result = importing.from_paths([tmp_path / "svc.yaml"], hostnames=["shop.example.test"])
    t = result.topology
    assert t.controller.kind == "none" and t.controller.cleartext == "serve" and not t.controller.proxy_protocol
    assert [(item.port, item.target) for item in t.lb.listeners] == [(80, "http"), (443, "https")]
    assert "the application straight behind it" in result.entry["description"]


ACME = """
    from edgeconform.controllers.base import Controller
    from edgeconform.importing.common import ControllerRead, Importer

    class AcmeImporter(Importer):
        kind = "acme"
        cluster_kinds = (("proxy.acme.example/v1", "Listener"),)
        app_name = "acme-proxy"

        def evidence(self, docs):
            return [doc for doc in docs if doc.api_version.startswith("proxy.acme.example/")]

        def read(self, docs, r, edge):
            mine = self.evidence(docs)
            r.use(*mine)
            out = ControllerRead("acme", found=bool(mine))
            for doc in mine:
                out.abstract["proxy_protocol"] = bool(doc.spec.get("proxyProtocol"))
                r.cite("controller.proxy_protocol", doc, "spec", "proxyProtocol")
            return out

    class Acme(Controller):
        name = "acme"
        title = "Acme proxy (recognised, not run)"
        runs_on = ()

        @classmethod
        def importer(cls):
            return AcmeImporter()
    """


def test_a_controller_recognised_but_not_run_is_a_plug_in_with_an_importer(installed_controller, tmp_path):
    """What issue 19's recognised controllers (Istio, Contour, ...) will be: a Controller that runs nowhere, and an
    importer that knows its objects and its pods."""
    installed_controller("acme_controller", ACME, "acme", "Acme")
    service = SERVICE.replace("ingress-nginx, app.kubernetes.io/component: controller", "acme-proxy")
    write(tmp_path, "svc.yaml", service)
    result = importing.from_paths([tmp_path / "svc.yaml"], hostnames=["a.example.test"])
    assert result.entry["controller"]["kind"] == "acme"  # its pods, selected by the Service
    write(tmp_path, "listener.yaml", """
        apiVersion: proxy.acme.example/v1
        kind: Listener
        metadata: {name: edge, namespace: acme}
        spec: {proxyProtocol: true}
        """)
    result = importing.from_paths([tmp_path], hostnames=["a.example.test"])
    assert result.entry["controller"]["kind"] == "acme" and result.topology.controller.proxy_protocol
    assert any(ref.endswith("listener.yaml:4") for ref in result.entry["sources"]["controller.proxy_protocol"])
    assert "acme" not in [*controllers.for_place("local"), *controllers.for_place("cluster")]
    assert ("proxy.acme.example/v1", "Listener") in cluster.kinds()


@pytest.mark.parametrize("change, field", [
    ((P + "nlb-target-type: ip", P + "nlb-target-type: instance\n    " + P + "type: nlb-ip"), None),
    (("proxy-protocol: \"*\"", "proxy-protocol: \"*\"\n    " + P + "target-group-attributes: "
      "proxy_protocol_v2.enabled=false"), P + "proxy-protocol"),
    (("proxy-protocol: \"*\"", "proxy-protocol: \"v2\""), P + "proxy-protocol"),
])
def test_conflicting_or_invalid_annotations_are_one_error_naming_the_annotation(tmp_path, change, field):
    text = textwrap.dedent(SERVICE)
    if change[1].endswith("type: nlb-ip"):
        text = text.replace("    " + P + "type: external\n", "")
    text = text.replace(*change)
    (tmp_path / "svc.yaml").write_text(text)
    with pytest.raises(importing.ImportFailed) as caught:
        importing.from_paths([tmp_path / "svc.yaml"])
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'svc.yaml'}:")
    assert "Service ingress-nginx/ingress-nginx-controller" in message
    assert f"field metadata.annotations.{field or P + 'nlb-target-type'}" in message
    assert "\n" not in message


def test_a_configmap_value_the_plugin_refuses_names_the_key(tmp_path):
    write(tmp_path, "svc.yaml", SERVICE)
    write(tmp_path, "cm.yaml", CONFIGMAP.replace('use-proxy-protocol: "true"', 'use-proxy-protocol: "maybe"'))
    with pytest.raises(importing.ImportFailed, match=r"cm.yaml:5: ConfigMap ingress-nginx/ingress-nginx-controller: "
                                                     r"field data.use-proxy-protocol: .*not a boolean"):
        importing.from_paths([tmp_path], hostnames=["a.example.test"])


def test_two_controllers_configurations_conflict_unless_the_service_says_which(tmp_path):
    write(tmp_path, "svc.yaml", SERVICE)
    write(tmp_path, "cm.yaml", CONFIGMAP)
    write(tmp_path, "values.yaml", "ports:\n  web: {port: 8000, exposedPort: 80}\n")
    # the load balancer's Service selects ingress-nginx's pods: that is the edge (a cluster holds several
    # controllers); Traefik's values are listed as read and not understood, never dropped
    result = importing.from_paths([tmp_path], hostnames=["shop.example.test"], output=tmp_path / "out.yaml")
    assert result.topology.controller.kind == "ingress-nginx"
    assert {"file": "values.yaml", "line": 1, "object": "document at line 1", "key": "(object)",
            "value": "YAML document"} in result.record["not_understood"]
    # a Service whose selector says neither: the two configurations conflict
    write(tmp_path, "svc.yaml", SERVICE.replace("ingress-nginx, app.kubernetes.io/component: controller", "shop"))
    with pytest.raises(importing.ImportFailed) as caught:
        importing.from_paths([tmp_path])
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'values.yaml'}:1: document at line 1: traefik's configuration")
    assert "ConfigMap ingress-nginx/ingress-nginx-controller" in message and "two controllers" in message


# --- the CLI --------------------------------------------------------------------------------------------------
def test_cli_writes_the_file_and_prints_the_findings_first(tmp_path, capsys):
    write(tmp_path, "service.yaml", SERVICE)
    write(tmp_path, "ingress.yaml", INGRESS)
    out = tmp_path / "before.yaml"
    assert main(["import", str(tmp_path / "service.yaml"), str(tmp_path / "ingress.yaml"), "-o", str(out),
                 "--name", "shop-edge"]) == 0
    stderr = capsys.readouterr().err
    assert "PROXY_NOT_EXPECTED" in stderr and "warning: no ingress-nginx ConfigMap" in stderr
    assert list(catalog.load_file(out)) == ["shop-edge"]
    document = yaml.safe_load(out.read_text())
    assert document["imported"]["inputs"] == [str(tmp_path / "service.yaml"), str(tmp_path / "ingress.yaml")]
    # what --topology-file reads: list shows the imported edge with its expectations and the same finding
    assert main(["list", "--topology-file", str(out), "--json"]) == 0
    listed = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert "PROXY_NOT_EXPECTED" in [f["code"] for f in listed["shop-edge"]["findings"]]
    assert listed["shop-edge"]["expectations"]


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    write(tmp_path, "broken.yaml", "kind: [\n")
    assert main(["import", str(tmp_path / "broken.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("edgeconform import: ") and "broken.yaml:" in err
    assert main(["import", str(tmp_path / "nothing-here")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


# --- the cluster path, up to the API server ---------------------------------------------------------------------
def test_objects_from_the_kubernetes_client_become_documents_with_lines(tmp_path):
    from kubernetes import client

    svc = client.V1Service(
        api_version="v1", kind="Service",
        metadata=client.V1ObjectMeta(name="edge", namespace="ingress-nginx", uid="1234", resource_version="99",
                                     annotations={P + "type": "external", P + "nlb-target-type": "ip",
                                                  "kubectl.kubernetes.io/last-applied-configuration": "{}"}),
        spec=client.V1ServiceSpec(type="LoadBalancer", selector={"app.kubernetes.io/name": "ingress-nginx"},
                                  ports=[client.V1ServicePort(port=80, target_port="http")]),
        status=client.V1ServiceStatus())
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ingress-nginx-controller",
                 "namespace": "ingress-nginx", "managedFields": [{"manager": "helm"}]},
                 "data": {"use-forwarded-headers": "true"}}
    unrelated = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-settings", "namespace": "shop"},
                 "data": {"password": "x"}}
    snapshot = tmp_path / "edge.manifests.yaml"
    docs = cluster.to_documents([svc, configmap, unrelated], snapshot, source="kubeconfig k, all namespaces")
    text = snapshot.read_text()
    assert "uid" not in text and "managedFields" not in text and "last-applied" not in text and "password" not in text
    result = importing.from_documents(docs, [str(snapshot)], output=tmp_path / "edge.yaml", hostnames=["a.test"])
    assert result.topology.lb.target_type == "ip"
    assert result.topology.controller.settings == {"use-forwarded-headers": "true"}
    ref = result.entry["sources"]["load_balancer.target_type"][-1]
    assert ref.startswith("edge.manifests.yaml:")
    assert "nlb-target-type" in text.splitlines()[int(ref.split(":")[1]) - 1]


def test_an_unreachable_cluster_is_one_error_naming_the_kubeconfig(tmp_path, capsys):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "edge",
        "clusters": [{"name": "c", "cluster": {"server": f"https://127.0.0.1:{port}",
                                               "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "not-a-real-token"}}],
        "contexts": [{"name": "edge", "context": {"cluster": "c", "user": "u"}}]}))
    assert main(["import", "--kubeconfig", str(kubeconfig), "--namespace", "ingress-nginx",
                 "-o", str(tmp_path / "edge.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"kubeconfig {kubeconfig}" in err and "namespace ingress-nginx" in err
    assert "cannot reach the cluster" in err or "cannot read the cluster" in err
    assert not (tmp_path / "edge.yaml").exists() and not (tmp_path / "edge.manifests.yaml").exists()
    assert main(["import", "--kubeconfig", str(tmp_path / "missing")]) == 2
    assert "no such kubeconfig" in capsys.readouterr().err


@pytest.mark.integration
def test_the_command_line_entry_point_runs_import(tmp_path):
    write(tmp_path, "service.yaml", SERVICE)
    run = subprocess.run([sys.executable, "-m", "edgeconform.cli", "import", str(tmp_path / "service.yaml"),
                          "--hostname", "a.example.test"], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert run.returncode == 0, run.stderr
    assert yaml.safe_load(run.stdout)["topologies"]["a"]["controller"]["kind"] == "ingress-nginx"


ALB = """
    apiVersion: networking.k8s.io/v1
    kind: IngressClass
    metadata: {name: shared-alb}
    spec:
      controller: ingress.k8s.aws/alb
      parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: shared}
    ---
    apiVersion: elbv2.k8s.aws/v1beta1
    kind: IngressClassParams
    metadata: {name: shared}
    spec:
      ipAddressType: dualstack
      sslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06
      loadBalancerAttributes:
        - {key: routing.http.xff_header_processing.mode, value: preserve}
        - {key: deletion_protection.enabled, value: "true"}
    ---
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: edge
      namespace: traefik
      annotations:
        alb.ingress.kubernetes.io/target-type: ip
        alb.ingress.kubernetes.io/listen-ports: '[{"HTTPS": 443}]'
        alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:eu-west-1:111122223333:certificate/0d1e-shop
        alb.ingress.kubernetes.io/mutual-authentication: '[{"port": 443, "mode": "verify", "trustStore": "arn:x"}]'
        alb.ingress.kubernetes.io/wafv2-acl-arn: arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/x
    spec:
      ingressClassName: shared-alb
      rules:
        - host: shop.example.test
          http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: traefik, port: {name: web}}}}]}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: traefik, namespace: traefik}
    spec:
      type: ClusterIP
      selector: {app.kubernetes.io/name: traefik}
      ports: [{name: web, port: 80, targetPort: web}]
    """
STATIC = """
    entryPoints:
      web:
        address: ":8000"
        forwardedHeaders: {trustedIPs: [10.0.0.0/16]}
    log: {level: INFO}
    """


def test_an_alb_ingress_with_its_class_parameters_and_traefiks_static_configuration(tmp_path):
    write(tmp_path, "alb.yaml", ALB)
    write(tmp_path, "traefik.yaml", STATIC)
    result = importing.from_paths([tmp_path], acm_certs={"shop.example.test": "arn:aws:acm:eu-west-1:111122223333:"
                                                                              "certificate/0d1e-shop"})
    t = result.topology
    assert (t.lb.model, t.lb.target_type, t.lb.ip_address_type, t.lb.xff, t.lb.mutual_tls) == \
        ("alb", "ip", "dualstack", "preserve", "verify")
    assert t.lb.tls_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert [(i.port, i.protocol, i.target) for i in t.lb.listeners] == [(443, "HTTPS", "http")]
    assert t.controller.kind == "traefik" and t.controller.trusted_cidrs == ["10.0.0.0/16"]
    assert t.kubernetes.external_traffic_policy == "Cluster"
    keys = {n["key"] for n in result.record["not_understood"]}
    assert keys == {"alb.ingress.kubernetes.io/wafv2-acl-arn", "log",
                    "alb.ingress.kubernetes.io/load-balancer-attributes: deletion_protection.enabled"}
    assert "alb.yaml:" in result.entry["sources"]["load_balancer.ip_address_type"][-1]


def test_an_alb_backend_that_contradicts_the_backend_protocol_is_an_error(tmp_path):
    write(tmp_path, "alb.yaml", ALB.replace("target-type: ip", "target-type: ip\n        "
                                            "alb.ingress.kubernetes.io/backend-protocol: HTTPS"))
    with pytest.raises(importing.ImportFailed, match=r"Ingress traefik/edge: field metadata.annotations.alb.ingress"
                                                     r".kubernetes.io/backend-protocol: .*conflict"):
        importing.from_paths([tmp_path / "alb.yaml"])


HELM = """
    ---
    # Source: ingress-nginx/templates/controller-serviceaccount.yaml
    apiVersion: v1
    kind: ServiceAccount
    metadata: {name: ingress-nginx, namespace: ingress-nginx}
    ---
    # Source: ingress-nginx/templates/controller-configmap.yaml
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
    data:
      allow-snippet-annotations: "false"
      use-forwarded-headers: "true"
    ---
    # Source: ingress-nginx/templates/controller-service-webhook.yaml
    apiVersion: v1
    kind: Service
    metadata: {name: ingress-nginx-controller-admission, namespace: ingress-nginx}
    spec:
      type: ClusterIP
      selector: {app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller}
      ports: [{name: https-webhook, port: 443, targetPort: webhook}]
    ---
    # Source: ingress-nginx/templates/controller-service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: ingress-nginx-controller
      namespace: ingress-nginx
      annotations:
        service.beta.kubernetes.io/aws-load-balancer-backend-protocol: tcp
        service.beta.kubernetes.io/aws-load-balancer-ssl-cert: arn:aws:acm:eu-west-1:111122223333:certificate/abc
        service.beta.kubernetes.io/aws-load-balancer-ssl-ports: https
        service.beta.kubernetes.io/aws-load-balancer-type: nlb
    spec:
      type: LoadBalancer
      externalTrafficPolicy: Local
      selector: {app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/instance: ingress-nginx,
                 app.kubernetes.io/component: controller}
      ports:
        - {name: http, port: 80, targetPort: tohttps}
        - {name: https, port: 443, targetPort: http}
    ---
    # Source: ingress-nginx/templates/controller-deployment.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
    spec:
      template:
        spec:
          containers:
            - name: controller
              image: registry.k8s.io/ingress-nginx/controller:v1.15.1
              args:
                - /nginx-ingress-controller
                - --configmap=$(POD_NAMESPACE)/ingress-nginx-controller
    """


def test_helm_rendered_ingress_nginx_for_the_legacy_nlb(tmp_path):
    """The chart's output as `helm template` prints it: the legacy provider's NLB (type nlb) ending TLS, port 80 on
    the chart's `tohttps` port; the webhook's Service and the ServiceAccount are listed, not silently skipped."""
    write(tmp_path, "rendered.yaml", HELM)
    result = importing.from_paths([tmp_path / "rendered.yaml"], hostnames=["shop.example.test"],
                                  acm_certs={"*.example.test": "arn:aws:acm:eu-west-1:111122223333:certificate/abc"})
    t = result.topology
    assert (t.lb.model, t.lb.target_type, t.kubernetes.external_traffic_policy) == ("nlb", "instance", "Local")
    assert [(i.port, i.protocol, i.target) for i in t.lb.listeners] == [(80, "TCP", "redirect"), (443, "TLS", "http")]
    assert t.controller.settings == {"use-forwarded-headers": "true"}
    understood_not = {(n["object"], n["key"]) for n in result.record["not_understood"]}
    assert understood_not == {("ConfigMap ingress-nginx/ingress-nginx-controller", "allow-snippet-annotations"),
                              ("ServiceAccount ingress-nginx/ingress-nginx", "(object)"),
                              ("Service ingress-nginx/ingress-nginx-controller-admission", "(object)")}
