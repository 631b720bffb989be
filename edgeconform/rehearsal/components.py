"""Where the rehearsal control plane's programs come from, and the one error a missing or unusable one raises.

- kube-apiserver and the AWS Load Balancer Controller: built by ``./dev tools`` (tools/build) from their pinned Go
  modules (tools/kubernetes, tools/aws-load-balancer-controller) into the tools folder, with the CRDs the control
  plane installs beside them (``aws-load-balancer-controller.crds/``); EDGECONFORM_KUBE_APISERVER and
  EDGECONFORM_AWS_LOAD_BALANCER_CONTROLLER name other builds.
- etcd: Debian's ``etcd-server`` package (``apt-get install etcd-server``), or EDGECONFORM_ETCD.
- moto: the ``rehearsal`` extra (``pip install -e '.[rehearsal]'``), run through edgeconform's adapter.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import binaries

LBC_VERSION = "v3.6.2"  # tools/aws-load-balancer-controller/go.mod
KUBERNETES_VERSION = "v1.36.3"  # tools/kubernetes/go.mod


class RehearsalError(Exception):
    """The rehearsal cannot run or went wrong outside the edge under test (a component that cannot start, bad
    input); the message names the cause and the fix. Never reported as a broken edge."""


@dataclass(frozen=True)
class Components:
    etcd: str
    kube_apiserver: str
    lbc: str
    crds: Path


def _tool(name: str) -> str:
    try:
        return binaries.find(name)
    except binaries.MissingBinary as exc:
        raise RehearsalError(str(exc)) from None


def find() -> Components:
    """Every program of the control plane, or a RehearsalError naming the first one missing and how to get it."""
    etcd = os.environ.get("EDGECONFORM_ETCD") or shutil.which("etcd")
    if not etcd or not os.access(etcd, os.X_OK):
        raise RehearsalError("etcd is not installed: `apt-get install etcd-server` (Debian's package), or point "
                             "EDGECONFORM_ETCD at an etcd binary")
    apiserver = _tool("kube-apiserver")
    lbc = _tool("aws-load-balancer-controller")
    crds = Path(lbc).with_name("aws-load-balancer-controller.crds")
    if not any(crds.glob("*.yaml")):
        raise RehearsalError(f"the CRDs the control plane installs are missing ({crds}): run `./dev tools "
                             "aws-load-balancer-controller`, which copies them beside the binary")
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("boto3") is None:
        raise RehearsalError("moto is not installed: pip install -e '.[rehearsal]' (moto[server], pinned)")
    if importlib.util.find_spec("kubernetes") is None:
        raise RehearsalError("the kubernetes client is not installed: pip install -e '.[rehearsal]'")
    return Components(etcd, apiserver, lbc, crds)
