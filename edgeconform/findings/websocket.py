"""WebSocket: listeners that break the Upgrade."""

from __future__ import annotations

from ..topology import Topology
from .base import Said, rule


@rule("CLB_HTTP_WEBSOCKET", explains=("websocket",))
def upgrade_on_http_listeners(t: Topology) -> Said | None:
    model = t.lb_model
    if model.breaks_upgrade and t.layer == "l7":
        return (f"{model.title} HTTP/HTTPS listeners break the WebSocket Upgrade; use TCP/SSL listeners (and PROXY "
                f"{model.proxy_protocol} for the client address) for WebSocket traffic",
                ("#3746", "istio#11579", "EMS-AWS"))
    return None


RULES = (upgrade_on_http_listeners,)
