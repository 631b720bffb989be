"""CloudFront in front of an ALB: a second L7 hop, what it does to the request, and its viewer TLS policy.

- X-Forwarded-For: CloudFront adds the viewer's address (appends it to a viewer-sent header); the ALB then appends
  CloudFront's edge address, so the controller sees ``viewer, cloudfront`` and must trust two hops [CF-ORIGIN]
  [ALB-XFH].
- X-Forwarded-Proto: CloudFront removes the viewer's [CF-ORIGIN]; the ALB sets it to the protocol of the
  CloudFront -> ALB hop [ALB-XFH]. With an origin protocol of http-only, an HTTPS viewer's request reaches the
  controller as ``http``: a controller (or an ALB ssl-redirect) that redirects cleartext loops forever.
- The viewer protocol policy [CF-VIEWER]: allow-all, redirect-to-https (CloudFront answers cleartext with 301),
  https-only (403). The origin protocol policy [CF-DIST]: http-only, https-only, match-viewer.
- A distribution has one certificate (with its alternate names); its viewers' security policy is CloudFront's own:
  TLSv1.2_2021 (the recommended one: TLS 1.2 and 1.3) is emulated [CF-VIEWER].
- WebSockets pass [CF-ORIGIN] ("CloudFront removes the header [Upgrade], unless you've established a WebSocket
  connection"). The Host header is forwarded as the viewer sent it (the AllViewer origin request policy; without
  it CloudFront sends the origin's domain name).
"""

from __future__ import annotations

from ..policies import TlsPolicy

TITLE = "CloudFront"
SERVER = "CloudFront"  # the Server header of the responses CloudFront generates itself
VIEWER_POLICY = TlsPolicy("TLSv1.2_2021", "TLSv1.2", "TLSv1.3")
SOURCES = {
    "xff": ("CF-ORIGIN", "ALB-XFH"),
    "proto": ("CF-ORIGIN", "ALB-XFH"),
    "viewer": ("CF-VIEWER",),
    "origin": ("CF-DIST",),
    "certificate": ("CF-DIST",),
    "websocket": ("CF-ORIGIN", "ALB-L"),
}
ORIGIN_DOMAIN = "alb-origin.edgeconform.test"  # the name CloudFront connects to (SNI) for an https origin

# Why the cluster targets do not build it: CloudFront is not something the harness creates or emulates there.
NOT_ON_KIND = ("the kind target runs no CloudFront stand-in: CloudFront-fronted topologies run on the local target "
               "(or against a real distribution with --target eks --edge-url NAME=https://....cloudfront.net)")
NOT_DEPLOYED_ON_EKS = ("CloudFront distributions are created outside Kubernetes and this harness does not create "
                       "them: point --edge-url {name}=https://<distribution>.cloudfront.net at a distribution in "
                       "front of the ALB (`edgeconform plan` shows the ALB side)")
