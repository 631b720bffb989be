"""The WebSocket rule (edgeconform.behaviours.websocket): echo, refused, or the cleartext redirect for ws://."""

from edgeconform.behaviours.websocket import WebSocketWant, rule


def test_websocket_over_cleartext_gets_the_redirect(topologies):
    assert rule(topologies["alb"], "ws").want == WebSocketWant("redirected", 301)
    assert rule(topologies["nlb-proxy-v2"], "ws").want == WebSocketWant("redirected", 308)
    assert rule(topologies["alb"], "wss").want == WebSocketWant("echo")
