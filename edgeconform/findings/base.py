"""What a finding is, and how a rule that finds one is declared: its code, the cells it explains, and a check of
the topology that says, with sources, what is wrong (or nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..sources import cite

if TYPE_CHECKING:
    from ..topology import Topology

EVERYWHERE = "everywhere"  # explains: a failure of any cell (it breaks the whole edge)
Said = tuple[str, tuple[str, ...]]  # what a check found: the message, and the source keys it rests on


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    sources: tuple[str, ...]
    everywhere: bool = False  # explains a failure of any cell of the edge
    # the cells it explains a failure of: a behaviour (every variant of it) or one cell ("security[host-sni]")
    cells: tuple[str, ...] = ()
    # "mistake": the load balancer and the controller disagree; "note": something of the edge that cannot be
    # emulated here (the harness says so at load time, with its source, instead of faking an observation).
    kind: str = "mistake"

    def __str__(self) -> str:
        return f"{self.message} {cite(self.sources)} ({self.code})"

    def explains_cell(self, behaviour: str, variant: str = "") -> bool:
        """Whether it can explain a failure of that cell."""
        if self.kind != "mistake":
            return False
        return self.everywhere or behaviour in self.cells or f"{behaviour}[{variant}]" in self.cells


@dataclass(frozen=True)
class Rule:
    """One finding: its code, the cells it explains (or EVERYWHERE; a note explains none), and its check."""

    code: str
    explains: tuple[str, ...] | Literal["everywhere"]
    check: Callable[[Topology], Said | None]
    kind: Literal["mistake", "note"] = "mistake"

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.code,)

    def __call__(self, t: Topology) -> list[Finding]:
        said = self.check(t)
        if said is None:
            return []
        message, sources = said
        if self.explains == EVERYWHERE:
            return [Finding(self.code, message, tuple(sources), everywhere=True, kind=self.kind)]
        return [Finding(self.code, message, tuple(sources), cells=tuple(self.explains), kind=self.kind)]


def rule(code: str, *, explains: tuple[str, ...] | Literal["everywhere"] = (),
         kind: Literal["mistake", "note"] = "mistake") -> Callable[[Callable[[Topology], Said | None]], Rule]:
    """Declare a check as the rule of finding ``code``, explaining ``explains``: a mistake explains some cells (or
    EVERYWHERE), a note none; a rule that says otherwise fails when its module is imported."""
    if (kind == "mistake") != bool(explains):
        raise ValueError(f"finding {code}: a mistake explains the cells it names (or EVERYWHERE), a note none; "
                         f"this {kind} explains {explains or 'nothing'}")

    def declare(check: Callable[[Topology], Said | None]) -> Rule:
        return Rule(code, explains, check, kind)
    return declare


def redirects(t: Topology, target: str) -> bool:
    """Whether a controller port redirects requests that look like cleartext to it."""
    return target == "redirect" or (target == "http" and t.controller.cleartext == "redirect")
