"""The harness fails on known-bad edges, and says why.

Every file in examples/misconfigured/ is one mistake from aws-lb-facts.md §6 (or the TLS policy docs). The
conformance suites run against all of them in one pytest subprocess (junitxml gives per-test outcomes and
messages); for each edge this asserts that some tests fail, that none errors, and that every failure names the
mistake's finding code.

examples/misconfigured/traefik/, ingress-nginx/ and envoy-gateway/ make every one of these mistakes again in that
controller's own settings (same file names): each must fail with the real controller too (ingress-nginx: its edge
semantics on nginx), every failure naming the mistake or a limit of that controller's own. A mistake a controller
cannot make is left out of its folder and named, with the reason, in its *_EXCLUDED dict; the harness must then
predict no such mistake for that controller. Two folders add a mistake only their vocabulary can make.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from edgeconform import catalog, findings
from edgeconform.behaviours.security import CHECKS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "misconfigured"
TRAEFIK_EXAMPLES = EXAMPLES / "traefik"  # the same mistakes in Traefik's settings (same file names)
NGINX_EXAMPLES = EXAMPLES / "ingress-nginx"  # the same mistakes in ingress-nginx's ConfigMap keys (same file names)
# file -> the finding that must explain its failures
EXPECTED = {
    "proxy-v2-not-expected.yaml": "PROXY_NOT_EXPECTED",
    "proxy-expected-not-sent.yaml": "PROXY_NOT_SENT",
    "xff-trusted-behind-l4.yaml": "XFF_TRUSTED_BEHIND_L4",
    "xff-two-hops-behind-alb.yaml": "XFF_TOO_MANY_HOPS",
    "tls-at-nlb-redirect-loop.yaml": "REDIRECT_LOOP_TLS_AT_LB",
    "clb-http-websocket.yaml": "CLB_HTTP_WEBSOCKET",
    "xff-not-trusted-behind-clb-http.yaml": "XFF_NOT_TRUSTED",
    "tls-1.0-policy-at-nlb.yaml": "TLS_POLICY_OUTDATED",
    "proxy-v2-instance-local-health-check.yaml": "HEALTH_CHECK_PROXY_NODE_PORT",
    "alb-health-check-redirect.yaml": "HEALTH_CHECK_REDIRECTED",
    "cloudfront-http-origin-redirect-loop.yaml": "REDIRECT_LOOP_CLOUDFRONT_HTTP_ORIGIN",
    "cloudfront-one-hop-trusted.yaml": "XFF_TOO_FEW_HOPS",
    "alb-mtls-cleartext-served.yaml": "MTLS_HEADERS_OVER_CLEARTEXT",
    "alb-xff-client-port.yaml": "XFF_CLIENT_PORT",
}
# Mistakes a controller's own settings cannot make: file -> why (the file is not in that controller's folder, and
# test_exclusions_are_what_the_harness_predicts checks that the harness predicts no such mistake there).
TRAEFIK_EXCLUDED = {
    "cloudfront-one-hop-trusted.yaml": (
        "Traefik has no hop count and concludes no client from X-Forwarded-For: it keeps the list from the senders "
        "it trusts and appends its peer. Behind CloudFront and an ALB its peer is the ALB, so trusting the VPC is "
        "already right; there is no count of hops to fall short of [TRAEFIK-EP][TRAEFIK-FH]"),
}
NGINX_EXCLUDED = {
    "alb-xff-client-port.yaml": (
        "nginx's realip module parses every X-Forwarded-For entry as address[:port] "
        "(ngx_http_get_forwarded_addr_internal) [NGINX-XFF]: the ALB's 198.51.100.11:40312 gives the client "
        "198.51.100.11, so xff_client_port breaks nothing behind ingress-nginx (measured on nginx 1.31.3)"),
}
EG_EXCLUDED: dict[str, str] = {}
# Straight to the application (controller none), nothing between the load balancer and the application trusts,
# expects or redirects anything: the mistakes of a controller's settings cannot be made there
_NO_CONTROLLER = ("with controller none nothing between the load balancer and the application {what}; the expectations "
                  "state what arrives there and the application's own reading of it is a load-time note "
                  "(edgeconform/findings/application.py)")
NONE_EXCLUDED = {
    "proxy-v2-not-expected.yaml": _NO_CONTROLLER.format(what="expects a PROXY header or not: the NLB's header "
                                                            "arrives at the application (APP_READS_PROXY)"),
    "proxy-expected-not-sent.yaml": _NO_CONTROLLER.format(what="expects a PROXY header the load balancer would have "
                                                               "to send"),
    "xff-trusted-behind-l4.yaml": _NO_CONTROLLER.format(what="trusts X-Forwarded-For hops: what a client writes "
                                                             "arrives as written (APP_FORWARDED_HEADERS_FROM_CLIENTS)"),
    "xff-two-hops-behind-alb.yaml": _NO_CONTROLLER.format(what="counts trusted hops: the client is the entry the ALB "
                                                               "appended (APP_XFF_RIGHTMOST)"),
    "xff-not-trusted-behind-clb-http.yaml": _NO_CONTROLLER.format(what="trusts or distrusts the load balancer's "
                                                                       "X-Forwarded-Proto to decide a redirect"),
    "cloudfront-one-hop-trusted.yaml": _NO_CONTROLLER.format(what="counts trusted hops: behind CloudFront the client "
                                                                  "is the entry CloudFront appended"),
    "alb-xff-client-port.yaml": _NO_CONTROLLER.format(what="parses X-Forwarded-For entries: the ALB's ip:port entry "
                                                           "arrives as such, and the expectation says so"),
    "tls-at-nlb-redirect-loop.yaml": _NO_CONTROLLER.format(what="redirects cleartext, so TLS at the NLB loops nowhere "
                                                                "(an application that redirects by itself would: "
                                                                "APP_NO_TLS_SIGNAL)"),
    "alb-health-check-redirect.yaml": _NO_CONTROLLER.format(what="redirects the ALB's health checks"),
    "cloudfront-http-origin-redirect-loop.yaml": _NO_CONTROLLER.format(what="redirects by X-Forwarded-Proto, so "
                                                                            "CloudFront's HTTP origin loops nowhere"),
}
# Checks each mistake must make fail (at least these; others may fail too, always naming the mistake).
MUST_FAIL = {
    "proxy-v2-not-expected.yaml": ["client_ip", "security[forged-client]", "security[tls-versions]"],
    "proxy-expected-not-sent.yaml": ["client_ip", "security[proxy-forged]"],
    "xff-trusted-behind-l4.yaml": ["security[forged-client]", "security[forged-proto]"],
    "xff-two-hops-behind-alb.yaml": ["client_ip", "security[forged-client]"],
    "tls-at-nlb-redirect-loop.yaml": ["redirect", "security[redirect-loop]"],
    "clb-http-websocket.yaml": ["websocket[ws]", "websocket[wss]"],
    "xff-not-trusted-behind-clb-http.yaml": ["redirect", "security[redirect-loop]", "security[forged-client]"],
    "tls-1.0-policy-at-nlb.yaml": ["security[tls-versions]"],
    "proxy-v2-instance-local-health-check.yaml": ["health_check"],
    "alb-health-check-redirect.yaml": ["health_check"],
    "cloudfront-http-origin-redirect-loop.yaml": ["redirect", "client_ip", "security[redirect-loop]"],
    "cloudfront-one-hop-trusted.yaml": ["client_ip", "security[forged-client]"],
    "alb-mtls-cleartext-served.yaml": ["security[mtls-headers]"],
    "alb-xff-client-port.yaml": ["client_ip", "security[forged-client]"],
}


def _topology(file: str, folder: Path = EXAMPLES):
    (topology,) = catalog.load_file(folder / file).values()
    return topology


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(EXPECTED)
    assert sorted(p.name for p in NGINX_EXAMPLES.glob("*.yaml")) == sorted(NGINX_EXPECTED)


@pytest.mark.parametrize("kind", ["traefik", "ingress-nginx", "envoy-gateway", "none"])
def test_every_mistake_is_made_in_each_controllers_settings_or_excluded_with_a_reason(kind):
    made, excluded = {"traefik": (TRAEFIK_EXPECTED, TRAEFIK_EXCLUDED), "ingress-nginx": (NGINX_EXPECTED, NGINX_EXCLUDED),
                      "envoy-gateway": (EG_EXPECTED, EG_EXCLUDED), "none": (NONE_EXPECTED, NONE_EXCLUDED)}[kind]
    assert set(EXPECTED) == (set(made) & set(EXPECTED)) | set(excluded)
    assert not set(made) & set(excluded)
    assert all(len(why) > 80 for why in excluded.values())  # a reason, not a placeholder


@pytest.mark.parametrize("kind, file", [("traefik", f) for f in TRAEFIK_EXCLUDED]
                         + [("ingress-nginx", f) for f in NGINX_EXCLUDED] + [("envoy-gateway", f) for f in EG_EXCLUDED]
                         + [("none", f) for f in NONE_EXCLUDED])
def test_exclusions_are_what_the_harness_predicts(kind, file):
    """An excluded mistake is one the controller cannot make: the generic example, run by that controller (its
    abstract block translated into the controller's settings; none: the trust it fixes), gets no such finding."""
    from edgeconform import controllers

    t = controllers.bind(_topology(file), kind)
    assert EXPECTED[file] not in [finding.code for finding in findings.findings(t)], (kind, file)


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_diagnosis_names_the_mistake(file):
    codes = [finding.code for finding in findings.findings(_topology(file))]
    assert EXPECTED[file] in codes


@dataclass
class Run:
    cells: dict[str, dict[str, tuple[str, str]]]  # topology -> {cell: (outcome, message)}
    report: dict  # the run's report.json


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    """One run of every suite against every example (a pytest subprocess building real edges: the tests that use
    it are marked integration): outcomes from JUnit, and the report."""
    return _run_examples(tmp_path_factory.mktemp("misconfigured"), EXAMPLES)


@pytest.fixture(scope="module")
def traefik_run(tmp_path_factory) -> Run:
    """The same, for the examples written in Traefik's settings, with the real Traefik."""
    from edgeconform import binaries
    from edgeconform.controllers.traefik import PROGRAM

    try:
        binaries.version(PROGRAM)
    except binaries.MissingBinary as exc:
        pytest.skip(str(exc))
    return _run_examples(tmp_path_factory.mktemp("misconfigured-traefik"), TRAEFIK_EXAMPLES, TRAEFIK_EXPECTED)


@pytest.fixture(scope="module")
def nginx_run(tmp_path_factory) -> Run:
    """The same, for the examples written in ingress-nginx's ConfigMap keys, on its edge semantics on nginx."""
    return _run_examples(tmp_path_factory.mktemp("misconfigured-nginx"), NGINX_EXAMPLES, NGINX_EXPECTED)


def _run_examples(directory: Path, folder: Path, files: dict[str, str] = EXPECTED) -> Run:
    report = directory / "junit.xml"
    argv = [sys.executable, "-m", "pytest", str(ROOT / "suites"), "-p", "no:cacheprovider", "-q", "--no-matrix",
            "--converge-timeout", "0.3", f"--junitxml={report}", "-o", "junit_logging=no", "--report", str(report.parent)]
    for file in sorted(files):
        argv += ["--topology-file", str(folder / file)]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert report.exists(), f"the suites did not run:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    names = sorted((_topology(f, folder).name for f in files), key=len, reverse=True)  # longest prefix first
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "")
        params = name[name.index("[") + 1:-1] if "[" in name else ""
        topology = next((t for t in names if params.startswith(t)), None)
        if topology is None:
            continue
        variant = params[len(topology) + 1:]
        behaviour = case.get("classname", "").rsplit(".", 1)[-1].removeprefix("test_")
        behaviour = {"cleartext_redirect": "redirect", "tls_sni": "sni"}.get(behaviour, behaviour)
        cell = f"{behaviour}[{variant}]" if variant else behaviour
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            element = case.find(kind)
            if element is not None:
                outcome = kind
                message = (element.get("message") or "") + "\n" + (element.text or "")
                break
        found.setdefault(topology, {})[cell] = (outcome, message)
    return Run(found, json.loads((report.parent / "report.json").read_text()))


@pytest.mark.integration
def test_security_verdicts_reach_the_report(run):
    security = [r for r in run.report["results"] if r["behaviour"] == "security"]
    assert {r["variant"] for r in security} == set(CHECKS)
    forged = next(r for r in security if r["topology"] == "bad-xff-trusted-behind-l4" and r["variant"] == "forged-client")
    assert forged["verdict"] == "fail" and "XFF_TRUSTED_BEHIND_L4" in forged["diagnosis"]


@pytest.mark.integration
@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_known_bad_edge_fails_naming_the_mistake(run, file):
    _fails_naming(run, _topology(file).name, EXPECTED[file], MUST_FAIL[file])


def _fails_naming(run: Run, topology: str, code: str, must_fail: list[str], also: tuple[str, ...] = ()) -> None:
    cells = run.cells.get(topology)
    assert cells, f"no results for {topology}"
    errors = {cell: message for cell, (outcome, message) in cells.items() if outcome == "error"}
    assert not errors, f"{topology}: tests errored instead of failing: {errors}"
    failures = {cell: message for cell, (outcome, message) in cells.items() if outcome == "failure"}
    missing = [cell for cell in must_fail if cell not in failures]
    assert not missing, f"{topology}: expected {missing} to fail; outcomes: { {c: o for c, (o, _) in cells.items()} }"
    unnamed = [cell for cell, message in failures.items() if not any(c in message for c in (code, *also))]
    assert not unnamed, f"{topology}: failures that do not name {code}: {unnamed}"


# --- the same mistakes in Traefik's own settings, with the real Traefik -----------------------------------------
# Where Traefik's documented semantics differ, a mistake shows in other cells: its PROXY header is optional (no
# outage when the load balancer sends none, but a forged header through it is believed), a forged
# X-Forwarded-Proto meets an entry point redirection that answers 418, and X-Real-Ip is kept from trusted senders.
# It has no hop count either: xff-two-hops-behind-alb is forwardedHeaders.insecure, and since Traefik concludes no
# client from X-Forwarded-For, client_ip stays right; the forged X-Real-Ip is what reaches the backend.
TRAEFIK_EXPECTED = {file: code for file, code in EXPECTED.items() if file not in TRAEFIK_EXCLUDED}
TRAEFIK_MUST_FAIL = {
    **{file: MUST_FAIL[file] for file in TRAEFIK_EXPECTED},
    "proxy-expected-not-sent.yaml": ["security[proxy-forged]"],
    "xff-two-hops-behind-alb.yaml": ["security[forged-client]"],
}


@pytest.mark.integration
@pytest.mark.parametrize("file", sorted(TRAEFIK_EXPECTED))
def test_known_bad_edge_fails_with_traefik_naming_the_mistake(traefik_run, file):
    t = _topology(file, TRAEFIK_EXAMPLES)
    own = tuple(f.code for f in findings.findings(t) if f.code.startswith("TRAEFIK_"))  # its documented weaknesses
    _fails_naming(traefik_run, t.name, EXPECTED[file], TRAEFIK_MUST_FAIL[file], also=own)
    from edgeconform import binaries
    from edgeconform.controllers.traefik import PROGRAM

    assert [run["controller"] for run in traefik_run.report["runs"]] == [
        {"name": "traefik", "version": binaries.version(PROGRAM)}]  # the report names the real controller


# --- the same mistakes in ingress-nginx's ConfigMap keys, on its edge semantics on nginx -------------------------------
# Where ingress-nginx's documented semantics differ, a mistake shows in other cells: trusting every address
# (proxy-real-ip-cidr left at 0.0.0.0/0), it walks X-Forwarded-For to its leftmost entry, the client's own when none
# is forged (client_ip passes); its redirect loop needs TLS at the NLB without PROXY (a PROXY destination port of
# 443 means https). One more mistake only its settings make: forwarded headers with PROXY behind an NLB (#9163).
NGINX_EXPECTED = {**{file: code for file, code in EXPECTED.items() if file not in NGINX_EXCLUDED},
                  "forwarded-headers-with-proxy-behind-nlb.yaml": "CONTROLLER_LIMIT"}
NGINX_MUST_FAIL = {
    **{file: MUST_FAIL[file] for file in NGINX_EXPECTED if file in MUST_FAIL},
    "xff-two-hops-behind-alb.yaml": ["security[forged-client]"],
    "forwarded-headers-with-proxy-behind-nlb.yaml": ["security[forged-proto]"],
}


@pytest.mark.integration
@pytest.mark.parametrize("file", sorted(NGINX_EXPECTED))
def test_known_bad_edge_fails_with_ingress_nginx_naming_the_mistake(nginx_run, file):
    _fails_naming(nginx_run, _topology(file, NGINX_EXAMPLES).name, NGINX_EXPECTED[file], NGINX_MUST_FAIL[file])
    (controller,) = [run["controller"] for run in nginx_run.report["runs"]]
    assert controller["name"] == "ingress-nginx" and "edge semantics on nginx" in controller["version"]


# --- the same mistakes in Envoy Gateway's own resources (ClientTrafficPolicy, HTTPRoute redirects), real EG --------
# Its failures name the mistake or one of its own limits (what it cannot express, named beside the mistake).
EG_EXAMPLES = EXAMPLES / "envoy-gateway"
EG_EXPECTED = {**{file: code for file, code in EXPECTED.items() if file not in EG_EXCLUDED},
               "proxy-optional-not-sent.yaml": "PROXY_NOT_SENT"}
EG_MUST_FAIL = {**{file: MUST_FAIL[file] for file in EG_EXPECTED if file in MUST_FAIL},
                "proxy-optional-not-sent.yaml": ["security[proxy-forged]"]}
EG_LIMITS = ("EG_NO_XFP_FROM_PROXY_PORT", "EG_UPGRADE_REFUSED_ON_REDIRECT", "EG_SERVICE_ETP_LOCAL")


@pytest.fixture(scope="module")
def eg_run(tmp_path_factory) -> Run:
    from edgeconform import controllers

    why = controllers.get("envoy-gateway").local_unavailable()
    if why:
        pytest.skip(f"envoy-gateway: {why}")
    return _run_examples(tmp_path_factory.mktemp("misconfigured-envoy-gateway"), EG_EXAMPLES, EG_EXPECTED)


@pytest.mark.integration
@pytest.mark.parametrize("file", sorted(EG_EXPECTED))
def test_known_bad_edge_fails_with_envoy_gateway_naming_the_mistake(eg_run, file):
    _fails_naming(eg_run, _topology(file, EG_EXAMPLES).name, EG_EXPECTED[file], EG_MUST_FAIL[file], also=EG_LIMITS)


# --- the mistakes an edge straight to the application can make (controller none): the load balancer's own -------
NONE_EXAMPLES = EXAMPLES / "none"
NONE_EXPECTED = {file: code for file, code in EXPECTED.items() if file not in NONE_EXCLUDED}
NONE_MUST_FAIL = {file: MUST_FAIL[file] for file in NONE_EXPECTED}


@pytest.fixture(scope="module")
def none_run(tmp_path_factory) -> Run:
    """The same, for the examples straight to the application (the echo plays it)."""
    return _run_examples(tmp_path_factory.mktemp("misconfigured-none"), NONE_EXAMPLES, NONE_EXPECTED)


@pytest.mark.integration
@pytest.mark.parametrize("file", sorted(NONE_EXPECTED))
def test_known_bad_edge_straight_to_the_application_fails_naming_the_mistake(none_run, file):
    _fails_naming(none_run, _topology(file, NONE_EXAMPLES).name, NONE_EXPECTED[file], NONE_MUST_FAIL[file])


def test_every_mistake_straight_to_the_application_names_none():
    assert sorted(p.name for p in NONE_EXAMPLES.glob("*.yaml")) == sorted(NONE_EXPECTED)
    for file, code in NONE_EXPECTED.items():
        t = _topology(file, NONE_EXAMPLES)
        assert t.controller.kind == "none" and code in [finding.code for finding in findings.findings(t)], file


# folder, mistakes made, cells they must fail: per real controller
IN_OWN_SETTINGS = {"traefik": (TRAEFIK_EXAMPLES, TRAEFIK_EXPECTED, TRAEFIK_MUST_FAIL),
                   "ingress-nginx": (NGINX_EXAMPLES, NGINX_EXPECTED, NGINX_MUST_FAIL),
                   "envoy-gateway": (EG_EXAMPLES, EG_EXPECTED, EG_MUST_FAIL)}


@pytest.mark.parametrize("kind", sorted(IN_OWN_SETTINGS))
def test_every_mistake_is_also_made_in_each_controllers_own_settings(kind):
    folder, expected, must_fail = IN_OWN_SETTINGS[kind]
    assert sorted(p.name for p in folder.glob("*.yaml")) == sorted(expected) == sorted(must_fail)
    for file, code in expected.items():
        t = _topology(file, folder)
        assert t.controller.kind == kind and t.controller.settings, f"{file} is not written in {kind}'s own settings"
        assert code in [finding.code for finding in findings.findings(t)], file
