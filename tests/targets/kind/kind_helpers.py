"""Shared pieces of the kind-target tests (and of the eks plan's): every topology translated for every controller
that runs in a cluster, and Emissary's CRD schemas."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from edgeconform import catalog, certs
from edgeconform.controllers import EdgeFacts, bind, for_place, get
from tests.cases import runs

REPO = Path(__file__).resolve().parents[3]
LB_IP = "172.18.0.9"
CRDS_FILE = "schemas/emissary-crds-v4.1.0.yaml"


def shared_dir() -> Path:
    return Path(os.environ.get("EDGECONFORM_SHARED") or REPO.parent / "shared")


def emissary_crds() -> Path:
    return shared_dir() / CRDS_FILE


def plans(tmp: Path):
    """(topology, controller name, ControllerPlan) for every catalog topology and cluster controller."""
    out = []
    for name, t in catalog.load().items():
        issued = certs.issue(tmp / name, "controller", t.controller.certificates)
        for controller in for_place("cluster"):
            if runs(t, controller):  # a topology that names its controller (none) runs with that one only
                out.append((t, controller, get(controller).translate(bind(t, controller), EdgeFacts((LB_IP,), issued))))
    return out


def crd_schemas(path: Path) -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> openAPIV3Schema from a file of CustomResourceDefinitions."""
    out = {}
    for doc in yaml.load_all(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: 10x
        if not doc or doc.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
        for version in doc["spec"]["versions"]:
            out[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return out
