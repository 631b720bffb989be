"""A controller block written in a controller's own vocabulary (kind + settings): checked by the plug-in, the trust
model derived from it, and every mistake named with the file, the entry and the field."""

from __future__ import annotations

import textwrap

import pytest

from edgeconform import catalog, controllers
from edgeconform.catalog import TopologyError

PLUGIN = '''
from typing import Literal
from pydantic import BaseModel, ConfigDict
from edgeconform.controllers.base import Controller, Semantics, SettingsError

class Listener(BaseModel):
    model_config = ConfigDict(extra="forbid")
    proxyProtocol: bool = False
    trustedHops: int = 0
    redirect: Literal[301, 302, 308] | None = None

class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    listener: Listener = Listener()

class Vocab(Controller):
    name = "vocab"
    title = "a controller with its own vocabulary"
    runs_on = ("local",)
    settings_model = Settings
    semantics = Semantics(redirect_default=302, proxy_protocol="optional", host_sni="route",
                          sources={"proxy_protocol": ("ENVOY-PP",)})

    @classmethod
    def to_abstract(cls, settings, t):
        if settings.listener.trustedHops > 3:
            raise SettingsError("listener.trustedHops", "vocab trusts at most 3 hops")
        redirect = settings.listener.redirect
        return {"proxy_protocol": settings.listener.proxyProtocol, "trusted_hops": settings.listener.trustedHops,
                "cleartext": "redirect" if redirect else "serve", "redirect_code": redirect or 302}
'''


@pytest.fixture
def vocab(installed_controller):
    installed_controller("vocab_controller", PLUGIN, "vocab", "Vocab")


def load(write_topologies, controller_block: str):
    import yaml

    document = {"topologies": {"mine": {
        "hostnames": ["a.test"],
        "load_balancer": {"model": "nlb", "listeners": [{"port": 80, "protocol": "TCP", "target": "http"}],
                          "target_type": "ip", "proxy_protocol": "v2"},
        "controller": yaml.safe_load(textwrap.dedent(controller_block))}}}
    return catalog.load_file(write_topologies(yaml.safe_dump(document)))["mine"]


def test_settings_in_the_controllers_own_terms_give_the_trust_model(vocab, write_topologies):
    t = load(write_topologies, """
        kind: vocab
        settings: {listener: {proxyProtocol: true, redirect: 301}}
    """)
    ctl = t.controller
    assert (ctl.kind, ctl.proxy_protocol, ctl.trusted_hops, ctl.cleartext, ctl.redirect_code) == \
           ("vocab", True, 0, "redirect", 301)
    assert controllers.semantics_of(t).proxy_protocol == "optional"


@pytest.mark.parametrize("block, field, words", [
    ("kind: vocab\nsettings: {listener: {proxyProtocoll: true}}", "controller.settings.listener.proxyProtocoll",
     "Extra inputs are not permitted"),
    ("kind: vocab\nsettings: {listener: {redirect: 303}}", "controller.settings.listener.redirect", "Input should be"),
    ("kind: vocab\nsettings: {listener: {trustedHops: 5}}", "controller.settings.listener.trustedHops",
     "vocab trusts at most 3 hops"),
    ("kind: vocab\nsettings: {listener: {}}\nproxy_protocol: true", "controller.proxy_protocol",
     "follows from the vocab settings: give either controller.settings or the abstract fields"),
    ("kind: nope", "controller.kind", "unknown controller 'nope'"),
    ("settings: {listener: {}}", "controller.settings", "name the controller with controller.kind"),
    ("kind: envoy\nsettings: {a: 1}", "controller.settings", "envoy has no settings of its own"),
])
def test_a_mistake_in_a_controllers_own_terms_names_file_entry_and_field(vocab, write_topologies, block, field, words):
    with pytest.raises(TopologyError) as caught:
        load(write_topologies, block)
    assert f"topology 'mine': field '{field}': " in str(caught.value) and words in str(caught.value), str(caught.value)


def test_a_topology_binds_to_the_runs_controller_only_when_it_names_none(write_topologies):
    t = catalog.load()["alb"]
    assert t.controller.kind is None and t.with_controller("emissary").controller.kind == "emissary"
    named = t.with_controller("emissary").with_controller("envoy")
    assert named.controller.kind == "emissary"  # a topology's own controller wins


def test_trusted_networks_count_the_hops_inside_them():
    topologies = catalog.load()
    alb, nlb_ip, proxy = topologies["alb"], topologies["nlb-ip"], topologies["nlb-proxy-v2"]

    def trusting(t, cidrs):
        return t.model_copy(update={"controller": t.controller.model_copy(update={"trusted_hops": 0,
                                                                                    "trusted_cidrs": cidrs})})
    assert trusting(alb, ["10.0.0.0/16"]).forwarded_hops == 1  # the ALB's own entry, from the VPC
    assert trusting(alb, ["0.0.0.0/0"]).forwarded_hops > 10  # anyone's entries
    assert trusting(nlb_ip, ["10.0.0.0/16"]).forwarded_hops == 1  # behind L4 the peer is the NLB: a forged entry
    assert trusting(proxy, ["10.0.0.0/16"]).forwarded_hops == 0  # with PROXY the peer it judges is the client
    assert trusting(alb, []).forwarded_hops == 0


def test_a_controller_binary_that_was_not_built_names_dev_tools_and_its_variable(tmp_path, monkeypatch):
    from edgeconform import binaries
    from edgeconform.controllers.traefik import PROGRAM

    monkeypatch.setenv("EDGECONFORM_TOOLS_BIN", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("EDGECONFORM_TRAEFIK", raising=False)
    binaries.find.cache_clear()
    try:
        with pytest.raises(binaries.MissingBinary, match=r"traefik not found: build it with `./dev tools` \(needs Go; "
                                                         r"pinned in tools/traefik/go.mod\), or point "
                                                         r"EDGECONFORM_TRAEFIK at a release binary"):
            binaries.find(PROGRAM)
        built = tmp_path / "traefik"
        built.write_text("#!/bin/sh\n")
        built.chmod(0o755)
        binaries.find.cache_clear()
        assert binaries.find(PROGRAM) == str(built)
    finally:
        binaries.find.cache_clear()
