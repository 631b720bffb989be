"""The cleartext-redirect rule (edgeconform.behaviours.redirect): the code, who answers, or that cleartext is
served."""

from edgeconform.behaviours import redirect, sni, websocket
from edgeconform.behaviours.redirect import RedirectWant
from edgeconform.behaviours.websocket import WebSocketWant


def test_redirect_observables(topologies):
    assert redirect.rule(topologies["alb"]).want == RedirectWant("redirect", 301, "lb")
    assert redirect.rule(topologies["nlb-tls"]).want == RedirectWant("redirect", 308, "controller")
    assert redirect.rule(topologies["clb-http"]).want == RedirectWant("redirect", 308, "controller")
    assert "NGX-AWS" in redirect.rule(topologies["nlb-tls"]).sources


def test_no_redirect_configured_means_cleartext_is_served(synthetic):
    t = synthetic("""
        load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}
controller: {cleartext: serve}
    """)
    assert redirect.rule(t).want == RedirectWant("serve")
    assert websocket.rule(t, "ws").want == WebSocketWant("echo")
    assert sni.rule(t).outcome == "n/a"
    assert websocket.rule(t, "wss").outcome == "n/a"
