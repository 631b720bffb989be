"""ingress-nginx in its own vocabulary: the ConfigMap keys, their translation to and from the abstract trust model
(for every catalog topology, each direction checked against the other and against the rules), its documented
semantics and limits, mistakes named with their field, and the cluster ConfigMap built from the same settings."""

from __future__ import annotations

import re

import pytest
import yaml

from edgeconform import behaviours, catalog, certs, controllers, findings, sources
from edgeconform.catalog import TopologyError
from edgeconform.controllers import EdgeFacts
from edgeconform.controllers.ingress_nginx import IngressNginx
from edgeconform.controllers.ingress_nginx.settings import SEMANTICS, SOURCE_TAG, VPC, Settings, localize

from tests.cases import generic

CATALOG = catalog.load()
NGINX = IngressNginx()
TRUST = ("proxy_protocol", "cleartext", "redirect_code", "tls_min_version")


def native(t, settings: dict, **controller):
    """``t`` with its controller block written in ingress-nginx's terms, loaded as a topology file would be."""
    data = t.model_dump(exclude={"origin"})
    data["controller"] = {"kind": "ingress-nginx", "settings": settings,
                          "certificates": t.controller.certificates, **controller}
    return catalog.parse(data)


def written(topologies_yaml: str, write_topologies):
    (t,) = catalog.load_file(write_topologies(topologies_yaml)).values()
    return t


# --- both ways, for every catalog topology -------------------------------------------------------------------------
@pytest.mark.parametrize("name", generic(CATALOG))
def test_abstract_to_native_and_back_keeps_the_trust_model(name):
    t = CATALOG[name].with_controller("ingress-nginx")
    settings = NGINX.to_native(t)
    back = native(t, settings.configmap())
    for field in TRUST:
        assert getattr(back.controller, field) == getattr(t.controller, field), field
    if t.controller.trusted_hops <= 1:  # more hops are a limit (nginx trusts addresses): cloudfront-alb
        assert back.forwarded_hops == t.forwarded_hops
    assert back.controller.host_sni_mismatch == "route"  # ingress-nginx never answers 421
    # and native -> abstract -> native gives the same ConfigMap
    assert NGINX.to_native(back).configmap() == settings.configmap()


@pytest.mark.parametrize("name", generic(CATALOG))
def test_both_forms_get_the_same_expectations(name):
    """The rules read the same trust model whichever vocabulary the block is written in (host-sni aside: the
    abstract default asks for 421, which ingress-nginx cannot give, a limit of its own)."""
    t = CATALOG[name].with_controller("ingress-nginx")
    back = native(t, NGINX.to_native(t).configmap())
    ours = {e.cell: (e.outcome, e.want, e.sources) for e in behaviours.for_topology(t)}
    theirs = {e.cell: (e.outcome, e.want, e.sources) for e in behaviours.for_topology(back)}
    differing = {cell for cell in ours if ours[cell] != theirs[cell]}
    assert differing <= {"security[host-sni]"}, differing


@pytest.mark.parametrize("name", generic(CATALOG))
def test_the_cluster_configmap_comes_from_the_same_settings(name, tmp_path):
    t = CATALOG[name].with_controller("ingress-nginx")
    issued = certs.issue(tmp_path, "controller", t.controller.certificates)
    data = NGINX.translate(t, EdgeFacts(("172.18.0.9",), issued)).settings
    expected = {**NGINX.to_native(t).configmap(), "proxy-real-ip-cidr": "172.18.0.9/32"}
    assert {k: v for k, v in data.items() if k not in ("proxy-set-headers", "http-snippet")} == expected


def test_the_translation_of_the_abstract_block_is_the_one_the_cluster_always_had():
    s = NGINX.to_native(CATALOG["alb"]).configmap()
    assert s == {"use-proxy-protocol": "false", "use-forwarded-headers": "true", "compute-full-forwarded-for": "true",
                 "forwarded-for-header": "X-Forwarded-For", "proxy-real-ip-cidr": VPC, "ssl-redirect": "true",
                 "force-ssl-redirect": "true", "http-redirect-code": "308", "ssl-protocols": "TLSv1.2 TLSv1.3"}
    assert NGINX.to_native(CATALOG["nlb-tls"]).configmap()["force-ssl-redirect"] == "false"
    assert NGINX.to_native(CATALOG["nlb-proxy-v2"]).configmap()["use-proxy-protocol"] == "true"


# --- ingress-nginx -> the trust model: its documented semantics ----------------------------------------------------
def test_defaults_are_the_releases():
    s = Settings()
    assert (s.use_proxy_protocol, s.use_forwarded_headers, s.proxy_real_ip_cidr, s.ssl_redirect,
            s.force_ssl_redirect, s.http_redirect_code, s.ssl_protocols, s.proxy_read_timeout, s.keep_alive) == \
           ("false", "false", "0.0.0.0/0", "true", "false", "308", "TLSv1.2 TLSv1.3", "60", "75")
    assert s.configmap() == {}  # nothing written, nothing in the ConfigMap


def test_ssl_redirect_needs_ingress_tls_force_ssl_redirect_does_not():
    at_controller, at_lb = CATALOG["nlb-proxy-v2"], CATALOG["alb"]
    assert native(at_controller, {}).controller.cleartext == "redirect"  # the default ssl-redirect, Ingress TLS
    assert native(at_lb, {"use-forwarded-headers": "true"}).controller.cleartext == "serve"  # no Ingress TLS
    assert native(at_lb, {"force-ssl-redirect": True}).controller.cleartext == "redirect"
    assert native(at_controller, {"ssl-redirect": "false"}).controller.cleartext == "serve"


@pytest.mark.parametrize("certificates", [["app.edgeconform.test"], ["default.edgeconform.test", "app.edgeconform.test"],
                                          ["*.edgeconform.test"], ["default.edgeconform.test"],
                                          ["default.edgeconform.test", "api.edgeconform.test"]])
@pytest.mark.parametrize("settings", [{}, {"use-proxy-protocol": "true"}, {"ssl-redirect": "false"},
                                      {"force-ssl-redirect": "true"}])
def test_the_expectation_and_the_local_rendering_read_the_same_ingress_tls(certificates, settings, tmp_path):
    """Issue 19: an edge imported as written (one Ingress TLS host, no --default-ssl-certificate) ran without the
    redirect its expectation said. The cleartext the rules expect for the first hostname is the one nginx renders."""
    from edgeconform.controllers.base import LocalPlace
    from edgeconform.controllers.ingress_nginx.local import local_context

    t = native(CATALOG["nlb-proxy-v2"], settings, certificates=certificates)
    issued = certs.issue(tmp_path, "controller", certificates)
    place = LocalPlace(ip="10.0.3.21", ports={"http": 8080, "https": 8443}, admin_port=9901, backend=("10.0.4.31", 80),
                       https_port=None, idle_timeout=350, certificates=issued, workdir=tmp_path)
    rendered = {host["name"]: host["redirect"] for host in local_context(t, place, NGINX.to_native(t))["hosts"]}
    assert rendered[t.hostnames[0]] == (t.controller.cleartext == "redirect")
    mixed = len(set(rendered.values())) > 1
    assert mixed == any(limit.field == "controller.settings.ssl-redirect" for limit in NGINX.limits(t))


def test_trust_is_by_address_and_the_default_trusts_everyone():
    alb, nlb_ip, proxy = CATALOG["alb"], CATALOG["nlb-ip"], CATALOG["nlb-proxy-v2"]
    assert native(alb, {"use-forwarded-headers": "true", "proxy-real-ip-cidr": "172.31.0.0/16"}).forwarded_hops == 1
    assert native(alb, {"use-forwarded-headers": "true"}).forwarded_hops > 10  # 0.0.0.0/0
    assert native(nlb_ip, {"use-forwarded-headers": "true", "proxy-real-ip-cidr": "10.0.0.0/8"}).forwarded_hops == 1
    assert native(alb, {}).forwarded_hops == 0  # the realip module is off
    # PROXY alone reads no X-Forwarded-For; PROXY + use-forwarded-headers trusts it only from trusted PROXY sources
    assert native(proxy, {"use-proxy-protocol": "true", "enable-real-ip": "true"}).controller.trusted_cidrs == []
    both = {"use-proxy-protocol": "true", "use-forwarded-headers": "true"}
    assert native(proxy, {**both, "proxy-real-ip-cidr": "10.0.0.0/16"}).forwarded_hops == 0
    assert native(proxy, both).forwarded_hops > 10  # 0.0.0.0/0: any client's own X-Forwarded-For


def test_redirect_code_and_tls_versions():
    t = CATALOG["nlb-proxy-v2"]
    assert native(t, {"http-redirect-code": 301}).controller.redirect_code == 301
    assert native(t, {"ssl-protocols": "TLSv1.3"}).controller.tls_min_version == "TLSv1.3"
    assert native(t, {"ssl-protocols": "TLSv1.3 TLSv1 TLSv1.2"}).controller.tls_min_version == "TLSv1.0"


def test_semantics_are_cited():
    assert controllers.semantics_of(CATALOG["alb"].with_controller("ingress-nginx")) is SEMANTICS
    assert (SEMANTICS.redirect_default, SEMANTICS.proxy_protocol, SEMANTICS.host_sni) == (308, "required", "route")
    assert SEMANTICS.https_by_proxy_port
    assert set(SEMANTICS.notes) <= set(SEMANTICS.sources)
    for fact, keys in SEMANTICS.sources.items():
        assert keys and not sources.unknown(list(keys)), fact
    assert "301" in SEMANTICS.notes["redirect_default"]  # configmap.md's word, which the code does not follow


def test_the_local_rendering_follows_the_pinned_release():
    assert SOURCE_TAG == f"controller-v{NGINX.version()}"
    for key in ("NGX-TMPL", "NGX-LUA", "NGX-CERT", "NGX-CMGO", "NGX-CFG", "NGX-TGO"):
        assert SOURCE_TAG in sources.url(key), key


def test_a_private_network_stands_for_the_vpc_where_the_edge_is_built():
    assert localize(["192.168.0.0/16"], ("10.0.0.0/16",)) == ["10.0.0.0/16"]
    assert localize(["10.0.0.0/8", "172.16.0.0/12"], ("10.0.1.17/32", "10.0.2.11/32")) == ["10.0.1.17/32",
                                                                                          "10.0.2.11/32"]
    assert localize(["0.0.0.0/0"], ("10.0.0.0/16",)) == ["0.0.0.0/0"]
    assert localize(["130.176.0.0/16", "10.0.0.0/8"], ("10.0.0.0/16",)) == ["130.176.0.0/16", "10.0.0.0/16"]


# --- limits and findings -------------------------------------------------------------------------------------------
def limits(t):
    return {limit.field: limit for limit in NGINX.limits(t)}


def test_a_hop_count_beyond_one_is_a_limit_and_not_measured():
    t = CATALOG["alb"].model_copy(update={"controller": CATALOG["alb"].controller.model_copy(
        update={"trusted_hops": 2, "kind": "ingress-nginx"})})
    assert "controller.trusted_hops" in limits(t)
    assert "hop count" in NGINX.unsupported(t)["client_ip"]


def test_forwarded_headers_trust_proto_from_anyone_9163():
    t = native(CATALOG["nlb-proxy-v2"], {"use-proxy-protocol": "true", "use-forwarded-headers": "true",
                                         "proxy-real-ip-cidr": "10.0.0.0/16"})
    found = limits(t)
    proto = found["controller.settings.use-forwarded-headers"]
    assert "#9163" in proto.sources and "security[forged-proto]" in proto.cells
    assert any("UNVERIFIED" in limit.message and "#12768" in limit.sources for limit in NGINX.limits(t))
    cell = [f.code for f in findings.for_cell(t, "security", "forged-proto")]
    assert "CONTROLLER_LIMIT" in cell
    assert "CONTROLLER_LIMIT" not in [f.code for f in findings.for_cell(t, "websocket", "ws")]


def test_enable_real_ip_alone_and_another_forwarded_for_header_are_limits():
    alb = CATALOG["alb"]
    assert "controller.settings.enable-real-ip" in limits(native(alb, {"enable-real-ip": "true",
                                                                      "proxy-real-ip-cidr": "10.0.0.0/8"}))
    other = limits(native(alb, {"use-forwarded-headers": "true", "forwarded-for-header": "X-Real-IP"}))
    assert "client_ip" in other["controller.settings.forwarded-for-header"].cells


def test_limits_cite_known_sources():
    for t in CATALOG.values():
        for limit in NGINX.limits(t.with_controller("ingress-nginx")):
            assert limit.sources and not sources.unknown(list(limit.sources)), limit


def test_no_loop_is_predicted_where_ingress_nginx_reads_https_from_the_proxy_port(write_topologies):
    loop = catalog.load_file(catalog.assets.root() / "examples/misconfigured/tls-at-nlb-redirect-loop.yaml")
    (t,) = loop.values()
    assert "REDIRECT_LOOP_TLS_AT_LB" in [f.code for f in findings.findings(t.with_controller("envoy"))]
    assert "REDIRECT_LOOP_TLS_AT_LB" not in [f.code for f in findings.findings(t.with_controller("ingress-nginx"))]


# --- mistakes name their field -------------------------------------------------------------------------------------
ENTRY = {"hostnames": ["a.test"], "load_balancer": {"model": "nlb", "listeners": [
    {"port": 80, "protocol": "TCP", "target": "http"}], "target_type": "ip", "proxy_protocol": "v2"}}


@pytest.mark.parametrize("settings, field, words", [
    ({"use-proxy-protokol": "true"}, "controller.settings.use-proxy-protokol", "Extra inputs are not permitted"),
    ({"use-proxy-protocol": "yes"}, "controller.settings.use-proxy-protocol", "is not a boolean"),
    ({"proxy-real-ip-cidr": "10.0.0.0/8, vpc"}, "controller.settings.proxy-real-ip-cidr",
     "'vpc' is not an address or a network"),
    ({"http-redirect-code": 303}, "controller.settings.http-redirect-code", "would ignore it with a warning"),
    ({"ssl-protocols": "SSLv3 TLSv1.2"}, "controller.settings.ssl-protocols", "lists TLS versions"),
    ({"proxy-read-timeout": "60s"}, "controller.settings.proxy-read-timeout", "not a whole number"),
    ({"forwarded-for-header": "X Forwarded"}, "controller.settings.forwarded-for-header", "not an HTTP header name"),
    ({"ssl-ciphers": "HIGH'; include /etc/passwd; '"}, "controller.settings.ssl-ciphers", "not an OpenSSL cipher list"),
])
def test_a_wrong_setting_names_file_entry_and_field(write_topologies, settings, field, words):
    entry = {**ENTRY, "controller": {"kind": "ingress-nginx", "settings": settings}}
    with pytest.raises(TopologyError) as caught:
        catalog.load_file(write_topologies(yaml.safe_dump({"topologies": {"mine": entry}})))
    message = str(caught.value)
    assert re.search(rf"topology 'mine': field '{re.escape(field)}': .*{re.escape(words)}", message), message


def test_settings_and_abstract_fields_together_are_refused(write_topologies):
    entry = {**ENTRY, "controller": {"kind": "ingress-nginx", "settings": {"use-proxy-protocol": "true"},
                                     "proxy_protocol": True}}
    with pytest.raises(TopologyError, match="field 'controller.proxy_protocol': proxy_protocol follows from the "
                                            "ingress-nginx settings"):
        catalog.load_file(write_topologies(yaml.safe_dump({"topologies": {"mine": entry}})))


# --- bad input before anything runs --------------------------------------------------------------------------------
@pytest.mark.integration  # the check asks Envoy and HAProxy for their versions first
def test_a_wrong_nginx_binary_is_one_error_before_anything_runs(tmp_path, monkeypatch):
    from edgeconform import binaries
    from edgeconform.targets import TargetUsageError
    from edgeconform.targets.local import LocalTarget

    monkeypatch.setenv("EDGECONFORM_NGINX", str(tmp_path / "no-nginx"))
    binaries.find.cache_clear()
    binaries.version.cache_clear()
    try:
        with pytest.raises(TargetUsageError, match=r"EDGECONFORM_NGINX=.*no-nginx is not an executable file; fix the "
                                                   r"path or unset EDGECONFORM_NGINX"):
            LocalTarget.from_options({}, "ingress-nginx")
    finally:
        binaries.find.cache_clear()
        binaries.version.cache_clear()


def test_a_failure_names_the_controller_its_version_and_the_settings_the_cell_rests_on(tmp_path):
    from edgeconform.behaviours import expectation
    from edgeconform.edge import ControllerInfo, Edge
    from edgeconform.verdicts import _controller_lines

    t = native(CATALOG["nlb-proxy-v2"], {"use-proxy-protocol": "true", "use-forwarded-headers": "true"})
    edge = Edge(topology=t, target="local", endpoints={}, ca=tmp_path / "ca.pem", roles={}, client_cidr=None,
                client_addresses=[None],
                controller=ControllerInfo.of(NGINX, t, version="1.15.1 (edge semantics on nginx 1.31.3)"))
    lines = _controller_lines(edge, expectation(t, "security", "forged-proto"))
    assert lines[0] == ("controller: ingress-nginx 1.15.1 (edge semantics on nginx 1.31.3), with the settings this "
                        "cell rests on:")
    assert "  - use-forwarded-headers: true" in lines and "  - force-ssl-redirect: false (default)" in lines
    assert "  - proxy-read-timeout: 60 (default)" in _controller_lines(edge, expectation(t, "websocket", "ws"))
    assert NGINX.deciding(CATALOG["alb"], "client_ip")[0].startswith("(translated from the abstract block")


@pytest.mark.parametrize("longest, bucket", [(20, 64), (46, 64), (47, 128), (62, 128), (110, 128), (111, 256)])
def test_the_server_names_hash_is_sized_as_the_controller_sizes_it(longest, bucket):
    """nginxHashBucketSize [NGX-CTRL]: the longest name plus two, aligned to 8 bytes, plus 16, up to a power of two;
    the table at least config.go's 1024 [NGX-CFG], or the names' total length rounded up."""
    from edgeconform.controllers.ingress_nginx.local import server_names_hash

    assert server_names_hash(["a" * longest, "b.test"]) == {"bucket_size": bucket, "max_size": 1024}
    assert server_names_hash(["x" * 100] * 30)["max_size"] == 4096

