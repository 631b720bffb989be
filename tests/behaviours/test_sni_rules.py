"""The TLS/SNI rule (edgeconform.behaviours.sni): which certificate each name gets, and where TLS ends."""

from edgeconform.behaviours.sni import SniWant, rule


def test_sni_observables(topologies):
    alb = rule(topologies["alb"]).want
    assert alb == SniWant("lb", (("app.edgeconform.test", "app.edgeconform.test"),
                                 ("api.edgeconform.test", "api.edgeconform.test")), "default.edgeconform.test")
    clb = rule(topologies["clb-http"])
    assert clb.want.per_name == (("app.edgeconform.test", "*.edgeconform.test"),
                                 ("api.edgeconform.test", "*.edgeconform.test"))
    assert clb.ideal.per_name[0] == ("app.edgeconform.test", "app.edgeconform.test")
    assert rule(topologies["clb-tcp"]).want.terminates_at == "controller"
