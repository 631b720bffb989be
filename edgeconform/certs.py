"""The test CA and the certificates each TLS terminator serves.

One CA per process (trustme). Each certificate's Organizational Unit names the role that serves it
("edgeconform lb" or "edgeconform controller"), so a probe can tell from the certificate alone where TLS
terminated, as a user would tell an ACM certificate from the controller's own.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.x509.oid import NameOID

OU_PREFIX = "edgeconform "


@cache
def authority() -> trustme.CA:
    return trustme.CA(organization_name="edgeconform test CA")


@dataclass(frozen=True)
class IssuedCert:
    name: str  # the certificate's name in the topology (a hostname or a wildcard)
    role: str
    chain_pem: Path  # certificate + CA
    key_pem: Path
    combined_pem: Path  # chain + key, for HAProxy


def write_ca(directory: Path) -> Path:
    path = directory / "ca.pem"
    authority().cert_pem.write_to_path(str(path))
    return path


@cache
def _leaf(name: str, role: str) -> trustme.LeafCert:
    """One certificate per name and role for the process, like its CA (a key pair costs more than all the rest of
    writing an edge's files; plans and edges issue the same names again and again)."""
    return authority().issue_cert(name, organization_name="edgeconform", organization_unit_name=OU_PREFIX + role)


def issue(directory: Path, role: str, names: list[str]) -> dict[str, IssuedCert]:
    """Issue one certificate per name for ``role`` into ``directory``; returns name -> files."""
    directory.mkdir(parents=True, exist_ok=True)
    issued: dict[str, IssuedCert] = {}
    for name in names:
        cert = _leaf(name, role)
        stem = directory / f"{role}-{name.replace('*', 'wildcard')}"
        chain, key, combined = (Path(f"{stem}.{suffix}") for suffix in ("crt", "key", "pem"))
        chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        key.write_bytes(cert.private_key_pem.bytes())
        combined.write_bytes(chain.read_bytes() + key.read_bytes())
        issued[name] = IssuedCert(name, role, chain, key, combined)
    return issued


def client_context(ca: Path, *, verify_hostname: bool = True, minimum: ssl.TLSVersion | None = None,
                   maximum: ssl.TLSVersion | None = None, client_cert: Path | None = None) -> ssl.SSLContext:
    """A client context that trusts the test CA (and, for hostname checks, the names asked for); with
    ``client_cert`` (PEM certificate and key), it presents that certificate when the server asks (mutual TLS)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.check_hostname = verify_hostname
    if client_cert is not None:
        ctx.load_cert_chain(str(client_cert))
    if minimum is not None or maximum is not None:
        # Old protocol versions need the lowest security level to be offered at all.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


@dataclass(frozen=True)
class PeerCert:
    """What a served certificate says about itself."""

    subject_cn: str
    dns_names: tuple[str, ...]
    served_by: str  # "lb", "controller", or "" when not one of ours (an ACM certificate, say)
    issuer: str

    @classmethod
    def from_der(cls, der: bytes) -> PeerCert:
        cert = x509.load_der_x509_certificate(der)
        cn = _attr(cert.subject, NameOID.COMMON_NAME)
        ou = _attr(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = tuple(san.get_values_for_type(x509.DNSName))
        except x509.ExtensionNotFound:
            names = ()
        served_by = ou[len(OU_PREFIX):] if ou.startswith(OU_PREFIX) else ""
        return cls(cn, names, served_by, cert.issuer.rfc4514_string())

    @property
    def name(self) -> str:
        """The certificate's topology name: its first DNS name (trustme puts the identity there)."""
        return self.dns_names[0] if self.dns_names else self.subject_cn


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""
