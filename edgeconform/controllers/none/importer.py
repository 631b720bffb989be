"""``none``: the load balancer straight to the application. What import finds when the load balancer's targets are
no controller's pods: an ALB Ingress, an LBC Gateway or an NLB/Classic ELB Service whose backend is an application
Service (or one not among the inputs), with no controller's configuration among the inputs.

It is the importer asked last (``fallback``): any Service no other importer claims is the application's. The block
it writes says what import knows of an application: it serves what arrives (it does not redirect cleartext), it
reads no PROXY header, it trusts no X-Forwarded-* hop; what it does with them is its own business, so the
expectations state what arrives.
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
        out = ControllerRead(NAME, application=True, found=True)
        out.abstract = {"cleartext": "serve"}
        # an application port that is named for TLS, or is 443/8443, serves TLS itself (TLS passthrough)
        out.ports = {**{name: "https" for name in TLS_PORT_NAMES}, 443: "https", 8443: "https"}
        r.cite("controller.kind")
        return out
