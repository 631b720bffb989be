"""Finding what the kind target needs on this machine: a container engine (Docker or Podman), kind, helm.

Each check runs the tool itself (`docker info`, not just `which docker`): a Docker CLI without an engine is
the common case on CI workers and laptops alike. A missing piece is a TargetUnavailable whose message says
what to install or start.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass

from ...kube.manifests import versions
from .. import TargetUnavailable

KIND_INSTALL = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
HELM_INSTALL = "https://helm.sh/docs/intro/install/"


@dataclass(frozen=True)
class Toolbox:
    engine: str  # "docker" or "podman"
    kind: str
    helm: str | None

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` with "kind"/"helm" replaced by the binaries found (EDGECONFORM_KIND / EDGECONFORM_HELM)."""
        found = {"kind": self.kind, "helm": self.helm}
        return [found.get(argv[0]) or argv[0], *argv[1:]]

    @property
    def env(self) -> dict[str, str]:
        """Environment for kind: Podman needs KIND_EXPERIMENTAL_PROVIDER."""
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


def detect(need_helm: bool, controller: str = "Emissary-ingress") -> Toolbox:
    missing = [dist for module, dist in (("kubernetes", "kubernetes"), ("testcontainers", "testcontainers"))
               if importlib.util.find_spec(module) is None]
    if missing:
        raise TargetUnavailable(f"the kind target needs the Python packages {', '.join(missing)}: "
                                "pip install 'edgeconform[kind]'")
    kind = shutil.which(os.environ.get("EDGECONFORM_KIND", "kind"))
    if kind is None:
        raise TargetUnavailable(f"the kind target needs the kind CLI ({versions()['kind']}), which is not on PATH: "
                                f"install it ({KIND_INSTALL}) or point EDGECONFORM_KIND at it")
    helm = shutil.which(os.environ.get("EDGECONFORM_HELM", "helm"))
    if need_helm and helm is None:
        raise TargetUnavailable(f"{controller} installs with Helm (3.8+, for OCI charts), which is not on PATH: "
                                f"install it ({HELM_INSTALL}), or run with --controller ingress-nginx")
    return Toolbox(engine(), kind, helm)
