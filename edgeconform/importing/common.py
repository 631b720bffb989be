"""What the controller readers share: the Importer each controller package declares (controllers/<name>/
importer.py), what it returns, certificate names from Secrets, settings checks."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

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
    # The load balancer's targets are the application itself (controller none): a target port not in ``ports`` is
    # the application's, and speaks what the load balancer sends it.
    application: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # what its reader keeps for its settle()


@dataclass
class EdgeInputs:
    """What a controller's reader may ask about the rest of the edge being imported."""

    albs: list[Document]  # the ALB Ingresses: the load balancer's objects, not the controller's
    # the Services whose pods are the load balancer's targets (the load-balancer Service itself, the ALB's or the
    # Gateway's backends): a controller's, or the application's
    backends: list[Document] = field(default_factory=list)
    # given the controller's ports (Service targetPort, number or name -> port kind): the port kinds the load
    # balancer's listeners land on. None while the load balancer is not read yet (Importer.builds_load_balancer).
    reached: Callable[[dict[Any, str]], set[str]] | None = None


class Importer:
    """How ``edgeconform import`` recognises one controller among manifests and reads its objects into the
    topology's controller block. Each controller package has one (``Controller.importer()``); a controller that
    edgeconform recognises but does not run is a package with little else.

    Import asks the registered importers in their registry order: the controller whose own configuration is among
    the inputs (``evidence``), else the one whose pods the load balancer's Service selects (``selects``)."""

    kind: ClassVar[str]  # the controller's name (what the block's ``kind`` says)
    # (apiVersion, kind) of the objects it reads, listed when importing from a cluster (edgeconform.importing.cluster)
    cluster_kinds: ClassVar[tuple[tuple[str, str], ...]] = ()
    # Its objects build the load balancer's Service (Envoy Gateway's EnvoyProxy): it is read before the load
    # balancer, and its ControllerRead.load_balancer is that Service.
    builds_load_balancer: ClassVar[bool] = False
    # The value of app.kubernetes.io/name in a Service's selector that picks its pods
    app_name: ClassVar[str | None] = None
    # Parts of its container images: a workload the load balancer's Service selects that runs one is this controller
    images: ClassVar[tuple[str, ...]] = ()
    # Asked last, and only when no other importer claims the edge: the application straight behind the load
    # balancer (controller none) is what is left
    fallback: ClassVar[bool] = False
    # A controller import recognises but writes no topology for (edgeconform does not run it): why, in the one-line
    # refusal that names it and the load balancer found. None: it is imported.
    refusal: ClassVar[str | None] = None

    def evidence(self, docs: list[Document]) -> list[Document]:
        """Its own configuration among ``docs`` (the first names it in messages); none: not this controller."""
        return []

    def selects(self, selector: dict[str, Any]) -> bool:
        """Whether a Service with this selector sends traffic to its pods."""
        return self.app_name is not None and selector.get("app.kubernetes.io/name") == self.app_name

    def runs(self, image: str) -> bool:
        """Whether a container image is its own (a workload running it is this controller)."""
        return any(part in image for part in self.images)

    def where(self, doc: Document) -> tuple[Any, ...]:
        """The field of one of its ``evidence`` documents that makes it this controller (for messages)."""
        return ()

    def keeps(self, doc: Document, docs: list[Document]) -> bool:
        """Whether an object of a kind applications have too (a ConfigMap, a Deployment) read from a cluster is its
        own, so kept (an application's are none of import's business)."""
        return False

    def read(self, docs: list[Document], r: Reading, edge: EdgeInputs) -> ControllerRead:
        raise NotImplementedError

    def settle(self, ctl: ControllerRead, lb: dict[str, Any], r: Reading) -> dict[str, Any] | None:
        """Once the load balancer's listeners are known (``lb``, as the topology writes them): adjust what was read
        to them, or write the controller block otherwise than as its settings (returned; None: the block is its
        settings, else its abstract fields)."""
        return None


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


def attached_listeners(route: Document, gateway: Document) -> list[int]:
    """The indexes of the Gateway's listeners a route attaches to: those its parentRefs name (sectionName, port), or
    every listener; then only those whose hostname meets one of the route's (a listener for another host does not
    take the route) [GW-LISTENER][GW-HTTPROUTE]. A redirect route applies to these listeners alone."""
    listeners = [item if isinstance(item, dict) else {} for item in gateway.spec.get("listeners") or []]
    chosen: list[int] = []
    for ref in route.spec.get("parentRefs") or []:
        if not isinstance(ref, dict) or ref.get("name") != gateway.name or \
                (ref.get("namespace") or route.namespace) != gateway.namespace:
            continue
        for i, item in enumerate(listeners):
            if ref.get("sectionName") not in (None, item.get("name")) or ref.get("port") not in (None, item.get("port")):
                continue
            if i not in chosen:
                chosen.append(i)
    hosts = [str(h) for h in route.spec.get("hostnames") or []]
    return [i for i in chosen if not hosts or not listeners[i].get("hostname")
            or any(_hosts_meet(str(listeners[i]["hostname"]), host) for host in hosts)]


def _hosts_meet(a: str, b: str) -> bool:
    """Whether two hostnames (either may be a wildcard ``*.domain``) can name the same host."""
    if a == b:
        return True
    for wild, other in ((a, b), (b, a)):
        if wild.startswith("*.") and other.endswith(wild[1:]) and other.count(".") >= wild.count("."):
            return True
    return False
