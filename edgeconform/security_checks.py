"""Comparing a security observation with what its check wants: each function returns the mismatches, in words.

Like edgeconform.checks, an empty list means the observation shows exactly the wanted outcome; the same
functions judge the ideal outcome of a limited check (an unexpected success fails, strictly).
"""

from __future__ import annotations

from . import checks
from .edge import Edge
from .expectations import ClientIpWant
from .probes import ClientIpSample, HttpResult
from .security import (DefaultCertWant, ForgedClientWant, ForgedProtoWant, HostileInputWant, HostSniWant,
                       ProxyForgedWant, ProxyLocalWant, ProxyRequiredWant, RedirectLoopWant, TlsVersionsWant)
from .security_probes import (DefaultCertObservation, ForgedProtoObservation, HostileInputObservation,
                              HostSniObservation, ProxyForgedObservation, ProxyLocalObservation,
                              ProxyRequiredObservation, RedirectLoopObservation, TlsVersionsObservation)


def _forged_seen(view, forged: tuple[str, ...]) -> str | None:
    return view.client if view is not None and view.client in forged else None


def forged_client(edge: Edge, want: ForgedClientWant, samples: list[ClientIpSample]) -> list[str]:
    problems = []
    for sample in samples:
        believed = _forged_seen(sample.view, want.forged)
        if believed:
            problems.append(f"probe from {sample.source}: the controller took the forged {believed} for the client "
                            "(a client-sent header was trusted)")
    if problems:
        return problems
    return checks.client_ip(edge, ClientIpWant(want.seen_as, "any"), samples)


def forged_proto(edge: Edge, want: ForgedProtoWant, seen: ForgedProtoObservation) -> list[str]:
    result, at = seen.hop.result, seen.hop.at
    if result.status is None:
        return [f"no response to cleartext: {result.describe()}"]
    if at == "backend":
        return [f"the forged X-Forwarded-Proto: https bypassed the cleartext redirect: the backend served it "
                f"({result.status}, X-Forwarded-Proto it saw: {result.view.xfp if result.view else '?'})"]
    problems = []
    if result.status != want.code:
        problems.append(f"expected {want.code} to https, got {result.status} from the {at}")
    if at != want.at:
        problems.append(f"expected the redirect to come from the {want.at}, it came from the {at}")
    if not (result.location or "").startswith("https://"):
        problems.append(f"Location {result.location!r} is not https")
    return problems


def _answered(result: HttpResult) -> bool:
    return result.status is not None


def proxy_required(edge: Edge, want: ProxyRequiredWant, seen: ProxyRequiredObservation) -> list[str]:
    problems = []
    for kind in want.kinds:
        without, with_header = seen.without_header.get(kind), seen.with_header.get(kind)
        if without is None or with_header is None:
            problems.append(f"the {kind} listener was not probed")
            continue
        if _answered(without):
            problems.append(f"the {kind} listener answered a connection without a PROXY header "
                            f"({without.status}): it does not require PROXY")
        if not _answered(with_header):
            problems.append(f"the {kind} listener did not answer a connection with a valid PROXY v2 header: "
                            f"{with_header.describe()}")
    return problems


def proxy_local(edge: Edge, want: ProxyLocalWant, seen: ProxyLocalObservation) -> list[str]:
    problems = []
    for label, result in (("LOCAL header", seen.local), ("LOCAL header with an address block", seen.local_with_addresses)):
        if not _answered(result):
            problems.append(f"a request after a {label} was refused: {result.describe()} (NLB health checks "
                            "send LOCAL headers: targets would be marked unhealthy)")
            continue
        view = result.view
        if view is None:
            continue  # answered without reaching the backend (a redirecting port): accepted, conclusion unseen
        if view.client != seen.source:
            problems.append(f"after a {label} the controller concluded client={view.client}, expected the "
                            f"connection's own peer {seen.source} (a LOCAL header carries no client)")
        invented = [entry for entry in view.xff if entry != seen.source and entry != view.peer]
        if want.decoy in view.xff or invented:
            problems.append(f"after a {label} X-Forwarded-For carries {list(view.xff)}: an address that is not the "
                            "peer was invented")
    if seen.health_check.answered_http and not seen.health_check.reply.startswith(b"HTTP/1.1 400"):
        problems.append(f"a bare LOCAL header was answered as a request: {seen.health_check.describe()}")
    return problems


def proxy_forged(edge: Edge, want: ProxyForgedWant, seen: ProxyForgedObservation) -> list[str]:
    problems = []
    control = checks.client_ip(edge, ClientIpWant(want.seen_as, "any"), [seen.control])
    problems += [f"control request: {problem}" for problem in control]
    for version, result in seen.forged.items():
        view = result.view
        if view is not None and want.forged in (view.client, *view.xff):
            problems.append(f"the client's own PROXY {version} header was believed: the backend saw "
                            f"client={view.client} (X-Forwarded-For {list(view.xff)})")
        elif view is not None and view.client and edge.role_of(view.client) != want.seen_as \
                and view.client != seen.control.source:
            problems.append(f"after the client's PROXY {version} header the backend saw client={view.client} "
                            f"({edge.role_of(view.client)}), expected the {want.seen_as}'s address or a refusal")
    return problems


def tls_versions(edge: Edge, want: TlsVersionsWant, seen: TlsVersionsObservation) -> list[str]:
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


def default_cert(edge: Edge, want: DefaultCertWant, seen: DefaultCertObservation) -> list[str]:
    problems = []
    for label, shake in (("an unknown SNI name", seen.unknown), ("a handshake without SNI", seen.no_sni)):
        if shake.error or shake.cert is None:
            problems.append(f"{label} got no certificate: {shake.error}")
            continue
        if shake.cert.name != want.default:
            problems.append(f"{label} got {shake.cert.name!r}, expected the default {want.default!r}")
        if shake.cert.served_by and shake.cert.served_by != want.at:
            problems.append(f"{label} was answered by the {shake.cert.served_by}, expected the {want.at}")
    return problems


def host_sni(edge: Edge, want: HostSniWant, seen: HostSniObservation) -> list[str]:
    result = seen.result
    if result.status is None:
        return [f"no response: {result.describe()}"]
    if want.result == "misdirected":
        if result.status == 421 and result.report is None:
            return []
        return [f"expected 421 Misdirected Request for Host {result.host} on a connection set up for SNI "
                f"{result.sni}, got {result.status} from {'the backend' if result.report else result.server}"]
    if result.report is not None and result.status == 200 and result.report.get("host", "").split(":")[0] == result.host:
        return []
    return [f"expected the request to be routed by its Host {result.host} to the backend, got {result.status}"
            f" from {'the backend' if result.report else result.server}"]


def redirect_loop(edge: Edge, want: RedirectLoopWant, seen: RedirectLoopObservation) -> list[str]:
    problems = []
    first = seen.https.first
    if first.result.status is None:
        problems.append(f"no response over https: {first.result.describe()}")
    elif first.at != "backend" or first.result.status != 200:
        where = first.result.location or "?"
        loop = ", and following it looped" if seen.https.loop else ""
        problems.append(f"an https:// request was answered with {first.result.status} from the {first.at} "
                        f"(-> {where}) instead of being served{loop}")
    if want.cleartext and seen.cleartext is not None:
        if seen.cleartext.loop:
            problems.append(f"cleartext redirects loop: still redirecting after {seen.cleartext.limit} hops")
        elif not (seen.cleartext.last.at == "backend" and seen.cleartext.last.result.url.startswith("https://")):
            problems.append(f"following the cleartext redirect did not end at the backend over https: "
                            f"{seen.cleartext.last.result.describe()}")
    return problems


def hostile_input(edge: Edge, want: HostileInputWant, seen: HostileInputObservation) -> list[str]:
    problems = []
    big = seen.oversized
    if big.status is not None and not 400 <= big.status < 500:
        problems.append(f"a {big.status} answered a request with an oversized header: expected a 4xx refusal")
    if big.report is not None:
        problems.append("a request with an oversized header reached the backend")
    if seen.served_meanwhile.status is None:
        problems.append(f"while one client held a half-open connection, another was not served: "
                        f"{seen.served_meanwhile.describe()}")
    for raw in seen.malformed_proxy:
        if raw.answered_http and not raw.first_line.split(" ")[1:2] == ["400"]:
            problems.append(f"a malformed PROXY header was served: {raw.describe()}")
        if not raw.closed and not raw.answered_http:
            problems.append(f"a malformed PROXY header left the connection open: {raw.describe()}")
    if seen.control is None or seen.control.status is None:
        problems.append(f"after the hostile input the edge no longer answers: "
                        f"{seen.control.describe() if seen.control else 'not probed'}")
    return problems


COMPARE = {ForgedClientWant: forged_client, ForgedProtoWant: forged_proto, ProxyRequiredWant: proxy_required,
           ProxyLocalWant: proxy_local, ProxyForgedWant: proxy_forged, TlsVersionsWant: tls_versions,
           DefaultCertWant: default_cert, HostSniWant: host_sni, RedirectLoopWant: redirect_loop,
           HostileInputWant: hostile_input}


def compare(edge: Edge, want, observation) -> list[str]:
    return COMPARE[type(want)](edge, want, observation)
