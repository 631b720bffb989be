"""Envoy Gateway's own vocabulary, both ways: the abstract controller block of every catalog topology translated to a
ClientTrafficPolicy and HTTPRoute redirect rules and back; settings written in its terms giving the trust model the
rules read; every mistake in its terms named with the file, the entry and the field; its documented semantics and
its limits. (The real Envoy Gateway is measured in test_envoy_gateway_live.py.)"""

from __future__ import annotations

import textwrap

import pytest
import yaml

from edgeconform import behaviours, catalog, certs, controllers, findings
from edgeconform.catalog import TopologyError
from edgeconform.controllers.envoy_gateway import EnvoyGateway, cluster, diagnostics
from edgeconform.controllers.envoy_gateway import resources as eg_resources
from edgeconform.controllers.envoy_gateway import settings as eg_settings
from edgeconform.controllers.base import EdgeFacts
from edgeconform.topology import TRUST_FIELDS

EG = EnvoyGateway()
from tests.cases import generic

CATALOG = catalog.load()
XFP = {"headers": [{"name": "X-Forwarded-Proto", "value": "http"}]}


def redirect(code: int | None = None, matches=None) -> dict:
    rule = {"filters": [{"type": "RequestRedirect",
                         "requestRedirect": {"scheme": "https", **({"statusCode": code} if code else {})}}]}
    return {**({"matches": matches} if matches is not None else {}), **rule}


# --- abstract -> Envoy Gateway -> abstract, for every catalog topology ------------------------------------------
# topology: (ClientTrafficPolicy, redirects by listener) as Envoy Gateway gets them
NATIVE = {
    "nlb-instance-local": ({}, {"http": redirect(308, [XFP])}),
    "nlb-instance-cluster": ({}, {"http": redirect(308, [XFP])}),
    "nlb-ip": ({}, {"http": redirect(308, [XFP])}),
    "nlb-proxy-v2": ({"proxyProtocol": {}}, {"http": redirect(308, [XFP])}),
    "nlb-tls": ({"proxyProtocol": {}}, {"redirect": redirect(308)}),
    "clb-tcp": ({}, {"http": redirect(308, [XFP])}),
    "clb-tcp-proxy-v1": ({"proxyProtocol": {}}, {"http": redirect(308, [XFP])}),
    "clb-http": ({"clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}}}, {"http": redirect(308, [XFP])}),
    "alb": ({"clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}}}, {"http": redirect(308, [XFP])}),
    # CloudFront then the ALB: two hops append to X-Forwarded-For
    "cloudfront-alb": ({"clientIPDetection": {"xForwardedFor": {"numTrustedHops": 2}}}, {"http": redirect(308, [XFP])}),
    "alb-mtls": ({"clientIPDetection": {"xForwardedFor": {"numTrustedHops": 1}}}, {"http": redirect(308, [XFP])}),
}


def test_the_table_covers_the_catalog():
    assert set(NATIVE) == set(generic(CATALOG))


@pytest.mark.parametrize("name", sorted(NATIVE))
def test_abstract_to_native(name):
    native = EG.to_native(CATALOG[name].with_controller("envoy-gateway")).dump()
    ctp, rules = NATIVE[name]
    assert native["clientTrafficPolicy"] == ctp
    assert native["redirects"] == rules


@pytest.mark.parametrize("name", generic(CATALOG))
def test_abstract_to_native_and_back_is_the_same_trust_model(name):
    t = CATALOG[name].with_controller("envoy-gateway")
    derived = EnvoyGateway.to_abstract(EG.to_native(t), t)
    assert set(derived) == set(TRUST_FIELDS)
    for field in TRUST_FIELDS:
        if field == "host_sni_mismatch":  # Envoy Gateway has no 421: the rules read its semantics instead
            assert derived[field] == "route" and eg_settings.SEMANTICS.host_sni == "route"
            continue
        assert derived[field] == getattr(t.controller, field), field


@pytest.mark.parametrize("name", generic(CATALOG))
def test_native_topology_loads_to_the_same_expectations(name, write_topologies):
    """The catalog topology written in Envoy Gateway's terms (what to_native gives) is the same edge to the rules."""
    t = CATALOG[name].with_controller("envoy-gateway")
    entry = t.model_dump(exclude={"name", "origin"}, exclude_defaults=True)
    entry["controller"] = {"kind": "envoy-gateway", "certificates": t.controller.certificates,
                           "settings": EG.to_native(t).dump()}
    loaded = catalog.load_file(write_topologies(yaml.safe_dump({"topologies": {name: entry}})))[name]
    for field in set(TRUST_FIELDS) - {"host_sni_mismatch"}:
        assert getattr(loaded.controller, field) == getattr(t.controller, field), field
    assert EG.to_native(loaded) == EG.to_native(t)  # and back: the settings as written
    for behaviour in behaviours.for_topology(t):
        native = behaviours.expectation(loaded, behaviour.behaviour, behaviour.variant)
        assert (native.outcome, native.want) == (behaviour.outcome, behaviour.want), behaviour.cell


# --- Envoy Gateway -> abstract: its defaults and its alternatives --------------------------------------------------
@pytest.mark.parametrize("settings, expected", [
    ({}, {"proxy_protocol": False, "trusted_hops": 0, "trusted_cidrs": [], "cleartext": "serve", "redirect_code": 302,
          "tls_min_version": "TLSv1.2", "host_sni_mismatch": "route"}),
    ({"clientTrafficPolicy": {"proxyProtocol": {"optional": True}}}, {"proxy_protocol": True}),
    ({"clientTrafficPolicy": {"enableProxyProtocol": True}}, {"proxy_protocol": True}),  # deprecated, still read
    ({"clientTrafficPolicy": {"enableProxyProtocol": False}}, {"proxy_protocol": False}),
    ({"clientTrafficPolicy": {"clientIPDetection": {"xForwardedFor": {"numTrustedHops": 2}}}}, {"trusted_hops": 2}),
    ({"clientTrafficPolicy": {"clientIPDetection": {"xForwardedFor": {"trustedCIDRs": ["10.0.0.0/16"]}}}},
     {"trusted_hops": 0, "trusted_cidrs": ["10.0.0.0/16"]}),
    ({"clientTrafficPolicy": {"clientIPDetection": {"directSourceIP": {}}}}, {"trusted_hops": 0}),
    ({"clientTrafficPolicy": {"tls": {"minVersion": "1.3"}}}, {"tls_min_version": "TLSv1.3"}),
    ({"clientTrafficPolicy": {"tls": {"minVersion": "1.0", "maxVersion": "1.2"}}}, {"tls_min_version": "TLSv1.0"}),
    ({"clientTrafficPolicy": {"tls": {"minVersion": "Auto"}}}, {"tls_min_version": "TLSv1.2"}),
    ({"redirects": {"http": redirect()}}, {"cleartext": "redirect", "redirect_code": 302}),  # Gateway API default
    ({"redirects": {"http": redirect(301, [XFP])}}, {"cleartext": "redirect", "redirect_code": 301}),
    ({"redirects": {"redirect": redirect(307)}}, {"cleartext": "serve", "redirect_code": 307}),
    ({"redirects": {"http": redirect(308, [XFP]), "redirect": redirect(308)}}, {"redirect_code": 308}),
])
def test_native_to_abstract(settings, expected):
    t = CATALOG["nlb-tls"].with_controller("envoy-gateway")
    derived = EnvoyGateway.to_abstract(eg_settings.Settings.model_validate(settings), t)
    assert {key: derived[key] for key in expected} == expected


def load(write_topologies, settings: str, lb: str = "nlb-proxy-v2"):
    t = CATALOG[lb]
    entry = t.model_dump(exclude={"name", "origin", "controller"}, exclude_defaults=True)
    entry["controller"] = {"kind": "envoy-gateway", "certificates": t.controller.certificates,
                           "settings": yaml.safe_load(textwrap.dedent(settings))}
    return catalog.load_file(write_topologies(yaml.safe_dump({"topologies": {"mine": entry}})))["mine"]


def test_settings_in_envoy_gateways_terms_give_the_trust_model(write_topologies):
    t = load(write_topologies, """
        clientTrafficPolicy:
          proxyProtocol: {optional: true}
          tls: {minVersion: "1.3"}
        redirects:
          http:
            matches: [{headers: [{name: X-Forwarded-Proto, value: http}]}]
            filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
    """)
    ctl = t.controller
    assert (ctl.kind, ctl.proxy_protocol, ctl.cleartext, ctl.redirect_code, ctl.tls_min_version) == \
           ("envoy-gateway", True, "redirect", 302, "TLSv1.3")
    assert controllers.semantics_of(t).proxy_protocol == "optional"  # its setting, not a controller-wide fact
    assert controllers.semantics_of(t.with_controller("envoy-gateway").model_copy(update={
        "controller": t.controller.model_copy(update={"settings": {"clientTrafficPolicy": {"proxyProtocol": {}}}})})
    ).proxy_protocol == "required"


@pytest.mark.parametrize("settings, field, words", [
    ("clientTrafficPolicy: {proxyProtocoll: {}}", "controller.settings.clientTrafficPolicy.proxyProtocoll",
     "Extra inputs are not permitted"),
    ("clientTrafficPolicy: {proxyProtocol: {optional: maybe}}",
     "controller.settings.clientTrafficPolicy.proxyProtocol.optional", "Input should be a valid boolean"),
    ("clientTrafficPolicy: {clientIPDetection: {xForwardedFor: {numTrustedHops: 1, trustedCIDRs: [10.0.0.0/8]}}}",
     "controller.settings.clientTrafficPolicy.clientIPDetection.xForwardedFor",
     "only one of numTrustedHops or trustedCIDRs must be set"),
    ("clientTrafficPolicy: {clientIPDetection: {xForwardedFor: {trustedCIDRs: [10.0.0.300/8]}}}",
     "controller.settings.clientTrafficPolicy.clientIPDetection.xForwardedFor.trustedCIDRs", "10.0.0.300/8"),
    ("clientTrafficPolicy: {clientIPDetection: {customHeader: {name: X-Real-IP}}}",
     "controller.settings.clientTrafficPolicy.clientIPDetection.customHeader", "Extra inputs are not permitted"),
    ("clientTrafficPolicy: {clientIPDetection: {xForwardedFor: {numTrustedHops: 11}}}",
     "controller.settings.clientTrafficPolicy.clientIPDetection.xForwardedFor.numTrustedHops", "at most 10"),
    ("clientTrafficPolicy: {tls: {minVersion: '1.4'}}", "controller.settings.clientTrafficPolicy.tls.minVersion",
     "Input should be"),
    ("clientTrafficPolicy: {tls: {minVersion: '1.3', maxVersion: '1.2'}}",
     "controller.settings.clientTrafficPolicy.tls.maxVersion", "below minVersion"),
    ("redirects: {http: {filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 305}}]}}",
     "controller.settings.redirects.http.filters.0.requestRedirect.statusCode", "Input should be"),
    ("redirects: {http: {filters: [{type: RequestRedirect, requestRedirect: {statusCode: 301}}]}}",
     "controller.settings.redirects.http.filters.0.requestRedirect.scheme", "give scheme: https"),
    ("redirects: {http: {filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 303}}]}}",
     "controller.settings.redirects.http.filters.0.requestRedirect.statusCode", "303 is valid Gateway API"),
    ("redirects: {http: {matches: [{headers: [{name: X-Scheme, value: http}]}], "
     "filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]}}",
     "controller.settings.redirects.http.matches", "matches every request"),
    ("redirects: {http: {filters: [{type: URLRewrite, requestRedirect: {scheme: https}}]}}",
     "controller.settings.redirects.http.filters.0.type", "Input should be 'RequestRedirect'"),
    ("redirects: {http: {filters: []}}", "controller.settings.redirects.http.filters", "at least 1 item"),
    ("redirects: {http: " + str(redirect(301)) + ", redirect: " + str(redirect(308)) + "}",
     "controller.settings.redirects.redirect.filters.0.requestRedirect.statusCode", "one redirect code"),
    ("gateway: {}", "controller.settings.gateway", "Extra inputs are not permitted"),
])
def test_a_mistake_in_envoy_gateways_terms_names_file_entry_and_field(write_topologies, settings, field, words):
    with pytest.raises(TopologyError) as caught:
        load(write_topologies, settings)
    message = str(caught.value)
    assert f"topology 'mine': field '{field}': " in message and words in message, message


def test_settings_and_abstract_fields_together_are_refused(write_topologies):
    t = CATALOG["nlb-proxy-v2"]
    entry = t.model_dump(exclude={"name", "origin", "controller"}, exclude_defaults=True)
    entry["controller"] = {"kind": "envoy-gateway", "proxy_protocol": True, "settings": {"clientTrafficPolicy": {}}}
    with pytest.raises(TopologyError, match="field 'controller.proxy_protocol': proxy_protocol follows from the "
                                            "envoy-gateway settings"):
        catalog.load_file(write_topologies(yaml.safe_dump({"topologies": {"mine": entry}})))


# --- semantics and limits --------------------------------------------------------------------------------------
def test_semantics_cite_envoy_gateway_and_gateway_api():
    from edgeconform import sources

    assert (eg_settings.SEMANTICS.redirect_default, eg_settings.SEMANTICS.proxy_protocol, eg_settings.SEMANTICS.host_sni) == (302, "required",
                                                                                                  "route")
    for keys in eg_settings.SEMANTICS.sources.values():
        assert keys and not sources.unknown(list(keys))
    for limit in [limit for t in CATALOG.values() for limit in EG.limits(t.with_controller("envoy-gateway"))]:
        assert limit.code in findings.CODES and not sources.unknown(list(limit.sources))


def test_host_sni_is_a_limitation_with_envoy_gateway_where_tls_ends_at_it():
    t = CATALOG["nlb-proxy-v2"]
    assert behaviours.expectation(t, "security", "host-sni").outcome == "works"  # the generic controller's 421
    with_eg = behaviours.expectation(t.with_controller("envoy-gateway"), "security", "host-sni")
    assert with_eg.outcome == "limited" and "GW-LISTENER" in with_eg.sources
    assert "envoy-gateway has no setting for 421" in with_eg.reason


def test_proxy_optional_makes_proxy_required_a_limitation(write_topologies):
    optional = load(write_topologies, "clientTrafficPolicy: {proxyProtocol: {optional: true}}")
    required = load(write_topologies, "clientTrafficPolicy: {proxyProtocol: {}}")
    assert behaviours.expectation(required, "security", "proxy-required").outcome == "works"
    limited = behaviours.expectation(optional, "security", "proxy-required")
    assert limited.outcome == "limited" and "EG-PP" in limited.sources and not limited.want.refuses


@pytest.mark.parametrize("name, codes", [
    ("nlb-instance-local", {"EG_UPGRADE_REFUSED_ON_REDIRECT"}),
    ("nlb-instance-cluster", {"EG_UPGRADE_REFUSED_ON_REDIRECT", "EG_SERVICE_ETP_LOCAL"}),
    ("nlb-ip", {"EG_UPGRADE_REFUSED_ON_REDIRECT"}),
    ("nlb-tls", {"EG_UPGRADE_REFUSED_ON_REDIRECT"}),  # the port split: no X-Forwarded-Proto needed
    ("clb-tcp", {"EG_UPGRADE_REFUSED_ON_REDIRECT", "EG_SERVICE_ETP_LOCAL"}),
    ("clb-http", {"EG_UPGRADE_REFUSED_ON_REDIRECT", "EG_SERVICE_ETP_LOCAL"}),
    ("alb", {"EG_SERVICE_ETP_LOCAL"}),  # the ALB redirects: nothing redirects a ws:// handshake at Envoy Gateway
])
def test_limits_of_the_catalog_with_envoy_gateway(name, codes):
    t = CATALOG[name].with_controller("envoy-gateway")
    assert {limit.code for limit in EG.limits(t)} == codes
    assert {f.code for f in findings.findings(t)} - {f.code for f in findings.findings(CATALOG[name])} == codes


def test_the_proxy_port_limit_names_the_issues():
    (t,) = catalog.load_file(catalog.assets.path("examples/misconfigured/envoy-gateway/tls-at-nlb-redirect-loop.yaml"
                                                 )).values()
    (limit,) = [f for f in findings.findings(t) if f.code == "EG_NO_XFP_FROM_PROXY_PORT"]
    assert limit.everywhere and {"eg#9219", "envoy#43031"} <= set(limit.sources)
    assert "forwarded_proto_config" in limit.message


def test_proxy_not_sent_reads_as_optional_where_the_header_is_optional(write_topologies):
    t = load(write_topologies, "clientTrafficPolicy: {proxyProtocol: {optional: true}}", lb="nlb-ip")
    (finding,) = [f for f in findings.findings(t) if f.code == "PROXY_NOT_SENT"]
    assert "optional" in finding.message and "dropped" not in finding.message and "EG-PP" in finding.sources


@pytest.mark.parametrize("cell, words", [
    ("client_ip", "ClientTrafficPolicy {\"proxyProtocol\": {}}"),
    ("security[proxy-required]", "proxyProtocol"),
    ("redirect", "HTTPRoute redirect rules by listener"),
    ("websocket[ws]", "statusCode default 302"),
    ("security[tls-versions]", "ClientTrafficPolicy tls"),
    ("security[host-sni]", "certificateRefs"),
])
def test_a_failure_names_envoy_gateways_settings_for_the_cell(cell, words):
    described = eg_settings.describe(CATALOG["nlb-proxy-v2"].with_controller("envoy-gateway"), cell)
    assert words in described
    assert eg_settings.describe(CATALOG["nlb-proxy-v2"], "security[hostile-input]") is None


def test_a_failure_message_names_the_controller_its_version_and_its_settings(tmp_path):
    from edgeconform import verdicts
    from edgeconform.edge import ControllerInfo, Edge

    t = CATALOG["nlb-proxy-v2"].with_controller("envoy-gateway")
    edge = Edge(topology=t, target="local", endpoints={}, ca=tmp_path, roles={}, client_cidr=None,
                client_addresses=[], controller=ControllerInfo.of(EG, t, version="v1.9.1"))
    expectation = behaviours.expectation(t, "websocket", "ws")
    verdict = verdicts.judge(edge, expectation, verdicts.Measurement("observed", ["got 403"], 1, 0.1, False))
    assert verdict.verdict == "fail"
    assert "controller: Envoy Gateway v1.9.1, with the settings this cell rests on:\n  - HTTPRoute" in verdict.message
    assert "EG_UPGRADE_REFUSED_ON_REDIRECT" in verdict.message


# --- the resources -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    return certs.issue(tmp_path_factory.mktemp("certs"), "controller", CATALOG["nlb-proxy-v2"].controller.certificates)


def test_resources_carry_the_settings_as_written(issued):
    t = CATALOG["nlb-proxy-v2"].with_controller("envoy-gateway")
    objects = eg_resources.resources(t, ports={"http": 8080, "https": 8443}, certificates=issued,
                           backend_ref={"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "echo"},
                           backend_ip=("10.0.4.31", 9000))
    by_kind = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    gateway = by_kind["Gateway"][0]
    assert [(l["name"], l["port"], l["protocol"]) for l in gateway["spec"]["listeners"]] == [
        ("http", 8080, "HTTP"), ("https", 8443, "HTTPS")]
    refs = gateway["spec"]["listeners"][1]["tls"]["certificateRefs"]
    assert [ref["name"] for ref in refs] == ["edgeconform-tls-default-edgeconform-test",
                                             "edgeconform-tls-app-edgeconform-test",
                                             "edgeconform-tls-api-edgeconform-test"]  # the default first
    ctp = by_kind["ClientTrafficPolicy"][0]["spec"]
    assert ctp == {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edgeconform"}],
                   "proxyProtocol": {}}
    http = next(r for r in by_kind["HTTPRoute"] if r["metadata"]["name"] == "edgeconform-http")
    first, backend = http["spec"]["rules"]
    assert first == redirect(308, [XFP])
    headers = {h["name"]: h["value"] for h in backend["filters"][0]["requestHeaderModifier"]["set"]}
    assert headers["x-edgeconform-client"] == "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"
    assert headers["x-edgeconform-port"] == "http"
    assert backend["backendRefs"] == [{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "echo"}]
    assert by_kind["Backend"][0]["spec"] == {"endpoints": [{"ip": {"address": "10.0.4.31", "port": 9000}}]}
    assert len(by_kind["Secret"]) == 3


def test_the_redirect_only_listener_redirects_everything(issued):
    t = CATALOG["nlb-tls"].with_controller("envoy-gateway")
    objects = eg_resources.resources(t, ports={"http": 8080, "redirect": 8082}, certificates=issued,
                           backend_ref={"name": "edgeconform-echo", "port": 9000})
    routes = {o["metadata"]["name"]: o for o in objects if o["kind"] == "HTTPRoute"}
    assert routes["edgeconform-redirect"]["spec"]["rules"] == [redirect(308)]  # no match: every request
    assert len(routes["edgeconform-http"]["spec"]["rules"]) == 1  # cleartext: serve
    assert [o["kind"] for o in objects if o["kind"] in ("Secret", "Backend", "ClientTrafficPolicy")] == [
        "ClientTrafficPolicy"]  # no TLS at Envoy Gateway, the echo Service as the backend


def test_kind_gets_the_same_documents_with_the_echo_service(issued):
    t = CATALOG["nlb-proxy-v2"].with_controller("envoy-gateway")
    plan = EG.translate(t, EdgeFacts(("172.18.0.9",), issued))
    local = eg_resources.resources(t, ports=cluster.CONTAINER_PORTS, certificates=issued,
                         backend_ref={"name": "edgeconform-echo", "port": 9000}, gateway_class=None)
    plain = [o for o in plan.manifests if o["kind"] != "Service"]

    def without_labels(objects):
        return [{**o, "metadata": {k: v for k, v in o["metadata"].items() if k != "labels"}} for o in objects]
    assert without_labels(plain) == without_labels(local)
    gateway = next(o for o in plan.manifests if o["kind"] == "Gateway")
    assert "edgeconform.dev/topology" not in gateway["metadata"]["labels"]  # the install's: never deleted
    service = next(o for o in plan.manifests if o["kind"] == "Service")
    assert service["metadata"]["namespace"] == "envoy-gateway-system"
    assert service["spec"]["selector"] == EG.pod_selector
    assert plan.settings == EG.to_native(t).dump()


def test_the_install_adds_the_gateway_every_topology_reapplies():  # the helm command: tests/targets/kind
    kinds = [(o["kind"], o["metadata"].get("namespace")) for o in cluster.install_objects()]
    assert kinds == [("EnvoyProxy", "envoy-gateway-system"), ("GatewayClass", None), ("Gateway", "edgeconform")]


def test_the_kind_pin_is_the_release_the_local_target_builds():
    from pathlib import Path

    from edgeconform.controllers.base import versions

    go_mod = (Path(__file__).resolve().parents[2] / "tools" / "envoy-gateway" / "go.mod").read_text()
    pinned = versions()["controllers"]["envoy-gateway"]["version"]
    assert f"github.com/envoyproxy/gateway {pinned}" in go_mod


# --- what a failing test gets ---------------------------------------------------------------------------------
STATUS_LOG = """\
2026-11-27T06:32:51.470Z\tinfo\tprovider\tfile/status.go:87\tGot new status for Gateway
conditions:
- {type: Accepted, status: "True", reason: Accepted, message: ok}
- {type: Programmed, status: "False", reason: AddressNotAssigned, message: No addresses have been assigned}
listeners:
- name: https
  conditions:
  - {type: ResolvedRefs, status: "False", reason: InvalidCertificateRef, message: secret edgeconform/x not found}
\t{"runner": "provider", "key": "edgeconform/edgeconform"}
2026-11-27T06:32:51.471Z\tinfo\tprovider\tfile/status.go:87\tGot new status for HTTPRoute
parents:
- parentRef: {name: edgeconform, sectionName: http}
  conditions:
  - {type: Accepted, status: "True", reason: Accepted, message: ok}
\t{"runner": "provider", "key": "edgeconform/edgeconform-http"}
"""


def test_status_summary_names_what_was_not_applied(tmp_path):
    log = tmp_path / "controller.log"
    log.write_text(STATUS_LOG)
    summary = diagnostics.status_summary(log)
    assert summary == ("Gateway edgeconform/edgeconform listeners[https]: ResolvedRefs=False "
                       "(InvalidCertificateRef): secret edgeconform/x not found")  # AddressNotAssigned: by design
    log.write_text(STATUS_LOG.replace('status: "False", reason: InvalidCertificateRef', 'status: "True", reason: x'))
    assert diagnostics.status_summary(log).startswith("every condition True: Gateway edgeconform/edgeconform, HTTPRoute")
    log.write_text("nothing\n")
    assert "did not load the resources" in diagnostics.status_summary(log)


def test_xds_summary_keeps_listeners_and_routes_without_the_noise():
    dump = {"configs": [
        {"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump", "bootstrap": {"node": {}}},
        {"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", "dynamic_listeners": [
            {"active_state": {"listener": {"name": "http", "access_log": [{"x": 1}], "port": 8080}}}]},
        {"@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump", "dynamic_route_configs": [
            {"route_config": {"name": "r", "metadata": {"m": 1}}}]}]}
    assert diagnostics.xds_summary(dump) == '[{"listeners":[{"name":"http","port":8080}]},{"routes":[{"name":"r"}]}]'
    assert diagnostics.xds_summary(dump, limit=10).endswith("... (71 characters)")
