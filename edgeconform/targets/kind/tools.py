"""Finding what the kind target needs on this machine, for either source of its images:

- ``registry``: a container engine of this machine (Docker or Podman), kind and helm on the PATH; images are pulled.
  Each check runs the tool itself (`docker info`, not just `which docker`): a Docker CLI without an engine is the
  common case on CI workers and laptops alike.
- ``local``: every image built here (`./dev kind-images`); podman runs in namespaces of its own with no route off
  the machine (engine.py), and kind, helm and kubectl are the ones tools/build builds.

``auto`` (the default; EDGECONFORM_KIND_IMAGES or --kind-images choose) is ``local`` once the images are built.
A missing piece is a TargetUnavailable whose message says what to install, build or start.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from ...kube.manifests import versions
from .. import TargetUnavailable

KIND_INSTALL = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
HELM_INSTALL = "https://helm.sh/docs/intro/install/"


IMAGE_SOURCES = ("auto", "registry", "local")
# What keeps the other controllers to clusters with a registry: their images are not built from Go modules
REGISTRY_ONLY = {
    "emissary": "Emissary-ingress's image bundles its Python control plane (diagd), Envoy and Go binaries from its own "
                "build system, not from a Go module the module proxy serves",
    "ingress-nginx": "ingress-nginx's controller image carries its own OpenResty/nginx build with Lua modules (its "
                     "images/nginx build), which no Go module or PyPI wheel provides",
}


@dataclass
class Toolbox:
    engine: str  # "docker" or "podman"
    kind: str
    helm: str | None
    images: str = "registry"  # "registry" (pulled) or "local" (built here, podman in its own namespaces)
    kubectl: str | None = None
    ns: Any = None  # the engine (edgeconform.targets.kind.engine.Engine) once it runs, with local images

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` with "kind"/"helm"/"kubectl" replaced by the binaries found (EDGECONFORM_KIND / EDGECONFORM_HELM;
        local images: the tools folder's), run inside the engine's namespaces when there is one."""
        found = {"kind": self.kind, "helm": self.helm, "kubectl": self.kubectl}
        argv = [found.get(argv[0]) or argv[0], *argv[1:]]
        return self.ns.command(argv) if self.ns is not None else argv

    @property
    def env(self) -> dict[str, str]:
        """Environment for kind: Podman needs KIND_EXPERIMENTAL_PROVIDER."""
        if self.ns is not None:
            return self.ns.env()
        env = dict(os.environ)
        if self.engine == "podman":
            env["KIND_EXPERIMENTAL_PROVIDER"] = "podman"
        return env


def _answers(argv: list[str]) -> tuple[bool, str]:
    try:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    detail = (run.stderr or run.stdout).strip().splitlines()
    return run.returncode == 0, (detail[-1] if detail else f"exit code {run.returncode}")


def engine() -> str:
    """"docker" or "podman", whichever answers `info`; EDGECONFORM_CONTAINER_ENGINE forces one."""
    forced = os.environ.get("EDGECONFORM_CONTAINER_ENGINE")
    candidates = [forced] if forced else ["docker", "podman"]
    seen = []
    for name in candidates:
        if not shutil.which(name):
            seen.append(f"{name}: not installed")
            continue
        ok, detail = _answers([name, "info"])
        if ok:
            return name
        seen.append(f"`{name} info` failed: {detail}")
    raise TargetUnavailable(
        "the kind target needs a running container engine, and none answers ("
        + "; ".join(seen) + "). Start the Docker engine (or install Podman, or set "
        "EDGECONFORM_CONTAINER_ENGINE=podman), then run again")


def image_source(choice: str | None = None, controller: str | None = None) -> str:
    """"registry" or "local": the choice (--kind-images, EDGECONFORM_KIND_IMAGES), ``auto`` resolved: local when the
    images are built and the controller runs on them."""
    from .images import built

    choice = choice or os.environ.get("EDGECONFORM_KIND_IMAGES") or "auto"
    if choice not in IMAGE_SOURCES:
        raise TargetUnavailable(f"EDGECONFORM_KIND_IMAGES / --kind-images is {choice!r}: one of "
                                f"{', '.join(IMAGE_SOURCES)}")
    if choice == "auto":
        return "local" if "node" in built() and controller not in REGISTRY_ONLY else "registry"
    return choice


def detect(need_helm: bool, controller: str = "Emissary-ingress", images: str | None = None,
           name: str | None = "emissary") -> Toolbox:
    missing = [dist for module, dist in (("kubernetes", "kubernetes"), ("testcontainers", "testcontainers"))
               if importlib.util.find_spec(module) is None]
    if missing:
        raise TargetUnavailable(f"the kind target needs the Python packages {', '.join(missing)}: "
                                "pip install 'edgeconform[kind]'")
    if image_source(images, name) == "local":
        return detect_local(name)
    kind = shutil.which(os.environ.get("EDGECONFORM_KIND", "kind"))
    if kind is None:
        raise TargetUnavailable(f"the kind target needs the kind CLI ({versions()['kind']}), which is not on PATH: "
                                f"install it ({KIND_INSTALL}) or point EDGECONFORM_KIND at it")
    helm = shutil.which(os.environ.get("EDGECONFORM_HELM", "helm"))
    if need_helm and helm is None:
        raise TargetUnavailable(f"{controller} installs with Helm (3.8+, for OCI charts), which is not on PATH: "
                                f"install it ({HELM_INSTALL}), or run with --controller ingress-nginx")
    return Toolbox(engine(), kind, helm)


def detect_local(controller: str | None) -> Toolbox:
    """The images built here: podman in its own namespaces, kind/helm/kubectl from the tools folder."""
    from .engine import requirements
    from .images import built, stale_names, tools_bin

    if controller in REGISTRY_ONLY:
        raise TargetUnavailable(f"{controller} runs on kind only where a registry is reachable: {REGISTRY_ONLY[controller]} "
                                "(--kind-images registry with Docker, or --controller envoy-gateway / traefik)")
    requirements()
    found = {}
    for tool in ("kind", "helm", "kubectl"):
        path = tools_bin() / tool
        if not os.access(path, os.X_OK):
            raise TargetUnavailable(f"kind with local images runs {path}, which is not built: tools/build kind")
        found[tool] = str(path)
    stale = stale_names()
    if stale:
        raise TargetUnavailable(f"the kind images are out of date ({', '.join(stale)}): run ./dev kind-images")
    if "node" not in built():
        raise TargetUnavailable("the kind images are not built: run ./dev kind-images")
    return Toolbox("podman", found["kind"], found["helm"], images="local", kubectl=found["kubectl"])
