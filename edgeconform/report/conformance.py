"""A run as a Gateway API-style ConformanceReport, to file beside a controller's upstream conformance report.

The shape is the one of Gateway API's ``ConformanceReport`` (gateway.networking.k8s.io/v1, conformance/apis/v1 of
sigs.k8s.io/gateway-api/conformance v1.6.3): ``implementation`` (organization, project, url, version, contact),
``profiles`` (name, summary, ``core`` and optional ``extended`` status: result success/partial/failure,
statistics Passed/Skipped/Failed, the skipped and failed tests), date, mode, gatewayAPIVersion/Channel.

How an edgeconform run maps onto it:

- the implementation is the ingress controller that ran the edges, with its version (one report per controller
  when topologies named their own);
- one profile per behaviour of the registry (edgeconform.behaviours: ``Behaviour.profile_name``, EDGE-CLIENT-IP,
  EDGE-REDIRECT, EDGE-WEBSOCKET, EDGE-TLS-SNI, EDGE-SECURITY; a new behaviour gets one without a line here);
- a test is one cell of one topology, named ``TOPOLOGY/CELL`` (``nlb-ip/client_ip``, ``alb/security[host-sni]``);
- ``core``: the cells the topology documents as working: pass counts as Passed, fail and error as Failed, skip
  (not measurable on this target) as Skipped;
- ``extended``: the cells with a documented limitation (an AWS load balancer that cannot do it: a Classic ELB
  has no SNI). They are the edge's ``unsupportedFeatures``; observing the limitation as documented counts as
  Passed, anything else as Failed;
- n/a cells (nothing to measure: no cleartext listener to redirect) are not tests of this edge and are left out;
- ``mode`` is the target (local, kind, eks); ``gatewayAPIVersion`` names the Gateway API release whose report
  format this follows, not an API the edge implements;
- ``edgeconform``: extra keys for what the format has no place for: the target, the harness version, and every
  topology with its load balancer, Kubernetes and controller fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .model import Report, Result, TopologyRecord

API_VERSION = "gateway.networking.k8s.io/v1"
KIND = "ConformanceReport"
FORMAT_FROM = "v1.6.3"  # the Gateway API release whose ConformanceReport type this follows
CHANNEL = "standard"
FILE = "conformance-report.yaml"
UNKNOWN = "unknown"


class _Shape(BaseModel):
    # The upstream format: unknown keys are refused, so a report that drifts from it fails validation.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Statistics(_Shape):
    # The upstream Go struct has no JSON tags: the keys are its field names, capitalised.
    passed: int = Field(0, alias="Passed", ge=0)
    skipped: int = Field(0, alias="Skipped", ge=0)
    failed: int = Field(0, alias="Failed", ge=0)


class Status(_Shape):
    result: Literal["success", "partial", "failure"]
    statistics: Statistics
    skippedTests: list[str] | None = None
    failedTests: list[str] | None = None


class ExtendedStatus(Status):
    supportedFeatures: list[str] | None = None
    unsupportedFeatures: list[str] | None = None


class ProfileReport(_Shape):
    name: str
    summary: str
    core: Status
    extended: ExtendedStatus | None = None


class Implementation(_Shape):
    organization: str = Field(min_length=1)
    project: str = Field(min_length=1)
    url: str = Field(min_length=1)
    version: str = Field(min_length=1)
    contact: list[str] = Field(min_length=1)


class EdgeTopology(_Shape):
    name: str
    description: str = ""
    loadBalancer: dict[str, Any]
    kubernetes: dict[str, Any]
    controller: dict[str, Any]
    derived: dict[str, Any]


class EdgeExtras(_Shape):
    """edgeconform's own keys: where the edges were built and what they were."""

    target: str
    harnessVersion: str
    controller: str = Field(description="the controller plug-in's name (edgeconform.controllers)")
    testNames: str = "TOPOLOGY/CELL: one cell of one topology (behaviour[variant])"
    topologies: list[EdgeTopology]


class ConformanceReport(_Shape):
    apiVersion: Literal["gateway.networking.k8s.io/v1"] = API_VERSION
    kind: Literal["ConformanceReport"] = KIND
    date: str
    gatewayAPIVersion: str
    gatewayAPIChannel: str
    mode: str
    implementation: Implementation
    profiles: list[ProfileReport]
    succeededProvisionalTests: list[str] | None = None
    edgeconform: EdgeExtras | None = None  # absent from upstream reports


def build(report: Report) -> dict[str, ConformanceReport]:
    """One ConformanceReport per controller of the report's (first) run: file name -> report."""
    from .. import behaviours

    run = report.runs[0]
    main = run.controller.name if run.controller else UNKNOWN
    by_controller: dict[str, list[TopologyRecord]] = {}
    for t in report.topologies:
        by_controller.setdefault((t.fields.get("controller") or {}).get("kind") or main, []).append(t)
    versions = {c.name: c.version for c in [*run.controllers, *([run.controller] if run.controller else [])]}
    out = {}
    for controller, topologies in by_controller.items():
        names = {t.name for t in topologies}
        results = [r for r in report.results if r.topology in names and r.run == run.id]
        if not results:
            continue
        profiles = []
        for behaviour in report.behaviours:
            mine = [r for r in results if r.behaviour == behaviour]
            if mine:
                name = (behaviours.REGISTRY[behaviour].profile_name if behaviour in behaviours.REGISTRY
                        else "EDGE-" + behaviour.upper().replace("_", "-"))
                profiles.append(_profile(name, mine))
        out[FILE if controller == main else f"conformance-report-{controller}.yaml"] = ConformanceReport(
            date=run.started_at, gatewayAPIVersion=FORMAT_FROM, gatewayAPIChannel=CHANNEL, mode=run.target,
            implementation=_implementation(controller, versions.get(controller)), profiles=profiles,
            edgeconform=EdgeExtras(target=run.target, harnessVersion=run.harness_version, controller=controller,
                                   topologies=[_topology(t) for t in topologies]))
    return out


def to_yaml(conformance: ConformanceReport) -> str:
    document = conformance.model_dump(mode="json", by_alias=True, exclude_none=True)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)


def write(report: Report, directory: Path) -> list[Path]:
    written = []
    for name, conformance in build(report).items():
        path = Path(directory) / name
        path.write_text(to_yaml(conformance), encoding="utf-8")
        written.append(path)
    return written


def _test(r: Result) -> str:
    return f"{r.topology}/{r.behaviour}[{r.variant}]" if r.variant else f"{r.topology}/{r.behaviour}"


def _status(results: list[Result], cls: type[Status] = Status, **extra) -> Status:
    passed = [r for r in results if r.verdict in ("pass", "limited")]
    failed = [_test(r) for r in results if r.verdict in ("fail", "error")]
    skipped = [_test(r) for r in results if r.verdict == "skip"]
    result = "failure" if failed else "partial" if skipped else "success"
    return cls(result=result, statistics=Statistics(passed=len(passed), skipped=len(skipped), failed=len(failed)),
               skippedTests=skipped or None, failedTests=failed or None, **extra)


def _profile(name: str, results: list[Result]) -> ProfileReport:
    counted = [r for r in results if r.verdict != "n/a"]
    core = [r for r in counted if not (r.expectation and r.expectation.outcome == "limited")]
    limited = [r for r in counted if r.expectation and r.expectation.outcome == "limited"]
    core_status = _status(core)
    extended = _status(limited, ExtendedStatus, unsupportedFeatures=[_test(r) for r in limited]) if limited else None
    words = {"success": "succeeded", "partial": "partially succeeded", "failure": "failed"}
    summary = f"Core tests {words[core_status.result]}" + _counts(core_status)
    if extended is not None:
        summary += (f". {len(limited)} cell(s) with a documented limitation (extended, unsupported features): "
                    f"{words[extended.result]}" + _counts(extended))
    return ProfileReport(name=name, summary=summary + ".", core=core_status, extended=extended)


def _counts(status: Status) -> str:
    s = status.statistics
    parts = [f"{s.failed} test failure(s)"] if s.failed else []
    parts += [f"{s.skipped} test skip(s)"] if s.skipped else []
    return f" with {' and '.join(parts)}" if parts else ""


def _implementation(controller: str, version: str | None) -> Implementation:
    from .. import controllers

    upstream = None
    if controller in controllers.available():
        upstream = controllers.controller_class(controller).upstream
    if upstream is None:
        return Implementation(organization=UNKNOWN, project=controller, url=UNKNOWN, version=version or UNKNOWN,
                              contact=[UNKNOWN])
    return Implementation(organization=upstream.organization, project=upstream.project, url=upstream.url,
                          version=version or UNKNOWN, contact=list(upstream.contact))


def _topology(t: TopologyRecord) -> EdgeTopology:
    return EdgeTopology(name=t.name, description=t.description, loadBalancer=t.fields.get("load_balancer", {}),
                        kubernetes=t.fields.get("kubernetes", {}), controller=t.fields.get("controller", {}),
                        derived=t.derived)


__all__ = ["ConformanceReport", "FILE", "build", "to_yaml", "write"]
