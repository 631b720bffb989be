"""Injection strings, and valid inputs that carry them in every field that reaches a report or the terminal: a report
to merge (every string of it: names, hostnames, observations with header values, sources), a topology file (its
free text: description, claims), manifests (annotation values, ConfigMap keys). The corpus keeps them as files
(report-injection.json, topology-injection.yaml, manifests-injection.yaml: tests/hostile/test_corpus.py checks they
are what this module writes); test_escaping.py checks every rendering shows them as text."""

from __future__ import annotations

import json

import yaml

from edgeconform.report import model
from edgeconform.report.model import ExpectationRecord, MatrixCell, Result, Run, Source, TopologyRecord

# Each is unique, so a rendering that shows one of them raw is caught by looking for it.
HTML = ['<script>alert("html-1")</script>', '"><img src=x onerror=alert("html-2")>', "' onmouseover='alert(3)",
        "</pre><iframe src=javascript:alert(4)>"]
MARKDOWN = ["[md-link](javascript:alert(5))", "![md-image](https://tracker.invalid/pixel.png)", "| md | cell |",
            "**md-bold**", "`md-code`", "<!-- md-comment", "https://md-autolink.invalid/x", "www.md-www.invalid",
            "# md-heading", "- md-list"]
TERMINAL = ["\x1b[2Jterm-clear", "\x1b]8;;file:///etc/passwd\x1b\\term-link\x1b]8;;\x1b\\", "[bold red]term-markup[/]",
            "[/]term-close", "\u202eterm-bidi", "term\nnew line\rreturn"]
PAYLOADS = HTML + MARKDOWN + TERMINAL
URL = "javascript:alert('url')"  # a merged report's source address


def text(i: int) -> str:
    """Payload ``i`` (cycling), for a field that takes any text."""
    return PAYLOADS[i % len(PAYLOADS)]


def injection_report() -> dict:
    """A valid report.json (it loads) whose every string, key and name is an injection string."""
    run = Run(id=text(0), target=text(1), harness_version=text(2), controller=model.Component(name=text(3),
              version=text(4)), controllers=[model.Component(name=text(5), version=text(6))], started_at=text(7),
              seconds=1.0, exit_status=1, python=text(8), pytest=text(9), args=[text(10), text(11)])
    topologies = [TopologyRecord(name=text(i), description=text(i + 1), origin=text(i + 2),
                                 fields={"load_balancer": {"model": text(i + 3), "proxy_protocol": text(i + 4)},
                                         "hostnames": [text(i + 5)], text(i + 6): text(i + 7)},
                                 derived={"layer": text(i + 8), "tls_terminates_at": text(i + 9)})
                  for i in range(0, len(PAYLOADS), 8)]  # names: an HTML, a Markdown and a rich markup payload
    behaviours = [text(12), text(13)]
    results = []
    for n, t in enumerate(topologies):
        for m, b in enumerate(behaviours):
            i = n * 7 + m * 3
            results.append(Result(
                topology=t.name, behaviour=b, variant=text(i + 1), run=run.id, target=run.target,
                verdict=("fail", "limited", "error", "pass")[(n + m) % 4],
                expectation=ExpectationRecord(outcome="limited", text=f"limited: {text(i + 2)} [{text(i + 3)}]",
                                              sources=[Source(key=text(i + 4), url=URL),
                                                       Source(key=text(i + 5), url=f"https://x.invalid/{text(i)}")]),
                observation=f"x-forwarded-for: {text(i + 6)}\nhost: {text(i + 7)}", message=text(i + 8),
                diagnosis=text(i + 9), attempts=1, seconds=0.1, duration=0.2, nodeid=text(i + 10),
                facts={text(i + 11): text(i + 12), "header": [text(i + 13)]}))
    report = model.assemble(generated_at=text(14), harness_version=text(15), runs=[run], topologies=topologies,
                            behaviours=behaviours, results=results, warnings=list(PAYLOADS))  # every one, as text
    data = json.loads(report.model_dump_json())
    data["matrix"] = [json.loads(MatrixCell.model_validate({**cell, "drift": True}).model_dump_json())
                      for cell in data["matrix"]]  # drift lines quote names too
    return data


def injection_topology() -> dict:
    """A valid topology file whose free-text fields are injection strings (its name, hostnames and certificate
    names must be plain: they are checked, see the corpus's topology-bad-names.yaml and topology-bad-hostnames.yaml)."""
    return {"version": 1, "topologies": {"injection": {
        "description": " ".join(PAYLOADS),
        "hostnames": ["app.edgeconform.test"],
        "load_balancer": {"model": "nlb", "listeners": [{"port": 80, "protocol": "TCP", "target": "http"},
                                                         {"port": 443, "protocol": "TLS", "target": "http"}],
                          "certificates": ["app.edgeconform.test"],
                          "unverified": {text(i): text(i + 1) for i in range(0, len(PAYLOADS), 2)}},
        "controller": {"kind": "envoy"}}},
        # as import writes what it read and did not understand: annotation keys and values, objects, warnings
        "imported": {"inputs": [text(3)], "warnings": [text(7)], "not_understood": [
            {"file": text(i), "line": i + 1, "object": f"Service {text(i + 1)}", "key": text(i + 2),
             "value": text(i + 3)} for i in range(0, len(PAYLOADS), 4)]}}


def injection_manifests() -> str:
    """Manifests import accepts, with injection strings as annotation values and ConfigMap keys (listed as read but
    not understood in the topology file it writes; a hostile hostname is refused: topology-bad-hostnames.yaml)."""
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "edge", "namespace": "ingress-nginx", "annotations": {
                   "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                   "service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags": text(0),
                   "service.beta.kubernetes.io/aws-load-balancer-subnets": text(1),
                   "service.beta.kubernetes.io/aws-load-balancer-name": text(18),
                   "service.beta.kubernetes.io/aws-load-balancer-" + "x" * 3: text(19)}},
               "spec": {"type": "LoadBalancer", "selector": {"app.kubernetes.io/name": "ingress-nginx"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                 "data": {text(i): text(i + 1) for i in range(2, 12, 2)}}
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {
                   "name": "shop", "namespace": "shop", "annotations": {
                       f"nginx.ingress.kubernetes.io/{i}": text(i) for i in range(len(PAYLOADS))}},
               "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.test"}]}}
    return yaml.safe_dump_all([service, configmap, ingress], sort_keys=False, allow_unicode=True, width=1000)


FILES = {"report-injection.json": lambda: json.dumps(injection_report(), indent=1, ensure_ascii=False) + "\n",
         "topology-injection.yaml": lambda: yaml.safe_dump(injection_topology(), allow_unicode=True, sort_keys=False),
         "manifests-injection.yaml": injection_manifests}


if __name__ == "__main__":  # python -m tests.hostile.payloads: rewrite the corpus's injection files
    from pathlib import Path

    for name, make in FILES.items():
        (Path(__file__).with_name("files") / name).write_text(make(), encoding="utf-8")
