"""The local target's loopback slots (edgeconform.targets.local.addresses): a busy address moves an edge to
another slot, and a port busy everywhere names its owner."""

from __future__ import annotations

import os
import socket

import pytest

from edgeconform.targets.local import addresses
from edgeconform.targets.local.addresses import AddressBusy


def test_a_busy_port_moves_the_edge_to_another_slot():
    first = addresses.claim()
    n = first.n
    first.release()
    squatter = socket.socket()
    squatter.bind((f"127.{n}.1.1", 12345))
    squatter.listen(1)
    try:
        slot = addresses.claim([("lb", "load balancer listener", 12345 - addresses.PORT_OFFSET)], first=n)
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
            addresses.claim([("echo", "echo backend", port - addresses.PORT_OFFSET)])
        message = str(caught.value)
        assert "echo backend 127." in message and f":{port} is in use by pid {os.getpid()}" in message
        assert "EDGECONFORM_PORT_OFFSET" in message
    finally:
        squatter.close()
