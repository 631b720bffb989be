"""Import from a cluster, read-only: list the kinds import reads with the official Kubernetes client, write them to
a manifests file next to the topology file (so every field can cite a line, and the reader can review what was
read), and import that file. Nothing is created, changed or deleted in the cluster.

Secrets are never read from a cluster: they hold private keys. Certificate names then come from the hosts each
Secret is given for (a warning says so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .. import controllers
from ..kube.kubeconfig import KubeconfigError, client
from .documents import Document, ImportFailed, load_text

# (apiVersion, kind): what the load balancer's readers understand; each controller's importer adds its own
# (Importer.cluster_kinds). Custom resources whose CRD the cluster lacks are skipped.
LOAD_BALANCER_KINDS = (
    ("v1", "Service"),
    ("networking.k8s.io/v1", "Ingress"), ("networking.k8s.io/v1", "IngressClass"),
    ("elbv2.k8s.aws/v1beta1", "IngressClassParams"),
    ("gateway.networking.k8s.io/v1", "GatewayClass"), ("gateway.networking.k8s.io/v1", "Gateway"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
)
# Kinds applications have too: an object of these is kept only where a controller's importer claims it
SHARED_KINDS = ("ConfigMap", "Deployment", "DaemonSet")
# What the API server adds that no manifest carries
SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                 "ownerReferences")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
TIMEOUT = 15  # seconds per request: an unreachable API server is an error, not a wait


def kinds() -> list[tuple[str, str]]:
    """What import lists from a cluster: the load balancer's kinds, then each registered importer's."""
    found = list(LOAD_BALANCER_KINDS)
    for importer in controllers.importers().values():
        found += [kind for kind in importer.cluster_kinds if kind not in found]
    return found


def read(kubeconfig: str, manifests: Path, *, context: str | None = None,
         namespace: str | None = None) -> list[Document]:
    """The cluster's objects of ``kinds()`` (in ``namespace``, or every namespace), written to ``manifests`` and read
    back as documents."""
    objects = list_objects(kubeconfig, context=context, namespace=namespace)
    return to_documents(objects, manifests, source=_where(kubeconfig, context, namespace))


def list_objects(kubeconfig: str, *, context: str | None = None, namespace: str | None = None) -> list[Any]:
    try:
        from kubernetes.config.config_exception import ConfigException
        from kubernetes.dynamic import DynamicClient
        from kubernetes.dynamic.exceptions import ResourceNotFoundError
    except ImportError:
        raise ImportFailed("reading a cluster needs the Kubernetes client: pip install 'edgeconform[eks]'") from None
    where = _where(kubeconfig, context, namespace)
    if not Path(kubeconfig).expanduser().exists() and not Path(kubeconfig).expanduser().is_symlink():
        raise ImportFailed(f"no such kubeconfig file ({where})", file=kubeconfig)
    try:  # read as untrusted input first: the client's own reader has no limits
        api = client(kubeconfig, context)
    except KubeconfigError as exc:  # every problem on its own line
        raise ImportFailed.several([ImportFailed(line) for line in str(exc).splitlines()]) from None
    except (ConfigException, ValueError, OSError) as exc:
        raise ImportFailed(f"cannot use the kubeconfig ({where}): {exc}", file=kubeconfig) from None
    api.configuration.retries = 0  # one attempt: an unreachable server is reported at once
    try:
        dynamic = DynamicClient(api)
    except Exception as exc:  # urllib3's connection errors, the API's 401/403: the cluster cannot be read
        raise ImportFailed(f"cannot reach the cluster ({where}): {_reason(exc)}", file=kubeconfig) from None
    out: list[Any] = []
    try:
        for api_version, kind in kinds():
            try:
                resource = dynamic.resources.get(api_version=api_version, kind=kind)
            except ResourceNotFoundError:
                continue  # that CRD is not installed: nothing of the kind to read
            listed = resource.get(namespace=namespace, _request_timeout=TIMEOUT) if resource.namespaced and namespace \
                else resource.get(_request_timeout=TIMEOUT)
            for item in listed.to_dict().get("items") or []:
                out.append({"apiVersion": api_version, "kind": kind, **item})
    except ImportFailed:
        raise
    except Exception as exc:
        raise ImportFailed(f"cannot read the cluster ({where}): {_reason(exc)}", file=kubeconfig) from None
    finally:
        api.close()
    return out


def to_documents(objects: list[Any], manifests: Path, *, source: str = "") -> list[Document]:
    """Objects as the API returns them (dicts, or the client's typed models) -> the manifests file and its
    documents: server-side fields dropped, ConfigMaps and Deployments that no controller's importer claims left
    out (an application's data is none of import's business)."""
    cleaned = [clean(_plain(obj)) for obj in objects]
    cleaned = [obj for obj in cleaned if obj.get("kind") != "Secret"]
    docs = [Document(manifests, obj) for obj in cleaned]
    importers = list(controllers.importers().values())
    cleaned = [doc.data for doc in docs if doc.kind not in SHARED_KINDS
               or any(importer.keeps(doc, docs) for importer in importers)]
    header = f"# Read from {source} by `edgeconform import` (read-only); Secrets are not read.\n" if source else ""
    text = header + yaml.safe_dump_all(cleaned, sort_keys=False, width=120)
    manifests.parent.mkdir(parents=True, exist_ok=True)
    manifests.write_text(text)
    return load_text(manifests, text)


def clean(obj: dict[str, Any]) -> dict[str, Any]:
    obj = {key: value for key, value in obj.items() if key != "status" and value is not None}
    meta = {key: value for key, value in (obj.get("metadata") or {}).items()
            if key not in SERVER_FIELDS and value is not None}
    if meta.get("annotations"):
        meta["annotations"] = {k: v for k, v in meta["annotations"].items() if k != LAST_APPLIED}
        if not meta["annotations"]:
            del meta["annotations"]
    obj["metadata"] = meta
    return _drop_none(obj)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _plain(obj: Any) -> dict[str, Any]:
    """A typed model of the client (V1Service, ...) as the API's JSON; a dict as it is."""
    if isinstance(obj, dict):
        return obj
    from kubernetes.client import ApiClient

    return ApiClient().sanitize_for_serialization(obj)


def _where(kubeconfig: str, context: str | None, namespace: str | None) -> str:
    parts = [f"kubeconfig {kubeconfig}"]
    if context:
        parts.append(f"context {context}")
    parts.append(f"namespace {namespace}" if namespace else "all namespaces")
    return ", ".join(parts)


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "reason", None) or exc).splitlines()[0]
    return text[:300]
