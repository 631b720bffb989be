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


import pytest  # noqa: E402

from edgeconform.behaviours import expectation  # noqa: E402
from edgeconform.load_balancers.certificates import choose, covers  # noqa: E402


@pytest.mark.parametrize("cert, host, yes", [
    ("*.app.test", "x.app.test", True),
    ("*.app.test", "X.App.Test", True),
    ("*.app.test", "a.b.app.test", False),  # one label only [RFC6125]
    ("*.app.test", "app.test", False),  # not the apex
    ("app.test", "app.test", True),
    ("app.test", "x.app.test", False),
])
def test_a_wildcard_covers_one_label(cert, host, yes):
    assert covers(cert, host) is yes


def test_the_choice_prefers_an_exact_name_then_a_wildcard_then_the_default():
    certs = ["default.test", "*.app.test", "x.app.test"]
    assert choose(certs, "x.app.test") == "x.app.test"
    assert choose(certs, "y.app.test") == "*.app.test"
    assert choose(certs, "other.test") == "default.test"
    assert choose(certs, None) == "default.test"


def test_a_wildcard_in_the_sni_list_is_expected_to_win_over_the_default(synthetic):
    t = synthetic("""
hostnames: [x.app.test, api.app.test]
load_balancer: {model: alb, listeners: [{port: 443, protocol: HTTPS, target: http}],
                certificates: [default.test, "*.app.test", api.app.test]}
controller: {trusted_hops: 1}
""")
    want = rule(t).want
    assert want.per_name == (("x.app.test", "*.app.test"), ("api.app.test", "api.app.test"))
    assert want.unknown_gets == "default.test"  # no-such-name.edgeconform.test is not under app.test
    edge_wild = synthetic("""
hostnames: [app.edgeconform.test]
load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}],
                certificates: [default.test, "*.edgeconform.test"]}
""")
    assert rule(edge_wild).want.unknown_gets == "*.edgeconform.test"  # the unknown name is under the wildcard
    dc = expectation(edge_wild, "security", "default-cert").want
    assert (dc.default, dc.unknown_gets) == ("default.test", "*.edgeconform.test")
