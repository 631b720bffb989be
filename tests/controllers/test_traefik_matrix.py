"""The whole catalog with the real Traefik passes or fails exactly as docs/controllers/traefik.md documents: one
suite run (every topology, the four behaviours and the security suite, with --report), every cell's verdict
compared with the table below. A cell that changes verdict is a failure here, whichever way it changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edgeconform import binaries

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
L4_PLAIN = {"client_ip": "pass", "redirect": "pass", "websocket[ws]": "pass", "websocket[wss]": "pass", "sni": "pass",
            "security[forged-client]": "pass", "security[forged-proto]": "pass", "security[proxy-required]": "n/a",
            "security[proxy-local]": "n/a", "security[proxy-forged]": "n/a", "security[tls-versions]": "pass",
            "security[default-cert]": "pass", "security[host-sni]": "skip", "security[redirect-loop]": "pass",
            "security[hostile-input]": "pass"}
L4_PROXY = {**L4_PLAIN, "security[proxy-required]": "limited", "security[proxy-local]": "pass",
            "security[proxy-forged]": "pass"}
L7 = {**L4_PLAIN, "client_ip": "limited", "security[forged-client]": "fail", "security[host-sni]": "limited"}
# The topologies issue 12 added: every cell pinned, the new ones (health_check, dual_stack, host_header,
# security[mtls-headers]) included.
L7_NEW = {"health_check": "pass", "dual_stack": "n/a", "host_header": "pass", "security[mtls-headers]": "n/a"}
# topology -> cell -> verdict ("skip": not measured, with the reason Traefik's limit gives)
DOCUMENTED = {
    "nlb-instance-local": L4_PLAIN,
    "nlb-instance-cluster": {**L4_PLAIN, "client_ip": "limited"},
    "nlb-ip": {**L4_PLAIN, "client_ip": "limited"},
    "nlb-proxy-v2": L4_PROXY,
    "nlb-tls": {**L4_PROXY, "security[host-sni]": "limited"},
    "clb-tcp": {**L4_PLAIN, "client_ip": "limited"},
    "clb-tcp-proxy-v1": L4_PROXY,
    "clb-http": {**L7, "websocket[ws]": "limited", "websocket[wss]": "limited", "sni": "limited"},
    "alb": L7,
    # CloudFront then the ALB: Traefik states the ALB's peer and passes X-Forwarded-For on, the client in CloudFront's
    # entry (limited, as behind any L7 load balancer); a client's X-Real-Ip is kept (TRAEFIK_KEEPS_REAL_IP)
    "cloudfront-alb": {**L7, **L7_NEW},
    "alb-mtls": {**L7, **L7_NEW, "security[mtls-headers]": "pass"},
}


def test_the_catalog_with_traefik_is_as_documented(tmp_path):
    try:
        version = binaries.version("traefik")
    except binaries.MissingBinary as exc:
        pytest.skip(str(exc))
    run = subprocess.run([sys.executable, "-m", "pytest", "suites", "--controller", "traefik", "-q", "-p",
                          "no:cacheprovider", "--no-matrix", "--report", str(tmp_path)], cwd=REPO, capture_output=True,
                         text=True, timeout=900)
    assert (tmp_path / "report.json").exists(), run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert [r["controller"] for r in report["runs"]] == [{"name": "traefik", "version": version}]
    seen: dict[str, dict[str, str]] = {}
    for result in report["results"]:
        cell = f"{result['behaviour']}[{result['variant']}]" if result["variant"] else result["behaviour"]
        seen.setdefault(result["topology"], {})[cell] = result["verdict"]
    differ = {f"{t}/{cell}": (verdict, seen.get(t, {}).get(cell)) for t, cells in DOCUMENTED.items()
              for cell, verdict in cells.items() if seen.get(t, {}).get(cell) != verdict}
    assert not differ, f"documented -> seen: {differ}\n{run.stdout[-4000:]}"
    assert set(seen) == set(DOCUMENTED)
    failures = [r for r in report["results"] if r["verdict"] == "fail"]
    assert all("TRAEFIK_KEEPS_REAL_IP" in r["diagnosis"] or "TRAEFIK_CANNOT_EXPRESS" in r["diagnosis"]
               for r in failures), [r["nodeid"] for r in failures]
    assert run.returncode == 1  # exactly the documented failures
