"""security[tls-versions]: where TLS terminates, TLS 1.0/1.1 are refused, and the versions the policy offers from
TLS 1.2 on are accepted; a version the policy does not offer (TLS 1.3 at a Classic ELB, or under
ELBSecurityPolicy-2016-08) is refused.

At the load balancer the versions follow the topology's security policy (edgeconform.load_balancers.policies):
what it offers from TLS 1.2 on must be accepted, everything else refused. TLS 1.0 and 1.1 stay refused whatever
the policy says: a policy that still offers them (ELBSecurityPolicy-2016-08, the CLI and LBC default) fails the
check, and the finding TLS_POLICY_OUTDATED names it with the recommended policy. At the controller, versions from
its minimum (at least TLS 1.2) to TLS 1.3 are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ...load_balancers.policies import BASELINE
from ...outcomes import Unmeasurable
from ..base import Cell, Expectation, behind_lb, terminator_words
from .common import TIMEOUT, lines, make, not_applicable, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.tls import Handshake
    from ...topology import Topology

NAME = "tls-versions"
# Probe names (Python's ssl) <-> policy names.
PROBED = {"TLSv1": "TLSv1.0", "TLSv1.1": "TLSv1.1", "TLSv1.2": "TLSv1.2", "TLSv1.3": "TLSv1.3"}
OLD = ("TLSv1", "TLSv1.1")  # refused whatever the policy says


@dataclass(frozen=True)
class TlsVersionsWant:
    refused: tuple[str, ...]
    accepted: tuple[str, ...]
    at: Literal["lb", "controller"]
    policy: str = ""  # the load balancer's security policy, in words


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
    if at == "lb":
        policy = t.tls_policy
        assert policy is not None
        offered = [probe for probe, version in PROBED.items() if policy.offers(version) and probe not in OLD]
        keys, where, words = t.lb_model.cite("tls_policy"), f"the {t.lb_title}", policy.describe()
    else:
        order = list(PROBED.values())
        oldest = max(BASELINE, t.controller.tls_min_version, key=order.index)
        offered = [probe for probe, version in PROBED.items() if order.index(version) >= order.index(oldest)]
        keys, where, words = ("ALB-TLSPOL", "NLB-TLSPOL"), behind_lb(t), ""
    refused = tuple(probe for probe in PROBED if probe not in offered)
    want = TlsVersionsWant(refused, tuple(offered), at, words)
    named = f" ({words})" if words else ""
    return make(t, NAME, outcome="works", want=want, sources=keys,
                summary=f"{where}{named} refuses {_versions(refused)} and accepts {_versions(offered)}; TLS 1.0 and "
                        "1.1 are refused as the AWS recommended security policies do")


def _versions(probes) -> str:
    return ", ".join(PROBED[p].replace("TLSv", "TLS ") for p in probes) or "nothing"


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
            ctx = certs.client_context(edge.ca, verify_hostname=False, minimum=tls_version, maximum=tls_version,
                                       client_cert=edge.client_cert)
            shakes[version] = tls.tls_handshake(edge, edge.hostnames[0], source=source(edge), context=ctx,
                                                timeout=TIMEOUT)
            if shakes[version].error:
                edge.lifecycle.check_alive()  # a refusal, or a dead terminator: tell them apart before the next try
    return TlsVersionsObservation(shakes)


def compare(edge: Edge, want: TlsVersionsWant, seen: TlsVersionsObservation) -> list[str]:
    problems = []
    for version in want.refused:
        shake = seen.by_version.get(version)
        if shake is not None and not shake.error:
            by = f" by the {shake.cert.served_by}" if shake.cert and shake.cert.served_by else ""
            why = ("a protocol version the AWS recommended policies refuse" if version in OLD else
                   f"the security policy {want.policy or 'there'} does not offer it")
            problems.append(f"{version} was accepted{by}: {why}")
    for version in want.accepted:
        shake = seen.by_version.get(version)
        if shake is None or shake.error:
            problems.append(f"{version} was refused: {shake.error if shake else 'not probed'}")
        elif shake.cert and shake.cert.served_by and shake.cert.served_by != want.at:
            problems.append(f"{version} was terminated by the {terminator_words(edge, shake.cert.served_by)}, expected "
                            f"the {terminator_words(edge, want.at)}")
    return problems


CHECK = Cell(rule, probe, compare)
