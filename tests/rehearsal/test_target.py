"""eks --rehearsal: the stand-ins are built from the AWS model, not from the topology (topology_from_model), and the
suites run through the eks target against the rehearsal control plane with the real LBC."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edgeconform import catalog
from edgeconform.rehearsal.model import Action, HealthCheck, Listener, LoadBalancer, TargetGroup
from edgeconform.rehearsal.target import topology_from_model

REPO = Path(__file__).resolve().parents[2]


def _nlb(proxy: str, preserve: str, policy: str = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
         tls: bool = True) -> LoadBalancer:
    group = TargetGroup(name="tg", protocol="TCP", port=8080, target_type="ip",
                        health_check=HealthCheck(protocol="TCP", port="traffic-port"),
                        attributes={"proxy_protocol_v2.enabled": proxy, "preserve_client_ip.enabled": preserve})
    return LoadBalancer(name="lb", arn="arn", dns_name="lb", type="network", scheme="internet-facing",
                        ip_address_type="ipv4", target_groups=[group], listeners=[
                            Listener(port=80, protocol="TCP", default_actions=[Action(type="forward")]),
                            Listener(port=443, protocol="TLS", ssl_policy=policy,
                                     default_certificate="default.edgeconform.test",
                                     sni_certificates=["app.edgeconform.test"]) if tls else
                            Listener(port=443, protocol="TCP", default_actions=[Action(type="forward")])])


def test_a_setting_the_lbc_dropped_is_missing_from_the_stand_in():
    t = catalog.load([])["nlb-proxy-v2"]
    built = topology_from_model(t, _nlb(proxy="false", preserve="false", tls=False))
    assert t.lb.proxy_protocol == "v2" and built.lb.proxy_protocol is None
    assert built.lb.ip_address_type == "ipv4"  # the model's, where the topology says dualstack
    assert [(item.port, item.protocol) for item in built.lb.listeners] == [(80, "TCP"), (443, "TCP")]
    assert built.controller == t.controller and "AWS model" in built.origin


def test_the_model_s_policy_and_attributes_are_the_stand_in_s():
    t = catalog.load([])["nlb-tls"]
    built = topology_from_model(t, _nlb(proxy="true", preserve="true", policy="ELBSecurityPolicy-2016-08"))
    assert built.lb.tls_policy == "ELBSecurityPolicy-2016-08"
    assert built.lb.certificates == ["default.edgeconform.test", "app.edgeconform.test"]
    assert built.lb.client_ip_preservation is True and built.lb.proxy_protocol == "v2"


@pytest.mark.parametrize("name", sorted(n for n, t in catalog.load([]).items()
                                         if t.controller.kind == "none" and t.lb.model == "nlb"))
def test_an_application_straight_behind_the_load_balancer_is_built_from_the_model_too(name):
    """none's fixed trust is filled in by parse: the stand-in's topology must not give it back as settings (the
    rehearsal's eks suites errored on every none topology: 'a controller's settings ... remove it')."""
    t = catalog.load([])[name]
    built = topology_from_model(t, _nlb(proxy="true" if t.lb.proxy_protocol else "false", preserve="false",
                                        tls=any(item.protocol == "TLS" for item in t.lb.listeners)))
    assert built.controller == t.controller and built.controller.kind == "none"


def test_an_entry_s_data_parses_back_to_the_same_topology_for_every_catalog_topology():
    for name, t in catalog.load([]).items():
        assert catalog.parse(catalog.entry_data(t), name) == t, name


@pytest.mark.integration
def test_the_suites_run_through_the_eks_target_against_the_real_lbc():
    from edgeconform.rehearsal import components
    from edgeconform.rehearsal.components import RehearsalError

    try:
        components.find()
    except RehearsalError as exc:
        pytest.skip(str(exc))
    done = subprocess.run([sys.executable, "-m", "pytest", "suites", "-m", "nlb", "--target", "eks", "--rehearsal",
                           "--controller", "ingress-nginx", "--topology", "nlb-proxy-v2", "--topology", "nlb-ip",
                           "--topology", "nlb-app-proxy-v2",
                           "-p", "no:cacheprovider", "-q", "-rfEs"], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env={**os.environ})
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-2000:]
    assert "the real AWS Load Balancer Controller (pid" in out and "built 3 load balancer(s) in moto" in out
    assert "nlb-proxy-v2" in out and "lb-provision" in out
    import re

    assert re.search(r"\d+ passed", out) and not re.search(r"\d+ failed", out)
