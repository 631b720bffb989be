"""HAProxy ingress controller: the marks import knows it by, each from its documentation
(edgeconform.importing.recognised).
"""

from __future__ import annotations

from ...importing.recognised import Marks, Recognised


class HAProxyIngressImporter(Recognised):
    kind = "haproxy"
    cluster_kinds = (("apps/v1", "Deployment"),
                     ("apps/v1", "DaemonSet"),
                     ("networking.k8s.io/v1", "IngressClass"))
    marks = Marks(
        images=("haproxytech/kubernetes-ingress", "jcmoraisjr/haproxy-ingress"),
        labels=(("app.kubernetes.io/name", "kubernetes-ingress"), ("app.kubernetes.io/name", "haproxy-ingress")),
        ingress_controllers=("haproxy.org/ingress-controller", "haproxy-ingress.github.io/controller"),  # [HAPROXY-IC]
        groups=("ingress.v1.haproxy.org", "ingress.v3.haproxy.org", "core.haproxy.org"),
        annotations=("haproxy.org/", "haproxy-ingress.github.io/"),
        sources=("HAPROXY-IC", "HAPROXY-INGRESS"),
    )
