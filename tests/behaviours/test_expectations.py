"""The rules that derive expectations from topology fields, and the findings that explain failures."""

import textwrap

import pytest
import yaml

from edgeconform import catalog, diagnosis, expectations
from edgeconform.expectations import ClientIpWant, RedirectWant, SniWant, WebSocketWant

# topology -> (client_ip, redirect, ws, wss, sni) outcomes, straight from aws-lb-facts.md §7
OUTCOMES = {
    "nlb-instance-local": ("works", "works", "works", "works", "works"),
    "nlb-instance-cluster": ("limited", "works", "works", "works", "works"),
    "nlb-ip": ("limited", "works", "works", "works", "works"),
    "nlb-proxy-v2": ("works", "works", "works", "works", "works"),
    "nlb-tls": ("works", "works", "works", "works", "works"),
    "clb-tcp": ("limited", "works", "works", "works", "works"),
    "clb-tcp-proxy-v1": ("works", "works", "works", "works", "works"),
    "clb-http": ("works", "works", "limited", "limited", "limited"),
    "alb": ("works", "works", "works", "works", "works"),
}


@pytest.mark.parametrize("name", OUTCOMES)
def test_outcomes_per_catalog_topology(topologies, name):
    # the five behaviours of §7; the security checks' outcomes are tested in test_security_rules.py
    got = tuple(e.outcome for e in expectations.for_topology(topologies[name]) if e.behaviour != "security")
    assert got == OUTCOMES[name]


@pytest.mark.parametrize("name", OUTCOMES)
def test_every_expectation_cites_known_sources(topologies, name):
    from edgeconform import sources
    for e in expectations.for_topology(topologies[name]):
        assert e.sources and not sources.unknown(e.sources), e
        if e.outcome == "limited":
            assert e.reason and e.ideal is not None, e


@pytest.mark.parametrize("name, want", [
    ("nlb-instance-local", ClientIpWant("client", "peer")),
    ("nlb-instance-cluster", ClientIpWant("node", "peer")),
    ("nlb-ip", ClientIpWant("lb", "peer")),
    ("nlb-proxy-v2", ClientIpWant("client", "proxy-v2")),
    ("nlb-tls", ClientIpWant("client", "proxy-v2")),
    ("clb-tcp", ClientIpWant("node", "peer")),
    ("clb-tcp-proxy-v1", ClientIpWant("client", "proxy-v1")),
    ("clb-http", ClientIpWant("client", "xff")),
    ("alb", ClientIpWant("client", "xff")),
])
def test_client_ip_observable(topologies, name, want):
    assert expectations.client_ip(topologies[name]).want == want


def test_redirect_observables(topologies):
    assert expectations.redirect(topologies["alb"]).want == RedirectWant("redirect", 301, "lb")
    assert expectations.redirect(topologies["nlb-tls"]).want == RedirectWant("redirect", 308, "controller")
    assert expectations.redirect(topologies["clb-http"]).want == RedirectWant("redirect", 308, "controller")
    assert "NGX-AWS" in expectations.redirect(topologies["nlb-tls"]).sources


def test_websocket_over_cleartext_gets_the_redirect(topologies):
    assert expectations.websocket(topologies["alb"], "ws").want == WebSocketWant("redirected", 301)
    assert expectations.websocket(topologies["nlb-proxy-v2"], "ws").want == WebSocketWant("redirected", 308)
    assert expectations.websocket(topologies["alb"], "wss").want == WebSocketWant("echo")


def test_sni_observables(topologies):
    alb = expectations.sni(topologies["alb"]).want
    assert alb == SniWant("lb", (("app.edgeconform.test", "app.edgeconform.test"),
                                 ("api.edgeconform.test", "api.edgeconform.test")), "default.edgeconform.test")
    clb = expectations.sni(topologies["clb-http"])
    assert clb.want.per_name == (("app.edgeconform.test", "*.edgeconform.test"),
                                 ("api.edgeconform.test", "*.edgeconform.test"))
    assert clb.ideal.per_name[0] == ("app.edgeconform.test", "app.edgeconform.test")
    assert expectations.sni(topologies["clb-tcp"]).want.terminates_at == "controller"


def _one(text):
    data = yaml.safe_load(textwrap.dedent(text).strip())
    data.setdefault("hostnames", ["a.example.test"])
    data.setdefault("name", "synthetic")
    return catalog.parse(data)


def test_alb_preserve_and_remove_modes_are_limited():
    for mode in ("preserve", "remove"):
        t = _one(f"""
            load_balancer: {{model: alb, listeners: [{{port: 80, protocol: HTTP, target: http}}], xff: {mode},
                             target_type: ip}}
            controller: {{trusted_hops: 1}}
        """)
        e = expectations.client_ip(t)
        assert (e.outcome, e.want) == ("limited", ClientIpWant("lb", "peer"))
        assert "ALB-XFH" in e.sources


def test_nlb_instance_targets_preserve_by_default_and_ip_targets_do_not():
    base = "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], target_type: %s}"
    assert _one(base % "instance").preserves_client_ip
    assert not _one(base % "ip").preserves_client_ip


def test_no_redirect_configured_means_cleartext_is_served():
    t = _one("""
        load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}
controller: {cleartext: serve}
    """)
    assert expectations.redirect(t).want == RedirectWant("serve")
    assert expectations.websocket(t, "ws").want == WebSocketWant("echo")
    assert expectations.sni(t).outcome == "n/a"
    assert expectations.websocket(t, "wss").outcome == "n/a"


@pytest.mark.parametrize("text, codes", [
    ("""
load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], proxy_protocol: v2}
controller: {proxy_protocol: false}""", {"PROXY_NOT_EXPECTED"}),
    ("""
load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}
controller: {proxy_protocol: true}""", {"PROXY_NOT_SENT"}),
    ("""
load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}
controller: {trusted_hops: 1}""", {"XFF_TRUSTED_BEHIND_L4"}),
    ("""
load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}]}
controller: {trusted_hops: 2}""", {"XFF_TOO_MANY_HOPS"}),
    ("""
load_balancer: {model: clb, listeners: [{port: 80, protocol: HTTP, target: http}]}
controller: {trusted_hops: 0}""", {"XFF_NOT_TRUSTED", "CLB_HTTP_WEBSOCKET"}),
    ("""
load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], certificates: [a.example.test]}
controller: {cleartext: redirect}""", {"REDIRECT_LOOP_TLS_AT_LB"}),
])
def test_findings_name_the_mistake(text, codes):
    assert {f.code for f in diagnosis.findings(_one(text))} == codes


@pytest.mark.parametrize("name", OUTCOMES)
def test_catalog_topologies_have_no_misconfiguration(topologies, name):
    codes = {f.code for f in diagnosis.findings(topologies[name])}
    assert codes <= {"CLB_HTTP_WEBSOCKET"}, codes  # a documented limitation, not a mistake
