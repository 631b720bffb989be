"""The hand-written topology files of examples/migrations/ are what import is to write: importing each side's
manifests gives them back, field by field (as test_import_roundtrip.py compares)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeconform import catalog, controllers, importing
from tests.importing.test_import_roundtrip import fields

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "migrations"
SIDES = [(pair.name, side) for pair in sorted(EXAMPLES.iterdir()) if pair.is_dir()
         for side in ("before", "after") if (pair / side / "manifests").is_dir()]
# The examples' ARNs, named as their topology files name them (an ARN does not say which name it covers)
ACM = {f"{name}.example.test": f"arn:aws:acm:eu-west-1:111122223333:certificate/0d1e-{name}"
       for name in ("default", "shop", "api")}
# Where a hand-written file and the documentation disagree, import follows the documentation:
EXCEPTIONS = {
    # the EnvoyProxy sets no externalTrafficPolicy, so Envoy Gateway's Service has its default, Local [EG-SVC]
    # (the file says Cluster; with ip targets the two are the same edge)
    ("nlb-tls-force-ssl-redirect-to-httproute-redirect", "after"): {"external_traffic_policy": "Local",
                                                                     "tls_policy": "ELBSecurityPolicy-2016-08"},
    # no security policy named: the AWS Load Balancer Controller's --default-ssl-policy, ELBSecurityPolicy-2016-08
    # [LBC-CFG] (the files assume the recommended one)
    ("nlb-tls-force-ssl-redirect-to-httproute-redirect", "before"): {"tls_policy": "ELBSecurityPolicy-2016-08"},
    ("nginx-alb-forwarded-headers-to-traefik", "before"): {"tls_policy": "ELBSecurityPolicy-2016-08"},
    ("nginx-alb-forwarded-headers-to-traefik", "after"): {"tls_policy": "ELBSecurityPolicy-2016-08"},
    # aws-load-balancer-type nlb with no AWS Load Balancer Controller among the manifests: the in-tree provider's NLB,
    # which has no security groups [CPA-LB] (the file assumes the LBC's default)
    ("nlb-instance-to-nlb-ip", "before"): {"security_groups": False},
}


def test_every_pair_has_manifests_on_both_sides():
    assert len(SIDES) >= 10


@pytest.mark.parametrize("pair, side", SIDES)
def test_importing_the_manifests_gives_the_examples_topology(pair, side, tmp_path):
    folder = EXAMPLES / pair
    result = importing.from_paths([folder / side / "manifests"], output=folder / f"{side}.yaml", acm_certs=ACM)
    written = next(iter(catalog.load_file(folder / f"{side}.yaml").values()))
    got, want = fields(result.topology), fields(written)
    want.update(EXCEPTIONS.get((pair, side), {}))
    assert got == want, {key: (got[key], want[key]) for key in got if got[key] != want[key]}
    # both sides of a pair get one name, so that compare pairs them
    assert result.name == "shop"
    # every reference points into the example's own files
    for keys in result.entry["sources"].values():
        for ref in (k for k in keys if catalog.MANIFEST_REF.match(k)):
            assert ref.startswith(f"{side}/manifests/"), ref


def test_the_port_split_cites_the_configmap_lines_under_the_fields_they_became(tmp_path):
    pair = EXAMPLES / "nlb-tls-force-ssl-redirect-to-httproute-redirect"
    result = importing.from_paths([pair / "before" / "manifests"], output=pair / "before.yaml", acm_certs=ACM)
    sources = result.entry["sources"]
    assert "settings" not in result.entry["controller"]
    assert "before/manifests/configmap.yaml:10" in sources["controller.proxy_protocol"]  # use-proxy-protocol
    assert "before/manifests/configmap.yaml:11" in sources["controller.cleartext"]  # force-ssl-redirect
    assert not [key for key in sources if key.startswith("controller.settings.")]
    assert any("port split" in warning for warning in result.record["warnings"])
