"""The edges straight to the application (controller none) on the local target, every behaviour and the security
suite, cell by cell as docs/controllers/none.md documents them: the echo plays the application, and what arrives
there is what the expectations say. A cell that changes verdict is a failure here, whichever way it changes."""

from __future__ import annotations

import pytest

from tests.controllers.catalog_run import run_catalog

pytestmark = pytest.mark.integration

NOT_APPLICABLE = {"security[proxy-required]": "n/a", "security[proxy-local]": "n/a", "security[mtls-headers]": "n/a"}
NLB = {"client_ip": "pass", "redirect": "pass", "websocket[ws]": "pass", "websocket[wss]": "pass", "sni": "pass",
       "health_check": "pass", "dual_stack": "n/a", "host_header": "n/a", "security[forged-client]": "pass",
       "security[forged-proto]": "n/a", "security[proxy-forged]": "n/a", "security[tls-versions]": "pass",
       "security[default-cert]": "pass", "security[host-sni]": "pass", "security[redirect-loop]": "pass",
       "security[hostile-input]": "pass", **NOT_APPLICABLE}
DOCUMENTED = {
    # the ALB appends the client, ends TLS (routed by Host: limited, as for any edge) and redirects cleartext
    "alb-app": {**NLB, "dual_stack": "pass", "host_header": "pass", "security[forged-proto]": "pass",
                "security[host-sni]": "limited"},
    "alb-http-app": {**NLB, "websocket[wss]": "n/a", "sni": "n/a", "host_header": "pass", "security[tls-versions]": "n/a",
                     "security[default-cert]": "n/a", "security[host-sni]": "n/a", "security[redirect-loop]": "n/a"},
    # ip targets without preservation: the application sees the NLB's address
    "nlb-tls-app": {**NLB, "client_ip": "limited", "security[host-sni]": "limited"},
    "nlb-app": {**NLB, "client_ip": "limited"},
    "nlb-app-preserved": NLB,
    "nlb-app-proxy-v2": {**NLB, "security[proxy-forged]": "pass"},
}


def test_the_edges_straight_to_the_application_are_as_documented(tmp_path):
    run = run_catalog("envoy", tmp_path, topologies=sorted(DOCUMENTED))  # they name none: the run's controller aside
    assert run.controller == {"name": "none", "version": None}
    assert not run.differences(DOCUMENTED), f"{run.differences(DOCUMENTED)}\n{run.output}"
    assert run.returncode == 0, run.output
