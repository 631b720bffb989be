"""Security on a real cluster: nobody reaches the ingress controller around the load balancer.

The controller's NodePorts, reached directly, let a client forge what the load balancer would vouch for: its
own PROXY header behind a PROXY-protocol edge, its own X-Forwarded-For behind an L7 edge. The eks target tries
every NodePort of every Service in front of the controller, on every node address the runner can reach.
Only the eks target has node ports to try (deselected on the others: marker target_only("eks")).
"""

import pytest

pytestmark = [pytest.mark.security, pytest.mark.target_only("eks")]


def test_the_controller_cannot_be_reached_around_the_load_balancer(edge, edge_target):
    report = edge_target.node_port_bypass(edge)
    if report.reachable:
        pytest.fail(report.describe(), pytrace=False)
