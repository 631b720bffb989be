"""The NLB stand-in's PROXY v2 header, decoded where the controller would read it, by parsers that are not the
harness's: the proxy-protocol package (which checks the CRC32C itself) and a plain struct parser here.

What a real NLB sends [NLB-TG23][GO-PP4][GO-PP25][#57250]: TLVs (CRC32C, NOOP padding to 84 bytes after the
prefix, 0xEA for PrivateLink), the header with the client's first data (on_first_ack_with_payload), nothing at all
for a connection that carries no data, and a LOCAL form without addresses for health checks.
"""

from __future__ import annotations

import socket
import struct
import time

import crc32c
import pytest
from proxyprotocol.result import ProxyResultLocal
from proxyprotocol.v2 import ProxyProtocolV2

from edgeconform.load_balancers.nlb.proxy import header
from tests.load_balancers.conftest import listen

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def parse(raw: bytes) -> dict:
    """A plain parser of one v2 header at the start of ``raw`` (PROXY-protocol spec §2.2): command, family,
    addresses, TLVs in order, and whether the CRC32C over the header (its value zeroed) matches."""
    assert raw[:12] == SIGNATURE, raw[:16]
    ver_cmd, family, length = raw[12], raw[13], struct.unpack("!H", raw[14:16])[0]
    body = raw[16:16 + length]
    block = {0x11: 12, 0x21: 36}.get(family, 0) if ver_cmd == 0x21 else 0
    tlvs, i = [], block
    while i < len(body):
        kind, size = body[i], struct.unpack("!H", body[i + 1:i + 3])[0]
        tlvs.append((kind, i + 3, body[i + 3:i + 3 + size]))
        i += 3 + size
    assert i == len(body), "TLVs overrun the announced length"
    crc_ok = None
    for kind, at, value in tlvs:
        if kind == 0x03:
            zeroed = bytearray(raw[:16 + length])
            zeroed[16 + at:16 + at + 4] = b"\0\0\0\0"
            crc_ok = crc32c.crc32c(bytes(zeroed)) == struct.unpack("!I", value)[0]
    return {"ver_cmd": ver_cmd, "family": family, "length": length, "block": body[:block],
            "tlvs": [(kind, value) for kind, _, value in tlvs], "crc_ok": crc_ok, "size": 16 + length}


def test_the_header_builder_reproduces_a_captured_nlb_health_check_header():
    """The LOCAL form of a real NLB health check (kubernetes/kubernetes#57250): no address block, CRC32C then NOOP
    to 84 bytes. Its checksum is the captured one, 0xbce5951f."""
    local = header(None)
    assert local[12:16] == bytes([0x20, 0x11, 0x00, 0x54])
    parsed = parse(local)
    assert [kind for kind, _ in parsed["tlvs"]] == [0x03, 0x04] and parsed["crc_ok"]
    assert parsed["tlvs"][0][1] == bytes.fromhex("bce5951f")
    assert isinstance(ProxyProtocolV2().unpack(local), ProxyResultLocal)
    assert crc32c.crc32c(b"123456789") == 0xE3069283  # the CRC32C check value (RFC 3720 / iSCSI)


@pytest.mark.integration
@pytest.mark.parametrize("name", ["nlb-proxy-v2", "nlb-tls"])
def test_the_controller_receives_the_nlb_shaped_header_with_the_first_data(topologies, stand_in, name):
    t = topologies[name]
    slot, edge = stand_in(t, ("nlb stand-in", "relay"))
    kind = t.lb.listeners[0].target
    server = listen(slot, slot.controller, slot.controller_port(kind))
    client = slot.connect(slot.lb, slot.listener_port(80), slot.client(2), 5)
    with client, server:
        conn, peer = server.accept()  # the NLB connects to the target at once ...
        with conn:
            conn.settimeout(0.3)
            with pytest.raises(socket.timeout):
                conn.recv(1)  # ... but sends nothing before the client's first data
            conn.settimeout(5)
            conn.sendall(b"server speaks first\r\n")  # dropped: the NLB has not sent its header yet
            time.sleep(0.1)
            client.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            raw = b""
            while b"\r\n\r\n" not in raw[100:]:
                raw += conn.recv(4096)
            parsed = parse(raw)
            assert (parsed["ver_cmd"], parsed["family"], parsed["length"]) == (0x21, 0x11, 84)
            assert [kind for kind, _ in parsed["tlvs"]] == [0x03, 0x04] and parsed["crc_ok"]
            assert raw[parsed["size"]:].startswith(b"GET / HTTP/1.1")  # the header went with the first data
            src, sport = client.getsockname()
            assert parsed["block"] == (socket.inet_aton(src) + socket.inet_aton(slot.lb)
                                       + struct.pack("!HH", sport, slot.listener_port(80)))
            result = ProxyProtocolV2().unpack(raw[:parsed["size"]])  # the package checks the CRC32C too
            assert str(result.source[0]) == src and peer[0] == slot.lb
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            client.settimeout(5)
            assert client.recv(100).startswith(b"HTTP/1.1 200 OK")  # what the target said first never arrived


@pytest.mark.integration
def test_a_connection_without_data_gets_no_header_and_privatelink_adds_tlv_0xea(topologies, stand_in):
    t = topologies["nlb-proxy-v2"]
    t = t.model_copy(update={"load_balancer": t.lb.model_copy(update={"privatelink_endpoint": "vpce-0a1b2c3d4e5f60718"})})
    slot, edge = stand_in(t, ("nlb stand-in", "relay"))
    server = listen(slot, slot.controller, slot.controller_port("http"))
    with server:
        silent = slot.connect(slot.lb, slot.listener_port(80), slot.client(1), 5)
        conn, _ = server.accept()
        silent.close()  # connect and close, as a TCP health check does
        conn.settimeout(5)
        with conn:
            assert conn.recv(100) == b""  # no payload, no header
        client = slot.connect(slot.lb, slot.listener_port(80), slot.client(3), 5)
        conn, _ = server.accept()
        with client, conn:
            client.sendall(b"x")
            conn.settimeout(5)
            raw = b""
            while len(raw) < 17 or len(raw) < 16 + struct.unpack("!H", raw[14:16])[0] + 1:
                raw += conn.recv(4096)
            parsed = parse(raw)
            assert [kind for kind, _ in parsed["tlvs"]] == [0x03, 0x04, 0xEA] and parsed["crc_ok"]
            assert parsed["length"] == 84 and parsed["tlvs"][2][1] == b"\x01vpce-0a1b2c3d4e5f60718"
            assert raw[parsed["size"]:] == b"x"


@pytest.mark.integration
def test_an_ipv6_client_gets_a_tcp6_header_over_an_ipv4_connection(topologies, stand_in):
    """Dual stack: the NLB connects to its IPv4 target from its IPv4 address, and the header carries the IPv6 client
    (TCP6, family 0x21; the family and the padding are UNVERIFIED by AWS text)."""
    t = topologies["nlb-proxy-v2"]
    assert t.lb.ip_address_type == "dualstack"
    slot, edge = stand_in(t, ("nlb stand-in", "relay"))
    server = listen(slot, slot.controller, slot.controller_port("http"))
    client = slot.connect(slot.lb6, slot.listener_port(80), slot.client6(1), 5)
    with client, server:
        conn, peer = server.accept()
        with conn:
            client.sendall(b"y")
            conn.settimeout(5)
            raw = b""
            while len(raw) < 16 or len(raw) < 16 + struct.unpack("!H", raw[14:16])[0] + 1:
                raw += conn.recv(4096)
            parsed = parse(raw)
            assert (parsed["ver_cmd"], parsed["family"], parsed["length"]) == (0x21, 0x21, 84) and parsed["crc_ok"]
            assert parsed["block"][:16] == socket.inet_pton(socket.AF_INET6, slot.client6(1))
            assert parsed["block"][16:32] == socket.inet_pton(socket.AF_INET6, slot.lb6)
            assert peer[0] == slot.lb and raw[parsed["size"]:] == b"y"
