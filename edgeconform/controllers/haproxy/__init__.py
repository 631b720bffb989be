"""``haproxy``: the HAProxy ingress controllers: HAProxy Technologies' Kubernetes Ingress Controller and HAProxy
Ingress (jcmoraisjr). Recognised by ``edgeconform import``, not run: no target builds it, so import refuses an edge
behind it in one line that names it and the load balancer found (docs/controllers/haproxy.md).
"""

from __future__ import annotations

from typing import ClassVar

from ..base import Controller, Upstream


class HAProxyIngress(Controller):
    name: ClassVar[str] = "haproxy"
    title: ClassVar[str] = "HAProxy ingress controller"
    runs_on: ClassVar[tuple[str, ...]] = ()
    upstream: ClassVar[Upstream] = Upstream("haproxytech", "kubernetes-ingress",
                                            "https://github.com/haproxytech/kubernetes-ingress",
                                            ("https://github.com/haproxytech/kubernetes-ingress/issues",))

    @classmethod
    def importer(cls):
        from .importer import HAProxyIngressImporter

        return HAProxyIngressImporter()
