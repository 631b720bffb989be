"""What the control plane seeds that needs no running component: the LBC's webhooks as its Helm chart registers them,
pointed at its own port inside the namespace."""

from __future__ import annotations

import base64

from edgeconform.rehearsal import seed


def test_webhooks_point_at_the_lbc_port_with_the_control_plane_ca():
    mutating, validating = seed.webhook_configurations(b"CA PEM", 9443)
    hooks = {hook["name"]: hook for config in (mutating, validating) for hook in config["webhooks"]}
    assert hooks["mservice.elbv2.k8s.aws"]["clientConfig"]["url"] == "https://127.0.0.1:9443/mutate-v1-service"
    assert hooks["vingress.elbv2.k8s.aws"]["rules"][0]["resources"] == ["ingresses"]
    assert {mutating["kind"], validating["kind"]} == {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}
    for hook in hooks.values():
        assert base64.b64decode(hook["clientConfig"]["caBundle"]) == b"CA PEM"
        assert hook["failurePolicy"] == "Fail" and hook["sideEffects"] == "None"


def test_pod_addresses_are_inside_the_node_subnet():
    import ipaddress

    subnet = ipaddress.ip_network("10.0.1.0/24")  # the first zone's private subnet, where the node is
    assert ipaddress.ip_address(seed.NODE_IP) in subnet
    assert all(ipaddress.ip_address(ip) in subnet for ip in seed.POD_IPS)
    assert seed.NODE_IP not in seed.POD_IPS
