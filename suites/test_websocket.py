"""WebSocket: the Upgrade through the edge, then text and binary frames echoed back unchanged.

Over wss:// wherever the topology has a TLS listener and over ws:// wherever it has a cleartext one; on an edge
that redirects cleartext, the ws:// handshake must get that redirect (never a 101 that bypasses it). A Classic
ELB HTTP listener breaks the Upgrade: a documented limitation.
"""

import pytest

from edgeconform import probes

pytestmark = pytest.mark.websocket


@pytest.mark.parametrize("scheme", ["ws", "wss"])
def test_websocket_upgrade_and_echo(conformance, scheme):
    conformance.check(lambda edge: probes.websocket(edge, scheme, source=edge.client_addresses[0]))
