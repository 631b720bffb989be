"""The application on the local target: the echo backend itself at the controller's place (its address and
ports), one plain listener per cleartext port and one that ends TLS itself where the load balancer passes TLS
through, with the topology's controller certificates as the application's own. No controller process."""

from __future__ import annotations

import os
import sys

from ...supervisor import Process, all_of, tcp_open
from ...topology import Topology
from ..base import LocalController, LocalPlace


def application(t: Topology, place: LocalPlace) -> LocalController:
    argv = [sys.executable, "-m", "edgeconform.echo", "--tls-min-version", t.controller.tls_min_version]
    for kind in t.controller_kinds:  # "redirect" too: an application has no port that only redirects (limits.py)
        argv += ["--listen-tls" if kind == "https" else "--listen", f"{place.ip}:{place.ports[kind]}"]
    if "https" in t.controller_kinds:
        argv += [f"--cert={name}={place.certificates[name].combined_pem}" for name in t.controller.certificates]
    ready = all_of(*(tcp_open(place.ip, place.ports[kind]) for kind in t.controller_kinds))
    process = Process("application (echo)", argv, ready, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    return LocalController([process], is_backend=True)
