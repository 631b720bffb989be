"""security[mtls-headers]: at an ALB with mutual TLS, the backend sees only the ALB's X-Amzn-Mtls-Clientcert*
headers, never a copy a client sent, and they describe the client's own certificate.

In verify mode the ALB checks the client certificate against its trust store and describes it in
X-Amzn-Mtls-Clientcert-Serial-Number, -Issuer, -Subject, -Validity and -Leaf; in passthrough mode it forwards the
certificate unverified in X-Amzn-Mtls-Clientcert [ALB-MTLS][ALB-HDR]. A backend that authorizes by these headers
trusts whatever reaches it: a client-sent X-Amzn-Mtls-Clientcert-Subject must never get there. That the ALB removes
or overwrites client-sent copies is UNVERIFIED (no AWS text); the stand-in removes them on its mutual-TLS listener
and passes other listeners' headers untouched, so a cleartext listener that serves (no redirect) lets them through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..base import Cell, Expectation
from .common import answered, get, lines, make, not_applicable, source

if TYPE_CHECKING:
    from ...edge import Edge
    from ...probing.http import HttpResult
    from ...topology import Topology

NAME = "mtls-headers"
FORGED_SUBJECT = "CN=admin.forged.example,O=forged"
FORGED = {"X-Amzn-Mtls-Clientcert-Subject": FORGED_SUBJECT, "X-Amzn-Mtls-Clientcert-Serial-Number": "0F0F0F",
          "X-Amzn-Mtls-Clientcert-Leaf": "forged-leaf", "X-Amzn-Mtls-Clientcert": "forged-chain"}


@dataclass(frozen=True)
class MtlsWant:
    mode: str  # passthrough | verify
    schemes: tuple[str, ...]  # where the probe sends forged copies


@dataclass
class MtlsObservation:
    results: dict[str, HttpResult]
    client_subject: str

    def describe(self) -> str:
        out = []
        for scheme, result in self.results.items():
            seen = _mtls(result)
            out.append(f"{scheme}: {result.describe()}" + (f"; backend saw {seen}" if seen else ""))
        return lines(out)


def _mtls(result: HttpResult) -> dict[str, str]:
    view = result.view
    if view is None:
        return {}
    return {name: value for name, value in view.headers if name.lower().startswith("x-amzn-mtls-")}


def rule(t: Topology) -> Expectation:
    mode = t.lb.mutual_tls
    if mode == "off":
        return not_applicable(t, NAME, "no mutual TLS at the load balancer: no X-Amzn-Mtls-* headers to forge")
    schemes = tuple(s for s in ("https", "http") if (t.https_listener if s == "https" else t.http_listener))
    what = ("describes the client's certificate in X-Amzn-Mtls-Clientcert-* (verify)" if mode == "verify" else
            "forwards the client's certificate in X-Amzn-Mtls-Clientcert (passthrough)")
    return make(t, NAME, outcome="works", want=MtlsWant(mode, schemes), sources=("ALB-MTLS", "ALB-HDR"),
                summary=f"client-sent X-Amzn-Mtls-Clientcert* copies never reach the backend (over "
                        f"{' and '.join(schemes)}); the ALB {what} (that it strips client copies is UNVERIFIED)")


def probe(edge: Edge) -> MtlsObservation:
    from cryptography import x509

    subject = ""
    if edge.client_cert is not None:
        cert = x509.load_pem_x509_certificate(edge.client_cert.read_bytes())
        subject = cert.subject.rfc4514_string()
    want_schemes = [s for s in ("https", "http") if edge.endpoint(s)]
    results = {scheme: get(edge, scheme, edge.hostnames[0], "/mtls-headers", source=source(edge), extra_headers=FORGED)
               for scheme in want_schemes}
    return MtlsObservation(results, subject)


def compare(edge: Edge, want: MtlsWant, seen: MtlsObservation) -> list[str]:
    problems = []
    for scheme, result in seen.results.items():
        if not answered(result):
            problems.append(f"{scheme}: no answer ({result.describe()})")
            continue
        headers = _mtls(result)
        forged = {name: value for name, value in headers.items() if value in FORGED.values()}
        if forged:
            problems.append(f"{scheme}: the backend received client-sent copies as if the ALB had set them: {forged}")
        if scheme == "https" and result.view is None:  # the control: a client with its certificate is served
            problems.append(f"https: the request did not reach the backend ({result.describe()})")
            continue
        if scheme != "https":
            continue  # cleartext: redirected (nothing reached the backend) or served without the ALB's headers
        if want.mode == "verify":
            subject = headers.get("x-amzn-mtls-clientcert-subject", "")
            if not subject or (seen.client_subject and _dn(subject) != _dn(seen.client_subject)):
                problems.append(f"https: X-Amzn-Mtls-Clientcert-Subject is {subject!r}, expected the client's "
                                f"{seen.client_subject!r}")
            if "BEGIN%20CERTIFICATE" not in headers.get("x-amzn-mtls-clientcert-leaf", "").upper().replace("+", "%20"):
                problems.append("https: X-Amzn-Mtls-Clientcert-Leaf does not carry the client's certificate (URL-encoded PEM)")
        elif "BEGIN" not in headers.get("x-amzn-mtls-clientcert", "").upper():
            problems.append("https: X-Amzn-Mtls-Clientcert does not carry the client's certificate (passthrough)")
    return problems


def _dn(name: str) -> set[str]:
    return {part.strip() for part in name.split(",")}


CHECK = Cell(rule, probe, compare)
