"""Traefik on kind: the Helm command (golden), the per-topology values that carry the same entry point settings
the local target renders, the order in which a topology is put in place, and every traefik.io resource
validated against Traefik's own CRDs (read from the Go module cache of the version ./dev tools builds)."""

from __future__ import annotations

import pytest

from edgeconform import assets, catalog, certs
from edgeconform.controllers import EdgeFacts, get
from edgeconform.controllers.traefik import cluster as traefik
from edgeconform.controllers.base import versions

from kind_helpers import LB_IP

NODES = ("172.18.0.2", "10.244.0.1")  # the node, and kube-proxy's SNAT address on the pod network


@pytest.fixture(scope="module")
def translated(tmp_path_factory):
    out = {}
    for name, t in catalog.load().items():
        issued = certs.issue(tmp_path_factory.mktemp(name), "controller", t.controller.certificates)
        out[name] = (t, get("traefik").translate(t, EdgeFacts((LB_IP,), issued, node_addresses=NODES)))
    return out


def test_traefik_helm_command():
    pins = versions()["controllers"]["traefik"]
    assert (pins["chart"], str(pins["version"]), pins["app_version"]) == ("oci://ghcr.io/traefik/helm/traefik", "39.0.7",
                                                                          "v3.6.12")
    base = str(assets.path("clusters/manifests/traefik/values.yaml"))
    assert traefik.install_command("/w/kubeconfig", 420, base, "/w/edge/traefik-values.yaml") == [
        "helm", "upgrade", "--install", "traefik", "oci://ghcr.io/traefik/helm/traefik", "--version", "39.0.7",
        "--namespace", "traefik", "--create-namespace", "--values", base, "--values", "/w/edge/traefik-values.yaml",
        "--kubeconfig", "/w/kubeconfig", "--wait", "--timeout", "420s"]


def test_the_pinned_chart_runs_the_traefik_the_local_target_builds():
    go_mod = assets.path("tools/traefik/go.mod").read_text()
    assert f"github.com/traefik/traefik/v3 {versions()['controllers']['traefik']['app_version']}" in go_mod


# topology: (entry point -> (container port, exposed port)), PROXY, trusted forwarders, redirect
TABLE = {
    "nlb-proxy-v2": ({"web": (8000, 80), "websecure": (8443, 443)}, True, False, "redirections"),
    "nlb-tls": ({"web": (8081, 80), "websecure": (8000, 443)}, True, False, "redirections"),
    "nlb-ip": ({"web": (8000, 80), "websecure": (8443, 443)}, False, False, "redirections"),
    "alb": ({"web": (8000, 80), "websecure": (8443, 443)}, False, True, "middlewares"),
    "clb-http": ({"web": (8000, 80), "websecure": (8443, 443)}, False, True, "middlewares"),
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_helm_values_carry_the_entry_point_settings(translated, name):
    ports, proxy, forwarded, redirect = TABLE[name]
    t, plan = translated[name]
    values = plan.settings["values"]["ports"]
    assert {k: (v["port"], v["exposedPort"]) for k, v in values.items()} == ports
    used = traefik.entry_points(t)
    peers = [f"{LB_IP}/32", *(f"{a}/32" for a in NODES)]  # the VPC, on this cluster
    for name_, kind in used.items():
        port = values[name_]
        assert ("proxyProtocol" in port) is proxy and ("forwardedHeaders" in port) is forwarded
        if proxy:
            assert port["proxyProtocol"] == {"trustedIPs": peers}
        if forwarded:
            assert port["forwardedHeaders"] == {"trustedIPs": peers}
        assert port["http"]["tls"] == {"enabled": kind == "https"}
    web = values["web"]["http"]
    if redirect == "redirections":  # the chart takes an entry point name and renders it as :exposedPort
        assert web["redirections"]["entryPoint"] == {"scheme": "https", "permanent": True, "to": "websecure"}
    elif "middlewares" in web:
        assert web["middlewares"] == ["edgeconform-redirect-to-https@kubernetescrd"]
    assert "websecure" not in used or used["websecure"] != "https" or "redirections" not in values["websecure"]["http"]
    assert plan.notes and "static configuration" in plan.notes[0]


@pytest.mark.parametrize("name", sorted(catalog.load()))
def test_resources_route_by_host_through_the_conclusion_middleware(translated, name):
    t, plan = translated[name]
    routes = [o for o in plan.manifests if o["kind"] == "IngressRoute"]
    assert {r["spec"]["entryPoints"][0] for r in routes} == set(traefik.entry_points(t))
    for route in routes:
        matches = [r["match"] for r in route["spec"]["routes"]]
        assert matches == [f"Host(`{h}`)" for h in t.hostnames] + ["PathPrefix(`/`)"]
        kind = traefik.entry_points(t)[route["spec"]["entryPoints"][0]]
        assert ("tls" in route["spec"]) is (kind == "https")
        # Traefik's CRD provider names the TLSOption "default" without its namespace: a route that named it
        # ({name: default, namespace: ...}) would look for "<namespace>-default" and fail to build (seen on kind)
        options = {o["metadata"]["name"] for o in plan.manifests if o["kind"] == "TLSOption"}
        named = (route["spec"].get("tls") or {}).get("options")
        assert named is None or (named["name"] != "default" and named["name"] in options), named
    middlewares = {o["metadata"]["name"]: o["spec"] for o in plan.manifests if o["kind"] == "Middleware"}
    for kind in set(traefik.entry_points(t).values()):
        stated = middlewares[f"edgeconform-{kind}"]["headers"]["customRequestHeaders"]
        assert stated["x-edgeconform-port"] == kind and stated["x-edgeconform-client"] == ""
    stores = [o for o in plan.manifests if o["kind"] == "TLSStore"]
    if t.tls_terminates_at == "controller":
        (store,) = stores
        assert store["spec"]["defaultCertificate"] == {"secretName": "edgeconform-tls-default-edgeconform-test"}
        assert len(store["spec"]["certificates"]) == len(t.controller.certificates)
    else:
        assert not stores
    service = next(o for o in plan.manifests if o["kind"] == "Service")
    assert service["spec"]["externalTrafficPolicy"] == t.kubernetes.external_traffic_policy
    assert service["metadata"]["namespace"] == "traefik"


def test_a_topology_is_put_in_place_by_an_upgrade_then_its_resources(translated, tmp_path):
    t, plan = translated["nlb-proxy-v2"]
    calls = []

    class Api:
        def wait(self, timeout, what, condition):
            calls.append(("wait", what))

        def pods_ready(self, namespace, selector):
            return (namespace, tuple(sorted(selector.items())))

        def apply(self, objects):
            calls.append(("apply", [o["kind"] for o in objects]))

    get("traefik").configure(Api(), lambda argv, timeout: calls.append(("run", argv)), "/k", plan, tmp_path)
    run, wait, apply = calls
    from edgeconform.kube.timeouts import CONTROLLER_INSTALL

    assert run == ("run", traefik.install_command("/k", CONTROLLER_INSTALL.seconds, str(traefik.base_values_file()),
                                                  str(tmp_path / "traefik-values.yaml")))
    assert (tmp_path / "traefik-values.yaml").read_text().startswith("ports:")
    assert wait == ("wait", "Traefik becoming ready with the topology's entry points")
    assert apply[0] == "apply" and "IngressRoute" in apply[1]


@pytest.mark.integration  # `go mod download` fills the Go module cache the CRDs are read from
def test_every_traefik_resource_matches_its_crd(translated):
    from tests import crds

    try:
        registry = crds.registry("traefik")
    except crds.CrdsUnavailable as exc:
        pytest.skip(str(exc))
    kinds = set()
    for name, (t, plan) in translated.items():
        for obj in plan.manifests:
            if obj["apiVersion"].startswith("traefik.io/"):
                result = crds.validate(registry, obj)
                assert result.ok, f"{name}: {result.ref}: {result.errors}"
                kinds.add(obj["kind"])
    assert {(v, k) for v, k in get("traefik").resource_kinds} == {("traefik.io/v1alpha1", k) for k in kinds}
    route = next(o for o in translated["alb"][1].manifests if o["kind"] == "IngressRoute")
    broken = {**route, "spec": {**route["spec"], "entryPoint": ["web"]}}
    assert crds.validate(registry, broken).errors  # not a rubber stamp: a misspelt field is refused
