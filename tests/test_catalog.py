"""The topology catalog and topology files: loading, traceability, and errors that name file, entry, field."""

import pytest

from edgeconform import catalog, sources
from edgeconform.catalog import TopologyError

REQUIRED = ["nlb-instance-local", "nlb-instance-cluster", "nlb-ip", "nlb-proxy-v2", "nlb-tls", "clb-tcp",
            "clb-tcp-proxy-v1", "clb-http", "alb",
            # the load balancer straight to the application (controller none; issue 19)
            "alb-app", "alb-http-app", "nlb-tls-app", "nlb-app", "nlb-app-preserved", "nlb-app-proxy-v2"]


def test_catalog_has_the_required_topologies(topologies):
    assert set(REQUIRED) <= set(topologies)


def _explicit_fields(model, prefix=""):
    """Dotted paths of the fields an entry sets (not defaults)."""
    for name in model.model_fields_set:
        value = getattr(model, name)
        if hasattr(value, "model_fields_set"):
            yield from _explicit_fields(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


@pytest.mark.parametrize("name", REQUIRED)
def test_every_aws_and_kubernetes_field_cites_a_known_source(topologies, name):
    t = topologies[name]
    stated = {f for f in _explicit_fields(t) if f.startswith(("load_balancer.", "kubernetes."))}
    # a sub-field (load_balancer.health_check.path) may cite under its parent (load_balancer.health_check)
    missing = sorted(f for f in stated if not t.sources.get(f) and not t.sources.get(f.rsplit(".", 1)[0]))
    assert not missing, f"{name}: fields without a source key: {missing}"
    for field, keys in t.sources.items():
        assert keys and not sources.unknown(keys), f"{name}.{field}: {keys}"
        assert all(sources.url(k).startswith("https://") for k in keys)


def test_each_topology_matches_its_catalog_description(topologies):
    t = topologies
    assert t["nlb-instance-local"].preserves_client_ip and not t["nlb-instance-local"].node_snat
    assert t["nlb-instance-cluster"].node_snat
    assert not t["nlb-ip"].preserves_client_ip
    assert t["nlb-proxy-v2"].lb.proxy_protocol == "v2" and t["nlb-proxy-v2"].controller.proxy_protocol
    assert t["nlb-tls"].tls_terminates_at == "lb" and t["nlb-tls"].lb.proxy_protocol == "v2"
    assert t["clb-tcp"].tls_terminates_at == "controller" and t["clb-tcp"].lb.proxy_protocol is None
    assert t["clb-tcp-proxy-v1"].lb.proxy_protocol == "v1"
    assert t["clb-http"].layer == "l7" and len(t["clb-http"].lb.certificates) == 1
    assert t["alb"].lb.ssl_redirect and t["alb"].xff_mode == "append" and t["alb"].controller.trusted_hops == 1
    assert len(t["alb"].lb.certificates) > 1  # default certificate plus an SNI list


def test_defaults_merge_under_entries(write_topologies):
    path = write_topologies("""
        defaults:
          hostnames: [x.example.test]
          controller: {trusted_hops: 1, certificates: [x.example.test]}
        topologies:
          mine:
            load_balancer:
              model: nlb
              listeners: [{port: 443, protocol: TCP, target: https}]
            controller: {cleartext: serve}
    """)
    t = catalog.load_file(path)["mine"]
    assert t.hostnames == ["x.example.test"]
    assert (t.controller.trusted_hops, t.controller.cleartext) == (1, "serve")
    assert t.origin == str(path)


@pytest.mark.parametrize("text, entry, field, words", [
    ("topologies:\n  bad:\n    load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], "
     "proxy_protocol: v3}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.proxy_protocol", "'v1' or 'v2'"),
    ("topologies:\n  bad:\n    load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], "
     "colour: blue}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.colour", "Extra inputs"),
    ("topologies:\n  bad:\n    load_balancer: {model: clb, listeners: [{port: 80, protocol: TCP, target: http}], "
     "proxy_protocol: v2}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.proxy_protocol", "only the NLB"),
    ("topologies:\n  bad:\n    load_balancer: {model: clb, listeners: [{port: 443, protocol: HTTPS, target: http}], "
     "certificates: [a.test, b.test]}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.certificates", "do not support SNI"),
    ("topologies:\n  bad:\n    load_balancer: {model: alb, listeners: [{port: 80, protocol: TCP, target: http}]}\n"
     "    hostnames: [a.test]\n",
     "bad", "load_balancer.listeners.0.protocol", "no TCP listener"),
    ("topologies:\n  bad:\n    load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}]}\n"
     "    hostnames: [a.test]\n",
     "bad", "load_balancer.certificates", "needs at least one certificate"),
    ("topologies:\n  bad:\n    load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}\n"
     "    hostnames: [a.test]\n    sources: {load_balancer.model: [NOT-A-KEY]}\n",
     "bad", "sources.load_balancer.model", "unknown source key"),
    ("topologies:\n  bad:\n    load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}\n",
     "bad", "hostnames", "Field required"),
    # idle timeouts AWS cannot set [NLB-IT][ALB-IT][CLB-IT]
    ("topologies:\n  bad:\n    load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], "
     "certificates: [a.test], idle_timeout: 5}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.idle_timeout", "NLB TLS listener idle timeout is 350 s and cannot be changed"),
    ("topologies:\n  bad:\n    load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http, "
     "idle_timeout: 30}]}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.listeners.0.idle_timeout", "NLB TCP listener idle timeout must be 60-6000 s"),
    ("topologies:\n  bad:\n    load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}], "
     "idle_timeout: 5000}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.idle_timeout", "ALB idle timeout must be 1-4000 s (listener 80); got 5000 [ALB-IT]"),
    ("topologies:\n  bad:\n    load_balancer: {model: clb, listeners: [{port: 80, protocol: TCP, target: http}], "
     "idle_timeout: 4001}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.idle_timeout", "Classic ELB idle timeout must be 1-4000 s"),
    ("topologies:\n  bad:\n    load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http, "
     "idle_timeout: 60}]}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.listeners.0.idle_timeout", "a load-balancer attribute"),
    ("topologies:\n  bad:\n    load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http, "
     "idle_timeout: 350}], certificates: [a.test]}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.listeners.0.idle_timeout", "TLS listener's idle timeout cannot be set"),
    # PROXY on HTTP/HTTPS listeners: an ALB never; a Classic ELB only as a claim the topology states
    ("topologies:\n  bad:\n    load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}], "
     "proxy_protocol: v1}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.proxy_protocol", "cannot send PROXY v1"),
    ("topologies:\n  bad:\n    load_balancer: {model: clb, listeners: [{port: 80, protocol: HTTP, target: http}], "
     "proxy_protocol: v1}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.proxy_protocol", "state it as a claim (load_balancer.unverified: "
                                            "{proxy_protocol_http_back_end: WHY}), or make the listeners TCP/SSL"),
    # security policies
    ("topologies:\n  bad:\n    load_balancer: {model: alb, listeners: [{port: 443, protocol: HTTPS, target: http}], "
     "certificates: [a.test], tls_policy: ELBSecurityPolicy-Nope}\n    hostnames: [a.test]\n",
     "bad", "load_balancer.tls_policy", "no security policy 'ELBSecurityPolicy-Nope'"),
])
def test_a_broken_entry_names_file_entry_and_field(write_topologies, text, entry, field, words):
    path = write_topologies(text)
    with pytest.raises(TopologyError) as caught:
        catalog.load_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: topology '{entry}': field '{field}': ")
    assert words in message
    assert (caught.value.entry, caught.value.field) == (entry, field)


def test_a_classic_elb_http_listener_with_proxy_is_a_claim_list_shows(write_topologies):
    """The in-tree provider's proxy-protocol annotation on HTTP listeners [CPA-LB]: a topology that states the
    claim loads, and the client's address is expected from the PROXY header (UNVERIFIED, said)."""
    from edgeconform import behaviours

    path = write_topologies("""
        topologies:
          clb-http-proxy:
            hostnames: [a.test]
            load_balancer:
              model: clb
              listeners: [{port: 80, protocol: HTTP, target: http}]
              proxy_protocol: v1
              unverified: {proxy_protocol_http_back_end: as the stand-in does}
            controller: {proxy_protocol: true}
        """)
    t = catalog.load_file(path)["clb-http-proxy"]
    assert t.layer == "l7" and t.lb.proxy_protocol == "v1"
    client_ip = next(e for e in behaviours.for_topology(t) if e.behaviour == "client_ip")
    assert (client_ip.outcome, client_ip.want.via) == ("works", "proxy-v1")
    assert "UNVERIFIED" in client_ip.summary and "CPA-LB" in client_ip.sources


def test_yaml_syntax_error_names_line_and_column(write_topologies):
    path = write_topologies("topologies:\n  a: {model: [nlb\n")
    with pytest.raises(TopologyError, match=rf"^{path}:\d+: not valid YAML: .* \(column \d+\)$"):
        catalog.load_file(path)


@pytest.mark.parametrize("text, words", [
    ("- just a list\n", "'topologies:' mapping"),
    ("topologies: {}\nextra: 1\n", "unknown top-level key"),
    ("version: 2\ntopologies: {}\n", "unsupported version 2"),
])
def test_a_broken_file_is_named(write_topologies, text, words):
    path = write_topologies(text)
    with pytest.raises(TopologyError, match=words) as caught:
        catalog.load_file(path)
    assert str(caught.value).startswith(str(path))


def test_missing_file_says_which_option(tmp_path):
    with pytest.raises(TopologyError, match="no such file .*--topology-file"):
        catalog.load([tmp_path / "nope.yaml"])


def test_a_user_file_overrides_a_catalog_entry_by_name(write_topologies, topologies):
    path = write_topologies("""
        topologies:
          alb:
            hostnames: [only.example.test]
            load_balancer:
              model: alb
              listeners: [{port: 80, protocol: HTTP, target: http}]
            controller: {trusted_hops: 1}
    """)
    merged = catalog.load([path])
    assert merged["alb"].hostnames == ["only.example.test"]
    assert set(merged) == set(topologies)


def test_a_mismatched_edge_is_valid_data(write_topologies):
    """An LB and controller that disagree load fine: the suites, not the loader, must catch them."""
    path = write_topologies("""
        topologies:
          mismatch:
            hostnames: [a.example.test]
            load_balancer:
              model: nlb
              listeners: [{port: 443, protocol: TCP, target: https}]
              proxy_protocol: v2
            controller: {proxy_protocol: false, certificates: [a.example.test]}
    """)
    assert catalog.load_file(path)["mismatch"].lb.proxy_protocol == "v2"


def test_idle_timeouts_aws_can_set_load(write_topologies):
    path = write_topologies("""
        topologies:
          long-tcp:
            hostnames: [a.example.test]
            load_balancer:
              model: nlb
              listeners:
                - {port: 80, protocol: TCP, target: redirect, idle_timeout: 6000}
                - {port: 443, protocol: TLS, target: http}
              certificates: [a.example.test]
    """)
    t = catalog.load_file(path)["long-tcp"]
    assert [t.listener_idle_timeout(item) for item in t.lb.listeners] == [6000, 350]
    assert t.nlb_tcp_idle_timeouts == {80: 6000} and t.idle_timeout == 6000
