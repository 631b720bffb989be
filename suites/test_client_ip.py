"""Client IP: does the backend learn the real client address, and how did it arrive?

Probes come from three distinct client addresses. The backend's view (the address the controller settled on,
and whether it came from the TCP peer, a PROXY header or X-Forwarded-For) must match the topology's
expectation: the client carried by PROXY v2, say, or the documented limitation (the NLB's own address when
client-IP preservation is off).
"""

import pytest

from edgeconform import probes

pytestmark = pytest.mark.client_ip


def test_backend_sees_client_address(conformance):
    conformance.check(lambda edge: probes.client_ip(edge, sources=3))
