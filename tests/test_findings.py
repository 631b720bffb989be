"""The findings (edgeconform.findings): each known mistake is named by its code, explains exactly the cells its rule
declares, and the catalog has none. Real runs name them in failures (test_misconfigured.py)."""

import pytest

from edgeconform import findings

from .test_catalog import REQUIRED


@pytest.mark.parametrize("text, codes", [
    ("""
load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], proxy_protocol: v2}
controller: {proxy_protocol: false}""", {"PROXY_NOT_EXPECTED"}),
    ("""
load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}
controller: {proxy_protocol: true}""", {"PROXY_NOT_SENT"}),
    ("""
load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}
controller: {trusted_hops: 1}""", {"XFF_TRUSTED_BEHIND_L4"}),
    ("""
load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}], health_check: {success_codes: 200-399}}
controller: {trusted_hops: 2}""", {"XFF_TOO_MANY_HOPS"}),
    ("""
load_balancer: {model: clb, listeners: [{port: 80, protocol: HTTP, target: http}]}
controller: {trusted_hops: 0}""", {"XFF_NOT_TRUSTED", "CLB_HTTP_WEBSOCKET"}),
    ("""
load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], certificates: [a.example.test]}
controller: {cleartext: redirect}""", {"REDIRECT_LOOP_TLS_AT_LB"}),
])
def test_findings_name_the_mistake(synthetic, text, codes):
    assert {f.code for f in findings.findings(synthetic(text)) if f.kind == "mistake"} == codes


@pytest.mark.parametrize("name", REQUIRED)
def test_catalog_topologies_have_no_misconfiguration(topologies, name):
    codes = {f.code for f in findings.findings(topologies[name]) if f.kind == "mistake"}
    assert codes <= {"CLB_HTTP_WEBSOCKET"}, codes  # a documented limitation, not a mistake


# The cells each finding explains a failure of (what its rule, or the controller's limit, declares), as
# edgeconform.diagnosis scoped them by behaviour and security check; the others break every cell of an edge.
EXPLAINS = {
    "XFF_TRUSTED_BEHIND_L4": {"client_ip", "dual_stack", "redirect", "security[forged-client]",
                              "security[forged-proto]"},
    "XFF_TOO_MANY_HOPS": {"client_ip", "dual_stack", "security[forged-client]"},
    "CLB_HTTP_WEBSOCKET": {"websocket[ws]", "websocket[wss]"},
    "TLS_POLICY_OUTDATED": {"security[tls-versions]"},
    # a controller's limit explains the cells it names (here ingress-nginx's enable-real-ip without forwarded headers)
    "CONTROLLER_LIMIT": {"redirect", "security[redirect-loop]"},
    # Traefik's limits name the cells they concern (the trigger's: a 308 redirect it answers GET with 301)
    "TRAEFIK_CANNOT_EXPRESS": {"redirect", "websocket[ws]", "security[forged-proto]", "security[redirect-loop]"},
    "TRAEFIK_KEEPS_REAL_IP": {"security[forged-client]"},
    "HEALTH_CHECK_PROXY_NODE_PORT": {"health_check"},
    "HEALTH_CHECK_REDIRECTED": {"health_check"},
    "XFF_TOO_FEW_HOPS": {"client_ip", "security[forged-client]"},
    "XFF_CLIENT_PORT": {"client_ip", "security[forged-client]"},
    "MTLS_HEADERS_OVER_CLEARTEXT": {"security[mtls-headers]"},
    "EG_SERVICE_ETP_LOCAL": {"client_ip"},
    "EG_UPGRADE_REFUSED_ON_REDIRECT": {"websocket[ws]"},
}
EVERYWHERE = {"PROXY_NOT_EXPECTED", "PROXY_NOT_SENT", "XFF_NOT_TRUSTED", "REDIRECT_LOOP_TLS_AT_LB",
              "REDIRECT_LOOP_CLOUDFRONT_HTTP_ORIGIN", "EG_NO_XFP_FROM_PROXY_PORT"}
TRIGGERS = {  # one topology per finding code
    "XFF_CLIENT_PORT": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}], "
                       "xff_client_port: true, health_check: {success_codes: 200-399}}\ncontroller: {trusted_hops: 1}",
    "MTLS_HEADERS_OVER_CLEARTEXT": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}, "
                                   "{port: 443, protocol: HTTPS, target: http}], certificates: [a.example.test], "
                                   "mutual_tls: verify, health_check: {success_codes: 200-399}}\n"
                                   "controller: {trusted_hops: 1, cleartext: serve}",
    "XFF_TOO_FEW_HOPS": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}, {port: 443, protocol: HTTPS, target: http}], certificates: [a.example.test], health_check: {success_codes: 200-399}, cloudfront: {viewer_protocol: redirect-to-https, origin_protocol: https-only, certificate: a.example.test}}\ncontroller: {trusted_hops: 1}",
    "REDIRECT_LOOP_CLOUDFRONT_HTTP_ORIGIN": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}, {port: 443, protocol: HTTPS, target: http}], certificates: [a.example.test], health_check: {success_codes: 200-399}, cloudfront: {viewer_protocol: redirect-to-https, origin_protocol: http-only, certificate: a.example.test}}\ncontroller: {trusted_hops: 2}",
    "HEALTH_CHECK_PROXY_NODE_PORT": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], "
                                    "proxy_protocol: v2, target_type: instance}\nkubernetes: {external_traffic_policy: "
                                    "Local}\ncontroller: {proxy_protocol: true}",
    "HEALTH_CHECK_REDIRECTED": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}]}\n"
                               "controller: {trusted_hops: 1}",
    "PROXY_NOT_EXPECTED": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], "
                          "proxy_protocol: v2}\ncontroller: {proxy_protocol: false}",
    "PROXY_NOT_SENT": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}\n"
                      "controller: {proxy_protocol: true}",
    "XFF_TRUSTED_BEHIND_L4": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}\n"
                             "controller: {trusted_hops: 1}",
    "XFF_TOO_MANY_HOPS": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}], health_check: {success_codes: 200-399}}\n"
                         "controller: {trusted_hops: 2}",
    "XFF_NOT_TRUSTED": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}], health_check: {success_codes: 200-399}}\n"
                       "controller: {trusted_hops: 0}",
    "CLB_HTTP_WEBSOCKET": "load_balancer: {model: clb, listeners: [{port: 80, protocol: HTTP, target: http}]}\n"
                          "controller: {trusted_hops: 1}",
    "REDIRECT_LOOP_TLS_AT_LB": "load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], "
                               "certificates: [a.example.test]}\ncontroller: {cleartext: redirect}",
    "TLS_POLICY_OUTDATED": "load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], "
                           "certificates: [a.example.test], tls_policy: ELBSecurityPolicy-2016-08}\ncontroller: {cleartext: serve}",
    "CONTROLLER_LIMIT": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}]}\n"
                        "controller: {kind: ingress-nginx, settings: {enable-real-ip: 'true', "
                        "proxy-real-ip-cidr: 10.0.0.0/8}}",
    "TRAEFIK_CANNOT_EXPRESS": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}\n"
                              "controller: {kind: traefik, redirect_code: 308}",
    "TRAEFIK_KEEPS_REAL_IP": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}]}\n"
                             "controller: {kind: traefik, trusted_hops: 1, cleartext: serve}",
    # Envoy Gateway's limits (EnvoyGateway.limits): its own codes, beside the mistakes they come with
    "EG_NO_XFP_FROM_PROXY_PORT": "load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], "
                                 "certificates: [a.example.test], proxy_protocol: v2, target_type: ip}\n"
                                 "controller: {kind: envoy-gateway, proxy_protocol: true, cleartext: redirect}",
    "EG_SERVICE_ETP_LOCAL": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], "
                            "target_type: instance}\nkubernetes: {external_traffic_policy: Cluster}\n"
                            "controller: {kind: envoy-gateway, cleartext: serve}",
    "EG_UPGRADE_REFUSED_ON_REDIRECT": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], "
                                      "target_type: ip}\ncontroller: {kind: envoy-gateway, cleartext: redirect}",
}
# The mistakes a controller's limit comes with (the limit is named beside them)
ALONGSIDE = {"EG_NO_XFP_FROM_PROXY_PORT": {"REDIRECT_LOOP_TLS_AT_LB"}}


def test_every_finding_code_is_covered_here():
    assert set(TRIGGERS) == set(findings.CODES) - set(findings.NOTES) == set(EXPLAINS) | EVERYWHERE


@pytest.mark.parametrize("text, words", [
    ("load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], target_type: instance}",
     "client-IP preservation is on"),
    ("load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], target_type: ip}",
     "preservation is off"),
    ("load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], security_groups: false}",
     "no security groups"),
])
def test_nlb_security_groups_are_a_load_time_note_with_sources(synthetic, text, words):
    [note] = [f for f in findings.findings(synthetic(text)) if f.code == "NLB_SECURITY_GROUPS"]
    assert note.kind == "note" and words in note.message and "NLB-SG" in note.sources
    assert "not emulated" in note.message
    assert all(f.code != "NLB_SECURITY_GROUPS" for f in findings.for_cell(synthetic(text), "client_ip"))


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_each_finding_explains_the_cells_it_names(synthetic, code):
    from edgeconform import behaviours

    t = synthetic(TRIGGERS[code])
    assert {f.code for f in findings.findings(t) if f.kind == "mistake"} == {code, *ALONGSIDE.get(code, ())}
    cells = {e.cell: (e.behaviour, e.variant) for e in behaviours.for_topology(t)}
    explained = {cell for cell, (name, variant) in cells.items()
                 if code in [f.code for f in findings.for_cell(t, name, variant)]}
    assert explained == (set(cells) if code in EVERYWHERE else EXPLAINS[code])


@pytest.mark.parametrize("text, code", [
    ("load_balancer: {model: alb, listeners: [{port: 8443, protocol: HTTPS, target: http}], certificates: [a.test]}\n"
     "controller: {trusted_hops: 1}", "ALB_HOST_PORT"),
    ("load_balancer: {model: alb, listeners: [{port: 443, protocol: HTTPS, target: http}], certificates: [a.test], "
     "mutual_tls: passthrough}\ncontroller: {trusted_hops: 1}", "ALB_MTLS_PASSTHROUGH_CHAIN"),
])
def test_what_the_stand_in_does_not_emulate_is_a_load_time_note(synthetic, text, code):
    [note] = [f for f in findings.findings(synthetic(text)) if f.code == code]
    assert note.kind == "note" and note.sources


@pytest.mark.parametrize("code, kind", [("XFF_CLIENT_PORT", "ingress-nginx"), ("XFF_TOO_FEW_HOPS", "traefik")])
def test_a_mistake_a_controller_cannot_make_is_not_predicted_for_it(synthetic, code, kind):
    """nginx's realip parses ip:port entries [NGINX-XFF]; Traefik has no hop count and concludes no client from
    X-Forwarded-For, so trusting the ALB is all it needs behind CloudFront. The generic controller makes both."""
    t = synthetic(TRIGGERS[code])
    assert code in {f.code for f in findings.findings(t)}
    assert code not in {f.code for f in findings.findings(t.with_controller(kind))}


def test_a_rule_that_names_a_behaviour_explains_each_of_its_cells(synthetic):
    t = synthetic(TRIGGERS["CLB_HTTP_WEBSOCKET"])
    assert {f.code for f in findings.for_cell(t, "websocket", "ws")} == {"CLB_HTTP_WEBSOCKET"}
    assert {f.code for f in findings.for_cell(t, "websocket", "wss")} == {"CLB_HTTP_WEBSOCKET"}
    assert findings.for_cell(t, "sni") == []


def test_a_rule_that_explains_nothing_fails_where_it_is_declared():
    with pytest.raises(ValueError, match="SILENT: a mistake explains the cells it names"):
        findings.rule("SILENT")(lambda t: None)
    with pytest.raises(ValueError, match="LOUD: .*this note explains"):
        findings.rule("LOUD", explains=("sni",), kind="note")(lambda t: None)
    declared = findings.rule("SOME", explains=("sni",))(lambda t: ("words", ("NLB-TG23",)))
    [found] = declared(None)
    assert (found.code, found.cells, found.everywhere, found.kind) == ("SOME", ("sni",), False, "mistake")
