"""The settings responsible for a change, said in each side's own vocabulary (catalog/advice.yaml), and the table
itself: every setting, cell, finding and source it names exists, and a controller plug-in can extend it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from edgeconform import catalog, findings
from edgeconform.compare import advice

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "migrations"


def pair(name: str, tmp_path: Path):
    """The pair's two topologies as their runs bind them, the kinds named in the files kept (the controllers need
    not be installed for their words): loaded from a copy without controller.kind, the kind put back."""
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder)
    out = []
    for side in ("before", "after"):
        path = folder / f"{side}.yaml"
        document = yaml.safe_load(path.read_text())
        kind = None
        for block in [(document.get("defaults") or {}).get("controller") or {},
                      *((e or {}).get("controller") or {} for e in document["topologies"].values())]:
            kind = block.pop("kind", kind)
        path.write_text(yaml.safe_dump(document))
        (t,) = catalog.load_file(path).values()
        out.append(t.model_copy(update={"controller": t.controller.model_copy(update={"kind": kind})}))
    return out


def with_kind(t, kind):
    return t.model_copy(update={"controller": t.controller.model_copy(update={"kind": kind})})


def texts(hints):
    return [h.text for h in hints]


def test_the_table_names_only_what_exists():
    assert advice.problems(advice.load()) == []


def test_the_check_of_the_table_can_fail():
    table = advice.load()
    broken = advice.Advice(fields={**table.fields, "load_balancer.colour": ("client_ip",), "controller.cleartext":
                                   ("redirect", "nonsense")},
                           findings={**table.findings, "NOT_A_CODE": {}},
                           vocabularies={**table.vocabularies,
                                         "x": {"controller.cleartext": advice.Entry({}, {}, {}, ("NOPE",))}})
    found = "\n".join(advice.problems(broken))
    for words in ("'load_balancer.colour' is not a setting", "unknown cell 'nonsense'", "unknown code 'NOT_A_CODE'",
                  "unknown source key(s) ['NOPE']", "vocabularies.x.controller.cleartext: says nothing"):
        assert words in found


def test_every_finding_has_a_fix_and_the_table_says_every_setting():
    table = advice.load()
    assert set(table.findings) == set(findings.CODES)
    assert set(table.fields) == set(advice.settings(next(iter(catalog.load().values()))))


def test_a_controller_setting_without_a_counterpart_is_said_in_both_vocabularies(tmp_path):
    before, after = pair("nginx-alb-forwarded-headers-to-traefik", tmp_path)
    assert (before.controller.kind, after.controller.kind) == ("ingress-nginx", "traefik")
    [hint] = advice.hints("client_ip", "", before, after)
    assert hint.field == "controller.trusted_hops" and (hint.before, hint.after) == (1, 0)
    assert hint.text == ('`use-forwarded-headers: "true"` had no counterpart in Traefik: add `forwardedHeaders.'
                         'trustedIPs: [<the VPC CIDR>]` to the web and websecure entryPoints (Helm: '
                         '`ports.web.forwardedHeaders.trustedIPs`)')
    assert "TRAEFIK-EP" in hint.sources and "NGX-CM" in hint.sources
    # the issue's own example: the same ingress-nginx edge moved to Envoy Gateway
    [hint] = advice.hints("client_ip", "", before, with_kind(after, "envoy-gateway"))
    assert hint.text == ('`use-forwarded-headers: "true"` had no counterpart in Envoy Gateway: add '
                         '`clientIPDetection.xForwardedFor.numTrustedHops: 1` to the ClientTrafficPolicy')


def test_proxy_protocol_left_out_of_the_client_traffic_policy(tmp_path):
    before, after = pair("nginx-nlb-proxy-v2-to-envoy-gateway", tmp_path)
    hints = advice.hints("sni", "", before, after)
    assert texts(hints) == ['`use-proxy-protocol: "true"` had no counterpart in Envoy Gateway: add `proxyProtocol: {}` '
                            'to the ClientTrafficPolicy']
    # PROXY_NOT_EXPECTED is new after, but the setting above already says what to change: no second hint
    assert "PROXY_NOT_EXPECTED" in [f.code for f in findings.findings(after)]


def test_a_load_balancer_change_says_what_the_new_value_does(tmp_path):
    before, after = pair("nlb-instance-to-nlb-ip", tmp_path)
    hints = advice.hints("client_ip", "", before, after)
    assert [h.field for h in hints] == ["load_balancer.target_type", "load_balancer.client_ip_preservation"]
    assert hints[0].text.startswith("`service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance` became "
                                    "`service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip`: ip targets "
                                    "with TCP do not keep the client's address")
    assert advice.hints("sni", "", before, after) == []  # nothing that decides the certificates changed


def test_a_redirect_loop_names_the_port_split_in_the_after_controllers_terms(tmp_path):
    before, after = pair("nlb-tls-force-ssl-redirect-to-httproute-redirect", tmp_path)
    hints = {h.field: h for h in advice.hints("redirect", "", before, after)}
    assert set(hints) == {"load_balancer.listeners", "controller.cleartext"}
    assert "give the NLB's port 80 a Gateway listener of its own" in hints["load_balancer.listeners"].text
    assert hints["load_balancer.listeners"].text.startswith("the NLB-TLS manifest's port split")


def test_a_new_finding_whose_fix_no_setting_names_becomes_a_hint(topologies):
    before = topologies["nlb-tls"]
    # the same edge with the redirect-only port dropped, written for another controller: no setting of the two
    # vocabularies explains the loop alone, the finding does
    after = before.model_copy(update={"load_balancer": before.lb.model_copy(update={"listeners": [
        before.lb.listeners[0].model_copy(update={"target": "http"}), before.lb.listeners[1]]}),
        "controller": before.controller.model_copy(update={"cleartext": "redirect"})})
    hints = advice.hints("security", "redirect-loop", before, after)
    assert any(h.finding is None and h.field == "load_balancer.listeners" for h in hints)
    assert not [h for h in hints if h.finding]  # its fix (the port split) is already named above
    only_finding = advice.hints("security", "redirect-loop", before.model_copy(update={"name": "x"}), after,
                                advice.Advice(fields={}, findings=advice.load().findings,
                                              vocabularies=advice.load().vocabularies))
    [hint] = only_finding
    assert hint.finding == "REDIRECT_LOOP_TLS_AT_LB" and "(REDIRECT_LOOP_TLS_AT_LB): " in hint.text


PLUGIN = '''
from edgeconform.controllers.base import Controller

class Said(Controller):
    name = "said"
    title = "Said"
    runs_on = ("local",)
    advice = {"controller.proxy_protocol": {"say": {True: "`listen.proxy: on`", False: "`listen.proxy: off`"},
                                            "fix": {True: "turn `listen.proxy` on"}, "sources": ["ENVOY-PP"]}}
'''


def test_a_controller_plug_in_adds_its_own_words(installed_controller, topologies):
    installed_controller("said_controller", PLUGIN, "said", "Said")
    advice.load.cache_clear()
    try:
        before = with_kind(topologies["nlb-proxy-v2"], "ingress-nginx")
        after = with_kind(before.model_copy(update={"controller": before.controller.model_copy(
            update={"proxy_protocol": False})}), "said")
        [hint] = advice.hints("client_ip", "", before, after)
        assert hint.text == '`use-proxy-protocol: "true"` had no counterpart in Said: turn `listen.proxy` on'
        assert advice.problems(advice.load()) == []
    finally:
        advice.load.cache_clear()


@pytest.mark.parametrize("name", ["nlb-proxy-v2", "alb", "nlb-tls", "clb-http"])
def test_every_setting_is_said_in_every_vocabulary(topologies, name):
    """No vocabulary leaves a setting unsaid: where it has no words, the next one in the chain (or the abstract
    field) says it."""
    t = topologies[name]
    table = advice.load()
    for kind in [None, *table.vocabularies]:
        chain = table.vocabulary(with_kind(t, kind))
        for field, value in advice.settings(t).items():
            words, _ = table.say(chain, field, value)
            assert words and "{value}" not in words, (kind, field, value)
