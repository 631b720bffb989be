"""The ALB's stand-in: Envoy on its HTTP/HTTPS listeners (edgeconform.load_balancers.l7) with what only the ALB does:

- mutual TLS on HTTPS listeners [ALB-MTLS]: ``verify`` checks the client's certificate against the trust store,
  ``passthrough`` takes any; either way the certificate's details reach the targets in the X-Amzn-Mtls-Clientcert*
  headers [ALB-HDR], and whatever a client sent in those headers itself is removed first;
- Host: with routing.http.preserve_host_header.enabled off (the default), the port a client put in Host is removed
  on listeners 80 and 443 [ALB-HOST].
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...render import render as render_template
from .. import l7
from ..standins import AddressBook, StandIn

if TYPE_CHECKING:
    from ... import certs
    from ...topology import Listener, Topology

# ALB mutual TLS [ALB-MTLS][ALB-HDR]: the headers it sends to targets. Values in Envoy's words: serial in hex,
# issuer and subject RFC 2253, validity "NotBefore=...;NotAfter=...", the leaf as URL-encoded PEM (the exact
# encoding AWS uses, and the full chain in passthrough mode, are UNVERIFIED: Envoy forwards the leaf).
MTLS_NAMES = ("x-amzn-mtls-clientcert", "x-amzn-mtls-clientcert-serial-number", "x-amzn-mtls-clientcert-issuer",
              "x-amzn-mtls-clientcert-subject", "x-amzn-mtls-clientcert-validity", "x-amzn-mtls-clientcert-leaf")
MTLS_HEADERS = {
    "passthrough": [("x-amzn-mtls-clientcert", "%DOWNSTREAM_PEER_CERT%")],
    "verify": [("x-amzn-mtls-clientcert-serial-number", "%DOWNSTREAM_PEER_SERIAL%"),
               ("x-amzn-mtls-clientcert-issuer", "%DOWNSTREAM_PEER_ISSUER%"),
               ("x-amzn-mtls-clientcert-subject", "%DOWNSTREAM_PEER_SUBJECT%"),
               ("x-amzn-mtls-clientcert-validity", "NotBefore=%DOWNSTREAM_PEER_CERT_V_START(%Y-%m-%dT%H:%M:%SZ)%;"
                                                   "NotAfter=%DOWNSTREAM_PEER_CERT_V_END(%Y-%m-%dT%H:%M:%SZ)%"),
               ("x-amzn-mtls-clientcert-leaf", "%DOWNSTREAM_PEER_CERT%")],
}


def render(t: Topology, book: AddressBook, workdir: Path, lb_certs: dict[str, certs.IssuedCert],
           transparent: bool) -> list[StandIn]:
    def own(item: Listener) -> dict[str, Any]:
        # mutual TLS where the target gives the ALB a trust store (the kind target has none: it does not build these)
        mtls = t.lb.mutual_tls if item.protocol == "HTTPS" and t.lb.mutual_tls != "off" and book.client_ca else None
        return {"mtls": mtls, "mtls_headers": MTLS_HEADERS[mtls] if mtls else [],
                "mtls_strip": list(MTLS_NAMES) if mtls else [],
                # routing.http.preserve_host_header.enabled false: the port leaves Host on listeners 80 and 443
                "strip_host_port": not t.lb.preserve_host_header and item.port in (80, 443)}

    context = l7.context(t, book, lb_certs, own)
    return [StandIn(f"{t.lb.model} stand-in (envoy)", "envoy", l7.CONFIG_NAME,
                    render_template(t.lb_model.standins[t.layer], **context))]


def listening(t: Topology, book: AddressBook) -> list[tuple[str, tuple[str, int]]]:
    return []  # no helpers: the stand-in alone
