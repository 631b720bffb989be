"""ingress-nginx on a cluster: its kind provider manifest (with a default certificate from the test CA), the
admission webhook's wait, and each topology's ConfigMap, Ingress and Secrets."""

from __future__ import annotations

import copy
import re
from typing import Any

from ...kube import manifests
from ...topology import Topology
from ..base import ControllerPlan, EdgeFacts, service_ports, versions
from .limits import unsupported
from .settings import CONCLUSION_HEADERS, Settings, ingress_certificates, localize, to_native

NAME = "ingress-nginx"
NAMESPACE = "ingress-nginx"
DEPLOYMENT = "ingress-nginx-controller"
CONTAINER_PORTS = {"http": 80, "https": 443, "redirect": 2443}  # 2443: the NGX-AWS redirect-only port
DEFAULT_CERT_SECRET = "edgeconform-default-tls"
HEADERS_CONFIGMAP = "edgeconform-headers"
POD_SELECTOR = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
RESOURCE_KINDS = (("networking.k8s.io/v1", "Ingress"), ("v1", "ConfigMap"))  # the ConfigMap: proxy-set-headers


def version() -> str | None:
    """The pinned release, from the manifest's URL (controller-vX.Y.Z)."""
    found = re.search(r"controller-v([0-9.]+)/", manifest_url())
    return found.group(1) if found else None


def configmap(t: Topology, facts: EdgeFacts) -> dict[str, str]:
    """The ingress-nginx-controller ConfigMap: the topology's keys (proxy-real-ip-cidr where this edge's load
    balancer is), plus the harness's proxy-set-headers and http-snippet."""
    s = to_native(t)
    data = s.configmap()
    if "proxy-real-ip-cidr" in data:
        # addresses, or networks (the VPC's CIDRs on eks, where the load balancer's addresses are not known)
        lb = [ip if "/" in ip else f"{ip}/32" for ip in facts.lb_addresses] or ["0.0.0.0/0"]
        data["proxy-real-ip-cidr"] = ",".join(localize(s.cidrs, lb))
    data["proxy-set-headers"] = f"{NAMESPACE}/{HEADERS_CONFIGMAP}"
    data["http-snippet"] = http_snippet(t, s)
    return data


def http_snippet(t: Topology, s: Settings) -> str:
    lines = ["map $server_port $edgeconform_port {"]
    lines += [f"    {port} {kind};" for kind, port in CONTAINER_PORTS.items()]
    lines += ["    default $server_port;", "}"]
    lines += ["map $proxy_protocol_addr $edgeconform_connection {", "    '' $realip_remote_addr;",
              "    default $proxy_protocol_addr;", "}"]
    if "redirect" in t.controller_kinds:
        proxy = " proxy_protocol" if s.on("use-proxy-protocol") else ""
        lines += ["# NGX-AWS port split: TLS ends at the load balancer, its port 80 lands here and is always "
                  "redirected",
                  "server {", f"    listen {CONTAINER_PORTS['redirect']}{proxy};",
                  f"    return {s.http_redirect_code} https://$host$request_uri;", "}"]
    return "\n".join(lines) + "\n"


def translate(t: Topology, facts: EdgeFacts) -> ControllerPlan:
    used = t.controller_kinds
    names = list(facts.certificates) if "https" in used else []
    # the Ingress's tls entries: the certificates that cover a hostname (what the expectation reads as Ingress TLS)
    tls_names = list(dict.fromkeys(ingress_certificates(t).values()))
    secrets = [manifests.tls_secret(manifests.secret_name(name), manifests.NAMESPACE, facts.certificates[name],
                                    t.name) for name in tls_names]
    if names:
        secrets.insert(0, manifests.tls_secret(DEFAULT_CERT_SECRET, NAMESPACE, facts.certificates[names[0]],
                                               t.name))
    settings = configmap(t, facts)
    objects = manifests.render(
        "ingress-nginx/edge.yaml.j2", namespace=manifests.NAMESPACE, controller_namespace=NAMESPACE,
        labels=manifests.labels(t.name), conclusion_headers=CONCLUSION_HEADERS, settings=settings,
        tls=[{"hosts": [name], "secret": manifests.secret_name(name)} for name in tls_names],
        hostnames=t.hostnames, backend={"service": manifests.ECHO_SERVICE, "port": manifests.ECHO_PORT})
    service = manifests.edge_service(NAMESPACE, POD_SELECTOR, t.kubernetes.external_traffic_policy,
                                     service_ports(t, CONTAINER_PORTS), t.name)
    return ControllerPlan(NAME, [*secrets, *objects, *service], {k: CONTAINER_PORTS[k] for k in used},
                          settings, unsupported=unsupported(t))


def manifest_url() -> str:
    return versions()["controllers"]["ingress-nginx"]["manifest"]


def prepare_manifest(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The upstream kind manifest with the one change the harness needs: a default certificate from the test
    CA (--default-ssl-certificate), so an unknown SNI name gets a certificate the harness can recognise."""
    out = copy.deepcopy(objects)
    arg = f"--default-ssl-certificate={NAMESPACE}/{DEFAULT_CERT_SECRET}"
    found = False
    for obj in out:
        if obj.get("kind") == "Deployment" and obj["metadata"].get("name") == DEPLOYMENT:
            for container in obj["spec"]["template"]["spec"]["containers"]:
                if container.get("name") == "controller":
                    args = container.setdefault("args", [])
                    args[:] = [a for a in args if not a.startswith("--default-ssl-certificate=")] + [arg]
                    found = True
    if not found:
        raise ValueError(f"the ingress-nginx manifest has no Deployment {DEPLOYMENT} with a 'controller' "
                         f"container; check the pinned manifest in clusters/kind/versions.yaml ({manifest_url()})")
    return out


def webhook_probe(namespace: str) -> dict[str, Any]:
    """The Ingress the harness creates with dryRun=All until the admission webhook answers."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "edgeconform-webhook-probe", "namespace": namespace},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": "webhook-probe.edgeconform.test", "http": {
                "paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {
                    "name": manifests.ECHO_SERVICE, "port": {"number": manifests.ECHO_PORT}}}}]}}]}}


def fetch_manifest(url: str) -> list[dict[str, Any]]:
    import httpx
    import yaml

    response = httpx.get(url, follow_redirects=True, timeout=60)
    response.raise_for_status()
    return [doc for doc in yaml.safe_load_all(response.text) if doc]


def install(api, run, kubeconfig: str) -> None:
    """Apply the pinned kind manifest (with the default-certificate argument), wait for the controller and for
    the admission webhook to accept Ingresses (it refuses them for a while after install)."""
    from ...kube.timeouts import CONTROLLER_READY, WEBHOOK

    api.apply(prepare_manifest(fetch_manifest(manifest_url())))
    api.wait(CONTROLLER_READY, "ingress-nginx's controller becoming ready",
             api.pods_ready(NAMESPACE, POD_SELECTOR))
    api.wait(WEBHOOK, "ingress-nginx's admission webhook accepting an Ingress (server-side dry run)",
             api.accepts(webhook_probe(manifests.NAMESPACE)))
