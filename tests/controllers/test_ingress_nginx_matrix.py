"""The whole catalog on ingress-nginx's edge semantics on nginx is as docs/controllers/ingress-nginx.md documents: one
suite run (every topology, the four behaviours and the security suite, with --report), every cell's verdict
compared with the table below. A cell that changes verdict is a failure here, whichever way it changes."""

from __future__ import annotations

import pytest

from tests.controllers.catalog_run import L4_PLAIN, L7_NEW, run_catalog

pytestmark = pytest.mark.integration

# PROXY is required (a connection without a header is closed), a LOCAL header is served
L4_PROXY = {**L4_PLAIN, "security[proxy-required]": "pass", "security[proxy-local]": "pass",
            "security[proxy-forged]": "pass"}
L7 = {**L4_PLAIN, "security[host-sni]": "limited", "security[proxy-forged]": "n/a"}
# topology -> cell -> verdict ("skip": not measured: the catalog asks for 421, which ingress-nginx cannot give)
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
    run = run_catalog("ingress-nginx", tmp_path)
    assert run.controller["name"] == "ingress-nginx" and "edge semantics on nginx" in run.controller["version"]
    assert not run.differences(DOCUMENTED), f"{run.differences(DOCUMENTED)}\n{run.output}"
    assert run.returncode == 0  # nothing fails on the catalog
