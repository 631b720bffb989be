"""Emissary-ingress's vocabulary: the abstract controller block is all it takes (it has no settings model of its
own); this table says what each field becomes in its resources (cluster.py writes them, importer.py reads them
back):

| abstract field             | Emissary                                                                     |
|----------------------------|------------------------------------------------------------------------------|
| proxy_protocol: true       | Listener protocolStack [PROXY, (TLS,) HTTP, TCP] — never HTTPSPROXY [#4153]  |
| trusted_hops: N            | Listener l7Depth: N (replaces Module xff_num_trusted_hops) [EMS-MOD]         |
| cleartext: redirect/serve  | Host requestPolicy.insecure.action Redirect/Route, Listener securityModel XFP |
| redirect-only port         | its own Listener, securityModel INSECURE, bound (hostBinding) to Hosts that  |
|                            | redirect, so TLS-at-the-LB traffic on the http port is served [NGX-AWS]      |
| certificates               | one Host (+ TLSContext) per name, tlsSecret from the test CA; the first name |
|                            | is the default: Host "*"                                                     |
| tls_min_version            | TLSContext min_tls_version                                                   |
| redirect_code              | not configurable: Envoy's https_redirect default, 301 (UNVERIFIED on a live  |
|                            | cluster); another code makes the redirect cells unsupported                  |
"""

from __future__ import annotations

REDIRECT_CODE = 301
TLS_VERSIONS = {"TLSv1.0": "v1.0", "TLSv1.1": "v1.1", "TLSv1.2": "v1.2", "TLSv1.3": "v1.3"}
