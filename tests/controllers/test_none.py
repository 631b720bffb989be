"""Controller none (the load balancer straight to the application): the block it takes, the expectations it gets
(what arrives at the application), the findings that apply, and what each target builds for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeconform import behaviours, catalog, certs, controllers, findings
from edgeconform.behaviours import client_ip
from edgeconform.behaviours.client_ip import ClientIpSample, ClientIpWant
from edgeconform.catalog import TopologyError
from edgeconform.controllers import EdgeFacts
from edgeconform.edge import ControllerInfo, Edge
from edgeconform.probing.http import HttpResult
from edgeconform.targets.local import addresses, plan

CATALOG = catalog.load()
APPS = ["alb-app", "alb-http-app", "nlb-tls-app", "nlb-app", "nlb-app-preserved", "nlb-app-proxy-v2"]
NONE = controllers.get("none")


# --- the block -------------------------------------------------------------------------------------------------------
def test_the_catalog_has_the_edges_straight_to_the_application():
    for name in APPS:
        t = CATALOG[name]
        assert t.controller.kind == "none" and controllers.semantics_of(t).straight_to_app, name
        assert (t.controller.proxy_protocol, t.controller.trusted_hops, t.controller.cleartext) == (False, 0, "serve")


@pytest.mark.parametrize("field, value", [("trusted_hops", 1), ("proxy_protocol", True), ("cleartext", "redirect"),
                                          ("trusted_cidrs", ["10.0.0.0/16"]), ("redirect_code", 301),
                                          ("host_sni_mismatch", "misdirected")])
def test_a_trust_setting_is_an_error_naming_it(synthetic, field, value):
    with pytest.raises(TopologyError, match=rf"field 'controller.{field}': {field}: a controller's setting, and "
                                            r"with controller.kind none the load balancer sends straight to the "
                                            r"application"):
        synthetic(f"""
            load_balancer: {{model: alb, listeners: [{{port: 80, protocol: HTTP, target: http}}]}}
            controller: {{kind: none, {field}: {value!r}}}""".replace("'", '"'))


def test_settings_and_a_redirect_only_port_are_refused(synthetic):
    with pytest.raises(TopologyError, match="field 'controller.settings': none has no settings of its own"):
        synthetic("""
            load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}]}
            controller: {kind: none, settings: {}}""")
    with pytest.raises(TopologyError, match=r"listeners.0.target': with controller.kind none .* no port that only "
                                            "redirects"):
        synthetic("""
            load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: redirect},
                                                    {port: 443, protocol: TLS, target: http}],
                            certificates: [a.example.test]}
            controller: {kind: none}""")


def test_certificates_and_the_tls_floor_are_the_applications(synthetic):
    t = synthetic("""
        load_balancer: {model: nlb, listeners: [{port: 443, protocol: TCP, target: https}]}
        controller: {kind: none, certificates: [a.example.test], tls_min_version: TLSv1.3}""")
    assert t.controller.certificates == ["a.example.test"] and t.controller.tls_min_version == "TLSv1.3"
    expect = behaviours.expectation(t, "security", "tls-versions")
    assert expect.want.accepted == ("TLSv1.3",) and "the application" in expect.summary


def test_any_edge_can_be_read_as_straight_to_the_application():
    t = controllers.bind(CATALOG["alb"], "none")  # trusted_hops 1 and a cleartext redirect in the catalog
    assert (t.controller.kind, t.controller.trusted_hops, t.controller.cleartext) == ("none", 0, "serve")
    assert controllers.bind(CATALOG["alb"], "envoy").controller.trusted_hops == 1
    assert controllers.bind(CATALOG["alb-app"], "envoy").controller.kind == "none"  # its own kind wins


# --- what arrives: the expectations --------------------------------------------------------------------------------
def cells(name: str) -> dict[str, tuple[str, object]]:
    return {e.cell: (e.outcome, e.want) for e in behaviours.for_topology(CATALOG[name])}


def test_behind_an_alb_the_client_is_the_entry_the_alb_appended():
    got = cells("alb-app")
    assert got["client_ip"] == ("works", ClientIpWant("client", "xff", forwarded_at=1))
    assert got["dual_stack"] == ("works", ClientIpWant("client", "xff", forwarded_at=1))
    assert got["redirect"][1].code == 301 and got["redirect"][1].at == "lb"  # the ALB's ssl-redirect
    assert got["security[host-sni]"][0] == "limited"  # TLS ends at the ALB: routed by Host, as for any edge
    assert got["client_ip"] == cells("alb-http-app")["client_ip"]  # instance targets: the node is the TCP peer
    e = behaviours.expectation(CATALOG["alb-app"], "client_ip")
    assert "rightmost X-Forwarded-For entry, the one the ALB appended" in e.summary and "ALB-XFH" in e.sources


def test_behind_an_nlb_the_client_is_the_peer_the_proxy_header_or_lost():
    assert cells("nlb-app")["client_ip"][0] == "limited" and cells("nlb-app")["client_ip"][1].seen_as == "lb"
    assert cells("nlb-tls-app")["client_ip"][1] == ClientIpWant("lb", "peer")
    assert cells("nlb-app-preserved")["client_ip"] == ("works", ClientIpWant("client", "peer"))
    assert cells("nlb-app-proxy-v2")["client_ip"] == ("works", ClientIpWant("client", "proxy-v2"))
    forged = cells("nlb-app-proxy-v2")["security[forged-client]"][1]
    assert (forged.seen_as, forged.via) == ("client", "proxy-v2")


@pytest.mark.parametrize("name", APPS)
def test_nothing_behind_the_load_balancer_redirects_or_expects_proxy(name):
    got = cells(name)
    if not CATALOG[name].lb.ssl_redirect:
        assert got["redirect"] == ("works", behaviours.get("redirect").cell().rule(CATALOG[name]).want)
        assert got["redirect"][1].action == "serve"
    for check in ("proxy-required", "proxy-local"):
        assert got[f"security[{check}]"][0] == "n/a"
    expect = behaviours.expectation(CATALOG[name], "security", "proxy-required")
    assert "the application" in expect.reason


def test_tls_passed_through_reaches_the_application_with_its_host_and_sni():
    e = behaviours.expectation(CATALOG["nlb-app"], "security", "host-sni")
    assert (e.outcome, e.want.result) == ("works", "arrives")
    assert "TLS terminates at the application" in behaviours.expectation(CATALOG["nlb-app"], "sni").summary


# --- the comparison reads the place the expectation names ----------------------------------------------------------
def app_edge(t) -> Edge:
    return Edge(topology=t, target="local", endpoints={}, ca=Path("/nonexistent"),
                roles={"10.0.1.17": "lb", "10.0.2.11": "node"}, client_cidr="198.51.100.0/24",
                client_addresses=["198.51.100.11"], controller=ControllerInfo.of(NONE, t))


def sample(source: str, *, peer: str, xff: list[str] = (), proxy: dict | None = None) -> ClientIpSample:
    report = {"backend": "edgeconform-echo", "peer": {"ip": peer, "port": 1}, "client": None, "headers": [],
              "forwarded": {"for": list(xff), "proto": None, "port": None}, "proxy": proxy, "tls": None}
    result = HttpResult(url="http://x/", source=source, host="x", sni=None, status=200, report=report)
    return ClientIpSample(source, result, None, application=True)


def test_the_application_comparison_fails_where_the_client_did_not_arrive():
    alb = app_edge(CATALOG["alb-app"])
    want = behaviours.expectation(CATALOG["alb-app"], "client_ip").want
    good = sample("198.51.100.11", peer="10.0.1.17", xff=["203.0.113.7", "198.51.100.11"])
    assert client_ip.compare(alb, want, [good]) == []
    forged_right = sample("198.51.100.11", peer="10.0.1.17", xff=["198.51.100.11", "203.0.113.7"])
    [problem] = client_ip.compare(alb, want, [forged_right])
    assert "the rightmost X-Forwarded-For entry at the application is 203.0.113.7" in problem
    nlb = app_edge(CATALOG["nlb-app-proxy-v2"])
    want = behaviours.expectation(CATALOG["nlb-app-proxy-v2"], "client_ip").want
    header = {"version": "v2", "command": "PROXY", "source": {"ip": "198.51.100.11", "port": 4}, "destination": None}
    assert client_ip.compare(nlb, want, [sample("198.51.100.11", peer="10.0.1.17", proxy=header)]) == []
    [missing] = client_ip.compare(nlb, want, [sample("198.51.100.11", peer="10.0.1.17")])
    assert "the PROXY header's source at the application is None (nothing)" in missing
    local = {**header, "command": "LOCAL", "source": None}  # a LOCAL header names no client
    assert client_ip.compare(nlb, want, [sample("198.51.100.11", peer="10.0.1.17", proxy=local)])
    facts = client_ip.facts(nlb, [sample("198.51.100.11", peer="10.0.1.17", proxy=header)])
    assert facts == {"seen_as": "client", "via": "proxy-v2"}
    assert client_ip.facts(alb, [good]) == {"seen_as": "client", "via": "xff"}


def test_an_alb_entry_with_its_port_is_read_as_its_address(synthetic):
    t = synthetic("""
        load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}], xff_client_port: true}
        controller: {kind: none}""")
    want = behaviours.expectation(t, "client_ip").want
    assert "ip:port" in behaviours.expectation(t, "client_ip").summary
    assert client_ip.compare(app_edge(t), want, [sample("198.51.100.11", peer="10.0.1.17",
                                                        xff=["198.51.100.11:40123"])]) == []
    assert "XFF_CLIENT_PORT" not in {f.code for f in findings.findings(t)}  # a controller's mistake, not here


# --- findings --------------------------------------------------------------------------------------------------------
NOTES = {"alb-app": {"APP_XFF_RIGHTMOST"}, "alb-http-app": {"APP_XFF_RIGHTMOST"},
         "nlb-tls-app": {"APP_FORWARDED_HEADERS_FROM_CLIENTS", "APP_NO_TLS_SIGNAL"},
         "nlb-app": {"APP_FORWARDED_HEADERS_FROM_CLIENTS"}, "nlb-app-preserved": {"APP_FORWARDED_HEADERS_FROM_CLIENTS"},
         "nlb-app-proxy-v2": {"APP_FORWARDED_HEADERS_FROM_CLIENTS", "APP_READS_PROXY"}}


@pytest.mark.parametrize("name", APPS)
def test_the_application_notes_apply_and_no_controller_mistake_does(name):
    found = findings.findings(CATALOG[name])
    assert not [f.code for f in found if f.kind == "mistake"]
    assert {f.code for f in found if f.code.startswith("APP_")} == NOTES[name]
    assert all(f.sources for f in found)


def test_the_controller_findings_fire_for_the_same_edge_behind_a_controller():
    """The guards are about the controller: the generic controller with the same blocks makes the mistakes."""
    proxy = controllers.bind(CATALOG["nlb-proxy-v2"].model_copy(update={"controller": CATALOG["nlb-app"].controller
                                                                        .model_copy(update={"kind": None})}), "envoy")
    assert "PROXY_NOT_EXPECTED" in {f.code for f in findings.findings(proxy)}
    assert "PROXY_NOT_EXPECTED" not in {f.code for f in findings.findings(CATALOG["nlb-app-proxy-v2"])}
    alb = CATALOG["alb-app"].model_copy(update={"controller": CATALOG["alb-app"].controller.model_copy(
        update={"kind": None})})
    assert "XFF_NOT_TRUSTED" in {f.code for f in findings.findings(alb)}


def test_an_outdated_policy_still_applies(synthetic):
    t = synthetic("""
        load_balancer: {model: alb, listeners: [{port: 443, protocol: HTTPS, target: http}], certificates: [a.test],
                        tls_policy: ELBSecurityPolicy-2016-08}
        controller: {kind: none}""")
    assert "TLS_POLICY_OUTDATED" in {f.code for f in findings.findings(t)}


# --- local, cluster --------------------------------------------------------------------------------------------------
def test_locally_the_echo_is_the_application_at_the_controllers_place(tmp_path):
    site = addresses.claim(lambda s: [])
    try:
        t = CATALOG["nlb-app-proxy-v2"]
        built = plan(t, site, tmp_path, controller=NONE)
        names = [p.name for p in built.processes]
        assert "echo backend" not in names and "application (echo)" in names
        app = next(p for p in built.processes if p.name == "application (echo)")
        assert f"{site.controller}:{site.controller_port('http')}" in app.argv
        assert app.argv[app.argv.index("--listen-tls") + 1] == f"{site.controller}:{site.controller_port('https')}"
        assert [a for a in app.argv if a.startswith("--cert=")][0].startswith("--cert=default.edgeconform.test=")
    finally:
        site.release()


def test_on_a_cluster_the_application_comes_with_the_topology(tmp_path):
    t = CATALOG["nlb-app"]
    issued = certs.issue(tmp_path, "controller", t.controller.certificates)
    p = NONE.translate(t, EdgeFacts((), issued))
    kinds = [o["kind"] for o in p.manifests]
    assert kinds == ["Secret", "Secret", "Secret", "Deployment", "Service"]
    deployment = p.manifests[3]
    command = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:2] == ["python", "/app/echo.py"] and "--listen-tls" in command
    assert p.container_ports == {"http": 8080, "https": 8443} and not NONE.installs
    alb = NONE.translate(CATALOG["alb-app"], EdgeFacts((), {}))
    assert [o["kind"] for o in alb.manifests] == ["Deployment", "Service"]  # TLS ends at the ALB: no Secret


def test_an_eks_run_of_another_controller_builds_none_beside_it():
    from edgeconform.targets.eks import plan as eks_plan, settings as eks_settings

    s = eks_settings.load(None, controller="ingress-nginx", client_ip="203.0.113.7")
    assert eks_plan.controller_for(CATALOG["alb-app"], s) == "none"
    assert eks_plan.controller_for(CATALOG["alb"], s) == "ingress-nginx"
    assert eks_plan.controller_mismatch(CATALOG["alb-app"], s) is None


def test_a_kind_run_builds_none_beside_its_controller_and_skips_another_installed_one(monkeypatch):
    from edgeconform.targets import TargetUnavailable
    from edgeconform.targets.kind.target import KindTarget

    target = KindTarget.__new__(KindTarget)  # no cluster, no tools: only the choice of controller
    target.controller = controllers.get("emissary")
    assert target.controller_for(CATALOG["alb-app"]).name == "none"
    assert target.controller_for(CATALOG["alb"]).name == "emissary"
    nginx = CATALOG["alb"].model_copy(update={"controller": CATALOG["alb"].controller.model_copy(
        update={"kind": "ingress-nginx"})})
    with pytest.raises(TargetUnavailable, match="written for the ingress-nginx controller .* --controller ingress-nginx"):
        target.controller_for(nginx)
