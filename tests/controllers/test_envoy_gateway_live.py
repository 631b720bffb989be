"""The real Envoy Gateway does what its settings say: each edge here is built by the local target from a topology
written in Envoy Gateway's own terms (its own network namespace, the real `envoy-gateway server` and its Envoy), and
probed through the load balancer stand-in or straight at Envoy Gateway's listeners.

- PROXY protocol: ``proxyProtocol: {}`` refuses a connection without a header; ``{optional: true}`` serves both.
- X-Forwarded-For: ``numTrustedHops`` trusts whoever connects; ``trustedCIDRs`` only the networks named (and takes
  X-Forwarded-Proto from them, so the redirect rule sees HTTPS through an L7 load balancer).
- Redirect: the code as written, 302 where the filter names none (Gateway API's default).
- SNI: the certificate for each name, the first certificateRef for any other name and for none.
- WebSocket: upgraded and echoed where a route forwards; refused with 403 where a route redirects
  (EG_UPGRADE_REFUSED_ON_REDIRECT: observed behaviour, locked here so a change in a release shows).
"""

from __future__ import annotations

import pytest

from edgeconform import catalog
from edgeconform.probing import http, proxy_header, tls, websocket

pytestmark = pytest.mark.integration

CERTS = ["default.edgeconform.test", "app.edgeconform.test", "api.edgeconform.test"]
XFP = [{"headers": [{"name": "X-Forwarded-Proto", "value": "http"}]}]
L4 = [{"port": 80, "protocol": "TCP", "target": "http"}, {"port": 443, "protocol": "TCP", "target": "https"}]
CLB_HTTP = {"model": "clb", "listeners": [{"port": 80, "protocol": "HTTP", "target": "http"},
                                          {"port": 443, "protocol": "HTTPS", "target": "http"}],
            "certificates": ["*.edgeconform.test"], "xff": "append", "target_type": "instance"}


def redirect(code: int | None = None, matches=None) -> dict:
    request = {"scheme": "https", **({"statusCode": code} if code else {})}
    return {**({"matches": matches} if matches else {}),
            "filters": [{"type": "RequestRedirect", "requestRedirect": request}]}


EDGES = {
    # PROXY required (the default of proxyProtocol); a redirect filter without a code
    "eg-strict": ({"model": "nlb", "listeners": L4, "target_type": "ip", "client_ip_preservation": False,
                   "proxy_protocol": "v2"},
                  {"clientTrafficPolicy": {"proxyProtocol": {}}, "redirects": {"http": redirect(None, XFP)}}),
    # PROXY optional behind an NLB without it; cleartext served
    "eg-optional": ({"model": "nlb", "listeners": L4, "target_type": "ip", "client_ip_preservation": False},
                    {"clientTrafficPolicy": {"proxyProtocol": {"optional": True}}}),
    # behind a Classic ELB's HTTP listeners: trust the VPC (the ELB, and the node that SNATs with
    # externalTrafficPolicy Cluster: the peer Envoy judges); cleartext served
    "eg-cidrs": (CLB_HTTP, {"clientTrafficPolicy": {"clientIPDetection": {"xForwardedFor": {
                     "trustedCIDRs": ["10.0.0.0/16"]}}}}),
    # the same with a hop count instead; redirect by X-Forwarded-Proto with 301
    "eg-hops": (CLB_HTTP, {"clientTrafficPolicy": {"clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}}},
                           "redirects": {"http": redirect(301, XFP)}}),
}


@pytest.fixture(scope="module")
def target(envoy_gateway_target):
    if envoy_gateway_target.isolation != "namespace":
        pytest.skip("Envoy Gateway needs a network namespace of the edge's own")
    return envoy_gateway_target


def build(target, name):
    lb, settings = EDGES[name]
    t = catalog.parse({"name": name, "hostnames": ["app.edgeconform.test", "api.edgeconform.test"],
                       "load_balancer": lb, "kubernetes": {"external_traffic_policy": "Cluster"},
                       "controller": {"kind": "envoy-gateway", "certificates": CERTS, "settings": settings}})
    return target.build(t)


def edge_fixture(name: str):
    """A module-scoped fixture: the edge EDGES[name], built once with the module's target."""
    @pytest.fixture(scope="module")
    def edge(target):
        built = build(target, name)
        yield built
        built.close()
    return edge


strict, optional, cidrs, hops = (edge_fixture(f"eg-{name}") for name in ("strict", "optional", "cidrs", "hops"))


def direct(edge, kind="http", *, source=None, prefix=b"", headers=None, path="/direct"):
    """A request straight at Envoy Gateway's listener, skipping the load balancer."""
    ip, port = edge.controller.listeners[kind]
    return http.direct_get(edge, ip, port, "https" if kind == "https" else "http", edge.hostnames[0], path,
                           source=source or edge.client_addresses[0], prefix=prefix, extra_headers=headers)


def claim(edge, address, kind="http"):
    ip, port = edge.controller.listeners[kind]
    return proxy_header.proxy("v2", address, ip, dest_port=port)


# --- PROXY protocol ---------------------------------------------------------------------------------------------
def test_proxy_required_refuses_a_connection_without_a_header(strict):
    without = direct(strict, "https")
    assert without.status is None and without.error, without.describe()
    with_header = direct(strict, "https", prefix=claim(strict, "192.0.2.44", "https"))
    assert with_header.status == 200 and with_header.view.client == "192.0.2.44", with_header.describe()
    assert with_header.view.peer == strict.client_addresses[0]  # the TCP peer, as Envoy saw it


def test_proxy_optional_serves_with_and_without_a_header(optional):
    without = direct(optional)
    assert without.status == 200 and without.view.client == optional.client_addresses[0], without.describe()
    with_header = direct(optional, prefix=claim(optional, "192.0.2.45"))
    assert with_header.status == 200 and with_header.view.client == "192.0.2.45", with_header.describe()


def test_through_the_nlb_the_client_arrives_by_proxy_v2(strict):
    result = http.http_get(strict, "https", "app.edgeconform.test", "/client", source=strict.client_addresses[1])
    assert result.status == 200 and result.view.client == strict.client_addresses[1], result.describe()
    assert strict.role_of(result.view.peer) == "lb"


# --- X-Forwarded-For: hops or networks -------------------------------------------------------------------------
def test_trusted_hops_trust_whoever_connects(hops):
    forged = direct(hops, headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert forged.status == 200, forged.describe()  # its X-Forwarded-Proto is believed too: no redirect
    assert forged.view.client == "203.0.113.9", forged.describe()  # one hop from anyone: the forged entry
    through = http.http_get(hops, "https", "app.edgeconform.test", "/xff", source=hops.client_addresses[0],
                            extra_headers={"X-Forwarded-For": "203.0.113.9"})
    assert through.status == 200 and through.view.client == hops.client_addresses[0], through.describe()


def test_trusted_cidrs_trust_only_the_networks_named(cidrs):
    forged = direct(cidrs, headers={"X-Forwarded-For": "203.0.113.9"})
    assert forged.view.client == cidrs.client_addresses[0], forged.describe()  # an untrusted peer: its own address
    lb = next(ip for ip, role in cidrs.roles.items() if role == "lb")
    from_lb = direct(cidrs, source=lb, headers={"X-Forwarded-For": "203.0.113.9, 192.0.2.1"})
    assert from_lb.view.client == "192.0.2.1", from_lb.describe()  # right to left, the first untrusted entry
    through = http.http_get(cidrs, "https", "app.edgeconform.test", "/xff", source=cidrs.client_addresses[0],
                            extra_headers={"X-Forwarded-For": "203.0.113.9"})
    assert through.status == 200 and through.view.client == cidrs.client_addresses[0], through.describe()
    assert through.view.xfp == "https"  # the load balancer's X-Forwarded-Proto, from a trusted network, kept
    assert forged.view.xfp == "http"  # an untrusted peer's is replaced by the connection's scheme


# --- redirect ------------------------------------------------------------------------------------------------------
def test_a_filter_without_a_code_redirects_with_302(strict):
    result = http.http_get(strict, "http", "app.edgeconform.test", "/r?q=1", source=strict.client_addresses[0])
    assert result.status == 302 and result.headers["location"] == "https://app.edgeconform.test/r?q=1", \
        result.describe()


def test_the_redirect_code_is_the_one_written_and_trusted_hops_carry_the_scheme(hops):
    cleartext = http.http_get(hops, "http", "app.edgeconform.test", "/r?q=1", source=hops.client_addresses[0])
    assert cleartext.status == 301 and cleartext.headers["location"] == "https://app.edgeconform.test/r?q=1", \
        cleartext.describe()
    over_tls = http.http_get(hops, "https", "app.edgeconform.test", "/r", source=hops.client_addresses[0])
    assert over_tls.status == 200 and over_tls.view.xfp == "https", over_tls.describe()  # not redirected again


def test_without_a_redirect_rule_cleartext_is_served(optional):
    result = http.http_get(optional, "http", "app.edgeconform.test", "/plain", source=optional.client_addresses[0])
    assert result.status == 200 and result.view is not None, result.describe()


# --- SNI -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sni, certificate", [("app.edgeconform.test", "app.edgeconform.test"),
                                              ("api.edgeconform.test", "api.edgeconform.test"),
                                              (tls.UNKNOWN_NAME, "default.edgeconform.test")])
def test_sni_chooses_the_certificate_and_the_first_is_the_default(optional, sni, certificate):
    shake = tls.tls_handshake(optional, sni, source=optional.client_addresses[0])
    assert shake.cert is not None and shake.cert.name == certificate, shake.describe()


def test_a_host_other_than_the_sni_name_is_routed_by_host(optional):
    result = http.http_get(optional, "https", "api.edgeconform.test", "/host", sni="app.edgeconform.test",
                           source=optional.client_addresses[0])
    assert result.status == 200 and result.report["host"].split(":")[0] == "api.edgeconform.test", result.describe()


# --- WebSocket -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["ws", "wss"])
def test_websocket_upgrades_where_a_route_forwards(optional, scheme):
    result = websocket.websocket(optional, scheme, source=optional.client_addresses[0])
    assert result.status == 101 and result.text_echoed and result.binary_echoed, result.describe()


def test_websocket_is_refused_with_403_where_a_route_redirects(strict):
    refused = websocket.websocket(strict, "ws", source=strict.client_addresses[0])
    assert refused.status == 403, refused.describe()  # EG_UPGRADE_REFUSED_ON_REDIRECT
    upgraded = websocket.websocket(strict, "wss", source=strict.client_addresses[0])
    assert upgraded.status == 101 and upgraded.text_echoed, upgraded.describe()


# --- what a failing test gets ------------------------------------------------------------------------------------
def test_logs_carry_envoy_gateways_status_and_envoys_xds(strict):
    logs = strict.lifecycle.logs()
    assert "controller (envoy-gateway)" in logs
    assert logs["envoy-gateway status"].startswith("every condition True: Backend edgeconform/echo")
    assert '"name":"edgeconform/edgeconform/http"' in logs["envoy xds"]  # the listener Envoy Gateway programmed
    assert "envoy.filters.listener.proxy_protocol" in logs["envoy xds"]
    assert strict.controller.name == "envoy-gateway" and strict.controller.version.startswith("v1.9")
