"""The registry's expectations across behaviours: every catalog topology's outcomes, and their sources.

The rules of each behaviour have their own module here (test_<behaviour>_rules.py); the security checks' rules
are in security/test_security_rules.py; the findings that explain failures in tests/test_findings.py.
"""

import pytest

from edgeconform import behaviours, sources

# topology -> (client_ip, redirect, ws, wss, sni, health_check, dual_stack, host_header) outcomes, straight from
# aws-lb-facts.md §7; every catalog edge's health checks pass; an IPv6 client of an IPv4 target without PROXY shows
# the NLB's address [NLB-TGA]; only ALBs rewrite Host [ALB-HOST]
OUTCOMES = {
    "nlb-instance-local": ("works", "works", "works", "works", "works", "works", "limited", "n/a"),
    "nlb-instance-cluster": ("limited", "works", "works", "works", "works", "works", "n/a", "n/a"),
    "nlb-ip": ("limited", "works", "works", "works", "works", "works", "n/a", "n/a"),
    "nlb-proxy-v2": ("works", "works", "works", "works", "works", "works", "works", "n/a"),
    "nlb-tls": ("works", "works", "works", "works", "works", "works", "n/a", "n/a"),
    "clb-tcp": ("limited", "works", "works", "works", "works", "works", "n/a", "n/a"),
    "clb-tcp-proxy-v1": ("works", "works", "works", "works", "works", "works", "n/a", "n/a"),
    "clb-http": ("works", "works", "limited", "limited", "limited", "works", "n/a", "n/a"),
    "alb": ("works", "works", "works", "works", "works", "works", "works", "works"),
    "cloudfront-alb": ("works", "works", "works", "works", "works", "works", "n/a", "works"),
    "alb-mtls": ("works", "works", "works", "works", "works", "works", "n/a", "works"),
}


@pytest.mark.parametrize("name", OUTCOMES)
def test_outcomes_per_catalog_topology(topologies, name):
    # the five behaviours of §7; the security checks' outcomes are tested in security/test_security_rules.py
    got = tuple(e.outcome for e in behaviours.for_topology(topologies[name]) if e.behaviour != "security")
    assert got == OUTCOMES[name]


@pytest.mark.parametrize("name", OUTCOMES)
def test_every_expectation_cites_known_sources(topologies, name):
    for e in behaviours.for_topology(topologies[name]):
        assert e.sources and not sources.unknown(e.sources), e
        if e.outcome == "limited":
            assert e.reason and e.ideal is not None, e
