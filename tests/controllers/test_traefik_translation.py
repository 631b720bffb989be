"""Traefik's own vocabulary (edgeconform.controllers.traefik): both translation directions, tested against each other
for every catalog topology and every example written in Traefik's settings; the mistakes a user can make in those
settings, each named with its field; the semantics the rules take from Traefik's documentation; and the rendered
static and dynamic configuration (no calls out, nothing outside the edge's addresses)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from edgeconform import catalog, certs, controllers, findings
from edgeconform.behaviours import client_ip, redirect
from edgeconform.behaviours.security import proxy_required
from edgeconform.catalog import TopologyError
from edgeconform.controllers import LocalPlace
from edgeconform.controllers.traefik import limits as traefik_limits
from edgeconform.controllers.traefik import local as traefik_local
from edgeconform.controllers.traefik import settings as traefik_settings

REPO = Path(__file__).resolve().parents[2]
TRAEFIK_EXAMPLES = sorted((REPO / "examples" / "misconfigured" / "traefik").glob("*.yaml"))
from tests.cases import generic

CATALOG = catalog.load()


def bound(name: str):
    return CATALOG[name].with_controller("traefik")


def with_model(t, model: dict):
    return t.model_copy(update={"controller": t.controller.model_copy(update=model)})


def trust_model(t) -> dict:
    """What the rules read from a controller block, as comparable values (the GET redirect code, the hops the
    trust amounts to on this edge), each only where the topology uses it."""
    out = {"proxy_protocol": t.controller.proxy_protocol, "forwarded_hops": t.forwarded_hops}
    if "http" in t.controller_kinds:
        out["cleartext"] = t.controller.cleartext
    if t.redirect_intended and not t.lb.ssl_redirect:
        out["redirect_code"] = traefik_settings.SEMANTICS.get_redirect_code(t.controller.redirect_code)
    if t.tls_terminates_at == "controller":
        out["tls_min_version"] = t.controller.tls_min_version
        out["host_sni_mismatch"] = t.controller.host_sni_mismatch
    return out


FIELD_OF = {"forwarded_hops": "controller.trusted_hops", "redirect_code": "controller.redirect_code",
            "host_sni_mismatch": "controller.host_sni_mismatch"}


# --- both directions, against each other ---------------------------------------------------------------------
@pytest.mark.parametrize("name", generic(CATALOG))
def test_abstract_to_traefik_and_back_keeps_the_trust_model_or_names_the_limit(name):
    t = bound(name)
    settings = traefik_settings.native(t)
    back = with_model(t, traefik_settings.abstract(settings, t))
    before, after = trust_model(t), trust_model(back)
    limited = {limit.field for limit in traefik_limits.limits(t)}
    for field in before:
        if before[field] != after[field]:
            assert FIELD_OF.get(field, f"controller.{field}") in limited, (
                f"{name}: {field} {before[field]!r} became {after[field]!r} and no limit says so")
    # the redirect code only changes where Traefik answers GET differently: the rules expect what Traefik does
    if "redirect_code" in before:
        assert before["redirect_code"] == after["redirect_code"]


@pytest.mark.parametrize("name", generic(CATALOG))
def test_the_translation_is_a_fixed_point_after_one_round(name):
    t = bound(name)
    settings = traefik_settings.native(t)
    again = traefik_settings.native(with_model(t, traefik_settings.abstract(settings, t)))
    assert again == settings


@pytest.mark.parametrize("path", TRAEFIK_EXAMPLES, ids=lambda p: p.name)
def test_traefik_settings_to_abstract_and_back_are_the_same_trust_model(path):
    (t,) = catalog.load_file(path).values()  # the loader already derived the abstract fields from the settings
    assert t.controller.kind == "traefik" and t.controller.settings
    written = traefik_settings.TraefikSettings.model_validate(t.controller.settings)
    abstract_only = t.model_copy(update={"controller": t.controller.model_copy(update={"settings": {}})})
    rewritten = traefik_settings.native(abstract_only)
    assert trust_model(with_model(t, traefik_settings.abstract(rewritten, t))) == trust_model(t), (
        f"{path.name}: the abstract model written back as Traefik settings means something else:\n"
        f"{rewritten.dump()}\nversus\n{written.dump()}")


# --- the table (docs/controllers/traefik.md) -----------------------------------------------------------------
def test_entry_points_are_named_as_the_helm_charts_service_ports():
    assert traefik_settings.entry_points(bound("nlb-proxy-v2")) == {"web": "http", "websecure": "https"}
    assert traefik_settings.entry_points(bound("nlb-tls")) == {"web": "redirect", "websecure": "http"}  # NGX-AWS split
    assert traefik_settings.entry_points(bound("alb")) == {"web": "http"}  # both listeners land on one port


def test_the_abstract_catalog_as_traefik_settings():
    proxy = traefik_settings.native(bound("nlb-proxy-v2")).dump()
    assert proxy["entryPoints"]["web"] == {
        "proxyProtocol": {"trustedIPs": ["10.0.0.0/16"]},
        "http": {"redirections": {"entryPoint": {"to": "websecure"}}}}  # scheme https, permanent true: defaults
    assert proxy["entryPoints"]["websecure"] == {"proxyProtocol": {"trustedIPs": ["10.0.0.0/16"]}}
    assert proxy["tls"] == {"options": {"default": {}}}  # minVersion TLS 1.2, Traefik's default
    split = traefik_settings.native(bound("nlb-tls")).dump()
    assert split["entryPoints"]["web"]["http"]["redirections"]["entryPoint"]["to"] == "websecure"
    assert "http" not in split["entryPoints"]["websecure"]  # cleartext: serve on the port TLS-at-the-NLB lands on
    alb = traefik_settings.native(bound("alb")).dump()
    # behind an L7 load balancer the port also serves HTTPS traffic: redirect by X-Forwarded-Proto (middleware)
    assert alb["entryPoints"] == {"web": {"forwardedHeaders": {"trustedIPs": ["10.0.0.0/16"]},
                                          "http": {"middlewares": ["redirect-to-https"]}}}
    assert alb["http"]["middlewares"]["redirect-to-https"] == {
        "redirectScheme": {"scheme": "https", "port": "443", "permanent": True}}


@pytest.mark.parametrize("permanent, code", [(True, 301), (False, 302)])
def test_redirect_codes_follow_permanent(permanent, code):
    t = bound("nlb-ip")
    settings = traefik_settings.TraefikSettings.model_validate(
        {"entryPoints": {"web": {"http": {"redirections": {"entryPoint": {"to": "websecure", "permanent": permanent}}}}}})
    assert traefik_settings.abstract(settings, t)["redirect_code"] == code


def test_defaults_are_traefiks_own():
    t = bound("nlb-ip")
    only_to = traefik_settings.TraefikSettings.model_validate({"entryPoints": {"web": {"http": {"redirections": {
        "entryPoint": {"to": "websecure"}}}}}})
    assert traefik_settings.abstract(only_to, t)["redirect_code"] == 301  # SetDefaults: permanent true [TRAEFIK-OPTS]
    middleware = traefik_settings.TraefikSettings.model_validate({
        "entryPoints": {"web": {"http": {"middlewares": ["to-https@file"]}}},
        "http": {"middlewares": {"to-https": {"redirectScheme": {"scheme": "https"}}}}})
    assert traefik_settings.abstract(middleware, t)["redirect_code"] == 302  # a middleware is not permanent by default
    empty = traefik_settings.abstract(traefik_settings.TraefikSettings(), t)
    assert empty == {"proxy_protocol": False, "trusted_hops": 0, "trusted_cidrs": [], "host_sni_mismatch": "route",
                     "cleartext": "serve", "tls_min_version": "TLSv1.2"}
    insecure = traefik_settings.TraefikSettings.model_validate({"entryPoints": {
        "web": {"forwardedHeaders": {"insecure": True}}, "websecure": {"forwardedHeaders": {"insecure": True}}}})
    assert traefik_settings.abstract(insecure, t)["trusted_cidrs"] == ["0.0.0.0/0", "::/0"]


# --- mistakes in Traefik's terms: one error naming the field ---------------------------------------------------
def load(write_topologies, settings: str, listeners: str = "[{port: 80, protocol: TCP, target: http}, "
                                                           "{port: 443, protocol: TCP, target: https}]"):
    text = textwrap.dedent(f"""
        topologies:
          mine:
            hostnames: [a.test]
            load_balancer: {{model: nlb, listeners: {listeners}, target_type: ip, proxy_protocol: v2}}
            controller:
              kind: traefik
              certificates: [a.test]
              settings: {settings}
    """)
    return catalog.load_file(write_topologies(text))["mine"]


@pytest.mark.parametrize("settings, field, words", [
    ("{entryPoints: {web: {proxyProtocl: {insecure: true}}}}", "controller.settings.entryPoints.web.proxyProtocl",
     "Extra inputs are not permitted"),
    ("{entryPoints: {web: {proxyProtocol: {trustedIPs: [10.0.0.0/33]}}}}",
     "controller.settings.entryPoints.web.proxyProtocol.trustedIPs", "'10.0.0.0/33' is not an IP address or CIDR"),
    ("{entryPoints: {websecur: {}}}", "controller.settings.entryPoints.websecur", "land on web, websecure"),
    ("{entryPoints: {web: {proxyProtocol: {insecure: true}}}}", "controller.settings.entryPoints.websecure.proxyProtocol",
     "set proxyProtocol on web and websecure alike"),
    ("{entryPoints: {web: {forwardedHeaders: {trustedIPs: [10.0.0.0/16]}}}}",
     "controller.settings.entryPoints.websecure.forwardedHeaders", "trust the same forwarders"),
    ("{entryPoints: {web: {http: {middlewares: [nope]}}}}", "controller.settings.entryPoints.web.http.middlewares.0",
     "'nope' is not defined under http.middlewares"),
    ("{entryPoints: {web: {http: {redirections: {entryPoint: {to: websecure, scheme: http}}}}}}",
     "controller.settings.entryPoints.web.http.redirections.entryPoint.scheme", "redirects to https"),
    ("{entryPoints: {websecure: {http: {tls: {options: strict}}}}}",
     "controller.settings.entryPoints.websecure.http.tls.options", "'strict' are not defined under tls.options"),
    ("{tls: {options: {default: {minVersion: VersionTLS14}}}}", "controller.settings.tls.options.default.minVersion",
     "Input should be"),
])
def test_a_mistake_in_traefiks_terms_names_the_field(write_topologies, settings, field, words):
    with pytest.raises(TopologyError) as caught:
        load(write_topologies, settings)
    assert f"field '{field}'" in str(caught.value) and words in str(caught.value), str(caught.value)


def test_the_redirect_only_port_must_redirect(write_topologies):
    listeners = "[{port: 80, protocol: TCP, target: redirect}, {port: 443, protocol: TLS, target: http}]"
    text = """{entryPoints: {web: {proxyProtocol: {insecure: true}}, websecure: {proxyProtocol: {insecure: true}}}}"""
    with pytest.raises(TopologyError, match=r"field 'controller.settings.entryPoints.web.http.redirections'.*port 80 "
                                            r"lands, the port that only redirects"):
        load(write_topologies, text, listeners + ", certificates: [a.test]")


def test_settings_written_in_traefiks_terms_give_the_trust_model(write_topologies):
    t = load(write_topologies, "{entryPoints: {web: {proxyProtocol: {trustedIPs: [10.0.0.0/16]}, http: {redirections: "
                               "{entryPoint: {to: websecure, permanent: false}}}}, websecure: {proxyProtocol: "
                               "{trustedIPs: [10.0.0.0/16]}}}, tls: {options: {default: {minVersion: VersionTLS13}}}}")
    ctl = t.controller
    assert (ctl.proxy_protocol, ctl.trusted_cidrs, ctl.cleartext, ctl.redirect_code, ctl.tls_min_version,
            ctl.host_sni_mismatch) == (True, [], "redirect", 302, "TLSv1.3", "route")
    assert t.forwarded_hops == 0 and [f for f in findings.findings(t) if f.kind == "mistake"] == []  # the NLB sends PROXY, Traefik reads it: no mistake


# --- semantics and limits: what the rules expect of Traefik --------------------------------------------------------
def test_semantics_cite_traefiks_documentation():
    from edgeconform import sources

    s = traefik_settings.SEMANTICS
    assert (s.proxy_protocol, s.redirect_default, s.host_sni, s.forwarded_trust, s.client_from_xff) == \
           ("optional", 301, "route", "addresses", False)
    assert s.get_redirect_code(308) == 301 and s.get_redirect_code(307) == 302 and s.get_redirect_code(302) == 302
    for keys in s.sources.values():
        assert keys and not sources.unknown(list(keys))
    assert controllers.semantics_of(bound("alb")) is s


def test_rules_take_traefiks_semantics_into_account():
    proxy = bound("nlb-proxy-v2")
    assert proxy_required.rule(proxy).outcome == "limited"  # the header is optional: a header-less connection is served
    assert proxy_required.rule(CATALOG["nlb-proxy-v2"].with_controller("envoy")).outcome == "works"
    want = redirect.rule(proxy).want
    assert (want.code, want.at) == (301, "controller")  # 308 asked; Traefik answers GET with 301
    assert "TRAEFIK-MW-CRD" in redirect.rule(proxy).sources
    assert redirect.rule(CATALOG["nlb-proxy-v2"]).want.code == 308
    alb = client_ip.rule(bound("alb"))
    assert alb.outcome == "limited" and alb.want == client_ip.ClientIpWant("node", "peer", forwarded="client")
    assert alb.ideal.seen_as == "client" and "TRAEFIK-HDR" in alb.sources
    assert client_ip.rule(bound("nlb-proxy-v2")).want == client_ip.ClientIpWant("client", "proxy-v2")


def test_limits_are_findings_with_sources_for_the_cells_they_concern():
    codes = {f.code: f for f in findings.findings(bound("nlb-proxy-v2")) if f.kind == "mistake"}
    assert set(codes) == {"TRAEFIK_CANNOT_EXPRESS"}
    by_field = {limit.field: limit for limit in traefik_limits.limits(bound("nlb-proxy-v2"))}
    assert set(by_field) == {"controller.redirect_code", "controller.host_sni_mismatch"}
    assert "redirect" in by_field["controller.redirect_code"].cells
    alb = {f.code: f for f in findings.findings(bound("alb"))}
    assert set(alb) == {"TRAEFIK_KEEPS_REAL_IP"} and alb["TRAEFIK_KEEPS_REAL_IP"].cells == ("security[forged-client]",)
    two_hops = with_model(bound("alb"), {"trusted_hops": 2})
    hop = next(limit for limit in traefik_limits.limits(two_hops) if limit.field == "controller.trusted_hops")
    assert "traefik#12588" in hop.sources and "trusts 1 hop(s)" in hop.message
    assert [f.code for f in findings.findings(CATALOG["alb"])] == []  # the generic controller: none of these


def test_a_failure_names_the_settings_it_rests_on():
    lines = traefik_settings.deciding(bound("nlb-tls"), "redirect")
    assert lines[0] == "(translated from the abstract block)"
    assert 'entryPoints.web.http: {"redirections": {"entryPoint": {"to": "websecure"}}}' in lines
    assert controllers.get("envoy").deciding(CATALOG["alb"], "redirect") == []


# --- rendering ------------------------------------------------------------------------------------------------
def place(tmp_path: Path, ip: str = "10.0.3.21", lb: str = "10.0.1.17", node: str = "10.0.2.11",
          https_port: int | None = None, names=("default.edgeconform.test", "app.edgeconform.test",
                                              "api.edgeconform.test")) -> LocalPlace:
    issued = certs.issue(tmp_path / "certs", "controller", list(names))
    return LocalPlace(ip=ip, ports={"http": 8080, "https": 8443, "redirect": 8081}, admin_port=9901,
                      backend=("10.0.4.31", 9000), https_port=https_port, idle_timeout=350, certificates=issued,
                      workdir=tmp_path, lb_addresses=(lb,), node_addresses=(node,))


@pytest.mark.parametrize("name", generic(CATALOG))
def test_the_static_configuration_keeps_traefik_inside_the_edge(name, tmp_path):
    t = bound(name)
    p = place(tmp_path)
    static = yaml.safe_load(traefik_local.render_static(t, traefik_settings.native(t), p, traefik_settings.entry_points(t)))
    assert static["global"] == {"checkNewVersion": False, "sendAnonymousUsage": False}
    assert static["providers"] == {"file": {"filename": str(tmp_path / traefik_local.DYNAMIC), "watch": False}}
    addresses = {ep["address"] for ep in static["entryPoints"].values()}
    assert all(address.startswith("10.0.3.21:") for address in addresses)  # only where it is told, never ":8080"
    assert static["ping"] == {"entryPoint": "traefik"}
    for ep in static["entryPoints"].values():
        target = ep.get("http", {}).get("redirections", {}).get("entryPoint")
        if target:  # rendered as the Helm chart does: the public https port, here 443
            assert target["to"] == ":443" and target["permanent"] is True


def test_the_dynamic_configuration_routes_by_host_and_states_what_traefik_can(tmp_path):
    t = bound("nlb-proxy-v2")
    p = place(tmp_path)
    dynamic = yaml.safe_load(traefik_local.render_dynamic(t, traefik_settings.native(t), p, traefik_settings.entry_points(t)))
    routers = dynamic["http"]["routers"]
    assert routers["websecure-app-edgeconform-test"] == {
        "rule": "Host(`app.edgeconform.test`)", "entryPoints": ["websecure"], "service": "echo",
        "middlewares": ["edgeconform-https"], "tls": {}}
    assert routers["web-any"]["priority"] == 1 and "tls" not in routers["web-any"]
    stated = dynamic["http"]["middlewares"]["edgeconform-https"]["headers"]["customRequestHeaders"]
    assert stated["x-edgeconform-port"] == "https" and stated["x-edgeconform-tls"].startswith("TLS")
    assert stated["x-edgeconform-client"] == stated["x-edgeconform-peer"] == stated["x-edgeconform-sni"] == ""
    plain = dynamic["http"]["middlewares"]["edgeconform-http"]["headers"]["customRequestHeaders"]
    assert plain["x-edgeconform-tls"] == ""  # removed: a client cannot claim TLS on cleartext
    tls = dynamic["tls"]
    assert len(tls["certificates"]) == 3 and tls["stores"]["default"]["defaultCertificate"]["certFile"].endswith(
        "controller-default.edgeconform.test.crt")
    assert dynamic["http"]["services"]["echo"]["loadBalancer"]["servers"] == [{"url": "http://10.0.4.31:9000"}]


def test_on_the_loopback_fallback_the_vpc_stands_for_the_places_load_balancer_and_node(tmp_path):
    fallback = place(tmp_path, ip="127.5.3.1", lb="127.5.1.1", node="127.5.2.1", https_port=8443)
    assert traefik_local.at_place(["10.0.0.0/16", "0.0.0.0/0", "192.0.2.0/24"], fallback) == \
           ["127.5.1.1/32", "127.5.2.1/32", "0.0.0.0/0", "192.0.2.0/24"]
    assert traefik_local.at_place(["10.0.0.0/16"], place(tmp_path / "ns")) == ["10.0.0.0/16"]
    t = bound("alb")
    static = yaml.safe_load(traefik_local.render_static(t, traefik_settings.native(t), fallback, traefik_settings.entry_points(t)))
    assert static["entryPoints"]["web"]["forwardedHeaders"]["trustedIPs"] == ["127.5.1.1/32", "127.5.2.1/32"]
    dynamic = yaml.safe_load(traefik_local.render_dynamic(t, traefik_settings.native(t), fallback, traefik_settings.entry_points(t)))
    # as written: Traefik compares the URL (Host without a port) with the target's, so 443 keeps HTTPS served
    assert dynamic["http"]["middlewares"]["redirect-to-https"]["redirectScheme"]["port"] == "443"
    # ... and a client that names the fallback's 8443 in Host (the WebSocket client) would be redirected: unmeasured
    assert "port 8443" in traefik_local.fallback_notes(t, traefik_settings.native(t), fallback)["websocket[wss]"]
    assert traefik_local.fallback_notes(t, traefik_settings.native(t), place(tmp_path / "ns2")) == {}
