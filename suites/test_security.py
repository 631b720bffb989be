"""Security: what a hostile client must not achieve through the edge, one test per topology and check
(edgeconform/behaviours/security/ holds one module per check): forged forwarding headers, a forged
X-Forwarded-Proto against the cleartext redirect, PROXY protocol abuse, the TLS policy, the default certificate,
Host differing from SNI, redirect loops and hostile input. Every probe is bounded and carries a control request.
"""

import pytest

from edgeconform import variants

pytestmark = pytest.mark.security


@pytest.mark.parametrize("check", variants("security"))
def test_security(conformance, check):
    conformance.check()
