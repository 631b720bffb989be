"""security[tls-versions]: where TLS terminates, TLS 1.0/1.1 are refused and TLS 1.2/1.3 accepted.

The AWS recommended policies (ELBSecurityPolicy-TLS13-1-2-2021-06 and its -Res variant) accept TLS 1.2 and 1.3
only. This baseline does not follow the topology's tls_min_version: an older minimum is the finding
(TLS_POLICY_OUTDATED).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ...outcomes import Unmeasurable
from ..base import Cell, Expectation
from .common import TIMEOUT, lines, make, not_applicable, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.tls import Handshake
    from ...topology import Topology

NAME = "tls-versions"
TLS_REFUSED = ("TLSv1", "TLSv1.1")
TLS_ACCEPTED = ("TLSv1.2", "TLSv1.3")


@dataclass(frozen=True)
class TlsVersionsWant:
    refused: tuple[str, ...]
    accepted: tuple[str, ...]
    at: Literal["lb", "controller"]


@dataclass
class TlsVersionsObservation:
    by_version: dict[str, Handshake]

    def describe(self) -> str:
        return lines(f"offered only {version}: " + (f"refused ({shake.error})" if shake.error else
                                                     f"accepted ({shake.version}, certificate {shake.cert.name!r})")
                     for version, shake in self.by_version.items())


def rule(t: Topology) -> Expectation:
    at = t.tls_terminates_at
    if at is None:
        return not_applicable(t, NAME, "no TLS listener")
    keys = t.lb_model.cite("tls_policy") if at == "lb" else ("ALB-TLSPOL", "NLB-TLSPOL")
    where = f"the {t.lb_title}" if at == "lb" else "the controller"
    return make(t, NAME, outcome="works", want=TlsVersionsWant(TLS_REFUSED, TLS_ACCEPTED, at), sources=keys,
                summary=f"{where} refuses TLS 1.0 and 1.1 and accepts TLS 1.2 and 1.3, as the AWS recommended "
                        "security policies do")


def probe(edge: Edge) -> TlsVersionsObservation:
    import ssl
    import warnings

    from ... import certs
    from ...probing import tls  # the TLS stack loads when a probe runs

    missing = [version for version in tls.TLS_VERSIONS if not tls.client_offers(version)]
    if missing:
        raise Unmeasurable(f"this Python's OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer {', '.join(missing)}, so "
                           "the edge's refusal could not be told from the client's")
    shakes = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for version, tls_version in tls.TLS_VERSIONS.items():
            ctx = certs.client_context(edge.ca, verify_hostname=False, minimum=tls_version, maximum=tls_version)
            shakes[version] = tls.tls_handshake(edge, edge.hostnames[0], source=source(edge), context=ctx,
                                                timeout=TIMEOUT)
            if shakes[version].error:
                edge.check_alive()  # a refusal, or a dead terminator: tell them apart before the next try
    return TlsVersionsObservation(shakes)


def compare(edge: Edge, want: TlsVersionsWant, seen: TlsVersionsObservation) -> list[str]:
    problems = []
    for version in want.refused:
        shake = seen.by_version.get(version)
        if shake is not None and not shake.error:
            by = f" by the {shake.cert.served_by}" if shake.cert and shake.cert.served_by else ""
            problems.append(f"{version} was accepted{by}: the policy allows a protocol version the AWS recommended "
                            "policies refuse")
    for version in want.accepted:
        shake = seen.by_version.get(version)
        if shake is None or shake.error:
            problems.append(f"{version} was refused: {shake.error if shake else 'not probed'}")
        elif shake.cert and shake.cert.served_by and shake.cert.served_by != want.at:
            problems.append(f"{version} was terminated by the {shake.cert.served_by}, expected the {want.at}")
    return problems


CHECK = Cell(rule, probe, compare, explained_by=("TLS_POLICY_OUTDATED",))
