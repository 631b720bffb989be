"""The round trip: for every catalog topology and every controller the eks target configures, the manifests
`edgeconform plan --target eks` renders (mode lbc-annotations, made-up ARNs as in test_eks_plan.py) imported back
give the same topology, field by field (name, description, sources and the imported record aside).

The controller's side is compared as that controller runs the topology: the original block translated into its
vocabulary by its own plug-in (``to_native``) and read back (``to_abstract``), since import reads what the cluster
holds, not the abstract words the catalog was written in. Where a field cannot come back, the comparison says so
and why (``NOT_IN_THE_PLAN``, ``as_run``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from edgeconform import catalog, controllers, findings, importing
from edgeconform.controllers import for_place
from edgeconform.targets.eks import plan as eks_plan, settings as eks_settings
from edgeconform.topology import Topology
from tests.cases import runs

TOPOLOGIES = catalog.load()
CONTROLLERS = for_place("cluster", "eks")


def case(*values: str) -> Any:
    return pytest.param(*values)


# a topology that names its controller (none: the load balancer straight to the application) runs with that one only
CASES = [case(name, controller) for name in TOPOLOGIES for controller in CONTROLLERS
         if runs(TOPOLOGIES[name], controller)]
ARNS = {  # certificate name -> a made-up ARN (123456789012: AWS's documentation account)
    "default.edgeconform.test": "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000001",
    "app.edgeconform.test": "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000002",
    "api.edgeconform.test": "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000003",
    "*.edgeconform.test": "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000004",
}
# Fields the lbc-annotations plan does not write, so no import of it can give them back: the dual-stack address
# type and ALB mutual TLS have no annotation in clusters/eks/annotations.yaml, CloudFront is no Kubernetes object,
# and `unverified` holds claims about AWS, not settings. (import reads ip-address-type and mutual-authentication
# where a manifest has them: test_import_inputs.py.)
NOT_IN_THE_PLAN = ("ip_address_type", "mutual_tls", "cloudfront", "unverified", "privatelink_endpoint")
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml where PyYAML has it: the same YAML, ten times faster


def plan_manifests(t: Topology, controller: str, workdir: Path, mode: str = "lbc-annotations") -> Path:
    """The plan's objects of this edge as files, as a user would hand them to import: the load balancer (with the
    cluster-wide objects it needs: Auto Mode's IngressClass) and the controller's settings (and Traefik's Helm
    values, which the plan states as a note: they are its release's)."""
    s = eks_settings.load(None, controller=controller, client_ip="203.0.113.7",
                          acm_cert=[f"{name}={arn}" for name, arn in ARNS.items()])
    p = eks_plan.build(t, s, "roundtrip", workdir / "plan", mode=mode)
    folder = workdir / "manifests"
    folder.mkdir()
    lb_objects = [*p.shared, *p.lb_objects]
    (folder / "load-balancer.yaml").write_text(yaml.dump_all(lb_objects, Dumper=DUMPER, sort_keys=False))
    (folder / "controller.yaml").write_text(yaml.dump_all(p.controller_objects, Dumper=DUMPER, sort_keys=False))
    if "values" in p.controller.settings:
        (folder / "values.yaml").write_text(yaml.dump(p.controller.settings["values"], Dumper=DUMPER, sort_keys=False))
    return folder


def as_run(t: Topology, controller: str) -> Topology:
    """``t`` as ``controller`` runs it: its block in the controller's own settings (what the cluster then holds)."""
    cls = controllers.controller_class(controller)
    if cls.fixed_trust:  # none: nothing between the load balancer and the application; the trust it fixes
        # a listener landing on a port that only redirects (ingress-nginx's NLB-TLS split) lands on one more plain
        # port of the application, which redirects nothing (controllers/none/limits.py): that is what it runs
        listeners = [item.model_copy(update={"target": "http"}) if item.target == "redirect" else item
                     for item in t.lb.listeners]
        return controllers.bind(t.model_copy(update={"load_balancer": t.lb.model_copy(
            update={"listeners": listeners})}), controller)
    if cls.settings_model is None:
        # Emissary has no settings of its own; its cleartext redirect is always 301 (the plug-in's REDIRECT_CODE,
        # which the plan cannot write otherwise), so that is what its manifests say.
        from edgeconform.controllers.emissary.settings import REDIRECT_CODE
        block = t.controller.model_copy(update={"kind": controller, "redirect_code": REDIRECT_CODE})
        return t.model_copy(update={"controller": block})
    native = cls().to_native(t.with_controller(controller))
    written = native.configmap() if hasattr(native, "configmap") else native.dump()
    entry = t.model_dump(mode="json", exclude={"name", "origin", "sources"}, exclude_none=True)
    entry["controller"] = {"kind": controller, "settings": written, "certificates": t.controller.certificates}
    return catalog.parse({**entry, "name": t.name})


def fields(t: Topology) -> dict[str, Any]:
    """What must come back, in effective terms where the plan states a default explicitly (preservation, the
    security policy, the X-Forwarded-For mode)."""
    lb, ctl = t.lb, t.controller
    at_controller = t.tls_terminates_at == "controller"
    semantics = controllers.semantics_of(t)
    return {
        "hostnames": t.hostnames,
        "model": lb.model,
        "listeners": [(item.port, item.protocol, item.target, t.listener_idle_timeout(item)) for item in lb.listeners],
        "certificates": lb.certificates,
        "target_type": lb.target_type,
        "preserves_client_ip": t.preserves_client_ip,
        "proxy_protocol": lb.proxy_protocol,
        "proxy_protocol_placement": lb.proxy_protocol_placement,
        "xff": t.xff_mode,
        "ssl_redirect": lb.ssl_redirect,
        "tls_policy": t.lb_tls_policy.name if t.lb_tls_policy else None,
        "health_check": t.health_check,
        "security_groups": t.security_groups,  # as written, else the creating component's default
        "xff_client_port": lb.xff_client_port,
        "preserve_host_header": lb.preserve_host_header,
        "external_traffic_policy": t.kubernetes.external_traffic_policy,
        "controller.kind": ctl.kind,
        "controller.proxy_protocol": ctl.proxy_protocol,
        # trusted networks or hops: the same trust (the plan localizes private networks to the VPC's)
        "controller.forwarded_hops": t.forwarded_hops,
        "controller.cleartext": ctl.cleartext,
        "controller.redirect_code": semantics.get_redirect_code(ctl.redirect_code),
        # where TLS does not end at the controller, its certificates, TLS floor and SNI checks are not the edge's
        "controller.host_sni_mismatch": ctl.host_sni_mismatch if at_controller else None,
        "controller.certificates": ctl.certificates if at_controller else None,
        "controller.tls_min_version": ctl.tls_min_version if at_controller else None,
    }


def names_no_route_gives(got: dict[str, Any], want: dict[str, Any], result: importing.Imported,
                         t: Topology, controller: str) -> None:
    """Straight to the application behind an NLB or a Classic ELB (controller none), no object of the plan names
    the hostnames: the application routes nothing by host, so no Ingress rule, route or controller setting holds
    them. Import takes the certificates' names instead (the load balancer's, else the application's: the default
    certificate's among them), or makes one up, and says so; that, not the catalog's hostnames, must come back."""
    if controller != "none" or t.lb.model == "alb":
        return
    hostnames, _ = got.pop("hostnames"), want.pop("hostnames")
    named = [c for c in [*want["certificates"], *(want["controller.certificates"] or [])] if not c.startswith("*")]
    warnings = "\n".join(result.record["warnings"])
    if named:
        assert hostnames == list(dict.fromkeys(named)), (hostnames, named)
        assert "no route names a hostname: the certificates' names are taken" in warnings, warnings
    else:
        assert len(hostnames) == 1 and f"{hostnames[0]} is made up" in warnings, (hostnames, warnings)


def without_plan_gaps(t: Topology) -> Topology:
    lb = t.lb.model_copy(update={"ip_address_type": "ipv4", "mutual_tls": "off", "cloudfront": None,
                                 "unverified": {}, "privatelink_endpoint": None})
    return t.model_copy(update={"load_balancer": lb})


@pytest.mark.parametrize("name, controller", CASES)
def test_plan_manifests_import_back_to_the_topology(name, controller, tmp_path):
    original = TOPOLOGIES[name]
    folder = plan_manifests(original, controller, tmp_path)
    output = tmp_path / "imported.yaml"
    # Emissary's objects name no hostname where TLS does not end at it (its Host is "*"): given, as a user would
    result = importing.from_paths([folder], output=output, acm_certs=ARNS,
                                  hostnames=original.hostnames if controller == "emissary" else None)
    output.write_text(importing.render(result))
    loaded = catalog.load_file(output)  # what --topology-file reads
    assert list(loaded) == [result.name]
    got = fields(loaded[result.name])
    want = fields(without_plan_gaps(as_run(original, controller)))
    names_no_route_gives(got, want, result, original, controller)
    assert got == want, {key: (got[key], want[key]) for key in got if got[key] != want[key]}


# The other two modes build no Classic ELB (both refuse it).
OTHER_MODES = [case(mode, name, controller) for mode in ("auto-mode", "lbc-gateway")
               for name, t in TOPOLOGIES.items() if t.lb.model != "clb" for controller in CONTROLLERS
               if runs(t, controller)]
# What the lbc-gateway plan writes otherwise than the topology, deliberately (clusters/eks/gateway.yaml): the health
# check of instance targets with externalTrafficPolicy Local is TCP on the traffic port (its NodePort Service has no
# healthCheckNodePort), and it has no attribute for an ALB's preserve_host_header.
GATEWAY_GAPS = {"nlb-instance-local": ("health_check",), "alb-mtls": ("preserve_host_header",)}


@pytest.mark.parametrize("mode, name, controller", OTHER_MODES)
def test_auto_mode_and_lbc_gateway_plan_manifests_import_back_to_the_topology(mode, name, controller, tmp_path):
    """EKS Auto Mode's way (loadBalancerClass eks.amazonaws.com/nlb, its ALB IngressClass and IngressClassParams)
    and the AWS Load Balancer Controller's Gateway API (Gateway, LoadBalancerConfiguration, routes,
    TargetGroupConfiguration) read back the same."""
    original = TOPOLOGIES[name]
    folder = plan_manifests(original, controller, tmp_path, mode=mode)
    result = importing.from_paths([folder], output=tmp_path / "imported.yaml", acm_certs=ARNS,
                                  hostnames=original.hostnames if controller == "emissary" else None)
    got, want = fields(result.topology), fields(without_plan_gaps(as_run(original, controller)))
    for key in GATEWAY_GAPS.get(name, ()) if mode == "lbc-gateway" else ():
        assert got.pop(key) != want.pop(key)  # (a gap that closes should leave this list)
    names_no_route_gives(got, want, result, original, controller)
    assert got == want, {key: (got[key], want[key]) for key in got if got[key] != want[key]}


@pytest.mark.parametrize("name, controller", [("nlb-tls", "ingress-nginx"), ("alb", "traefik"),
                                              ("nlb-ip", "emissary"), ("clb-http", "ingress-nginx")])
def test_every_manifest_reference_points_at_the_line_that_says_it(name, controller, tmp_path):
    folder = plan_manifests(TOPOLOGIES[name], controller, tmp_path)
    output = tmp_path / "imported.yaml"
    result = importing.from_paths([folder], output=output, acm_certs=ARNS, hostnames=TOPOLOGIES[name].hostnames)
    refs = [ref for keys in result.entry["sources"].values() for ref in keys if catalog.MANIFEST_REF.match(ref)]
    assert len(refs) > 5
    for ref in refs:
        path, _, line = ref.rpartition(":")
        text = (tmp_path / path).read_text().splitlines()[int(line) - 1]
        assert text.strip() and not text.lstrip().startswith("#"), ref
    # the field and its line agree
    sources = result.entry["sources"]
    for field, needle in (("hostnames", "host"), ("kubernetes.external_traffic_policy", "externalTrafficPolicy")):
        lines = [(tmp_path / r.rpartition(":")[0]).read_text().splitlines()[int(r.rpartition(":")[2]) - 1]
                 for r in sources[field] if catalog.MANIFEST_REF.match(r)]
        assert lines and all(needle.lower() in line.lower() for line in lines), (field, lines)


def test_a_changed_manifest_gives_a_different_topology(tmp_path):
    """The comparison can fail: PROXY turned off in the Service no longer gives nlb-proxy-v2 back."""
    original = TOPOLOGIES["nlb-proxy-v2"]
    folder = plan_manifests(original, "ingress-nginx", tmp_path)
    path = folder / "load-balancer.yaml"
    path.write_text(path.read_text().replace("aws-load-balancer-proxy-protocol: '*'\n", ""))
    result = importing.from_paths([folder], output=tmp_path / "imported.yaml", acm_certs=ARNS)
    got, want = fields(result.topology), fields(without_plan_gaps(as_run(original, "ingress-nginx")))
    assert got["proxy_protocol"] is None and want["proxy_protocol"] == "v2"
    # and what that implies is found before anything runs
    assert "PROXY_NOT_SENT" in [f.code for f in findings.findings(result.topology)]
    assert "PROXY_NOT_SENT" not in [f.code for f in findings.findings(original.with_controller("ingress-nginx"))]


def test_an_lbc_gateway_without_its_load_balancer_configuration_is_one_error(tmp_path):
    folder = plan_manifests(TOPOLOGIES["nlb-tls"], "ingress-nginx", tmp_path, mode="lbc-gateway")
    path = folder / "load-balancer.yaml"
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc["kind"] != "LoadBalancerConfiguration"]
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    with pytest.raises(importing.ImportFailed, match=r"load-balancer.yaml:\d+: Gateway ingress-nginx/edgeconform-"
                                                     r"nlb-tls: field spec.infrastructure.parametersRef: "
                                                     r"LoadBalancerConfiguration 'edgeconform-nlb-tls' is not among"):
        importing.from_paths([folder])
