"""The stand-ins' AWS behaviour, confirmed by tools that are not the harness's probes: Debian's openssl s_client
and curl, run inside the edge's network namespace (nsenter), against the stand-in started alone.

- TLS versions: each model and named security policy offers exactly its range (a Classic ELB no TLS 1.3,
  ELBSecurityPolicy-2016-08 TLS 1.0-1.2, the recommended policy TLS 1.2-1.3) [ALB-TLSPOL][NLB-TLSPOL][CLB-TLSPOL].
- HTTP/2: an ALB offers h2 on HTTPS by ALPN; cleartext listeners refuse h2c prior knowledge [ALB-L].
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("curl") and shutil.which("nsenter")),
                                 reason="needs openssl, curl and nsenter (Debian: openssl, curl, util-linux)")]

OPENSSL_FLAG = {"TLSv1": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2", "TLSv1.3": "-tls1_3"}


def inside(slot, argv: list[str], timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run([*slot.enter(), *argv], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def negotiated(slot, ca, port: int, version: str, name: str = "app.edgeconform.test") -> str | None:
    """The protocol openssl s_client agreed when it offered only ``version``; None when the handshake failed."""
    run = inside(slot, ["openssl", "s_client", "-connect", f"{slot.lb}:{port}", "-servername", name,
                        "-CAfile", str(ca), OPENSSL_FLAG[version], "-cipher", "DEFAULT@SECLEVEL=0", "-brief"])
    found = re.search(r"Protocol version: (TLSv[0-9.]+)", run.stdout + run.stderr)
    return found.group(1) if run.returncode == 0 and found else None


def _with_policy(t, policy):
    return t if policy is None else t.model_copy(update={"load_balancer": t.lb.model_copy(update={"tls_policy": policy})})


@pytest.mark.parametrize("name, policy, offered", [
    ("alb", None, {"TLSv1.2", "TLSv1.3"}),                                  # the recommended PQ policy
    ("alb", "ELBSecurityPolicy-2016-08", {"TLSv1", "TLSv1.1", "TLSv1.2"}),  # the CLI/LBC default: no 1.3
    ("nlb-tls", None, {"TLSv1.2", "TLSv1.3"}),
    ("nlb-tls", "ELBSecurityPolicy-TLS-1-1-2017-01", {"TLSv1.1", "TLSv1.2"}),
    ("nlb-tls", "ELBSecurityPolicy-TLS13-1-0-2021-06", {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}),
    ("clb-http", None, {"TLSv1.2"}),                                        # Classic ELB: never TLS 1.3
    ("clb-http", "ELBSecurityPolicy-2016-08", {"TLSv1", "TLSv1.1", "TLSv1.2"}),
])
def test_openssl_sees_exactly_the_policys_versions(topologies, stand_in, tmp_path, name, policy, offered):
    t = _with_policy(topologies[name], policy)
    slot, edge = stand_in(t, (f"{t.lb.model} stand-in",))
    port = slot.listener_port(443)
    seen = {version for version in OPENSSL_FLAG if negotiated(slot, edge.ca, port, version) == version}
    assert seen == offered, f"{t.tls_policy.describe()}: openssl negotiated {sorted(seen)}"


def curl(slot, *args: str) -> subprocess.CompletedProcess:
    return inside(slot, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", "--max-time", "5",
                         *args])


@pytest.mark.parametrize("name", ["alb", "clb-http"])
def test_cleartext_listeners_refuse_h2c_prior_knowledge(topologies, stand_in, name):
    t = topologies[name]
    slot, edge = stand_in(t, (f"{t.lb.model} stand-in",))
    url = f"http://app.edgeconform.test:{slot.listener_port(80)}/"
    resolve = f"app.edgeconform.test:{slot.listener_port(80)}:{slot.lb}"
    h2c = curl(slot, "--http2-prior-knowledge", "--resolve", resolve, url)
    assert not h2c.stdout.startswith("2 "), f"h2c accepted: {h2c.stdout} {h2c.stderr}"
    assert h2c.returncode != 0 or not h2c.stdout.startswith("2"), h2c
    plain = curl(slot, "--http1.1", "--resolve", resolve, url)  # the listener itself answers HTTP/1.1
    assert plain.stdout.startswith("1.1 "), (plain.stdout, plain.stderr)


@pytest.mark.parametrize("name, version", [("alb", "2"), ("clb-http", "1.1")])
def test_https_listeners_negotiate_h2_only_where_the_model_has_it(topologies, stand_in, name, version):
    t = topologies[name]
    slot, edge = stand_in(t, (f"{t.lb.model} stand-in",))
    port = slot.listener_port(443)
    got = curl(slot, "--http2", "--cacert", str(edge.ca), "--resolve", f"app.edgeconform.test:{port}:{slot.lb}",
               f"https://app.edgeconform.test:{port}/")
    assert got.stdout.split(" ")[0] == version, (got.stdout, got.stderr)


def test_cloudfront_then_alb_as_curl_sees_them(topologies, stand_in, tmp_path):
    """CloudFront appends the viewer and drops its X-Forwarded-Proto; the ALB appends CloudFront and sets the
    CloudFront -> ALB protocol; CloudFront itself redirects cleartext viewers [CF-ORIGIN][CF-VIEWER][ALB-XFH]."""
    import json

    from tests.load_balancers.test_standin_behaviour import _echo_process

    t = topologies["cloudfront-alb"]
    slot, edge = stand_in(t, ("cloudfront stand-in", "alb stand-in"))
    echo = _echo_process(slot, tmp_path)
    try:
        port = slot.listener_port(443)
        got = inside(slot, ["curl", "-sS", "--max-time", "5", "--cacert", str(edge.ca), "--interface", slot.client(4),
                            "--resolve", f"app.edgeconform.test:{port}:{slot.cdn}", "-H", "X-Forwarded-Proto: http",
                            "-H", "X-Forwarded-For: 203.0.113.7", f"https://app.edgeconform.test:{port}/cf"])
        report = json.loads(got.stdout)
        assert report["forwarded"]["for"] == ["203.0.113.7", slot.client(4), slot.cdn]
        assert report["forwarded"]["proto"] == "https"  # the CloudFront -> ALB hop (https-only), not the viewer's
        assert report["peer"]["ip"] == slot.lb
        cleartext = inside(slot, ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "--max-time",
                                  "5", "--resolve", f"app.edgeconform.test:{slot.listener_port(80)}:{slot.cdn}",
                                  f"http://app.edgeconform.test:{slot.listener_port(80)}/x?q=1"])
        assert cleartext.stdout.startswith("301 https://app.edgeconform.test"), cleartext.stdout
    finally:
        echo.stop()


def _client_cert(tmp_path):
    from edgeconform import certs

    return certs.issue(tmp_path / "client", "client", ["client.edgeconform.test"])["client.edgeconform.test"]


@pytest.mark.parametrize("mode", ["verify", "passthrough"])
def test_alb_mutual_tls_as_curl_sees_it(topologies, stand_in, tmp_path, mode):
    """Verify: a client without a certificate is refused, one with a certificate of the trust store is described in
    X-Amzn-Mtls-Clientcert-*; passthrough: the certificate is forwarded in X-Amzn-Mtls-Clientcert. Client-sent copies
    never reach the backend [ALB-MTLS][ALB-HDR] (their removal is UNVERIFIED)."""
    import json
    from urllib.parse import unquote

    from tests.load_balancers.test_standin_behaviour import _echo_process

    t = topologies["alb-mtls"]
    t = t.model_copy(update={"load_balancer": t.lb.model_copy(update={"mutual_tls": mode})})
    slot, edge = stand_in(t, ("alb stand-in",))
    echo = _echo_process(slot, tmp_path)
    client = _client_cert(tmp_path)
    port = slot.listener_port(443)
    base = ["curl", "-sS", "--max-time", "5", "--cacert", str(edge.ca), "--resolve",
            f"app.edgeconform.test:{port}:{slot.lb}", "-H", "X-Amzn-Mtls-Clientcert-Subject: CN=forged",
            "-H", "X-Amzn-Mtls-Clientcert: forged", f"https://app.edgeconform.test:{port}/mtls"]
    try:
        without = inside(slot, base)
        with_cert = inside(slot, [*base[:4], "--cert", str(client.combined_pem), *base[4:]])
        assert with_cert.returncode == 0, with_cert.stderr
        headers = dict((n.lower(), v) for n, v in json.loads(with_cert.stdout)["headers"])
        assert "forged" not in " ".join(v for n, v in headers.items() if n.startswith("x-amzn-mtls"))
        if mode == "verify":
            assert without.returncode != 0  # no certificate, no handshake
            assert "OU=edgeconform client" in headers["x-amzn-mtls-clientcert-subject"]  # the client cert's subject
            assert "BEGIN CERTIFICATE" in unquote(headers["x-amzn-mtls-clientcert-leaf"])
            assert headers["x-amzn-mtls-clientcert-validity"].startswith("NotBefore=")
        else:
            served = dict((n.lower(), v) for n, v in json.loads(without.stdout)["headers"])
            assert not any(n.startswith("x-amzn-mtls") for n in served)  # no certificate, no header, no forgery
            assert "BEGIN CERTIFICATE" in unquote(headers["x-amzn-mtls-clientcert"])
    finally:
        echo.stop()


def test_alb_attributes_as_curl_sees_them(topologies, stand_in, tmp_path):
    """routing.http.xff_client_port.enabled: the appended entry is ip:port; Host preservation off: the port a client
    put in Host is removed on listener 443; on: kept [ALB-XFH][ALB-HOST]."""
    import json

    from tests.load_balancers.test_standin_behaviour import _echo_process

    t = topologies["alb"]
    for preserve in (False, True):
        lb = t.lb.model_copy(update={"xff_client_port": True, "preserve_host_header": preserve, "ssl_redirect": False,
                                     "target_type": "ip"})  # the echo plays the controller, no node hop
        slot, edge = stand_in(t.model_copy(update={"load_balancer": lb}), ("alb stand-in",))
        (tmp_path / str(preserve)).mkdir()
        echo = _echo_process(slot, tmp_path / str(preserve))
        try:
            port = slot.listener_port(443)
            got = inside(slot, ["curl", "-sS", "--max-time", "5", "--cacert", str(edge.ca), "--interface",
                                slot.client(5), "--resolve", f"app.edgeconform.test:{port}:{slot.lb}",
                                "-H", f"Host: app.edgeconform.test:{port}", f"https://app.edgeconform.test:{port}/a"])
            assert got.returncode == 0 and got.stdout.startswith("{"), (got.stdout, got.stderr)
            report = json.loads(got.stdout)
            entry = dict(report["headers"])["x-forwarded-for"]
            ip, _, client_port = entry.rpartition(":")
            assert ip == slot.client(5) and client_port.isdigit(), entry
            assert report["host"] == (f"app.edgeconform.test:{port}" if preserve else "app.edgeconform.test")
        finally:
            echo.stop()


def test_an_alb_idle_timeout_closes_an_idle_connection(topologies, stand_in):
    """The ALB's idle timeout (1 s here, the lowest AWS allows) closes a connection that carries nothing [ALB-IT];
    a plain socket inside the namespace watches the stand-in hang up."""
    import time

    t = topologies["alb"]
    t = t.model_copy(update={"load_balancer": t.lb.model_copy(update={"idle_timeout": 1})})
    slot, edge = stand_in(t, ("alb stand-in",))
    sock = slot.connect(slot.lb, slot.listener_port(80), slot.client(0), 5)
    with sock:
        sock.settimeout(6)
        started = time.monotonic()
        assert sock.recv(100) == b""  # closed by the load balancer, nothing sent
        assert 0.8 < time.monotonic() - started < 5


@pytest.mark.parametrize("entry, words", [
    ("{model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], certificates: [a.test], idle_timeout: 5}",
     "field 'load_balancer.idle_timeout': NLB TLS listener idle timeout is 350 s and cannot be changed"),
    ("{model: alb, listeners: [{port: 80, protocol: HTTP, target: http}], idle_timeout: 5000}",
     "field 'load_balancer.idle_timeout': ALB idle timeout must be 1-4000 s"),
    ("{model: nlb, listeners: [{port: 80, protocol: TCP, target: http, idle_timeout: 59}]}",
     "field 'load_balancer.listeners.0.idle_timeout': NLB TCP listener idle timeout must be 60-6000 s"),
])
def test_the_cli_refuses_an_idle_timeout_aws_cannot_set(tmp_path, entry, words):
    """What a user sees: `edgeconform list` on a file with such a timeout exits 2 with one line naming the field
    and the rule (and builds nothing)."""
    import sys

    path = tmp_path / "edges.yaml"
    path.write_text(f"topologies:\n  bad:\n    hostnames: [a.test]\n    load_balancer: {entry}\n")
    run = subprocess.run([sys.executable, "-m", "edgeconform.cli", "list", "--topology-file", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and words in run.stderr and "[" in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
