"""``none``: the load balancer straight to the application. What import finds when the load balancer's targets are
no controller's pods: an ALB Ingress, an LBC Gateway or an NLB/Classic ELB Service whose backend is an application
Service (or one not among the inputs), with no controller's configuration among the inputs.

It is the importer asked last (``fallback``): any Service no other importer claims is the application's. The block
it writes names the controller only (and the application's certificates where TLS reaches it): ``none`` fixes the
trust model (it serves what arrives, reads no PROXY header, trusts no X-Forwarded-* hop); what the application does
with them is its own business, so the expectations state what arrives.
"""

from __future__ import annotations

from typing import Any

from ...importing.common import ControllerRead, EdgeInputs, Importer
from ...importing.documents import Document
from ...importing.reading import Reading

NAME = "none"
# An application's port names that say it speaks TLS itself (an NLB TCP listener passing TLS through to it)
TLS_PORT_NAMES = {"https", "tls"}


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
        return out


def importer() -> NoneImporter:
    """The importer the controller's package hands out (Controller.importer)."""
    return NoneImporter()
