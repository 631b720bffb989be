"""edgeconform: an end-to-end conformance harness for the ingress edge of Kubernetes clusters on AWS.

The public API is ``__all__`` below: what suite authors and other projects may import from ``edgeconform``. The
extension points (a behaviour, a load-balancer model, a controller, a target) are described in
docs/extending.md; everything else is internal and may change between versions.

Names load on first use, so ``import edgeconform`` (which pytest does at every start) stays light.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("edgeconform")
except PackageNotFoundError:  # running from a checkout without an install
    __version__ = "0.0.0+checkout"

# public name -> (module, attribute)
_PUBLIC = {
    # topologies and the catalog
    "Topology": ("edgeconform.topology", "Topology"),
    "TopologyError": ("edgeconform.catalog", "TopologyError"),
    "load_topologies": ("edgeconform.catalog", "load"),
    # behaviours and expectations
    "Behaviour": ("edgeconform.behaviours.base", "Behaviour"),
    "Cell": ("edgeconform.behaviours.base", "Cell"),
    "Expectation": ("edgeconform.behaviours.base", "Expectation"),
    "behaviour": ("edgeconform.behaviours", "get"),
    "expectation": ("edgeconform.behaviours", "expectation"),
    "variants": ("edgeconform._api", "variants"),
    # load balancers, controllers, targets, edges
    "LoadBalancerModel": ("edgeconform.load_balancers.base", "LoadBalancerModel"),
    "load_balancer_model": ("edgeconform.load_balancers", "get"),
    "Controller": ("edgeconform.controllers.base", "Controller"),
    "controller": ("edgeconform.controllers", "get"),
    "Target": ("edgeconform.targets.base", "Target"),
    "TargetSpec": ("edgeconform.targets.base", "TargetSpec"),
    "Option": ("edgeconform.targets.base", "Option"),
    "Edge": ("edgeconform.edge", "Edge"),
    "Endpoint": ("edgeconform.edge", "Endpoint"),
    "ControllerInfo": ("edgeconform.edge", "ControllerInfo"),
    "Transport": ("edgeconform.edge", "Transport"),
    "Lifecycle": ("edgeconform.edge", "Lifecycle"),
    "Command": ("edgeconform.cli.command", "Command"),
    # probes a suite needs (each bounded by its own deadline)
    "http_get": ("edgeconform.probing.http", "http_get"),
    "follow_redirects": ("edgeconform.probing.http", "follow_redirects"),
    "tls_handshake": ("edgeconform.probing.tls", "tls_handshake"),
    "websocket_exchange": ("edgeconform.probing.websocket", "websocket"),
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'edgeconform' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from ._api import variants
    from .behaviours import expectation
    from .behaviours import get as behaviour
    from .behaviours.base import Behaviour, Cell, Expectation
    from .catalog import TopologyError
    from .catalog import load as load_topologies
    from .controllers import get as controller
    from .controllers.base import Controller
    from .cli.command import Command
    from .edge import ControllerInfo, Edge, Endpoint, Lifecycle, Transport
    from .load_balancers import get as load_balancer_model
    from .load_balancers.base import LoadBalancerModel
    from .probing.http import follow_redirects, http_get
    from .probing.tls import tls_handshake
    from .probing.websocket import websocket as websocket_exchange
    from .targets.base import Option, Target, TargetSpec
    from .topology import Topology
