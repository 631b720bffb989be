"""The whole catalog with the real Traefik passes or fails exactly as docs/controllers/traefik.md documents: one
suite run (every topology, the four behaviours and the security suite, with --report), every cell's verdict
compared with the table below. A cell that changes verdict is a failure here, whichever way it changes."""

from __future__ import annotations

import pytest

from edgeconform import binaries
from edgeconform.controllers.traefik import PROGRAM

from tests.controllers.catalog_run import L4_PLAIN, L7_NEW, run_catalog

pytestmark = pytest.mark.integration

L4_PROXY = {**L4_PLAIN, "security[proxy-required]": "limited", "security[proxy-local]": "pass",
            "security[proxy-forged]": "pass"}
L7 = {**L4_PLAIN, "client_ip": "limited", "security[forged-client]": "fail", "security[host-sni]": "limited"}
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
        version = binaries.version(PROGRAM)
    except binaries.MissingBinary as exc:
        pytest.skip(str(exc))
    run = run_catalog("traefik", tmp_path)
    assert run.controller == {"name": "traefik", "version": version}
    assert not run.differences(DOCUMENTED), f"{run.differences(DOCUMENTED)}\n{run.output}"
    failures = [r for r in run.report["results"] if r["verdict"] == "fail"]
    assert all("TRAEFIK_KEEPS_REAL_IP" in r["diagnosis"] or "TRAEFIK_CANNOT_EXPRESS" in r["diagnosis"]
               for r in failures), [r["nodeid"] for r in failures]
    assert run.returncode == 1  # exactly the documented failures
