"""ingress-nginx: its ConfigMap's keys as the topology's ``controller.settings`` (checked by the plug-in's
``Settings``), hostnames and certificates from its Ingresses, the default certificate from the Deployment's
``--default-ssl-certificate`` [NGX-CM][NGX-CFG]."""

from __future__ import annotations

from ..controllers import ingress_nginx
from .common import ControllerRead, name_for_secret, read_ingress_rules, secrets, validate
from .documents import Document
from .reading import Reading

KIND = "ingress-nginx"


def configmap_name(docs: list[Document]) -> tuple[str, str] | None:
    """The ConfigMap the Deployment's --configmap names (namespace, name), if a Deployment is given."""
    for doc in docs:
        for arg in _args(doc):
            if arg.startswith("--configmap="):
                ns, _, name = arg.split("=", 1)[1].replace("$(POD_NAMESPACE)", doc.namespace).rpartition("/")
                return ns or doc.namespace, name
    return None


def _args(doc: Document) -> list[str]:
    if doc.kind not in ("Deployment", "DaemonSet"):
        return []
    containers = doc.get("spec", "template", "spec", "containers", default=[]) or []
    return [str(arg) for c in containers if isinstance(c, dict) for arg in (c.get("args") or [])]


def configmaps(docs: list[Document]) -> list[Document]:
    named = configmap_name(docs)
    return [doc for doc in docs if doc.kind == "ConfigMap" and (
        (doc.namespace, doc.name) == named if named else doc.name.endswith("ingress-nginx-controller"))]


def detect(docs: list[Document]) -> bool:
    return bool(configmaps(docs))


def read(docs: list[Document], r: Reading, alb_ingresses: list[Document]) -> ControllerRead:
    out = ControllerRead(KIND, settings={})
    found = configmaps(docs)
    if len(found) > 1:
        raise found[1].fail(f"a second ingress-nginx ConfigMap (the first: {found[0].describe()} in "
                            f"{found[0].file}): import one controller's edge at a time")
    model = ingress_nginx.Settings
    aliases = {f.alias for f in model.model_fields.values()}
    if found:
        cm = found[0]
        r.use(cm)
        out.found = True
        data = cm.data.get("data") or {}
        settings = {}
        for key, value in data.items():
            if key in aliases:
                settings[key] = value
                r.cite(f"controller.settings.{key}", cm, "data", key, keys=("NGX-CM",))
            else:
                r.unknown(cm, key, value, "data", key)
        validate(cm, model, settings, ("data",))
        out.settings = settings
        controller_ns = cm.namespace
    else:
        r.warn("no ingress-nginx ConfigMap among the inputs: the controller's documented defaults are assumed "
               f"(release {ingress_nginx.SOURCE_TAG}) [NGX-CFG]")
        r.cite("controller.settings", keys=("NGX-CFG",))
        controller_ns = ingress_nginx.NAMESPACE
    # what the load balancer's Service may name as its target ports
    out.ports = {number: kind for kind, number in ingress_nginx.CONTAINER_PORTS.items()}

    ingresses = [doc for doc in docs if doc.kind == "Ingress" and doc not in alb_ingresses]
    r.use(*ingresses, *(doc for doc in docs if _args(doc)))
    default = _default_certificate(docs, r, controller_ns, ingresses)
    names: list[str] = []
    for ing in ingresses:
        read_ingress_rules(ing, out, r, "nginx.ingress.kubernetes.io/")  # per-Ingress overrides: not modelled
    if default:
        names.append(name_for_secret(docs, r, *default[0], "controller.certificates", []))
        r.cite("controller.certificates", default[1], *default[2])
    for ing in ingresses:
        for i, tls in enumerate(ing.spec.get("tls") or []):
            if not isinstance(tls, dict) or not tls.get("secretName"):
                continue
            hosts = [str(h) for h in tls.get("hosts") or []]
            name = name_for_secret(docs, r, ing.namespace, tls["secretName"], "controller.certificates", hosts)
            r.cite("controller.certificates", ing, "spec", "tls", i)
            if name not in names:
                names.append(name)
    out.certificates = names
    return out


def _default_certificate(docs, r, controller_ns, ingresses):
    """((namespace, name), document, path) of the default certificate's Secret: the Deployment's
    --default-ssl-certificate, else the one TLS Secret of the controller's namespace no Ingress names."""
    for doc in docs:
        for i, arg in enumerate(_args(doc)):
            if arg.startswith("--default-ssl-certificate="):
                ns, _, name = arg.split("=", 1)[1].replace("$(POD_NAMESPACE)", doc.namespace).rpartition("/")
                path = _arg_path(doc, arg)
                return (ns or doc.namespace, name), doc, path
    named = {(ing.namespace, tls.get("secretName")) for ing in ingresses for tls in ing.spec.get("tls") or []
             if isinstance(tls, dict)}
    loose = [key for key, doc in secrets(docs).items() if key[0] == controller_ns and key not in named
             and doc.data.get("type") == "kubernetes.io/tls"]
    if len(loose) == 1:
        doc = secrets(docs)[loose[0]]
        r.use(doc)
        return loose[0], doc, ("metadata", "name")
    return None


def _arg_path(doc: Document, arg: str) -> tuple:
    for c, container in enumerate(doc.get("spec", "template", "spec", "containers", default=[]) or []):
        for a, value in enumerate(container.get("args") or []):
            if value == arg:
                return ("spec", "template", "spec", "containers", c, "args", a)
    return ()
