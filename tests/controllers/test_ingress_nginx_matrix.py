"""The whole catalog on ingress-nginx's edge semantics on nginx is as docs/controllers/ingress-nginx.md documents: one
suite run (every topology, the four behaviours and the security suite, with --report), every cell's verdict
compared with the table below. A cell that changes verdict is a failure here, whichever way it changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
L4_PLAIN = {"client_ip": "pass", "redirect": "pass", "websocket[ws]": "pass", "websocket[wss]": "pass", "sni": "pass",
            "security[forged-client]": "pass", "security[forged-proto]": "pass", "security[proxy-required]": "n/a",
            "security[proxy-local]": "n/a", "security[proxy-forged]": "n/a", "security[tls-versions]": "pass",
            "security[default-cert]": "pass", "security[host-sni]": "skip", "security[redirect-loop]": "pass",
            "security[hostile-input]": "pass"}
# PROXY is required (a connection without a header is closed), a LOCAL header is served
L4_PROXY = {**L4_PLAIN, "security[proxy-required]": "pass", "security[proxy-local]": "pass",
            "security[proxy-forged]": "pass"}
L7 = {**L4_PLAIN, "security[host-sni]": "limited", "security[proxy-forged]": "n/a"}
# topology -> cell -> verdict ("skip": not measured: the catalog asks for 421, which ingress-nginx cannot give)
# The topologies issue 12 added: every cell pinned, the new ones (health_check, dual_stack, host_header,
# security[mtls-headers]) included.
L7_NEW = {"health_check": "pass", "dual_stack": "n/a", "host_header": "pass", "security[mtls-headers]": "n/a"}
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
    # two trusted hops are not expressible in proxy-real-ip-cidr (nginx trusts addresses): a limit, not measured
    "cloudfront-alb": {**L7, **L7_NEW, "client_ip": "skip", "security[forged-client]": "skip"},
    "alb-mtls": {**L7, **L7_NEW, "security[mtls-headers]": "pass"},
}


def test_the_catalog_on_ingress_nginx_is_as_documented(tmp_path):
    run = subprocess.run([sys.executable, "-m", "pytest", "suites", "--controller", "ingress-nginx", "-q", "-p",
                          "no:cacheprovider", "--no-matrix", "--report", str(tmp_path)], cwd=REPO, capture_output=True,
                         text=True, timeout=900)
    assert (tmp_path / "report.json").exists(), run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    (controller,) = [r["controller"] for r in report["runs"]]
    assert controller["name"] == "ingress-nginx" and "edge semantics on nginx" in controller["version"]
    seen: dict[str, dict[str, str]] = {}
    for result in report["results"]:
        cell = f"{result['behaviour']}[{result['variant']}]" if result["variant"] else result["behaviour"]
        seen.setdefault(result["topology"], {})[cell] = result["verdict"]
    differ = {f"{t}/{cell}": (verdict, seen.get(t, {}).get(cell)) for t, cells in DOCUMENTED.items()
              for cell, verdict in cells.items() if seen.get(t, {}).get(cell) != verdict}
    assert not differ, f"documented -> seen: {differ}\n{run.stdout[-4000:]}"
    assert set(seen) == set(DOCUMENTED)
    assert run.returncode == 0  # nothing fails on the catalog
