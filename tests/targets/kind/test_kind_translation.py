"""The controller-settings translation for every catalog topology, table-driven, for both controllers."""

from __future__ import annotations

import pytest

from edgeconform import catalog, certs
from edgeconform.controllers import EdgeFacts, get
from edgeconform.controllers.base import host_sni_note

from kind_helpers import LB_IP
from tests.cases import generic

# topology: (PROXY expected, trusted hops, cleartext, controller ports, TLS at the controller)
TABLE = {
    "nlb-instance-local": (False, 0, "redirect", ["http", "https"], True),
    "nlb-instance-cluster": (False, 0, "redirect", ["http", "https"], True),
    "nlb-ip": (False, 0, "redirect", ["http", "https"], True),
    "nlb-proxy-v2": (True, 0, "redirect", ["http", "https"], True),
    "nlb-tls": (True, 0, "serve", ["http", "redirect"], False),
    "clb-tcp": (False, 0, "redirect", ["http", "https"], True),
    "clb-tcp-proxy-v1": (True, 0, "redirect", ["http", "https"], True),
    "clb-http": (False, 1, "redirect", ["http"], False),
    "alb": (False, 1, "redirect", ["http"], False),
    "cloudfront-alb": (False, 2, "redirect", ["http"], False),  # CloudFront and the ALB: two hops
    "alb-mtls": (False, 1, "redirect", ["http"], False),
}


@pytest.fixture(scope="module")
def translated(tmp_path_factory):
    out = {}
    for name, t in catalog.load().items():
        if name not in TABLE:
            continue  # written for a controller of its own (none): tests/controllers/test_none.py
        issued = certs.issue(tmp_path_factory.mktemp(name), "controller", t.controller.certificates)
        for controller in ("emissary", "ingress-nginx"):
            out[name, controller] = (t, get(controller).translate(t, EdgeFacts((LB_IP,), issued)))
    return out


def test_table_covers_the_catalog():
    assert set(TABLE) == set(generic(catalog.load()))


@pytest.mark.parametrize("name", sorted(TABLE))
def test_emissary(translated, name):
    proxy, hops, cleartext, ports, tls = TABLE[name]
    t, plan = translated[name, "emissary"]
    listeners = plan.settings["listeners"]
    assert sorted(listeners) == sorted(ports)
    for kind, listener in listeners.items():
        assert (listener["stack"][0] == "PROXY") is proxy
        assert "HTTPSPROXY" not in listener["stack"]  # TLS inside PROXY, never outside [#4153]
        assert ("TLS" in listener["stack"]) is (kind == "https")
        assert listener["security_model"] == ("INSECURE" if kind == "redirect" else "XFP")
    assert plan.settings["l7Depth"] == hops
    assert plan.settings["insecure_action"] == ("Redirect" if cleartext == "redirect" else "Route")
    hosts = plan.settings["hosts"]
    assert all(secret for _, group, _, secret in hosts if group == "main") is tls
    if "redirect" in ports:  # the redirect-only port's Hosts always redirect, whatever the main ones do
        assert {action for _, group, action, _ in hosts if group == "redirect"} == {"Redirect"}
    if tls:  # the first certificate is the default: Host "*"
        assert hosts[0][0] == "*" and hosts[0][3] == "edgeconform-tls-default-edgeconform-test"
    secrets = [o for o in plan.manifests if o["kind"] == "Secret"]
    assert len(secrets) == (len(t.controller.certificates) if tls else 0)
    service = next(o for o in plan.manifests if o["kind"] == "Service")
    assert service["spec"]["externalTrafficPolicy"] == t.kubernetes.external_traffic_policy
    assert {p["nodePort"] for p in service["spec"]["ports"]} <= {30080, 30443, 30081}
    # Emissary's redirect is 301 and not configurable: a 308 at the controller cannot be measured
    redirect_at_controller = t.redirect_intended and not t.lb.ssl_redirect
    assert ("redirect" in plan.unsupported) is (redirect_at_controller and t.controller.redirect_code != 301)
    assert ("security[host-sni]" in plan.unsupported) is (t.tls_terminates_at == "controller")


@pytest.mark.parametrize("name", sorted(TABLE))
def test_ingress_nginx(translated, name):
    proxy, hops, cleartext, ports, tls = TABLE[name]
    t, plan = translated[name, "ingress-nginx"]
    s = plan.settings
    assert s["use-proxy-protocol"] == str(proxy).lower()
    assert s["use-forwarded-headers"] == str(hops > 0).lower()
    assert s["compute-full-forwarded-for"] == "true"
    assert s["proxy-real-ip-cidr"] == f"{LB_IP}/32"  # the load balancer only, never the clients' network
    assert s["ssl-redirect"] == s["force-ssl-redirect"] == str(cleartext == "redirect").lower()
    assert s["http-redirect-code"] == str(t.controller.redirect_code)
    assert s["ssl-protocols"] == "TLSv1.2 TLSv1.3"
    assert s["proxy-set-headers"] == "ingress-nginx/edgeconform-headers"
    assert sorted(plan.container_ports) == sorted(ports)
    snippet = s["http-snippet"]
    if "redirect" in ports:  # the NGX-AWS port split
        listen = "listen 2443 proxy_protocol;" if proxy else "listen 2443;"
        assert listen in snippet and f"return {t.controller.redirect_code} https://$host$request_uri;" in snippet
    else:
        assert "listen 2443" not in snippet
    ingress = next(o for o in plan.manifests if o["kind"] == "Ingress")
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == t.hostnames
    assert bool(ingress["spec"].get("tls")) is tls
    default = [o for o in plan.manifests if o["kind"] == "Secret" and o["metadata"]["name"] == "edgeconform-default-tls"]
    assert bool(default) is tls
    headers = next(o for o in plan.manifests if o["metadata"]["name"] == "edgeconform-headers")
    assert headers["data"]["x-edgeconform-client"] == "$remote_addr"
    assert headers["data"]["x-edgeconform-peer"] == "$realip_remote_addr"
    unsupported = dict(plan.unsupported)
    if hops > 1:  # ingress-nginx trusts by address, not by hop count: two hops (CloudFront) are not expressed
        assert "client_ip" in unsupported and unsupported.pop("client_ip")
    assert unsupported == host_sni_note("ingress-nginx", t)  # no 421 is configured on it


def test_mismatched_proxy_settings_are_translated_faithfully(tmp_path):
    """A misconfigured topology is not silently fixed: PROXY sent but not expected stays that way."""
    from edgeconform.topology import Topology
    t = catalog.load()["nlb-proxy-v2"]
    bad = Topology(**{**t.model_dump(), "controller": {**t.controller.model_dump(), "proxy_protocol": False}})
    facts = EdgeFacts((LB_IP,), certs.issue(tmp_path, "controller", bad.controller.certificates))
    assert get("ingress-nginx").translate(bad, facts).settings["use-proxy-protocol"] == "false"
    listeners = get("emissary").translate(bad, facts).settings["listeners"]
    assert all("PROXY" not in listener["stack"] for listener in listeners.values())


def test_trusted_hops_beyond_one_are_unsupported_on_nginx(tmp_path):
    from edgeconform.topology import Topology
    t = catalog.load()["alb"]
    deep = Topology(**{**t.model_dump(), "controller": {**t.controller.model_dump(), "trusted_hops": 2}})
    facts = EdgeFacts((LB_IP,), certs.issue(tmp_path, "controller", deep.controller.certificates))
    assert "hop count" in get("ingress-nginx").translate(deep, facts).unsupported["client_ip"]
    assert get("emissary").translate(deep, facts).settings["l7Depth"] == 2
