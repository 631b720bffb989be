"""Security: what a hostile client must *not* achieve through an edge, one check per module, in matrix order.

- forged-client:  forged X-Forwarded-For, X-Real-IP and Forwarded never become the client address.
- forged-proto:   a forged X-Forwarded-Proto: https over cleartext does not bypass the cleartext redirect.
- proxy-required: a PROXY-expecting listener refuses a connection without a PROXY header.
- proxy-local:    a PROXY v2 LOCAL header (NLB health checks) is accepted without inventing a client.
- proxy-forged:   a client's own PROXY header, behind a load balancer that prepends one, never wins.
- mtls-headers:   at an ALB with mutual TLS, client-sent X-Amzn-Mtls-Clientcert* copies never reach the backend.
- tls-versions:   where TLS terminates, TLS 1.0/1.1 are refused and TLS 1.2/1.3 accepted.
- default-cert:   an unknown SNI name, and no SNI at all, get the documented default certificate.
- host-sni:       an HTTPS request whose Host differs from its SNI name: 421 or routed by Host, as documented.
- redirect-loop:  an HTTPS request is served, not redirected; cleartext redirects end (hop limit).
- hostile-input:  malformed PROXY headers, oversized headers and half-open connections end within bounded
                  time, and the edge keeps serving.

Each check is a variant of the ``security`` behaviour (the suite's ``check`` parameter), with the same shape as
every other cell: a rule (works / limited / n/a, with sources), a probe that also sends a control request (an
edge that is simply broken cannot pass by refusing everything), and a comparison.
"""

from __future__ import annotations

from ..base import Behaviour
from . import (default_cert, forged_client, forged_proto, host_sni, hostile_input, mtls_headers, proxy_forged,
               proxy_local, proxy_required, redirect_loop, tls_versions)

_MODULES = (forged_client, forged_proto, proxy_required, proxy_local, proxy_forged, mtls_headers, tls_versions,
            default_cert, host_sni, redirect_loop, hostile_input)

BEHAVIOUR = Behaviour(
    name="security",
    description="behaviour: forged headers, PROXY abuse, TLS policy, redirect loops",
    cells={module.NAME: module.CHECK for module in _MODULES},
    variant_param="check",
    requirable=False,  # every check is a requirement already: a security limitation is documented, not chosen
)
CHECKS = BEHAVIOUR.variants
