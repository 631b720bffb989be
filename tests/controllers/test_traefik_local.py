"""The real Traefik does what its settings say (integration: each edge runs Traefik v3 in a network namespace of
its own, with the load-balancer stand-in and the echo backend).

Probes go straight to Traefik's entry points from addresses inside the edge: 10.0.1.x is the VPC (where the load
balancer connects from, trusted by the settings below), 198.51.100.x are clients. What is checked is Traefik's
documented semantics (docs/controllers/traefik.md): a PROXY header is optional and used only from trusted senders;
forwarded headers are kept only from trusted senders (X-Real-Ip included); redirect codes follow `permanent` and
the method; the certificate follows SNI with the default store's certificate for the rest; WebSocket upgrades.
"""

from __future__ import annotations

import pytest

from edgeconform import binaries, catalog, verdicts
from edgeconform.certs import PeerCert
from edgeconform.controllers.traefik import PROGRAM
from edgeconform.behaviours import Expectation, redirect, websocket
from edgeconform.behaviours.redirect import RedirectWant
from edgeconform.probing import http, proxy_header, raw
from edgeconform.probing.tls import UNKNOWN_NAME
from edgeconform.targets.local import LocalTarget

pytestmark = pytest.mark.integration

TRUSTED = "10.0.1.0/24"  # the load balancer's subnet of the edge's VPC
LB_HOST = "10.0.1.99"  # a sender inside it
CLIENT = "198.51.100.12"
HOST = "app.edgeconform.test"
NAMES = ["default.edgeconform.test", "app.edgeconform.test", "api.edgeconform.test"]


@pytest.fixture(scope="module", autouse=True)
def traefik_binary():
    try:
        binaries.version(PROGRAM)
    except binaries.MissingBinary as exc:
        pytest.skip(str(exc))


def edge_for(name: str, settings: dict, proxy: bool):
    t = catalog.parse({
        "name": name, "hostnames": [HOST, "api.edgeconform.test"],
        "load_balancer": {"model": "nlb", "target_type": "ip", "client_ip_preservation": False,
                          "proxy_protocol": "v2" if proxy else None,
                          "listeners": [{"port": 80, "protocol": "TCP", "target": "http"},
                                        {"port": 443, "protocol": "TCP", "target": "https"}]},
        "controller": {"kind": "traefik", "certificates": NAMES, "settings": settings}})
    return LocalTarget("traefik").build(t)


@pytest.fixture(scope="module")
def pp_edge():
    """PROXY from the load balancer's subnet; a redirection with Traefik's defaults (permanent)."""
    trust = {"trustedIPs": [TRUSTED]}
    edge = edge_for("traefik-pp", {"entryPoints": {
        "web": {"proxyProtocol": trust, "http": {"redirections": {"entryPoint": {"to": "websecure"}}}},
        "websecure": {"proxyProtocol": trust}}}, proxy=True)
    yield edge
    edge.close()


@pytest.fixture(scope="module")
def xff_edge():
    """Forwarded headers trusted from the load balancer's subnet; a temporary redirection."""
    trust = {"trustedIPs": [TRUSTED]}
    edge = edge_for("traefik-xff", {"entryPoints": {
        "web": {"forwardedHeaders": trust, "http": {"redirections": {"entryPoint": {
            "to": "websecure", "scheme": "https", "permanent": False}}}},
        "websecure": {"forwardedHeaders": trust}}}, proxy=False)
    yield edge
    edge.close()


def to_controller(edge, kind: str, source: str, *, prefix: bytes = b"", headers: dict | None = None, sni=None,
                  host: str = HOST) -> http.HttpResult:
    ip, port = edge.controller.listeners[kind]
    scheme = "https" if kind == "https" else "http"
    return http.direct_get(edge, ip, port, scheme, host, "/traefik?q=1", source=source, prefix=prefix,
                           extra_headers=headers, sni=sni)


def method(edge, kind: str, verb: str) -> str:
    """The status line Traefik answers a bare ``verb`` request with."""
    ip, port = edge.controller.listeners[kind]
    body = "Content-Length: 0\r\n" if verb == "POST" else ""
    result = raw.raw_exchange(verb, ip, port, f"{verb} /x?y=1 HTTP/1.1\r\nHost: {HOST}\r\n{body}Connection: close\r\n\r\n"
                              .encode(), source=CLIENT, connect=edge.transport.connect)
    return result.first_line


# --- PROXY protocol: optional, and used only from trusted senders ---------------------------------------------
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_proxy_header_from_a_trusted_sender_names_the_client(pp_edge, version):
    ip, port = pp_edge.controller.listeners["https"]
    r = to_controller(pp_edge, "https", LB_HOST, prefix=proxy_header.proxy(version, "198.51.100.77", ip, dest_port=port))
    assert r.view and r.view.client == "198.51.100.77" and r.view.xff == ("198.51.100.77",), r.describe()


def test_a_connection_without_a_proxy_header_is_served(pp_edge):
    r = to_controller(pp_edge, "https", LB_HOST)
    assert r.status == 200 and r.view.client == LB_HOST, r.describe()  # optional: no "required" mode exists


def test_a_proxy_header_from_an_untrusted_sender_is_read_and_discarded(pp_edge):
    ip, port = pp_edge.controller.listeners["https"]
    r = to_controller(pp_edge, "https", CLIENT, prefix=proxy_header.proxy("v2", "192.0.2.77", ip, dest_port=port))
    assert r.status == 200 and r.view.client == CLIENT, r.describe()


# --- forwarded headers: kept only from trusted senders, X-Real-Ip included ------------------------------------
FORGED = {"X-Forwarded-For": "203.0.113.9", "X-Real-Ip": "203.0.113.8", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_from_a_trusted_sender_are_kept_and_its_address_appended(xff_edge):
    r = to_controller(xff_edge, "https", LB_HOST, headers=FORGED)
    assert r.view.xff == ("203.0.113.9", LB_HOST), r.describe()
    assert r.view.client == "203.0.113.8"  # X-Real-Ip is set only when absent: the sender's is kept


def test_forwarded_headers_from_anyone_else_are_replaced(xff_edge):
    r = to_controller(xff_edge, "https", CLIENT, headers=FORGED)
    assert r.view.xff == (CLIENT,) and r.view.client == CLIENT, r.describe()


def test_a_trusted_x_forwarded_proto_https_meets_the_entry_point_redirection_with_418(xff_edge):
    # the redirection's router takes every request of the entry point; one already https goes to noop@internal
    trusted = to_controller(xff_edge, "http", LB_HOST, headers={"X-Forwarded-Proto": "https"})
    assert trusted.status == 418, trusted.describe()
    untrusted = to_controller(xff_edge, "http", CLIENT, headers={"X-Forwarded-Proto": "https"})
    assert untrusted.status == 302 and untrusted.location == f"https://{HOST}/traefik?q=1", untrusted.describe()


# --- redirect codes: permanent (default true) and the method --------------------------------------------------
@pytest.mark.parametrize("verb, status", [("GET", "301"), ("HEAD", "308"), ("POST", "308")])
def test_a_permanent_redirection_is_301_for_get_and_308_otherwise(pp_edge, verb, status):
    assert method(pp_edge, "http", verb).split()[1:2] == [status]


@pytest.mark.parametrize("verb, status", [("GET", "302"), ("HEAD", "307"), ("POST", "307")])
def test_a_temporary_redirection_is_302_for_get_and_307_otherwise(xff_edge, verb, status):
    assert method(xff_edge, "http", verb).split()[1:2] == [status]


def test_the_redirect_goes_to_the_public_https_port_and_keeps_path_and_query(pp_edge):
    r = to_controller(pp_edge, "http", LB_HOST)
    assert r.status == 301 and r.location == f"https://{HOST}/traefik?q=1", r.describe()


# --- SNI and the default certificate --------------------------------------------------------------------------
@pytest.mark.parametrize("sni, cert", [("app.edgeconform.test", "app.edgeconform.test"),
                                       ("api.edgeconform.test", "api.edgeconform.test"),
                                       (UNKNOWN_NAME, "default.edgeconform.test"),
                                       (None, "default.edgeconform.test")])
def test_the_certificate_follows_sni_and_the_rest_get_the_default(pp_edge, sni, cert):
    ip, port = pp_edge.controller.listeners["https"]
    with pp_edge.transport.connect(ip, port, source=CLIENT, timeout=5) as sock:
        with http.client_tls(pp_edge.ca, False).wrap_socket(sock, server_hostname=sni) as tls:
            served, version = PeerCert.from_der(tls.getpeercert(True)), tls.version()
    assert (served.name, served.served_by) == (cert, "controller") and version in ("TLSv1.2", "TLSv1.3")


# --- WebSocket ------------------------------------------------------------------------------------------------
def test_websocket_upgrades_through_traefik(pp_edge):
    for variant in ("ws", "wss"):
        expectation = websocket.BEHAVIOUR.expect(pp_edge.topology, variant)
        seen = websocket.BEHAVIOUR.cell(variant).probe(pp_edge)
        assert websocket.BEHAVIOUR.cell(variant).compare(pp_edge, expectation.want, seen) == [], (variant, seen)
    assert expectation.want.result == "echo"  # wss: upgraded and echoed; ws: redirected first (above)


# --- a Traefik unlike its documentation: a failure naming the controller, its version and the setting ----------
def test_a_traefik_unlike_its_documentation_fails_naming_version_and_setting(xff_edge):
    t = xff_edge.topology
    documented = redirect.rule(t)
    assert documented.want.code == 302  # permanent: false, as written
    # were the documentation to say 301 for this setting, the real Traefik (302) would contradict it:
    claimed = Expectation(topology=t.name, behaviour="redirect", outcome="works", summary="cleartext gets 301",
                          want=RedirectWant("redirect", 301, "controller"), sources=("TRAEFIK-OPTS",))
    verdict = verdicts.check_or_raise(xff_edge, claimed)
    assert verdict.verdict == "fail"
    assert f"controller: Traefik {binaries.version(PROGRAM)}" in verdict.message
    assert "entryPoints.web.http" in verdict.message and '"permanent": false' in verdict.message
    assert verdicts.check_or_raise(xff_edge, documented).verdict == "pass"
