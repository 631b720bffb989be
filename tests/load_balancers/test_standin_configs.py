"""Rendering the stand-in configurations (edgeconform.load_balancers.standins) as the local target plans them,
with the controller's and kube-proxy's next to them, validated by the real binaries."""

import subprocess

import pytest
import yaml

from edgeconform import binaries
from edgeconform.targets.local import plan
from edgeconform.targets.local.addresses import Slot
from tests.test_catalog import REQUIRED

SLOT = Slot(201)


@pytest.fixture(scope="module")
def plans(topologies, tmp_path_factory):
    out = {}
    for name in REQUIRED:
        workdir = tmp_path_factory.mktemp(name)
        p = plan(topologies[name], SLOT, workdir, transparent=True)
        for process in p.processes:
            for file, text in process.files.items():
                (workdir / file).write_text(text)
        out[name] = (p, workdir)
    return out


def configs(plans, name, program):
    """(path, text) of every configuration file of the processes that run ``program`` (envoy, haproxy)."""
    p, workdir = plans[name]
    return [(workdir / file, text) for proc in p.processes if proc.argv[0] == binaries.find(program)
            for file, text in proc.files.items()]


def config_of(proc) -> str:
    """The one configuration file of a process."""
    (text,) = proc.files.values()
    return text


@pytest.mark.integration
@pytest.mark.parametrize("name", REQUIRED)
def test_envoy_accepts_every_rendered_config(plans, name):
    for path, _ in configs(plans, name, "envoy"):
        run = subprocess.run([binaries.find("envoy"), "--mode", "validate", "-c", str(path),
                              "--disable-hot-restart", "--log-level", "error"], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, f"{path.name}:\n{run.stdout}\n{run.stderr}"


@pytest.mark.integration
@pytest.mark.parametrize("name", REQUIRED)
def test_haproxy_accepts_every_rendered_config(plans, name):
    for path, _ in configs(plans, name, "haproxy"):
        run = subprocess.run([binaries.find("haproxy"), "-c", "-f", str(path)], capture_output=True, text=True,
                             timeout=30)
        assert run.returncode == 0, f"{path.name}:\n{run.stdout}\n{run.stderr}"


def lb_config(plans, name):
    p, _ = plans[name]
    return next(config_of(proc) for proc in p.processes if "stand-in" in proc.name)


def controller_config(plans, name):
    p, _ = plans[name]
    return yaml.safe_load(next(config_of(proc) for proc in p.processes if proc.name.startswith("controller")))


def test_l4_stand_ins_say_what_the_aws_load_balancer_does(plans):
    assert "send-proxy-v2" in lb_config(plans, "nlb-proxy-v2")
    assert " send-proxy\n" in lb_config(plans, "clb-tcp-proxy-v1") + "\n"
    assert "source 0.0.0.0 usesrc clientip" in lb_config(plans, "nlb-instance-local")
    assert "source 0.0.0.0 usesrc" not in lb_config(plans, "nlb-ip") and f"source {SLOT.lb}" in lb_config(plans, "nlb-ip")
    assert "send-proxy" not in lb_config(plans, "clb-tcp")
    tls = lb_config(plans, "nlb-tls")
    assert "ssl crt-list" in tls and "ssl-min-ver TLSv1.2" in tls


def test_kube_proxy_hop_only_where_it_snats_or_answers_health_checks(plans):
    names = {n: [proc.name for proc in plans[n][0].processes] for n in REQUIRED}
    assert "kube-proxy (haproxy)" in names["nlb-instance-cluster"]
    assert "kube-proxy (haproxy)" not in names["nlb-ip"]
    local = next(config_of(proc) for proc in plans["nlb-instance-local"][0].processes if proc.name.startswith("kube"))
    assert "frontend health_check_node_port" in local and "frontend nodeport_" not in local  # no SNAT hop


def test_health_checks_run_at_the_stand_in_as_aws_sends_them(plans):
    tcp = lb_config(plans, "nlb-proxy-v2")  # TCP checks: straight to the target, no data, no PROXY header
    assert "backend hc_listener_80" in tcp and "option httpchk" not in tcp and "check-send-proxy" not in tcp
    local = lb_config(plans, "nlb-instance-local")  # HTTP to kube-proxy's health port, healthy on 200-399
    assert "http-check send meth GET uri /healthz" in local and "http-check expect status 200-399" in local
    alb = yaml.safe_load(lb_config(plans, "alb"))
    hc = next(c for c in alb["static_resources"]["clusters"] if c["name"] == "hc_listener_80")
    check = hc["health_checks"][0]["http_health_check"]
    assert check["path"] == "/healthz" and check["expected_statuses"] == [{"start": 200, "end": 400}]


def _listener(config, name):
    return next(item for item in config["static_resources"]["listeners"] if item["name"] == name)


def test_controller_expects_proxy_only_where_configured(plans):
    def filters(name):
        return [f["name"] for item in controller_config(plans, name)["static_resources"]["listeners"]
                for f in item.get("listener_filters", [])]
    assert "envoy.filters.listener.proxy_protocol" in filters("nlb-proxy-v2")
    assert "envoy.filters.listener.proxy_protocol" not in filters("nlb-ip")


def _hcm(chain):
    return chain["filters"][0]["typed_config"]


def test_controller_trust_settings(plans):
    alb = _hcm(_listener(controller_config(plans, "alb"), "http")["filter_chains"][0])
    assert alb["use_remote_address"] is True and alb["xff_num_trusted_hops"] == 1
    tls = controller_config(plans, "nlb-tls")
    routes = _hcm(_listener(tls, "redirect")["filter_chains"][0])["route_config"]["virtual_hosts"][0]["routes"]
    assert routes == [{"match": {"prefix": "/"}, "redirect": {"https_redirect": True, "port_redirect": 8443,
                                                              "response_code": "PERMANENT_REDIRECT"}}]
    served = _hcm(_listener(tls, "http")["filter_chains"][0])["route_config"]["virtual_hosts"][0]["routes"]
    assert all("redirect" not in route for route in served)  # cleartext: serve behind the TLS-terminating NLB


def test_the_generic_controller_trusts_the_hops_inside_trusted_networks(topologies, tmp_path):
    """controller.trusted_cidrs (ingress-nginx proxy-real-ip-cidr, Traefik trustedIPs) behind an ALB: the hops inside
    the VPC are trusted, as the rules expect (Topology.forwarded_hops)."""
    alb = topologies["alb"]
    by_network = alb.model_copy(update={"controller": alb.controller.model_copy(
        update={"trusted_hops": 0, "trusted_cidrs": ["10.0.0.0/16"]})})
    p = plan(by_network, SLOT, tmp_path, transparent=True)
    config = yaml.safe_load(next(config_of(proc) for proc in p.processes if proc.name.startswith("controller")))
    assert _hcm(_listener(config, "http")["filter_chains"][0])["xff_num_trusted_hops"] == 1


def test_l7_stand_ins(plans):
    alb = yaml.safe_load(lb_config(plans, "alb"))
    clb = yaml.safe_load(lb_config(plans, "clb-http"))
    alb_http = _hcm(_listener(alb, "listener_80")["filter_chains"][0])
    assert alb_http["upgrade_configs"] == [{"upgrade_type": "websocket"}]
    assert alb_http["route_config"]["virtual_hosts"][0]["routes"][0]["redirect"]["response_code"] == "MOVED_PERMANENTLY"
    assert "upgrade_configs" not in _hcm(_listener(clb, "listener_80")["filter_chains"][0])
    alb_https = _listener(alb, "listener_443")
    [chain] = alb_https["filter_chains"]  # one TLS context: default first, then the SNI list (Envoy picks by SNI)
    certs = chain["transport_socket"]["typed_config"]["common_tls_context"]["tls_certificates"]
    assert [c["certificate_chain"]["filename"].rsplit("/lb-", 1)[1] for c in certs] == [
        "default.edgeconform.test.crt", "app.edgeconform.test.crt", "api.edgeconform.test.crt"]
    [clb_chain] = _listener(clb, "listener_443")["filter_chains"]  # one certificate for every name
    assert len(clb_chain["transport_socket"]["typed_config"]["common_tls_context"]["tls_certificates"]) == 1
    assert _hcm(_listener(alb, "listener_80")["filter_chains"][0])["codec_type"] == "HTTP1"  # no h2c [ALB-L]
    assert _hcm(chain)["codec_type"] == "AUTO"  # h2 by ALPN on HTTPS
