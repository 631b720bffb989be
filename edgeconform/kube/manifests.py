"""Manifests as data: the YAML templates under clusters/manifests/, rendered to plain dicts.

Every object the harness creates carries LABELS, so a cluster can be cleaned by label. Certificates come from
the harness's test CA (edgeconform.certs) and become kubernetes.io/tls Secrets.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from .. import assets, certs, headers

NAMESPACE = "edgeconform"  # where the echo backend, Ingresses, Hosts and Mappings live
ECHO_SERVICE = "edgeconform-echo"
ECHO_PORT = 9000
MANAGED_BY = {"app.kubernetes.io/managed-by": "edgeconform"}
TOPOLOGY_LABEL = "edgeconform.dev/topology"


@cache
def versions() -> dict[str, Any]:
    """clusters/kind/versions.yaml: the pinned versions of everything a cluster target installs."""
    return yaml.safe_load(assets.path("clusters/kind/versions.yaml").read_text())


def labels(topology: str | None = None) -> dict[str, str]:
    out = dict(MANAGED_BY)
    if topology:
        out[TOPOLOGY_LABEL] = topology
    return out


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(assets.path("clusters/manifests"))),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


def render(template: str, **context: Any) -> list[dict[str, Any]]:
    """Render ``clusters/manifests/<template>`` into its objects (dicts), in order."""
    text = _environment().get_template(template).render(**context)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where PyYAML has it: ten times faster
    return [doc for doc in yaml.load_all(text, Loader=loader) if doc]


def echo_source() -> str:
    """The echo backend's source: the very module the local target runs."""
    return Path(__import__("edgeconform.echo", fromlist=["echo"]).__file__).read_text()


def websockets_version() -> str:
    """The websockets release the echo backend installs in a cluster: the one it runs with here."""
    return importlib.metadata.version("websockets")


def pip_index_url() -> str:
    """Clusters without PyPI: a mirror for the init container's pip (EDGECONFORM_PIP_INDEX_URL)."""
    return os.environ.get("EDGECONFORM_PIP_INDEX_URL", "")


def echo(python_image: str, websockets: str | None = None, client_header: str = headers.CLIENT,
         install_websockets: bool = True) -> list[dict[str, Any]]:
    """Namespace, ConfigMap (echo.py), Deployment and Service of the echo backend; it reports as the client the
    ``client_header`` the controller states it in (edgeconform.controllers.base.Controller.client_header).
    ``install_websockets`` false: the image carries websockets already (the one ./dev kind-images builds)."""
    source = echo_source()
    return render("echo.yaml.j2", namespace=NAMESPACE, labels=labels(), echo_source=source,
                  echo_sha256=hashlib.sha256(source.encode()).hexdigest(), python_image=python_image,
                  websockets=websockets or websockets_version(), port=ECHO_PORT,
                  client_header=client_header, install_websockets=install_websockets, pip_index_url=pip_index_url())


def edge_service(namespace: str, selector: dict[str, str], external_traffic_policy: str,
                 ports: list[dict[str, Any]], topology: str) -> list[dict[str, Any]]:
    return render("edge-service.yaml.j2", namespace=namespace, selector=selector, ports=ports,
                  external_traffic_policy=external_traffic_policy, labels=labels(topology))


def secret_name(cert_name: str) -> str:
    """A DNS-1123 name for the Secret holding one certificate ("*.x.test" -> "edgeconform-tls-wildcard-x-test")."""
    slug = re.sub(r"[^a-z0-9]+", "-", cert_name.lower().replace("*", "wildcard")).strip("-")
    return f"edgeconform-tls-{slug}"[:63].rstrip("-")


def tls_secret(name: str, namespace: str, cert: certs.IssuedCert, topology: str) -> dict[str, Any]:
    def b64(path: Path) -> str:
        return base64.b64encode(path.read_bytes()).decode()
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": namespace, "labels": labels(topology)},
            "data": {"tls.crt": b64(cert.chain_pem), "tls.key": b64(cert.key_pem)}}


class _Readable(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter where PyYAML has it
    """Multi-line strings (the echo source, nginx snippets) as literal blocks, as a person would write them."""


_Readable.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def dump(objects: list[dict[str, Any]]) -> str:
    """YAML of the objects, as `edgeconform kind render` prints them (Secrets' data elided)."""
    shown = []
    for obj in objects:
        if obj.get("kind") == "Secret":
            obj = {**obj, "data": {key: "<elided>" for key in obj.get("data", {})}}
        shown.append(obj)
    return yaml.dump_all(shown, Dumper=_Readable, sort_keys=False)
