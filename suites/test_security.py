"""Security: what a hostile client must not achieve through the edge, and proof that it is refused.

One test per topology and check (edgeconform/security.py lists the checks and their rules): forged
X-Forwarded-For / X-Real-IP / Forwarded, a forged X-Forwarded-Proto against the cleartext redirect, PROXY
protocol abuse (no header, LOCAL, a client's own header behind a load balancer that prepends one), the TLS
policy (1.0/1.1 refused, 1.2/1.3 accepted), the default certificate, Host differing from SNI, redirect loops,
and hostile input (malformed PROXY headers, oversized headers, half-open connections). Every probe has a
bounded timeout and a control request; a failure names the likely misconfiguration.
"""

import pytest

from edgeconform import security, security_probes

pytestmark = pytest.mark.security


@pytest.mark.parametrize("check", security.CHECKS)
def test_security(conformance, check):
    conformance.check(security_probes.probe(check))
