"""Where the local target puts an edge (edgeconform.targets.local.addresses): the namespace's fixed AWS-like plan,
and the loopback fallback's slots: a busy address moves an edge to another slot, and a port busy everywhere (or a
wildcard listener on the port slots are claimed by) names its owner."""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

from edgeconform.targets.local import addresses
from edgeconform.targets.local.addresses import AddressBusy, NamespaceSite


def test_the_namespace_plan_reads_like_aws():
    site = NamespaceSite(namespace=None)  # the plan only: no namespace is made
    assert ipaddress.ip_address(site.lb) in ipaddress.ip_network("10.0.0.0/16")
    assert all(ipaddress.ip_address(c) in ipaddress.ip_network(site.client_cidr) for c in site.clients())
    assert ipaddress.ip_network(site.client_cidr).subnet_of(ipaddress.ip_network("198.51.100.0/24"))
    assert site.listener_port(443) == 443 and site.listener_port(80) == 80  # the real AWS ports
    assert len(set(site.roles())) == 6  # with the CloudFront edge's and the load balancer's IPv6 address
    assert ipaddress.ip_address(site.lb6) in ipaddress.ip_network("2001:db8::/32")  # AnyIP in the namespace only
    assert ipaddress.ip_address(site.client6(0)) in ipaddress.ip_network(site.client6_cidr)


def test_a_busy_port_moves_the_edge_to_another_slot():
    first = addresses.claim()
    n = first.n
    first.release()
    squatter = socket.socket()
    squatter.bind((f"127.{n}.1.1", 12345))
    squatter.listen(1)
    try:
        slot = addresses.claim(lambda s: [("load balancer listener", (s.lb, 12345))], first=n)
        assert slot.n != n
        slot.release()
    finally:
        squatter.close()


def test_a_port_busy_everywhere_names_its_owner():
    squatter = socket.socket()
    squatter.bind(("0.0.0.0", 0))
    squatter.listen(1)
    port = squatter.getsockname()[1]
    try:
        with pytest.raises(AddressBusy) as caught:
            addresses.claim(lambda s: [("echo backend", (s.echo, port))])
        message = str(caught.value)
        assert "echo backend 127." in message and f":{port} is in use by pid {os.getpid()}" in message
        assert "EDGECONFORM_PORT_OFFSET" in message
    finally:
        squatter.close()


def test_a_wildcard_listener_on_the_claim_port_is_named(monkeypatch):
    # its own offset, as a user moves the harness's ports: squatting the real claim port on every address would make
    # every edge of another xdist worker fail to claim a slot meanwhile
    monkeypatch.setattr(addresses, "PORT_OFFSET", addresses.PORT_OFFSET + 1789)
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        squatter.bind(("0.0.0.0", addresses.CLAIM_PORT + addresses.PORT_OFFSET))
    except OSError:
        squatter.close()
        pytest.skip("the claim port is taken already (an edge of another run holds a slot)")
    squatter.listen(1)
    try:
        with pytest.raises(AddressBusy) as caught:
            addresses.claim()
        message = str(caught.value)
        assert f"is held on every loopback address by pid {os.getpid()}" in message, message
        assert "claimed by other edges" not in message
    finally:
        squatter.close()
