"""Named, overridable timeouts for everything that waits on a cluster.

Each has a default and an environment variable (seconds). A wait that runs out names its timeout and the
variable that raises it, so a slow machine is one export away from a green run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Timeout:
    name: str
    default: float
    env: str
    what: str

    @property
    def seconds(self) -> float:
        raw = os.environ.get(self.env)
        if not raw:
            return self.default
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{self.env}={raw!r} is not a number of seconds") from None

    def describe(self) -> str:
        return f"{self.name} timeout ({self.seconds:g} s; raise it with {self.env})"


CLUSTER_CREATE = Timeout("cluster-create", 300, "EDGECONFORM_KIND_CREATE_TIMEOUT", "kind create cluster")
CONTROLLER_INSTALL = Timeout("controller-install", 420, "EDGECONFORM_CONTROLLER_INSTALL_TIMEOUT",
                             "installing the ingress controller (helm / manifest)")
CONTROLLER_READY = Timeout("controller-ready", 300, "EDGECONFORM_CONTROLLER_READY_TIMEOUT",
                           "the controller's pods becoming ready")
WEBHOOK = Timeout("admission-webhook", 240, "EDGECONFORM_WEBHOOK_TIMEOUT",
                  "ingress-nginx's admission webhook accepting Ingresses")
ECHO_READY = Timeout("echo-ready", 240, "EDGECONFORM_ECHO_READY_TIMEOUT", "the echo backend's pod becoming ready")
STANDIN_READY = Timeout("stand-in-ready", 60, "EDGECONFORM_STANDIN_READY_TIMEOUT",
                        "the stand-in containers answering on their admin ports")
COMMAND = Timeout("command", 600, "EDGECONFORM_COMMAND_TIMEOUT", "one kind/helm command")
EDGE_SETTLE = Timeout("edge-settle", 60, "EDGECONFORM_EDGE_SETTLE_TIMEOUT",
                      "a request through a new kind edge reaching the echo backend (the controller configured)")

ALL = [CLUSTER_CREATE, CONTROLLER_INSTALL, CONTROLLER_READY, WEBHOOK, ECHO_READY, STANDIN_READY, COMMAND, EDGE_SETTLE]
