"""What the controller readers share: what a reader returns, certificate names from Secrets, settings checks."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ..untrusted import shown
from .documents import Document, ImportFailed
from .reading import Reading

# Named Service target ports as the controllers' Helm charts name them -> the controller port kind.
PORT_NAMES = {"http": "http", "https": "https", "web": "http", "websecure": "https", "tohttps": "redirect",
              "redirect": "redirect", "http-redirect": "redirect"}


@dataclass
class ControllerRead:
    """What the controller's own objects say about the edge."""

    kind: str
    settings: dict[str, Any] | None = None  # in its own vocabulary (its plug-in's settings_model)
    abstract: dict[str, Any] = field(default_factory=dict)  # abstract fields, for a plug-in without settings
    hostnames: list[str] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)  # the controller's, default first
    ports: dict[Any, str] = field(default_factory=dict)  # Service targetPort (number or name) -> port kind
    found: bool = False  # its configuration was among the inputs (else: documented defaults)
    load_balancer: Any = None  # a Service the controller builds itself (Envoy Gateway's EnvoyProxy)


def secrets(docs: list[Document]) -> dict[tuple[str, str], Document]:
    return {(doc.namespace, doc.name): doc for doc in docs if doc.kind == "Secret"}


def certificate_name(secret: Document) -> str | None:
    """The name a certificate covers: its first DNS subjectAltName, else its common name (None: unreadable)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    data = secret.data.get("data") or {}
    pem = data.get("tls.crt")
    text = (secret.data.get("stringData") or {}).get("tls.crt")
    try:
        raw = text.encode() if text else base64.b64decode(str(pem)) if pem else None
    except (binascii.Error, ValueError):
        raw = None
    if not raw:
        return None
    try:
        cert = x509.load_pem_x509_certificates(raw)[0]
    except ValueError:
        return None
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    if names:
        return names[0]
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common[0].value) if common else None


def name_for_secret(docs: list[Document], r: Reading, namespace: str, name: str, field_path: str,
                    hosts: list[str], cited: Document | None = None, *path: Any) -> str:
    """The certificate name behind a TLS Secret: read from the Secret when it is among the inputs; otherwise the
    host it is given for, or (deliberately, with a warning) its name under the hostnames' domain:
    ``shop-tls`` -> ``shop.example.test``."""
    secret = secrets(docs).get((namespace, name))
    r.use(secret)
    found = certificate_name(secret) if secret is not None else None
    if found:
        r.cite(field_path, secret, "data", "tls.crt")
        return found
    if hosts:
        r.warn(f"Secret {namespace}/{name} is not among the inputs: its certificate is taken to cover {hosts[0]}, "
               "the host it is given for")
        return hosts[0]
    domain = _domain(r)
    guess = f"{name.removesuffix('-tls').removesuffix('-cert')}{'.' + domain if domain else ''}"
    r.warn(f"Secret {namespace}/{name} is not among the inputs: its certificate is named {guess} (its Secret's name "
           "under the hostnames' domain); give the Secret to read the name it covers")
    return guess


def _domain(r: Reading) -> str:
    hosts = r.hostnames
    parts = [host.split(".", 1)[1] for host in hosts if "." in host]
    return parts[0] if parts else ""


def validate(doc: Document, model: type[BaseModel], data: dict[str, Any], prefix: tuple[Any, ...]) -> BaseModel:
    """Settings checked by the controller plug-in's own model; each problem names the manifest's field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ImportFailed.several([doc.fail(f"{error['msg']} (got {shown(error.get('input'))})", *prefix,
                                             *tuple(error["loc"])) for error in exc.errors()]) from None


def read_ingress_rules(ing: Document, out: Any, r: Reading, own_prefix: str) -> None:
    """An Ingress a controller serves: its rules' hosts become the edge's hostnames (cited), and its per-Ingress
    annotations in the controller's namespace (``own_prefix``) are listed as read but not modelled: they override
    the edge-wide settings for one Ingress only."""
    for i, rule in enumerate(ing.spec.get("rules") or []):
        host = (rule or {}).get("host")
        if host and host not in out.hostnames:
            out.hostnames.append(host)
            r.hostnames.append(host)
            r.cite("hostnames", ing, "spec", "rules", i, "host")
    for key, value in ing.annotations.items():
        if str(key).startswith(own_prefix):
            r.unknown(ing, str(key), value, "metadata", "annotations", key)
