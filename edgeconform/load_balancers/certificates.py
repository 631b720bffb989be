"""Which certificate a TLS terminator serves for an SNI name, as AWS describes it and both stand-ins do it.

AWS [ALB-HTTPS23][NLB-TLS23]: a hostname that matches one certificate of the list gets it; one that matches none,
or no SNI at all, gets the default certificate. A wildcard covers exactly one leftmost label
(``*.example.com`` covers ``corp.example.com``, not ``test.login.example.com`` nor ``example.com``), as RFC 6125
§6.4.3 has it [RFC6125]. That SNI matching honours wildcards is implied by AWS ("you can use a wildcard
certificate"), not stated; Envoy's server_names and HAProxy's crt-list both match them.

Where an exact name and a wildcard both match, both stand-ins prefer the exact name. AWS then picks "the best
certificate that the client can support" by key algorithm, hash, key length and validity: with equal
certificates that tie-break is UNVERIFIED, and the exact name is what is emulated.
"""

from __future__ import annotations


def covers(certificate: str, hostname: str) -> bool:
    """Whether a certificate named ``certificate`` (a hostname or ``*.suffix``) covers ``hostname``."""
    certificate, hostname = certificate.lower().rstrip("."), hostname.lower().rstrip(".")
    if not certificate.startswith("*."):
        return certificate == hostname
    label, _, rest = hostname.partition(".")
    return bool(label) and rest == certificate[2:]


def choose(certificates: list[str], hostname: str | None) -> str:
    """The certificate served for ``hostname`` (None: no SNI): an exact match, else a covering wildcard, else the
    default (the first)."""
    default = certificates[0]
    if not hostname:
        return default
    exact = [name for name in certificates if not name.startswith("*.") and covers(name, hostname)]
    wild = [name for name in certificates if name.startswith("*.") and covers(name, hostname)]
    return (exact or wild or [default])[0]
