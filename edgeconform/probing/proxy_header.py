"""PROXY protocol headers as a hostile or honest client writes them (packed by the ``proxy-protocol`` library).

The well-formed ones come from the library; the malformed ones are the library's output with one field broken,
so every byte that is wrong on purpose is named here.
"""

from __future__ import annotations

import socket
import struct
from ipaddress import IPv4Address

from proxyprotocol.result import ProxyResultIPv4, ProxyResultLocal
from proxyprotocol.v1 import ProxyProtocolV1
from proxyprotocol.v2 import ProxyProtocolV2

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
_V2_COMMAND_BYTE = 12  # high nibble: version 2; low nibble: 0 LOCAL, 1 PROXY


def _ipv4(source: str, source_port: int, dest: str, dest_port: int) -> ProxyResultIPv4:
    return ProxyResultIPv4((IPv4Address(source), source_port), (IPv4Address(dest), dest_port),
                           protocol=socket.SOCK_STREAM)


def proxy(version: str, source: str, dest: str, source_port: int = 40000, dest_port: int = 443) -> bytes:
    """A PROXY command header (v1 text line or v2 binary) claiming ``source`` as the client."""
    packer = ProxyProtocolV1() if version == "v1" else ProxyProtocolV2()
    return packer.pack(_ipv4(source, source_port, dest, dest_port))


def local() -> bytes:
    """A v2 LOCAL header without addresses: what an NLB health check connection starts with [NLB-TG23]."""
    return ProxyProtocolV2().pack(ProxyResultLocal())


def local_with_addresses(decoy: str, dest: str) -> bytes:
    """A v2 LOCAL header that still carries a TCP4 address block. The spec says the receiver must ignore the
    addresses of a LOCAL header; a receiver that reads them invents a client."""
    header = bytearray(proxy("v2", decoy, dest))
    header[_V2_COMMAND_BYTE] = 0x20  # version 2, command LOCAL
    return bytes(header)


def malformed() -> dict[str, bytes]:
    """Broken headers a receiver must close without serving (name -> bytes)."""
    good_v2 = proxy("v2", "192.0.2.10", "192.0.2.20")
    truncated = bytearray(good_v2[:16])
    truncated[14:16] = struct.pack("!H", 0xFFFF)  # announces 65535 bytes of addresses, then the sender stops
    bad_version = bytearray(good_v2)
    bad_version[_V2_COMMAND_BYTE] = 0x31  # version nibble 3 does not exist
    return {
        "v1 with an impossible address": b"PROXY TCP4 999.0.2.10 192.0.2.20 40000 443\r\n",
        "v1 line longer than the 107-byte maximum": b"PROXY TCP4 " + b"1" * 200 + b"\r\n",
        "v2 header announcing 65535 bytes, then end of stream": bytes(truncated),
        "v2 header with version 3": bytes(bad_version),
    }
