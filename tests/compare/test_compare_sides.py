"""What each side of a comparison runs, and every way to get it wrong: one error naming the cause and the fix, before
anything is built."""

from __future__ import annotations

import pytest

from edgeconform.compare import sides
from edgeconform.compare.sides import CompareError

EDGE = """
version: 1
topologies:
  {name}:
    hostnames: [a.example.test]
    load_balancer:
      model: nlb
      listeners: [{{port: 80, protocol: TCP, target: http}}]
      target_type: {target_type}
    controller: {{{controller}}}
"""


def edge(write_topologies, file: str, name: str = "edge", target_type: str = "instance", controller: str = ""):
    return write_topologies(EDGE.format(name=name, target_type=target_type, controller=controller), file)


def test_two_files_of_one_topology_each_pair_up_whatever_their_names(write_topologies):
    before = edge(write_topologies, "before.yaml", "old")
    after = edge(write_topologies, "after.yaml", "new", target_type="ip")
    plan = sides.plan(str(before), str(after), [])
    assert [(p.name, p.before, p.after) for p in plan.pairs] == [("old -> new", "old", "new")]
    assert plan.shape == "topologies"
    assert plan.before.pytest_args() == ["--controller", "envoy", "--topology-file", str(before), "--topology", "old"]
    assert plan.after.topologies["new"].controller.kind == "envoy"  # bound to the run's controller


def test_catalog_names_and_one_topology_of_a_file(write_topologies):
    plan = sides.plan("nlb-instance-local", "nlb-ip", ["envoy"])
    assert [p.name for p in plan.pairs] == ["nlb-instance-local -> nlb-ip"]
    assert plan.before.pytest_args() == ["--controller", "envoy", "--topology", "nlb-instance-local"]
    two = write_topologies(EDGE.format(name="a", target_type="ip", controller="") +
                           EDGE.format(name="b", target_type="ip", controller="").split("topologies:\n")[1], "two.yaml")
    plan = sides.plan(f"{two}:a", f"{two}:b", [])
    assert list(plan.before.topologies) == ["a"] and plan.shape == "none"  # the same edge under another name


def test_files_of_several_topologies_pair_by_name(write_topologies):
    text = EDGE.format(name="a", target_type="ip", controller="") + \
        EDGE.format(name="b", target_type="ip", controller="").split("topologies:\n")[1]
    before, after = write_topologies(text, "before.yaml"), write_topologies(text, "after.yaml")
    assert [p.name for p in sides.plan(str(before), str(after), []).pairs] == ["a", "b"]
    other = write_topologies(text.replace("  b:", "  c:"), "other.yaml")
    with pytest.raises(CompareError, match=r"do not pair up by name: .* \(unmatched: b, c\); give FILE:NAME"):
        sides.plan(str(before), str(other), [])


def test_one_topology_under_two_controllers(write_topologies):
    before = edge(write_topologies, "edges.yaml")
    with pytest.raises(CompareError, match="nothing to compare: give AFTER .* or two controllers"):
        sides.plan(str(before), None, ["envoy"])
    with pytest.raises(CompareError, match="--controller given 3 times"):
        sides.plan(str(before), None, ["envoy", "envoy", "envoy"])
    plan = sides.plan(str(before), None, ["envoy", "envoy"])
    assert plan.after.spec == plan.before.spec and plan.shape == "none"


def test_a_controller_that_cannot_run_here_is_named_with_where_it_runs(write_topologies):
    before = edge(write_topologies, "edges.yaml")
    with pytest.raises(CompareError, match="--controller: unknown controller 'nginx'; known: envoy, emissary"):
        sides.plan(str(before), None, ["envoy", "nginx"])
    with pytest.raises(CompareError, match="the emissary controller does not run on the local target "
                                           r"\(it runs on: cluster\); compare builds both edges locally"):
        sides.plan(str(before), None, ["envoy", "emissary"])
    named = edge(write_topologies, "named.yaml", controller="kind: emissary")
    with pytest.raises(CompareError, match="topology 'edge': controller.kind: the emissary controller does not "
                                           "run on the local target"):
        sides.plan(str(named), str(before), [])


LOCAL = """
from edgeconform.controllers.base import Controller

class Twin(Controller):
    name = "twin"
    title = "another local controller"
    runs_on = ("local",)
"""


def test_a_controller_named_in_the_file_is_not_overridden_silently(write_topologies, installed_controller):
    installed_controller("twin_controller", LOCAL, "twin", "Twin")
    named = edge(write_topologies, "named.yaml", controller="kind: envoy")
    plain = edge(write_topologies, "plain.yaml")
    assert sides.plan(str(named), str(plain), ["envoy"]).before.topologies["edge"].controller.kind == "envoy"
    with pytest.raises(CompareError, match=r"names its controller \(controller.kind: envoy\), which --controller "
                                           "twin cannot change: drop controller.kind"):
        sides.plan(str(named), str(plain), ["twin"])
    plan = sides.plan(str(plain), None, ["envoy", "twin"])
    assert plan.shape == "controllers" and plan.after.pytest_args()[:2] == ["--controller", "twin"]


def test_a_missing_file_or_name_says_what_to_give(write_topologies):
    with pytest.raises(CompareError, match="nope.yaml: no such file; give a topology file, FILE:NAME"):
        sides.plan("nope.yaml", "nlb-ip", [])
    with pytest.raises(CompareError, match="the catalog has no topology 'nlb-nope'; it has: nlb-instance-local"):
        sides.plan("nlb-nope", "nlb-ip", [])
    before = edge(write_topologies, "edges.yaml")
    with pytest.raises(CompareError, match=r"edges.yaml:other: .* has no topology 'other'; it has: edge"):
        sides.plan(f"{before}:other", "nlb-ip", [])


def test_an_imported_block_travels_with_its_side(write_topologies):
    text = EDGE.format(name="edge", target_type="ip", controller="") + """
imported:
  inputs: [k8s/ingress/]
  not_understood:
    - {file: k8s/ingress/configmap.yaml, line: 9, object: ConfigMap ingress-nginx/ingress-nginx-controller,
       key: data.enable-brotli, value: "true"}
  warnings: [no Ingress with TLS found]
"""
    plan = sides.plan(str(write_topologies(text, "imported.yaml")), "nlb-ip", [])
    assert plan.before.imported.not_understood[0].key == "data.enable-brotli"
    assert plan.after.imported is None
    from edgeconform import catalog
    with pytest.raises(catalog.TopologyError, match=r"field 'imported.not_understood.0.key': Field required"):
        catalog.load_file(write_topologies(text.replace("key: data.enable-brotli, ", ""), "bad.yaml"))
