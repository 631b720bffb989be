"""Comparing an observation with what an expectation wants: each function returns the mismatches, in words.

An empty list means the observation shows exactly the wanted outcome. The same functions check the ideal
outcome of a limited expectation, which is how an unexpected success is caught.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from . import probes
from .edge import Edge
from .expectations import ClientIpWant, RedirectWant, SniWant, WebSocketWant, Want
from .probes import ClientIpSample, RedirectTrail, SniObservation, WebSocketResult


def client_ip(edge: Edge, want: ClientIpWant, samples: list[ClientIpSample]) -> list[str]:
    problems = []
    for sample in samples:
        view = sample.view
        if view is None:
            problems.append(f"no answer from the backend: {sample.result.describe()}")
            continue
        seen = view.client
        if seen == sample.source or (sample.source is None and edge.role_of(seen) == "client"):
            role = "client"
        elif edge.role_of(seen) == "client":
            role = f"another client ({seen})"
        else:
            role = edge.role_of(seen)
        how = probes.via(sample)
        if role != want.seen_as:
            problems.append(f"probe from {sample.source}: the backend saw {seen} ({role}), expected the "
                            f"{want.seen_as}'s address")
        elif want.via != "any" and not _same_via(how, want.via):
            problems.append(f"probe from {sample.source}: the backend saw {seen} via {how}, expected via {want.via}")
    return problems


def _same_via(seen: str, wanted: str) -> bool:
    return seen == wanted or (seen == "proxy" and wanted.startswith("proxy-"))


def redirect(edge: Edge, want: RedirectWant, trail: RedirectTrail) -> list[str]:
    first, last = trail.first.result, trail.last
    if first.status is None:
        return [f"no response to cleartext: {first.describe()}"]
    if want.action == "serve":
        if first.status == 200 and trail.first.at == "backend":
            return []
        return [f"expected cleartext to be served by the backend (200), got {first.status} from {trail.first.at}"]
    problems = []
    if first.status != want.code:
        problems.append(f"expected {want.code} to https, got {first.status} from the {trail.first.at}")
    if trail.first.at != want.at:
        problems.append(f"expected the redirect to come from the {want.at}, it came from the {trail.first.at}")
    if first.location:
        target = urlsplit(first.location)
        original = urlsplit(first.url)
        if target.scheme != "https":
            problems.append(f"Location {first.location!r} is not https")
        if target.hostname and target.hostname != first.host:
            problems.append(f"Location host {target.hostname!r} differs from the request's {first.host!r}")
        if (target.path, target.query) != (original.path, original.query):
            problems.append(f"Location {first.location!r} does not keep the path and query {original.path}?{original.query}")
    elif 300 <= first.status < 400:
        problems.append("the redirect has no Location header")
    if trail.loop:
        problems.append(f"redirect loop: still redirecting after {trail.limit} hops")
    elif not problems and not (last.result.status == 200 and last.at == "backend"
                               and last.result.url.startswith("https://")):
        problems.append(f"following the redirect did not end at the backend over https: {last.result.describe()}")
    return problems


def websocket(edge: Edge, want: WebSocketWant, result: WebSocketResult) -> list[str]:
    if want.result == "echo":
        if result.status != 101:
            return [f"the Upgrade failed: {result.describe()}"]
        problems = []
        if not result.text_echoed:
            problems.append("the text frame did not come back unchanged")
        if not result.binary_echoed:
            problems.append("the binary frame did not come back unchanged")
        if not (result.report or {}).get("websocket"):
            problems.append("the backend did not report a WebSocket connection")
        return problems
    if want.result == "redirected":
        if result.status == want.code and result.location and result.location.startswith("https://"):
            return []
        return [f"expected the ws:// handshake to be redirected ({want.code} to https): {result.describe()}"]
    # refused: anything but a working upgrade
    return [] if result.status != 101 else [f"expected the Upgrade to be refused, but it worked: {result.describe()}"]


def sni(edge: Edge, want: SniWant, seen: SniObservation) -> list[str]:
    problems = []
    for hostname, cert_name in want.per_name:
        shake = seen.by_name.get(hostname)
        if shake is None or shake.error or shake.cert is None:
            problems.append(f"SNI {hostname}: no certificate ({shake.error if shake else 'not probed'})")
        elif shake.cert.name != cert_name:
            problems.append(f"SNI {hostname}: got certificate {shake.cert.name!r}, expected {cert_name!r}")
    if seen.unknown.error or seen.unknown.cert is None:
        problems.append(f"unknown name: no certificate ({seen.unknown.error})")
    elif seen.unknown.cert.name != want.unknown_gets:
        problems.append(f"unknown name {seen.unknown.sni}: got {seen.unknown.cert.name!r}, expected the default "
                        f"{want.unknown_gets!r}")
    served_by = {s.cert.served_by for s in [*seen.by_name.values(), seen.unknown] if s.cert and s.cert.served_by}
    if served_by and served_by != {want.terminates_at}:
        problems.append(f"certificates were served by the {'/'.join(sorted(served_by))}, expected the {want.terminates_at}")
    if seen.terminated_at and seen.terminated_at != want.terminates_at:
        problems.append(f"TLS terminated at the {seen.terminated_at} (as the controller reports), expected the "
                        f"{want.terminates_at}")
    return problems


def compare(edge: Edge, want: Want, observation) -> list[str]:
    if isinstance(want, ClientIpWant):
        return client_ip(edge, want, observation)
    if isinstance(want, RedirectWant):
        return redirect(edge, want, observation)
    if isinstance(want, WebSocketWant):
        return websocket(edge, want, observation)
    if isinstance(want, SniWant):
        return sni(edge, want, observation)
    from . import security, security_checks  # the security suite's wants (edgeconform/security.py)
    if isinstance(want, security.WANTS):
        return security_checks.compare(edge, want, observation)
    raise TypeError(f"no check for {type(want).__name__}")
