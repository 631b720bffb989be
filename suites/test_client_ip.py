"""Client IP: does the backend learn the real client address, and how did it arrive?

Requests from three distinct client addresses; the address the controller settled on, and whether it came from
the TCP peer, a PROXY header or X-Forwarded-For, against what the topology documents (edgeconform/behaviours/
client_ip.py holds the rule, the probe and the comparison).
"""

import pytest

pytestmark = pytest.mark.client_ip


def test_backend_sees_client_address(conformance):
    conformance.check()
