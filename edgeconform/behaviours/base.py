"""What a behaviour is, as data: its cells (one per variant), and for each cell the rule that derives its
expectation from a topology, the probe that observes it on an edge, and the comparison that turns the
observation into mismatches (in words).

- An **expectation** is *works* (with the observable), *limited* (a documented limitation, with its reason and
  source; ``ideal`` is what an unlimited edge would show, and seeing it fails strictly) or *n/a*.
- A **probe** is one client action against an Edge and what came back; it must end within its own deadline.
- **compare** returns the mismatches between a *want* and an observation: an empty list means a match. It judges
  the limited expectation's ideal too, which is how an unexpected success is caught.
- **depends_on** names the behaviours whose measurement this cell builds on: where a target cannot measure one
  of them, this cell is not measured either, for the same reason.
- **facts** reads the observables of an observation that can be compared between runs (the address the backend
  took for the client's, a redirect's code and Location, the certificate each name got): ``edgeconform compare``
  and ``report merge`` tell what changed from them, beyond the verdict (edgeconform.report.changes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..sources import cite

if TYPE_CHECKING:
    from ..edge import Edge
    from ..topology import Topology

Outcome = Literal["works", "limited", "n/a"]
Want = Any  # each behaviour's own frozen dataclass


@dataclass(frozen=True)
class Expectation:
    topology: str
    behaviour: str
    outcome: Outcome
    summary: str  # the observable, in words
    want: Want | None
    sources: tuple[str, ...]
    variant: str = ""
    reason: str = ""  # why limited / not applicable
    ideal: Want | None = None  # limited only: what an unlimited edge would show (its appearance fails, strict)

    @property
    def cell(self) -> str:
        return f"{self.behaviour}[{self.variant}]" if self.variant else self.behaviour

    def describe(self) -> str:
        cited = cite(self.sources)
        if self.outcome == "works":
            return f"works: {self.summary} {cited}"
        return f"{self.outcome}: {self.reason} {cited}".rstrip()


@dataclass(frozen=True)
class Fact:
    """One observable of a cell, compared between runs: how its change is judged.

    ``ideal``: the value a working edge shows; leaving it is a regression, reaching it an improvement.
    ``keep``: any change is a regression (a redirect's code or Location: clients and caches depend on it).
    Neither: shown with the cell, never counted as a change (how the address arrived: PROXY v1 or v2).
    """

    name: str
    words: str  # what it is, for a sentence: "the address the backend took for the client's"
    ideal: Any = None
    keep: bool = False


@dataclass(frozen=True)
class Facts:
    """A cell's comparable observables: ``read`` turns an observation into {fact name: value} (JSON values)."""

    read: Callable[[Edge, Any], dict[str, Any]]
    kinds: tuple[Fact, ...]

    def kind(self, name: str) -> Fact | None:
        return next((fact for fact in self.kinds if fact.name == name), None)


@dataclass(frozen=True)
class Cell:
    """One measurable cell of the matrix: a behaviour, or one variant of it (websocket[ws], security[tls-versions])."""

    rule: Callable[[Topology], Expectation]
    probe: Callable[[Edge], Any]
    compare: Callable[[Edge, Want, Any], list[str]]
    depends_on: tuple[str, ...] = ()  # behaviours (or cells) it builds on
    facts: Facts | None = None  # the observables compared between runs (none: the verdict alone)


@dataclass(frozen=True)
class Behaviour:
    """One column of the matrix: its pytest marker, its cells, and how the suites name its variants."""

    name: str  # the marker, the matrix column, the name a topology's ``requires`` uses
    description: str  # the marker's help text
    cells: Mapping[str, Cell]  # variant -> cell; one cell under "" when the behaviour has no variants
    variant_param: str = ""  # the suite's parameter that carries the variant ("scheme", "check")
    requirable: bool = True  # whether a topology can list it in ``requires``
    profile: str = ""  # its conformance profile's name (ConformanceReport); default EDGE-<NAME>

    @property
    def profile_name(self) -> str:
        """The edge profile of a Gateway API-style conformance report: EDGE-CLIENT-IP for client_ip."""
        return self.profile or "EDGE-" + self.name.upper().replace("_", "-")

    def __post_init__(self) -> None:
        variants = list(self.cells)
        if not variants or (variants != [""] and ("" in variants or not self.variant_param)):
            raise ValueError(f"behaviour {self.name!r}: give one cell under '' or named variants with a variant_param")

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(v for v in self.cells if v)

    def cell(self, variant: str = "") -> Cell:
        try:
            return self.cells[variant]
        except KeyError:
            known = ", ".join(self.variants) or "none"
            raise KeyError(f"behaviour {self.name!r} has no variant {variant!r} (variants: {known})") from None

    def expect(self, t: Topology, variant: str = "") -> Expectation:
        return self.cell(variant).rule(t)


def straight_to_app(t: Topology) -> bool:
    """Whether the load balancer sends straight to the application (controller ``none``): the rules then state what
    arrives there, since no controller concludes, redirects or answers anything."""
    from ..controllers import semantics_of  # the registry loads with the rules that read it

    return semantics_of(t).straight_to_app


def behind_lb(t: Topology) -> str:
    """Who is behind the load balancer, in a sentence: "the controller", or "the application" where nothing else is."""
    return "the application" if straight_to_app(t) else "the controller"


def terminator_words(edge: Edge, at: str | None) -> str:
    """Where TLS ended ("lb", "controller"), in a failure's words: the load balancer's target is the application
    where there is no controller."""
    return "application" if at == "controller" and edge.controller.application else str(at)


def role_words(role: str) -> str:
    """An observed role in words: whose address the backend saw."""
    return {"lb": "load balancer's address", "node": "node's address (kube-proxy SNAT)", "client": "client's address",
            "controller": "controller's address", "backend": "backend's address",
            "cdn": "CloudFront edge's address"}[role]
