"""The findings (edgeconform.findings): each known mistake is named by its code, and the catalog has none.

Which cells a finding explains (``Cell.explained_by``) is tested with the security rules
(behaviours/security/test_security_rules.py) and through real runs (test_misconfigured.py).
"""

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
load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}]}
controller: {trusted_hops: 2}""", {"XFF_TOO_MANY_HOPS"}),
    ("""
load_balancer: {model: clb, listeners: [{port: 80, protocol: HTTP, target: http}]}
controller: {trusted_hops: 0}""", {"XFF_NOT_TRUSTED", "CLB_HTTP_WEBSOCKET"}),
    ("""
load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], certificates: [a.example.test]}
controller: {cleartext: redirect}""", {"REDIRECT_LOOP_TLS_AT_LB"}),
])
def test_findings_name_the_mistake(synthetic, text, codes):
    assert {f.code for f in findings.findings(synthetic(text))} == codes


@pytest.mark.parametrize("name", REQUIRED)
def test_catalog_topologies_have_no_misconfiguration(topologies, name):
    codes = {f.code for f in findings.findings(topologies[name])}
    assert codes <= {"CLB_HTTP_WEBSOCKET"}, codes  # a documented limitation, not a mistake


# The cells each finding explains a failure of (``Cell.explained_by``), as edgeconform.diagnosis scoped them by
# behaviour and security check before the behaviours became modules; the others break every cell of an edge.
EXPLAINS = {
    "XFF_TRUSTED_BEHIND_L4": {"client_ip", "redirect", "security[forged-client]", "security[forged-proto]"},
    "XFF_TOO_MANY_HOPS": {"client_ip", "security[forged-client]"},
    "CLB_HTTP_WEBSOCKET": {"websocket[ws]", "websocket[wss]"},
    "TLS_POLICY_OUTDATED": {"security[tls-versions]"},
    "EG_SERVICE_ETP_LOCAL": {"client_ip"},
    "EG_UPGRADE_REFUSED_ON_REDIRECT": {"websocket[ws]"},
}
EVERYWHERE = {"PROXY_NOT_EXPECTED", "PROXY_NOT_SENT", "XFF_NOT_TRUSTED", "REDIRECT_LOOP_TLS_AT_LB",
              "EG_NO_XFP_FROM_PROXY_PORT"}
TRIGGERS = {  # one topology per finding code
    "PROXY_NOT_EXPECTED": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}], "
                          "proxy_protocol: v2}\ncontroller: {proxy_protocol: false}",
    "PROXY_NOT_SENT": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}\n"
                      "controller: {proxy_protocol: true}",
    "XFF_TRUSTED_BEHIND_L4": "load_balancer: {model: nlb, listeners: [{port: 80, protocol: TCP, target: http}]}\n"
                             "controller: {trusted_hops: 1}",
    "XFF_TOO_MANY_HOPS": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}]}\n"
                         "controller: {trusted_hops: 2}",
    "XFF_NOT_TRUSTED": "load_balancer: {model: alb, listeners: [{port: 80, protocol: HTTP, target: http}]}\n"
                       "controller: {trusted_hops: 0}",
    "CLB_HTTP_WEBSOCKET": "load_balancer: {model: clb, listeners: [{port: 80, protocol: HTTP, target: http}]}\n"
                          "controller: {trusted_hops: 1}",
    "REDIRECT_LOOP_TLS_AT_LB": "load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], "
                               "certificates: [a.example.test]}\ncontroller: {cleartext: redirect}",
    "TLS_POLICY_OUTDATED": "load_balancer: {model: nlb, listeners: [{port: 443, protocol: TLS, target: http}], "
                           "certificates: [a.example.test], tls_min_version: TLSv1.0}\ncontroller: {cleartext: serve}",
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
    assert set(TRIGGERS) == set(findings.CODES) == set(EXPLAINS) | EVERYWHERE


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_each_finding_explains_the_cells_it_names(synthetic, code):
    from edgeconform import behaviours

    t = synthetic(TRIGGERS[code])
    assert {f.code for f in findings.findings(t)} == {code, *ALONGSIDE.get(code, ())}
    cells = {e.cell: (e.behaviour, e.variant) for e in behaviours.for_topology(t)}
    explained = {cell for cell, (name, variant) in cells.items()
                 if code in [f.code for f in findings.for_cell(t, name, variant)]}
    assert explained == (set(cells) if code in EVERYWHERE else EXPLAINS[code])
