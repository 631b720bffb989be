"""WebSocket: the Upgrade through the edge over ws:// and wss://, then text and binary frames echoed back
unchanged; where cleartext is redirected, the ws:// handshake must get that redirect
(edgeconform/behaviours/websocket.py)."""

import pytest

from edgeconform import variants

pytestmark = pytest.mark.websocket


@pytest.mark.parametrize("scheme", variants("websocket"))
def test_websocket_upgrade_and_echo(conformance, scheme):
    conformance.check()
