"""``none``: the load balancer straight to the application. What import finds when the load balancer's targets are
no controller's pods: an ALB Ingress, an LBC Gateway or an NLB/Classic ELB Service whose backend is an application
Service (or one not among the inputs), with no controller's configuration among the inputs.

It is the importer asked last (``fallback``): any Service no other importer claims is the application's. The block
it writes names the controller only, and, where TLS reaches the application, its certificates: the TLS Secrets its
pods mount (read from their certificates, in the order of the volumes); ``none`` fixes the trust model (it serves
what arrives, reads no PROXY header, trusts no X-Forwarded-* hop); what the application does with them is its own
business, so the expectations state what arrives. Nothing in an application's objects names its hostnames (it
routes nothing by host): behind an NLB or a Classic ELB import takes the certificates' names, or makes one up, and
says so.
"""

from __future__ import annotations

from typing import Any

from ...importing.common import ControllerRead, EdgeInputs, Importer, certificate_name, secrets
from ...importing.documents import Document
from ...importing.reading import Reading
from ...importing.recognised import pod_spec, selected

NAME = "none"
# An application's port names that say it speaks TLS itself (an NLB TCP listener passing TLS through to it)
TLS_PORT_NAMES = {"https", "tls"}
TLS_SECRET = "kubernetes.io/tls"


class NoneImporter(Importer):
    kind = NAME
    cluster_kinds = (("v1", "Service"),)  # the application's Service: the load balancer's targets
    fallback = True

    def evidence(self, docs: list[Document]) -> list[Document]:
        return []  # an application has no configuration of an edge's: it is what is left

    def selects(self, selector: dict[str, Any]) -> bool:
        return True

    def read(self, docs: list[Document], r: Reading, edge: EdgeInputs) -> ControllerRead:
        # the block names the controller only: its trust model is fixed (Controller.fixed_trust)
        out = ControllerRead(NAME, application=True, found=True)
        # an application port that is named for TLS, or is 443/8443, serves TLS itself (TLS passthrough)
        out.ports = {**{name: "https" for name in TLS_PORT_NAMES}, 443: "https", 8443: "https"}
        out.certificates = _certificates(docs, r, edge.backends)
        return out

    def settle(self, ctl: ControllerRead, lb: dict[str, Any], r: Reading) -> dict[str, Any] | None:
        if not any(item["target"] == "https" for item in lb["listeners"]):
            ctl.certificates = []  # TLS does not reach the application: its certificates are not the edge's
            r.sources.pop("controller.certificates", None)
        return None


def _certificates(docs: list[Document], r: Reading, services: list[Document]) -> list[str]:
    """The names of the TLS certificates the application's pods mount (the TLS Secrets among the inputs that the
    workloads the load balancer's Services select name as volumes), in the order of their volumes: what the
    application serves where TLS reaches it. A mounted Secret that is not among the inputs, or holds no
    certificate, is none of them."""
    found = secrets(docs)
    names: list[str] = []
    for service in services:
        for workload in selected(docs, service):
            base = pod_spec(workload)
            for i, volume in enumerate(workload.get(*base, "volumes", default=None) or [] if base else []):
                name = (volume.get("secret") or {}).get("secretName") if isinstance(volume, dict) else None
                secret = found.get((workload.namespace, str(name))) if name else None
                if secret is None or not (secret.data.get("type") == TLS_SECRET or "tls.crt" in (
                        secret.data.get("data") or secret.data.get("stringData") or {})):
                    continue
                covered = certificate_name(secret)
                if covered and covered not in names:
                    names.append(covered)
                    r.use(secret)
                    r.cite("controller.certificates", secret, "data", "tls.crt")
                    r.cite("controller.certificates", workload, *base, "volumes", i, "secret", "secretName")
    return names


def importer() -> NoneImporter:
    """The importer the controller's package hands out (Controller.importer)."""
    return NoneImporter()
