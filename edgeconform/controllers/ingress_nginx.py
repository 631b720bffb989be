"""ingress-nginx on a cluster: install (its kind provider manifest) and per-topology configuration.

Translation of the catalog's controller settings into the controller ConfigMap [NGX-CM]
(clusters/manifests/ingress-nginx/edge.yaml.j2 renders them):

| catalog field             | ingress-nginx                                                                  |
|---------------------------|--------------------------------------------------------------------------------|
| proxy_protocol            | use-proxy-protocol (must change with the load balancer [#13320][k8s#57250])   |
| trusted_hops: 1           | use-forwarded-headers: true, proxy-real-ip-cidr: the load balancer's address  |
| trusted_hops: 0           | use-forwarded-headers: false (behind L4, XFF must not be trusted [#1815])     |
| trusted_hops: > 1         | not expressible (nginx trusts addresses, not a hop count): client_ip unsupported|
| (always)                  | compute-full-forwarded-for: true (append, as Envoy's use_remote_address does) |
| cleartext: redirect/serve | ssl-redirect and force-ssl-redirect true/false (force: also without Ingress TLS,|
|                           | as behind an L7 load balancer, where X-Forwarded-Proto decides [#1957])        |
| redirect_code             | http-redirect-code                                                             |
| redirect-only port        | http-snippet: a server on 2443 returning the redirect (the NGX-AWS port split) |
| certificates              | Ingress tls per name; the first is the controller's --default-ssl-certificate  |
| tls_min_version           | ssl-protocols                                                                  |

How nginx arrives at the client (its nginx.tmpl): the realip module is on when use-proxy-protocol or
use-forwarded-headers is (real_ip_header proxy_protocol, else X-Forwarded-For; set_real_ip_from =
proxy-real-ip-cidr); the backend's X-Forwarded-For is $remote_addr, or, with use-forwarded-headers and
compute-full-forwarded-for, the incoming list plus $realip_remote_addr (so the last entry is the peer, as
Envoy's append).

The backend learns what nginx concluded from proxy-set-headers (a ConfigMap of header -> value):
$remote_addr (after the realip module: PROXY or X-Forwarded-For), $realip_remote_addr (the TCP peer),
$ssl_protocol, $ssl_server_name, and the port kind from a map in http-snippet.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .. import headers
from ..kube import manifests
from ..topology import Topology
from .base import Controller, ControllerPlan, EdgeFacts, Upstream, host_sni_note, service_ports, versions

NAMESPACE = "ingress-nginx"
DEPLOYMENT = "ingress-nginx-controller"
CONTAINER_PORTS = {"http": 80, "https": 443, "redirect": 2443}  # 2443: the NGX-AWS redirect-only port
DEFAULT_CERT_SECRET = "edgeconform-default-tls"
HEADERS_CONFIGMAP = "edgeconform-headers"
TLS_PROTOCOLS = {"TLSv1.0": "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", "TLSv1.1": "TLSv1.1 TLSv1.2 TLSv1.3",
                 "TLSv1.2": "TLSv1.2 TLSv1.3", "TLSv1.3": "TLSv1.3"}
CONCLUSION_HEADERS = {
    headers.CLIENT: "$remote_addr",
    headers.PEER: "$realip_remote_addr",
    headers.TLS: "$ssl_protocol",
    headers.SNI: "$ssl_server_name",
    headers.PORT: "$edgeconform_port",
}


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


class IngressNginx(Controller):
    name = "ingress-nginx"
    title = "ingress-nginx"
    runs_on = ("cluster",)
    upstream = Upstream("kubernetes", "ingress-nginx", "https://github.com/kubernetes/ingress-nginx",
                        ("https://github.com/kubernetes/ingress-nginx/issues",))
    resource_kinds = (("networking.k8s.io/v1", "Ingress"), ("v1", "ConfigMap"))  # the ConfigMap: proxy-set-headers
    namespace = NAMESPACE
    pod_selector = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
    container_ports = CONTAINER_PORTS

    def version(self) -> str | None:
        """The pinned release, from the manifest's URL (controller-vX.Y.Z)."""
        found = re.search(r"controller-v([0-9.]+)/", manifest_url())
        return found.group(1) if found else None

    def install(self, api, run, kubeconfig: str) -> None:
        install(api, run, kubeconfig)

    def settings(self, t: Topology, facts: EdgeFacts) -> dict[str, str]:
        ctl = t.controller
        redirect = ctl.cleartext == "redirect"
        # addresses, or networks (the VPC's CIDRs on eks, where the load balancer's addresses are not known)
        trusted = ",".join(ip if "/" in ip else f"{ip}/32" for ip in facts.lb_addresses) or "0.0.0.0/0"
        return {
            "use-proxy-protocol": _bool(ctl.proxy_protocol),
            "use-forwarded-headers": _bool(ctl.trusted_hops > 0),
            "compute-full-forwarded-for": "true",
            "forwarded-for-header": "X-Forwarded-For",
            "proxy-real-ip-cidr": trusted,
            "ssl-redirect": _bool(redirect),
            "force-ssl-redirect": _bool(redirect),
            "http-redirect-code": str(ctl.redirect_code),
            "ssl-protocols": TLS_PROTOCOLS[ctl.tls_min_version],
            "proxy-set-headers": f"{NAMESPACE}/{HEADERS_CONFIGMAP}",
            "http-snippet": self.http_snippet(t),
        }

    @staticmethod
    def http_snippet(t: Topology) -> str:
        lines = ["map $server_port $edgeconform_port {"]
        lines += [f"    {port} {kind};" for kind, port in CONTAINER_PORTS.items()]
        lines += ["    default $server_port;", "}"]
        if "redirect" in t.controller_kinds:
            proxy = " proxy_protocol" if t.controller.proxy_protocol else ""
            lines += ["# NGX-AWS port split: TLS ends at the load balancer, its port 80 lands here and is always "
                      "redirected",
                      "server {", f"    listen {CONTAINER_PORTS['redirect']}{proxy};",
                      f"    return {t.controller.redirect_code} https://$host$request_uri;", "}"]
        return "\n".join(lines) + "\n"

    def translate(self, t: Topology, facts: EdgeFacts) -> ControllerPlan:
        used = t.controller_kinds
        names = list(facts.certificates) if "https" in used else []
        secrets = [manifests.tls_secret(manifests.secret_name(name), manifests.NAMESPACE, facts.certificates[name],
                                        t.name) for name in names[1:]]
        if names:
            secrets.insert(0, manifests.tls_secret(DEFAULT_CERT_SECRET, NAMESPACE, facts.certificates[names[0]],
                                                   t.name))
        settings = self.settings(t, facts)
        objects = manifests.render(
            "ingress-nginx/edge.yaml.j2", namespace=manifests.NAMESPACE, controller_namespace=NAMESPACE,
            labels=manifests.labels(t.name), conclusion_headers=CONCLUSION_HEADERS, settings=settings,
            tls=[{"hosts": [name], "secret": manifests.secret_name(name)} for name in names[1:]],
            hostnames=t.hostnames, backend={"service": manifests.ECHO_SERVICE, "port": manifests.ECHO_PORT})
        service = manifests.edge_service(NAMESPACE, self.pod_selector, t.kubernetes.external_traffic_policy,
                                         service_ports(t, CONTAINER_PORTS), t.name)
        unsupported = host_sni_note("ingress-nginx", t)
        if t.controller.trusted_hops > 1:
            unsupported["client_ip"] = (
                f"ingress-nginx trusts X-Forwarded-For by address (proxy-real-ip-cidr), not by a hop count; "
                f"{t.name} asks for {t.controller.trusted_hops} trusted hops")
        return ControllerPlan(self.name, [*secrets, *objects, *service], {k: CONTAINER_PORTS[k] for k in used},
                              settings, unsupported=unsupported)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def fetch_manifest(url: str) -> list[dict[str, Any]]:
    import httpx
    import yaml

    response = httpx.get(url, follow_redirects=True, timeout=60)
    response.raise_for_status()
    return [doc for doc in yaml.safe_load_all(response.text) if doc]


def install(api, run, kubeconfig: str) -> None:
    """Apply the pinned kind manifest (with the default-certificate argument), wait for the controller and for
    the admission webhook to accept Ingresses (it refuses them for a while after install)."""
    from ..kube.timeouts import CONTROLLER_READY, WEBHOOK

    api.apply(prepare_manifest(fetch_manifest(manifest_url())))
    api.wait(CONTROLLER_READY, "ingress-nginx's controller becoming ready",
             api.pods_ready(NAMESPACE, IngressNginx.pod_selector))
    api.wait(WEBHOOK, "ingress-nginx's admission webhook accepting an Ingress (server-side dry run)",
             api.accepts(webhook_probe(manifests.NAMESPACE)))
