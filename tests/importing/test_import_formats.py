"""Inputs that are not plain manifests (edgeconform.importing.formats): Helm values by their chart's shape, Terraform,
Kustomize folders, helm template, template placeholders and --set. Each case checks the objects import hands its
readers and that every key they read points at the user's own file and line."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from edgeconform import binaries, importing
from edgeconform.cli import main
from edgeconform.importing import formats
from edgeconform.importing.formats import kustomize, placeholders, values

CORPUS = Path(__file__).resolve().parent / "real_world"
P = "service.beta.kubernetes.io/aws-load-balancer-"
MODULES = Path(os.environ.get("GOMODCACHE") or Path.home() / "go" / "pkg" / "mod")
LBC_CHART = MODULES / "sigs.k8s.io/aws-load-balancer-controller/v3@v3.6.2/helm/aws-load-balancer-controller"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def one(docs, kind):
    (found,) = [doc for doc in docs if doc.kind == kind]
    return found


def at(doc, *path):
    file, line = doc.where(*path)
    return f"{file.name}:{line}"


# --- placeholders ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("{{ .Cluster }}-istio-nlb", [("{{ .Cluster }}", ".Cluster")]),
    ('"{{ tls certificate ARN }}"', [("{{ tls certificate ARN }}", "tls certificate ARN")]),
    ("${acm_certificate_arn}", [("${acm_certificate_arn}", "acm_certificate_arn")]),
    ("$INBOUND_CIDRS", [("$INBOUND_CIDRS", "INBOUND_CIDRS")]),
    ("<my cert arn>", [("<my cert arn>", "my cert arn")]),
    ("XXX.XXX.XXX/XX", [("XXX.XXX.XXX/XX", "XXX.XXX.XXX/XX")]),
    ("${var.a}.${var.b}", [("${var.a}", "var.a"), ("${var.b}", "var.b")]),
    # not placeholders: nginx's own variables, Kubernetes' $(VAR), HTML, an escaped Terraform ${
    ("return 301 https://$host$request_uri;", []),
    ("--configmap=$(POD_NAMESPACE)/x", []),
    ("<html><br/>", []),
    ("$${literal}", []),
    ("X-Forwarded-For", []),
])
def test_placeholders_are_found_in_each_spelling_and_only_there(text, expected):
    assert list(placeholders.tokens(text)) == expected


def test_a_go_template_becomes_parseable_and_keeps_its_lines(tmp_path):
    path = write(tmp_path, "values.yaml.tpl", """\
        {{- if eq .Provider "aws" }}
        service:
          annotations:
            x: {{ .Cluster }}-nlb
        {{- end }}
        provider: {{ .Provider }}   # a comment {{ not a placeholder }}
        """)
    loaded = formats.load([path])
    (doc,) = loaded.documents
    assert doc.data == {"service": {"annotations": {"x": "{{ .Cluster }}-nlb"}}, "provider": "{{ .Provider }}"}
    assert doc.line("service", "annotations", "x") == 4 and doc.line("provider") == 6
    actions = [p for p in loaded.placeholders if p.action]
    assert [(p.text, p.line) for p in actions] == [('{{- if eq .Provider "aws" }}', 1), ("{{- end }}", 5)]


def test_set_fills_a_placeholder_by_name_or_text_and_an_unknown_key_is_refused(tmp_path):
    path = write(tmp_path, "svc.yaml", """\
        apiVersion: v1
        kind: Service
        metadata:
          name: a
          namespace: {{ ns }}
          annotations:
            x: $INBOUND_CIDRS
            y: XXX.XXX.XXX/XX
        """)
    loaded = formats.load([path], fills={"ns": "prod", "INBOUND_CIDRS": "10.0.0.0/8", "XXX.XXX.XXX/XX": "10.1.0.0/16"})
    (doc,) = loaded.documents
    assert doc.namespace == "prod" and doc.annotations == {"x": "10.0.0.0/8", "y": "10.1.0.0/16"}
    assert not loaded.placeholders
    with pytest.raises(importing.ImportFailed, match=r"^--set NOPE: no placeholder 'NOPE' among the inputs "
                                                     r"\(placeholders found: INBOUND_CIDRS, XXX.XXX.XXX/XX, ns\)"):
        formats.load([path], fills={"NOPE": "1"})


def test_an_unusable_placeholder_is_left_out_with_a_warning_and_the_import_goes_on(tmp_path):
    """ingress-nginx's AWS manifest as published: proxy-real-ip-cidr XXX.XXX.XXX/XX cannot be read as a network, so
    the key is left out (its default applies), named with its file and line and how to fill it."""
    folder = CORPUS / "ingress-nginx-aws-nlb-tls-termination"
    result = importing.from_paths([folder / "deploy.yaml"], output=tmp_path / "t.yaml", hostnames=["a.example.test"])
    warnings = "\n".join(result.record["warnings"])
    assert "deploy.yaml:329: ConfigMap ingress-nginx/ingress-nginx-controller: field data.proxy-real-ip-cidr: " \
           "'XXX.XXX.XXX/XX' is a placeholder import cannot use here" in warnings
    assert "--set 'XXX.XXX.XXX/XX=VALUE'" in warnings
    assert "template placeholder arn:aws:acm:us-west-2:XXXXXXXX:certificate/XXXXXX-XXXXXXX-XXXXXXX-XXXXXXXX" in warnings
    assert "proxy-real-ip-cidr" not in (result.entry["controller"].get("settings") or {})
    filled = importing.from_paths([folder / "deploy.yaml"], output=tmp_path / "t.yaml", hostnames=["a.example.test"],
                                  fills={"XXX.XXX.XXX/XX": "10.0.0.0/16"})
    assert filled.entry["controller"]["settings"]["proxy-real-ip-cidr"] == "10.0.0.0/16"


def test_a_placeholder_the_catalogs_loader_refuses_is_left_out_at_its_line(tmp_path):
    """A host that is a placeholder is no DNS name: the catalog's loader refuses it; the refusal names the manifest
    line the field came from, so the host is left out (a made-up one, said) rather than the edge refused."""
    path = write(tmp_path, "ing.yaml", """\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: web
          annotations: {alb.ingress.kubernetes.io/target-type: ip}
        spec:
          ingressClassName: alb
          rules:
          - host: "${TENANT}.${DOMAIN}"
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
        """)
    result = importing.from_paths([path], output=tmp_path / "t.yaml")
    warnings = "\n".join(result.record["warnings"])
    assert f"{path}:9: Ingress web: field spec.rules[0].host: '${{TENANT}}.${{DOMAIN}}' is a placeholder import " \
           "cannot use here ('${TENANT}.${DOMAIN}' is not a DNS name" in warnings
    assert result.entry["hostnames"] == ["web.example.test"] and "web.example.test is made up" in warnings
    filled = importing.from_paths([path], output=tmp_path / "t.yaml", fills={"TENANT": "shop", "DOMAIN": "example.com"})
    assert filled.entry["hostnames"] == ["shop.example.com"]


def test_a_refusal_names_the_placeholders(tmp_path):
    path = write(tmp_path, "svc.yaml", """\
        apiVersion: v1
        kind: Service
        metadata: {name: a, namespace: "{{ ns }}"}
        spec: {type: LoadBalancer, ports: [{port: 80}], selector: {app: mine}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: b, namespace: other}
        spec: {type: LoadBalancer, ports: [{port: 80}], selector: {app: mine}}
        """)
    with pytest.raises(importing.ImportFailed) as caught:  # two load balancers
        importing.from_paths([path])
    said = "the inputs hold template placeholders to fill with --set KEY=VALUE: {{ ns }} (svc.yaml:3)"
    assert str(caught.value).endswith(said)


def test_a_charts_default_service_gives_way_to_the_service_given(tmp_path):
    """Traefik's values naming only its entry points, beside the edge's own Service: that Service is the load
    balancer, not the one the chart's defaults would make too."""
    write(tmp_path, "svc.yaml", """\
        apiVersion: v1
        kind: Service
        metadata: {name: edge, namespace: traefik}
        spec: {type: LoadBalancer, ports: [{port: 80, targetPort: web}], selector: {app.kubernetes.io/name: traefik}}
        """)
    write(tmp_path, "values.yaml", "ports:\n  web: {port: 8000, exposedPort: 80}\n")
    loaded = formats.load([tmp_path])
    assert [doc.describe() for doc in loaded.documents if doc.kind == "Service"] == ["Service traefik/edge"]
    assert any("the traefik chart's own Service traefik/traefik (made by its defaults" in w for w in loaded.warnings)
    write(tmp_path, "values.yaml", "service: {annotations: {a: b}}\nports:\n  web: {port: 8000, exposedPort: 80}\n")
    services = [doc.describe() for doc in formats.load([tmp_path]).documents if doc.kind == "Service"]
    assert services == ["Service traefik/edge", "Service traefik/traefik"]  # asked for: two load balancers


# --- Helm values by their shape --------------------------------------------------------------------------------------
def test_ingress_nginx_values_render_the_service_configmap_and_arguments_at_their_lines():
    folder = CORPUS / "helm-values-ingress-nginx-clb-ssl-proxy"
    loaded = formats.load([folder / "ingress-nginx.tpl"])
    svc, cm, deploy = (one(loaded.documents, k) for k in ("Service", "ConfigMap", "Deployment"))
    assert svc.describe() == "Service ingress-nginx/ingress-nginx-controller"
    assert svc.annotations[P + "proxy-protocol"] == "*" and at(svc, "metadata", "annotations", P + "proxy-protocol") \
        == "ingress-nginx.tpl:11"
    assert svc.spec["type"] == "LoadBalancer"  # the chart's default
    assert svc.spec["ports"] == [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
                                 {"name": "https", "port": 443, "protocol": "TCP", "targetPort": "http"}]
    assert at(svc, "spec", "ports", 1, "targetPort") == "ingress-nginx.tpl:17"
    assert cm.data["data"] == {"use-proxy-protocol": "true"} and at(cm, "data", "use-proxy-protocol") == \
        "ingress-nginx.tpl:5"
    assert "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller" in deploy.get(
        "spec", "template", "spec", "containers", 0, "args")
    assert any("${certificate_arn}" in w and "ingress-nginx.tpl:12" in w for w in loaded.warnings)
    assert any(w.startswith("ingress-nginx.tpl: Helm values of the ingress-nginx chart") for w in loaded.warnings)


def test_values_keys_no_chart_template_reads_are_listed_and_stream_ports_said():
    folder = CORPUS / "helm-values-ingress-nginx-clb-proxy-port-split"
    loaded = formats.load([folder / "ingress-nginx.yaml.tpl"])
    unused = {(item["key"], item["line"]) for item in loaded.unused}
    assert ("defaultBackend", 31) in unused
    assert any("tcp.50000" in w and "not imported" in w for w in loaded.warnings)
    assert any("{{ .Release.Namespace }}" in w and "ingress-nginx.yaml.tpl:3" in w and "field tcp[50000]" in w
               for w in loaded.warnings)


def test_traefik_values_alone_render_its_service_with_the_charts_ports():
    loaded = formats.load([CORPUS / "traefik-helm-chart-aws-nlb-ip" / "values.yaml"])
    svc = one(loaded.documents, "Service")
    assert svc.annotations == {P + "type": "nlb-ip"} and at(svc, "metadata", "annotations", P + "type") == \
        "values.yaml:3"
    assert [(p["port"], p["targetPort"]) for p in svc.spec["ports"]] == [(80, "web"), (443, "websecure")]
    assert svc.spec["selector"]["app.kubernetes.io/name"] == "traefik"
    (ports,) = [doc for doc in loaded.documents if not doc.kind]
    assert ports.data["ports"]["web"]["port"] == 8000 and ports.data["ports"]["websecure"]["port"] == 8443


def test_traefik_additional_arguments_become_entry_point_settings(tmp_path):
    path = write(tmp_path, "values.yaml", """\
        service:
          annotations: {a: b}
        additionalArguments:
          - --entrypoints.web.proxyProtocol.trustedIPs=10.0.0.0/8,192.168.0.0/16
          - --entryPoints.websecure.http.tls=true
          - --log.level=DEBUG
        """)
    loaded = formats.load([path])
    (ports,) = [doc for doc in loaded.documents if not doc.kind]
    assert ports.data["ports"]["web"]["proxyProtocol"] == {"trustedIPs": ["10.0.0.0/8", "192.168.0.0/16"]}
    assert at(ports, "ports", "web", "proxyProtocol", "trustedIPs") == "values.yaml:4"
    assert ("additionalArguments[2]", "--log.level=DEBUG") in {(u["key"], u["value"]) for u in loaded.unused}


def test_lbc_values_render_its_arguments_ingress_class_and_service_webhook(tmp_path):
    path = write(tmp_path, "lbc.yaml", """\
        clusterName: prod
        defaultSSLPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06
        defaultTargetType: ip
        """)
    docs = formats.load([path]).documents
    deploy = one(docs, "Deployment")
    args = deploy.get("spec", "template", "spec", "containers", 0, "args")
    assert args == ["--cluster-name=prod", "--ingress-class=alb",
                    "--default-ssl-policy=ELBSecurityPolicy-TLS13-1-2-2021-06", "--default-target-type=ip"]
    assert at(deploy, "spec", "template", "spec", "containers", 0, "args", 2) == "lbc.yaml:2"
    assert one(docs, "IngressClass").spec == {"controller": "ingress.k8s.aws/alb"}
    assert one(docs, "MutatingWebhookConfiguration").get("webhooks", 0, "name") == "mservice.elbv2.k8s.aws"


EG_VALUES = """\
    config:
      envoyGateway:
        envoyProxy:
          provider:
            type: Kubernetes
            kubernetes:
              envoyService:
                annotations:
                  service.beta.kubernetes.io/aws-load-balancer-type: external
    """


def test_envoy_gateway_values_give_the_default_envoy_proxy(tmp_path):
    path = write(tmp_path, "eg.yaml", EG_VALUES)
    proxy = one(formats.load([path]).documents, "EnvoyProxy")
    root = ("spec", "provider", "kubernetes", "envoyService", "annotations", P + "type")
    assert proxy.get(*root) == "external" and at(proxy, *root) == "eg.yaml:9"


def test_istio_gateway_values_render_a_service_with_the_gateways_labels():
    loaded = formats.load([CORPUS / "istio-gateway-nlb-values-template" / "values.yaml.tpl"])
    svc = one(loaded.documents, "Service")
    assert svc.spec["selector"] == {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    assert svc.annotations[P + "proxy-protocol"] == "*" and at(svc, "metadata", "annotations", P + "proxy-protocol") \
        == "values.yaml.tpl:6"
    named = "\n".join(loaded.warnings)
    for text in ("{{ .Cluster }}", "{{ .Network.Subdomain }}", '{{- if eq .Provider "aws" }}'):
        assert text in named


def test_a_document_of_no_kind_and_no_chart_passes_through_unnamed(tmp_path):
    path = write(tmp_path, "notes.yaml", "reading: {placeholders: ['<my cert arn>']}\n")
    loaded = formats.load([path])
    assert [doc.data for doc in loaded.documents] == [{"reading": {"placeholders": ["<my cert arn>"]}}]
    assert not loaded.placeholders


# --- Terraform -------------------------------------------------------------------------------------------------------
def test_helm_release_set_blocks_are_helms_set_keys_at_their_lines():
    folder = CORPUS / "terraform-helm-release-ingress-nginx-internal-nlb"
    svc = one(formats.load([folder]).documents, "Service")
    assert svc.describe() == "Service ingress-nginx/nginx-ingress-controller-ingress-nginx-controller"
    assert svc.annotations == {P + "type": "nlb", P + "internal": "true", P + "scheme": "internal"}
    assert [at(svc, "metadata", "annotations", P + k) for k in ("type", "internal", "scheme")] == \
        ["nginx-ingress-controller-deploy.tf:11", "nginx-ingress-controller-deploy.tf:16",
         "nginx-ingress-controller-deploy.tf:21"]


def test_helm_release_values_from_a_file_through_locals_keep_the_values_files_lines():
    folder = CORPUS / "terraform-helm-release-traefik-in-tree-nlb"
    loaded = formats.load([folder])
    svc = one(loaded.documents, "Service")
    assert svc.describe() == "Service default/traefik-public"  # the release's name; its namespace is a local's
    assert [p["port"] for p in svc.spec["ports"]] == [80]  # websecure: expose false
    assert at(svc, "metadata", "annotations", P + "type") == "values-public.yaml.tpl:80"
    assert not [doc for doc in loaded.documents if doc.kind == "Service" and doc is not svc]  # read once


def test_a_key_bitnamis_chart_does_not_read_is_said_so():
    loaded = formats.load([CORPUS / "terraform-helm-release-bitnami-nginx-set-keys"])
    svc = one(loaded.documents, "Service")
    assert svc.annotations == {} and svc.spec["type"] == "LoadBalancer"
    assert any("Bitnami's nginx-ingress-controller chart reads no controller: key" in w for w in loaded.warnings)


def test_kubernetes_ingress_v1_blocks_become_the_ingress_and_references_are_placeholders():
    loaded = formats.load([CORPUS / "terraform-kubernetes-ingress-v1-alb"])
    ing = one(loaded.documents, "Ingress")
    assert ing.spec["ingressClassName"] == "alb"
    assert ing.annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTPS":443},{"HTTP":80}]'
    assert ing.get("spec", "rules", 0, "http", "paths", 0, "backend", "service", "port") == {"number": 80}
    assert ing.get("spec", "rules", 0, "host") == "${var.tenant_name}.${var.domain_name}"
    assert at(ing, "spec", "rules", 0, "host") == "ingress.tf:26"
    named = "\n".join(loaded.warnings)
    assert "${var.tenant_name}.${var.domain_name}" in named and "var.acm_certificate_arn" in named


def test_terraform_manifests_heredocs_variables_and_set(tmp_path):
    write(tmp_path, "variables.tf", """\
        variable "scheme" {
          default = "internal"
        }
        variable "cert" {}
        """)
    write(tmp_path, "svc.yaml", """\
        apiVersion: v1
        kind: Service
        metadata: {name: from-file}
        """)
    write(tmp_path, "main.tf", """\
        resource "kubernetes_manifest" "lb" {
          manifest = {
            apiVersion = "v1"
            kind       = "Service"
            metadata = {
              name = "hcl"
              annotations = {
                "service.beta.kubernetes.io/aws-load-balancer-scheme" = var.scheme
                "service.beta.kubernetes.io/aws-load-balancer-ssl-cert" = var.cert
              }
            }
          }
        }
        resource "kubernetes_manifest" "heredoc" {
          manifest = yamldecode(<<-EOT
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: heredoc
            EOT
          )
        }
        resource "kubernetes_manifest" "file" {
          manifest = yamldecode(file("${path.module}/svc.yaml"))
        }
        resource "aws_lb" "other" {}
        """)
    loaded = formats.load([tmp_path / "main.tf"])
    hcl, heredoc, from_file = loaded.documents
    assert hcl.annotations == {P + "scheme": "internal", P + "ssl-cert": "${var.cert}"}
    assert at(hcl, "metadata", "annotations", P + "scheme") == "main.tf:8"
    assert heredoc.name == "heredoc" and at(heredoc, "metadata", "name") == "main.tf:19"
    assert from_file.name == "from-file" and at(from_file, "metadata", "name") == "svc.yaml:3"
    assert any("var.scheme is its default in variables.tf" in w for w in loaded.warnings)
    assert {"object": "resource aws_lb.other", "key": "(resource)"}.items() <= loaded.unused[0].items()
    filled = formats.load([tmp_path / "main.tf"], fills={"var.cert": "arn:aws:acm:eu-west-1:1:certificate/x"})
    assert filled.documents[0].annotations[P + "ssl-cert"] == "arn:aws:acm:eu-west-1:1:certificate/x"


def test_invalid_hcl_is_one_line_naming_the_file(tmp_path):
    path = write(tmp_path, "broken.tf", 'resource "a" "b" {\n  x = \n')
    with pytest.raises(importing.ImportFailed, match=r"broken.tf.*not valid HCL \(Terraform\)"):
        formats.load([path])


# --- Kustomize -------------------------------------------------------------------------------------------------------
@pytest.fixture
def no_renderer(monkeypatch, tmp_path):
    """Neither kustomize nor kubectl to be found."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("EDGECONFORM_TOOLS_BIN", str(tmp_path / "empty"))
    monkeypatch.delenv("EDGECONFORM_KUSTOMIZE", raising=False)
    monkeypatch.delenv("EDGECONFORM_KUBECTL", raising=False)
    binaries.find.cache_clear()
    yield
    binaries.find.cache_clear()


def test_a_kustomization_listing_resources_only_is_read_as_listed_without_running_kustomize(no_renderer):
    loaded = formats.load([CORPUS / "eks-workshop-alb-ingress"])
    assert [doc.describe() for doc in loaded.documents] == ["Ingress ui/ui"]
    assert at(loaded.documents[0], "metadata", "annotations", "alb.ingress.kubernetes.io/target-type") == \
        "ingress.yaml:8"
    assert any("only lists resources: they are read as listed" in w for w in loaded.warnings)
    assert not kustomize.needs_renderer(CORPUS / "eks-workshop-nlb-instance" / "nlb")
    assert kustomize.needs_renderer(CORPUS / "eks-workshop-nlb-ip-mode-kustomize" / "ip-mode")


@pytest.mark.parametrize("resource, said", [
    ("missing.yaml", "resources lists missing.yaml, which is not there"),
    ("https://github.com/kubernetes-sigs/aws-load-balancer-controller//config?ref=v2.8.0",
     "a remote resource: import reads no network"),
    ("github.com/org/repo/base?ref=main", "a remote resource: import reads no network"),
])
def test_a_kustomization_naming_a_resource_not_here_is_refused_before_anything_runs(resource, said, tmp_path,
                                                                                     no_renderer):
    write(tmp_path, "kustomization.yaml", f"resources: ['{resource}']\npatches: [{{path: p.yaml}}]\n")
    with pytest.raises(importing.ImportFailed) as caught:
        formats.load([tmp_path])
    assert str(caught.value).startswith(f"{tmp_path / 'kustomization.yaml'}: ") and said in str(caught.value)


def test_a_kustomize_overlay_without_kustomize_or_kubectl_is_refused_naming_the_fix(no_renderer):
    with pytest.raises(importing.ImportFailed) as caught:
        formats.load([CORPUS / "eks-workshop-nlb-ip-mode-kustomize" / "ip-mode"])
    message = str(caught.value)
    assert message.startswith(str(CORPUS / "eks-workshop-nlb-ip-mode-kustomize" / "ip-mode" / "kustomization.yaml"))
    assert "with patches: rendering it needs kustomize or kubectl" in message and "tools/build kustomize" in message


def kustomize_or_skip() -> None:
    binaries.find.cache_clear()
    if kustomize.tool() is None:
        pytest.skip("neither kustomize (tools/build kustomize) nor kubectl is here")


@pytest.mark.integration
def test_a_kustomize_overlay_is_rendered_and_each_key_cites_the_file_that_set_it():
    kustomize_or_skip()
    loaded = formats.load([CORPUS / "eks-workshop-nlb-ip-mode-kustomize" / "ip-mode"])
    (svc,) = loaded.documents
    assert svc.annotations[P + "nlb-target-type"] == "ip"
    assert svc.where("metadata", "annotations", P + "nlb-target-type")[0].parent.name == "ip-mode"
    assert at(svc, "metadata", "annotations", P + "nlb-target-type") == "nlb.yaml:7"
    assert svc.where("spec", "type")[0].parent.name == "nlb" and at(svc, "spec", "type") == "nlb.yaml:12"
    assert svc.where("metadata", "annotations", "service.beta.kubernetes.io/load-balancer-source-ranges")[0] \
        .parent.name == "nlb"
    assert any("rendered by" in r for r in loaded.renderings)


@pytest.mark.integration
def test_a_folder_renders_its_overlay_not_its_base_and_set_fills_through_kustomize():
    kustomize_or_skip()
    loaded = formats.load([CORPUS / "eks-workshop-nlb-ip-mode-kustomize"], fills={"INBOUND_CIDRS": "10.0.0.0/8"})
    (svc,) = [doc for doc in loaded.documents if doc.kind]
    assert svc.annotations[P + "nlb-target-type"] == "ip"
    assert svc.annotations["service.beta.kubernetes.io/load-balancer-source-ranges"] == "10.0.0.0/8"
    assert not [p for p in loaded.placeholders if not p.action]


@pytest.mark.integration
def test_kustomizes_own_error_is_one_line(tmp_path):
    kustomize_or_skip()
    write(tmp_path, "svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n")
    write(tmp_path, "kustomization.yaml", "resources: [svc.yaml]\npatches: [{path: missing.yaml}]\n")
    with pytest.raises(importing.ImportFailed) as caught:
        formats.load([tmp_path])
    assert str(caught.value).startswith((f"{tmp_path / 'kustomization.yaml'}: kustomize v",
                                         f"{tmp_path / 'kustomization.yaml'}: kubectl kustomize"))
    assert "cannot render this folder" in str(caught.value) and "\n" not in str(caught.value)


# --- helm template ---------------------------------------------------------------------------------------------------
def helm_or_skip() -> None:
    from edgeconform.importing.formats import helm

    binaries.find.cache_clear()
    if not helm.available():
        pytest.skip("no helm here (tools/build helm builds it from helm.sh/helm/v4)")
    if not (LBC_CHART / "Chart.yaml").is_file():
        pytest.skip(f"the LBC's chart is not in the module cache ({LBC_CHART})")


@pytest.mark.integration
def test_helm_template_is_preferred_for_a_chart_on_disk_and_agrees_with_the_values_reading(tmp_path):
    """The real helm renders the AWS Load Balancer Controller's chart (shipped in its Go module) with the user's
    values; each argument a value made cites that value's line, and edgeconform's own reading of the same values
    gives the same arguments."""
    helm_or_skip()
    path = write(tmp_path, "values.yaml", """\
        clusterName: prod
        defaultSSLPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06
        defaultTargetType: ip
        """)
    loaded = formats.load([LBC_CHART, path])
    deploy = one(loaded.documents, "Deployment")
    args = deploy.get("spec", "template", "spec", "containers", 0, "args")
    assert "--default-ssl-policy=ELBSecurityPolicy-TLS13-1-2-2021-06" in args
    i = args.index("--default-ssl-policy=ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert at(deploy, "spec", "template", "spec", "containers", 0, "args", i) == "values.yaml:2"
    assert deploy.where("spec")[0] == LBC_CHART / "templates" / "deployment.yaml"
    assert any("rendered by helm v4" in r for r in loaded.renderings)
    ours = one(formats.load([path]).documents, "Deployment").get("spec", "template", "spec", "containers", 0, "args")
    assert ours == [a for a in args if a.split("=")[0] in {o.split("=")[0] for o in ours}]


@pytest.mark.integration
def test_a_terraform_helm_release_of_a_chart_on_disk_is_rendered_by_helm(tmp_path):
    helm_or_skip()
    shutil.copytree(LBC_CHART, tmp_path / "charts" / "lbc")
    write(tmp_path, "main.tf", """\
        resource "helm_release" "lbc" {
          name      = "aws-load-balancer-controller"
          chart     = "./charts/lbc"
          namespace = "kube-system"
          set {
            name  = "clusterName"
            value = "prod"
          }
          set {
            name  = "defaultTargetType"
            value = "ip"
          }
        }
        """)
    loaded = formats.load([tmp_path / "main.tf"])
    deploy = one(loaded.documents, "Deployment")
    assert deploy.namespace == "kube-system"
    args = deploy.get("spec", "template", "spec", "containers", 0, "args")
    i = args.index("--default-target-type=ip")
    assert at(deploy, "spec", "template", "spec", "containers", 0, "args", i) == "main.tf:11"
    assert any(w.startswith("main.tf:1: the chart lbc is on disk") for w in loaded.warnings)


def test_a_chart_without_helm_is_read_by_its_values_or_refused(no_renderer, tmp_path):
    chart = write(tmp_path, "mychart/Chart.yaml", "apiVersion: v2\nname: mychart\nversion: 1.0.0\n").parent
    with pytest.raises(importing.ImportFailed, match=r"Chart.yaml: a Helm chart \(mychart\): rendering it needs helm"):
        formats.load([chart])


# --- the command -----------------------------------------------------------------------------------------------------
def test_the_command_takes_set_and_refuses_it_malformed(tmp_path, capsys):
    assert main(["import", str(tmp_path), "--set", "novalue"]) == 2
    assert "--set 'novalue': give KEY=VALUE" in capsys.readouterr().err
    assert main(["import", "--kubeconfig", str(tmp_path / "k"), "--set", "a=b"]) == 2
    assert "--set fills the placeholders of files" in capsys.readouterr().err


def test_the_record_says_how_inputs_were_rendered(tmp_path):
    folder = CORPUS / "traefik-helm-chart-aws-nlb-ip"
    result = importing.from_paths([folder / "values.yaml"], output=tmp_path / "t.yaml", hostnames=["a.example.test"])
    assert result.record["rendered"] == ["values.yaml: values of the traefik chart, rendered by edgeconform"]
    text = importing.render(result)
    assert "rendered:" in text
    from edgeconform import catalog

    catalog.load_file(_written(tmp_path, text))  # the record reads back


def _written(folder: Path, text: str) -> Path:
    path = folder / "t.yaml"
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def _fresh_binaries():
    binaries.find.cache_clear()
    yield
    binaries.find.cache_clear()


def test_terraform_tfvars_give_variables_their_values(tmp_path):
    write(tmp_path, "main.tf", """\
        variable "scheme" { default = "internal" }
        resource "kubernetes_service_v1" "lb" {
          metadata {
            name        = "lb"
            annotations = { "service.beta.kubernetes.io/aws-load-balancer-scheme" = var.scheme }
          }
          spec {
            type = "LoadBalancer"
            port {
              port        = 443
              target_port = "https"
            }
          }
        }
        """)
    write(tmp_path, "terraform.tfvars", 'scheme = "internet-facing"\n')
    write(tmp_path, "other.tfvars", 'scheme = "ignored: only named with -var-file"\n')
    (svc,) = formats.load([tmp_path]).documents
    assert svc.annotations == {P + "scheme": "internet-facing"}
    assert svc.spec["ports"] == [{"port": 443, "targetPort": "https"}] and at(svc, "spec", "ports", 0) == "main.tf:9"


def test_every_chart_cites_a_known_source_and_has_a_renderer():
    from edgeconform import sources

    for key, spec in values.charts().items():
        assert spec["source"] in sources.ALL_KEYS, key
        assert spec["renderer"] in values.RENDERERS, key
        assert values.chart_named(spec["names"][0]) == key


def test_invalid_yaml_in_a_heredoc_is_named_at_its_line_in_the_tf_file(tmp_path):
    write(tmp_path, "main.tf", """\
        resource "kubernetes_manifest" "x" {
          manifest = yamldecode(<<EOT
        apiVersion: v1
        kind: [Service
        EOT
          )
        }
        """)
    with pytest.raises(importing.ImportFailed) as caught:
        formats.load([tmp_path])
    assert str(caught.value).startswith(f"{tmp_path / 'main.tf'}:5: not valid YAML")


def test_a_folders_hidden_folders_are_not_read(tmp_path):
    write(tmp_path, ".terraform/modules/x/main.tf",
          'resource "kubernetes_config_map" "x" {\n  metadata { name = "x" }\n}\n')
    write(tmp_path, "main.tf", 'resource "kubernetes_config_map" "mine" {\n  metadata { name = "mine" }\n}\n')
    assert [doc.name for doc in formats.load([tmp_path]).documents] == ["mine"]


EG_CHART = MODULES / "github.com/envoyproxy/gateway@v1.9.1/charts/gateway-helm"


@pytest.mark.integration
def test_envoy_gateways_chart_from_its_go_module_gives_the_same_envoy_proxy_as_its_values_reading(tmp_path):
    """Envoy Gateway's chart as its Go module ships it (values.tmpl.yaml, which its release makes values.yaml by
    naming the image): helm template writes the EnvoyGateway configuration into a ConfigMap; the default EnvoyProxy
    in it is read as that object, with the same spec edgeconform's own reading of the values gives."""
    helm_or_skip()
    if not (EG_CHART / "values.tmpl.yaml").is_file():
        pytest.skip(f"Envoy Gateway's chart is not in the module cache ({EG_CHART})")
    chart = tmp_path / "gateway-helm"
    shutil.copytree(EG_CHART, chart)
    (chart / "values.yaml").write_text((chart / "values.tmpl.yaml").read_text()
                                       .replace("${GatewayImage}", "docker.io/envoyproxy/gateway:v1.9.1")
                                       .replace("${GatewayImagePullPolicy}", "IfNotPresent"))
    path = write(tmp_path, "eg.yaml", EG_VALUES)
    loaded = formats.load([chart, path])
    proxy = one(loaded.documents, "EnvoyProxy")
    root = ("spec", "provider", "kubernetes", "envoyService", "annotations", P + "type")
    assert proxy.get(*root) == "external" and at(proxy, *root) == "eg.yaml:9"
    assert proxy.spec == one(formats.load([path]).documents, "EnvoyProxy").spec
    assert any("rendered by helm v4" in r for r in loaded.renderings)


# --- every file through the reading layer (edgeconform.untrusted) ----------------------------------------------------
def test_a_kustomize_folders_files_are_checked_before_anything_reads_them(tmp_path, no_renderer):
    """A FIFO among the files a kustomization lists would hang kustomize (and the listing): refused in one line by
    the reading layer, naming it, before anything runs."""
    write(tmp_path, "kustomization.yaml", "resources: [svc.yaml]\n")
    os.mkfifo(tmp_path / "svc.yaml")
    with pytest.raises(importing.ImportFailed) as caught:
        formats.load([tmp_path / "kustomization.yaml"])
    assert str(caught.value) == f"{tmp_path / 'svc.yaml'}: not a regular file (a FIFO, socket or device): give a file"


def test_a_chart_whose_template_leads_out_of_it_is_refused_before_helm_runs(tmp_path):
    secret = write(tmp_path, "secret.yaml", "token: do-not-read-me\n")
    chart = tmp_path / "chart"
    write(chart, "Chart.yaml", "apiVersion: v2\nname: mine\nversion: 1.0.0\n")
    (chart / "templates").mkdir()
    (chart / "templates" / "svc.yaml").symlink_to(secret)
    with pytest.raises(importing.ImportFailed, match=r"templates/svc.yaml: a symlink that leads out of"):
        formats.load([chart])


def test_yaml_documents_count_across_every_file_of_one_import(tmp_path, monkeypatch):
    """One budget for the command: three files of two documents each pass alone, not together."""
    for name in ("a", "b", "c"):
        write(tmp_path, f"{name}.yaml", f"--- {{kind: ConfigMap, metadata: {{name: {name}1}}}}\n"
                                        f"--- {{kind: ConfigMap, metadata: {{name: {name}2}}}}\n")
    monkeypatch.setenv("EDGECONFORM_LIMITS", "documents=5")
    assert len(formats.load([tmp_path / "a.yaml"]).documents) == 2
    with pytest.raises(importing.ImportFailed, match=r"c.yaml:2: more than 5 YAML documents in all"):
        formats.load([tmp_path])


def test_yaml_and_json_written_in_terraform_strings_are_held_to_the_limits(tmp_path):
    bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\\n' \
           'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\\n'
    write(tmp_path, "main.tf", f'resource "kubernetes_manifest" "x" {{\n  manifest = yamldecode("{bomb}")\n}}\n')
    with pytest.raises(importing.ImportFailed, match=r"main.tf:2: the YAML written here: YAML aliases expand to more than 10000 nodes"):
        formats.load([tmp_path])
    deep = "[" * 70 + "]" * 70
    write(tmp_path, "main.tf", f'resource "kubernetes_manifest" "x" {{\n  manifest = jsondecode("{deep}")\n}}\n')
    with pytest.raises(importing.ImportFailed, match=r"main.tf:2: the JSON written here: JSON nested more than 64 deep"):
        formats.load([tmp_path])


def test_terraform_reads_no_file_outside_the_folder_it_was_given(tmp_path):
    """file() and templatefile() are held to the folder given, as a symlink is: what lies outside is not read (the
    value is kept as written, a placeholder, and said)."""
    write(tmp_path, "secret.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: secret}\n")
    module = tmp_path / "infra"
    write(module, "main.tf", 'resource "kubernetes_manifest" "x" {\n'
                             '  manifest = yamldecode(file("${path.module}/../secret.yaml"))\n}\n')
    loaded = formats.load([module])
    assert not loaded.documents
    assert any("is outside" in w and "the folder import was given: not read" in w for w in loaded.warnings)


@pytest.mark.integration
def test_a_renderers_output_is_read_as_a_file_is(tmp_path, monkeypatch):
    """What helm template writes is held to the file size limit (and helm runs with it as its file size limit)."""
    helm_or_skip()
    chart = tmp_path / "chart"
    write(chart, "Chart.yaml", "apiVersion: v2\nname: mine\nversion: 1.0.0\n")
    write(chart, "templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n"
                                      "data: {x: '{{ repeat 4096 \"x\" }}'}\n")
    assert one(formats.load([chart]).documents, "ConfigMap").name == "big"
    monkeypatch.setenv("EDGECONFORM_LIMITS", "file_bytes=2048")
    with pytest.raises(importing.ImportFailed) as caught:
        formats.load([chart])
    assert str(caught.value).startswith(f"{chart / 'Chart.yaml'}: what helm template wrote is larger than 0 MB")
