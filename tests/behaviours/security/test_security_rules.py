"""Security expectations, findings and PROXY headers: the rules and bytes, without processes."""

from __future__ import annotations

import pytest
from proxyprotocol.result import ProxyResultLocal
from proxyprotocol.v1 import ProxyProtocolV1
from proxyprotocol.v2 import ProxyProtocolV2

from edgeconform import behaviours, catalog, findings, sources
from edgeconform.behaviours import security
from edgeconform.behaviours.security.host_sni import HostSniWant
from edgeconform.probing import proxy_header, tls

CATALOG = catalog.load()


def expectation(t, check: str):
    return behaviours.expectation(t, "security", check)


def _with(name: str, **sections) -> "catalog.Topology":
    data = CATALOG[name].model_dump(exclude={"name", "origin"})
    for section, fields in sections.items():
        data[section].update(fields)
    return catalog.parse({**data, "name": f"{name}-variant"})


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_every_check_has_a_cited_expectation(name):
    found = [e for e in behaviours.for_topology(CATALOG[name]) if e.behaviour == "security"]
    assert [e.variant for e in found] == list(security.CHECKS)
    for e in found:
        assert not sources.unknown(e.sources), (e.cell, e.sources)
        assert e.outcome in ("works", "limited", "n/a")
        assert (e.want is None) == (e.outcome == "n/a")
        assert behaviours.expectation(CATALOG[name], "security", e.variant) == e


def test_unknown_check_is_named():
    with pytest.raises(KeyError, match=r"no variant 'nope' \(variants: forged-client, forged-proto, "):
        behaviours.expectation(CATALOG["alb"], "security", "nope")


def test_proxy_checks_apply_where_the_controller_expects_proxy():
    for t in CATALOG.values():
        outcome = expectation(t, "proxy-required").outcome
        assert outcome == ("works" if t.controller.proxy_protocol else "n/a"), t.name
    assert expectation(CATALOG["alb"], "proxy-forged").outcome == "n/a"  # L7: HTTP is parsed


def test_forged_client_follows_the_client_ip_expectation():
    assert expectation(CATALOG["nlb-ip"], "forged-client").want.seen_as == "lb"
    assert expectation(CATALOG["nlb-instance-cluster"], "forged-client").want.seen_as == "node"
    assert expectation(CATALOG["alb"], "forged-client").want.seen_as == "client"


def test_host_sni_choice():
    assert expectation(CATALOG["nlb-proxy-v2"], "host-sni").want == HostSniWant("misdirected")
    routed = expectation(_with("nlb-proxy-v2", controller={"host_sni_mismatch": "route"}), "host-sni")
    assert routed.outcome == "limited" and routed.ideal == HostSniWant("misdirected")
    for name in ("nlb-tls", "clb-http", "alb"):  # TLS ends at the load balancer
        assert expectation(CATALOG[name], "host-sni").outcome == "limited"


def test_tls_versions_follow_the_policy_and_tls_1_0_stays_refused():
    old = _with("nlb-tls", load_balancer={"tls_policy": "ELBSecurityPolicy-2016-08"})
    want = expectation(old, "tls-versions").want
    # 2016-08 offers TLS 1.0-1.2: 1.0/1.1 stay refused (the finding explains), 1.3 is not offered at all
    assert want.refused == ("TLSv1", "TLSv1.1", "TLSv1.3") and want.accepted == ("TLSv1.2",) and want.at == "lb"
    outdated = [f for f in findings.findings(old) if f.code == "TLS_POLICY_OUTDATED"]
    assert outdated and "ELBSecurityPolicy-2016-08" in str(outdated[0])
    assert "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09" in str(outdated[0])  # the recommendation
    assert "TLS_POLICY_OUTDATED" not in [f.code for f in findings.findings(CATALOG["nlb-tls"])]
    # the controller's policy does not matter where TLS ends at the load balancer
    assert "TLS_POLICY_OUTDATED" not in [f.code for f in findings.findings(
        _with("nlb-tls", controller={"tls_min_version": "TLSv1.0"}))]


def test_the_old_tls_min_version_picks_a_policy():
    assert _with("nlb-tls", load_balancer={"tls_min_version": "TLSv1.0"}).tls_policy.name == "ELBSecurityPolicy-2016-08"
    assert _with("alb", load_balancer={"tls_min_version": "TLSv1.3"}).tls_policy.versions == ("TLSv1.3",)
    with pytest.raises(catalog.TopologyError, match=r"tls_min_version.*no security policy that starts at TLSv1.3"):
        _with("clb-http", load_balancer={"tls_min_version": "TLSv1.3"})
    with pytest.raises(catalog.TopologyError, match="give load_balancer.tls_policy only"):
        _with("alb", load_balancer={"tls_min_version": "TLSv1.2", "tls_policy": "ELBSecurityPolicy-2016-08"})


@pytest.mark.parametrize("name, accepted, refused", [
    ("alb", ("TLSv1.2", "TLSv1.3"), ("TLSv1", "TLSv1.1")),
    ("nlb-tls", ("TLSv1.2", "TLSv1.3"), ("TLSv1", "TLSv1.1")),
    ("clb-http", ("TLSv1.2",), ("TLSv1", "TLSv1.1", "TLSv1.3")),  # no Classic ELB policy has TLS 1.3
])
def test_each_model_offers_what_its_policy_does(name, accepted, refused):
    want = expectation(CATALOG[name], "tls-versions").want
    assert (want.accepted, want.refused) == (accepted, refused)


def test_a_policy_the_model_does_not_have_is_refused_at_load_time():
    with pytest.raises(catalog.TopologyError, match=r"field 'load_balancer.tls_policy'.*no security policy "
                                                    r"'ELBSecurityPolicy-TLS13-1-2-2021-06'.*\[CLB-TLSPOL\]"):
        _with("clb-http", load_balancer={"tls_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"})
    with pytest.raises(catalog.TopologyError, match="no listener terminates TLS"):
        _with("nlb-ip", load_balancer={"tls_policy": "ELBSecurityPolicy-2016-08"})


def test_findings_are_scoped_to_the_checks_they_explain():
    t = _with("alb", controller={"trusted_hops": 2})
    assert [f.code for f in findings.for_cell(t, "security", "forged-client")] == ["XFF_TOO_MANY_HOPS"]
    assert findings.for_cell(t, "security", "tls-versions") == []
    broken = _with("nlb-ip", controller={"proxy_protocol": True})  # everything breaks: named everywhere
    for check in security.CHECKS:
        assert "PROXY_NOT_SENT" in [f.code for f in findings.for_cell(broken, "security", check)]


def test_proxy_headers():
    assert proxy_header.proxy("v1", "192.0.2.77", "127.1.1.1") == b"PROXY TCP4 192.0.2.77 127.1.1.1 40000 443\r\n"
    v2 = proxy_header.proxy("v2", "192.0.2.77", "127.1.1.1")
    assert v2[:12] == proxy_header.V2_SIGNATURE and v2[12] == 0x21 and v2[13] == 0x11  # v2 PROXY, TCP over IPv4
    assert str(ProxyProtocolV2().unpack(v2).source[0]) == "192.0.2.77"
    local = proxy_header.local()
    assert local[12] == 0x20 and isinstance(ProxyProtocolV2().unpack(local), ProxyResultLocal)
    decoy = proxy_header.local_with_addresses("192.0.2.2", "127.1.1.1")
    assert decoy[12] == 0x20 and bytes([192, 0, 2, 2]) in decoy  # LOCAL, yet an address block follows


@pytest.mark.parametrize("name", sorted(proxy_header.malformed()))
def test_malformed_headers_are_refused_by_a_parser(name):
    payload = proxy_header.malformed()[name]
    parser = ProxyProtocolV1() if payload.startswith(b"PROXY") else ProxyProtocolV2()
    with pytest.raises(Exception):
        parser.unpack(payload)


def test_this_client_can_offer_every_tls_version():
    # The tls-versions check skips (Unmeasurable) when it cannot; on this machine it must be able to.
    assert all(tls.client_offers(version) for version in tls.TLS_VERSIONS)


def test_matrix_summarises_many_variants_naming_what_did_not_pass():
    from edgeconform.report.model import Result, derive_matrix

    verdicts = {"forged-client": "fail", "host-sni": "limited", "proxy-local": "n/a", "proxy-forged": "skip",
                "tls-versions": "pass", "default-cert": "pass"}
    results = [Result(topology="t", behaviour="security", variant=check, run="local", target="local", verdict=v,
                      nodeid=check) for check, v in verdicts.items()]
    [cell] = derive_matrix(["t"], ["security"], results)
    assert cell.verdict == "fail"
    assert cell.text == "2 pass; fail: forged-client; limited: host-sni; 2 n/a"


def test_kind_controllers_mark_the_421_they_are_not_configured_for():
    from edgeconform.controllers.base import host_sni_note

    assert "security[host-sni]" in host_sni_note("ingress-nginx", CATALOG["nlb-proxy-v2"])  # TLS at the controller
    assert host_sni_note("ingress-nginx", CATALOG["alb"]) == {}  # TLS at the load balancer: routed by Host
    assert host_sni_note("Emissary", _with("nlb-proxy-v2", controller={"host_sni_mismatch": "route"})) == {}
