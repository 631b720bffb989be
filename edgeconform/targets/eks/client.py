"""Client-IP ground truth on a real cloud: the runner's address as the load balancer sees it.

Behind NAT the runner cannot read that address off its own interfaces, and the client-IP suite needs it to
tell "the backend saw the client" from "the backend saw someone else". The rule, in order:

1. ``--client-ip ADDR`` (or ``client_ip:`` in the eks config) is the ground truth. Use it in CI, where the
   egress address is known (a NAT gateway's Elastic IP).
2. Otherwise it is learned through an L7 edge of the same run whose load balancer appends to
   X-Forwarded-For (ALB or Classic ELB HTTP listeners). The probe sends no X-Forwarded-For, so the load
   balancer creates the header with the address it saw [ALB-XFH][CLB-XFH]: the leftmost entry reaching the
   backend is the runner's address. The run builds such edges first, so the L4 edges after them can use it.
   An internet-facing load balancer sees public addresses only: a private leftmost entry means the header was
   rewritten before the backend (the controller replaced it), and nothing is learned.
3. Neither: every client-IP check fails, saying so and how to fix it (no guessing).

When both are there and disagree (several NAT egress addresses), the explicit address wins and the report
says what the L7 edge saw.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ...edge import Edge
from ...probing.http import HttpResult

HOW_EXPLICIT = "--client-ip"


@dataclass
class Truth:
    address: str | None
    how: str  # where it came from, for messages and the report
    learned: dict[str, str]  # topology -> what its X-Forwarded-For showed (also when not taken)


def can_teach(edge: Edge) -> bool:
    """An edge whose load balancer appends the runner's address to X-Forwarded-For."""
    return edge.topology.layer == "l7" and edge.topology.xff_mode == "append"


class ClientTruth:
    def __init__(self, explicit: str | None, scheme: str):
        self.explicit = explicit
        self.scheme = scheme
        self.learned: dict[str, str] = {}
        self.address: str | None = explicit
        self.how = HOW_EXPLICIT if explicit else ""
        self.rejected: list[str] = []

    def learn(self, edge: Edge, result: HttpResult) -> None:
        """Take the runner's address from an L7 edge's answer (when none is known yet)."""
        if not can_teach(edge) or result.report is None:
            return
        chain = result.view.xff if result.view else ()
        if not chain:
            self.rejected.append(f"{edge.name}: the backend received no X-Forwarded-For")
            return
        candidate = chain[0]
        self.learned[edge.name] = candidate
        problem = self._implausible(edge, candidate)
        if problem:
            self.rejected.append(f"{edge.name}: {problem}")
            return
        if self.address is None:
            self.address = candidate
            self.how = (f"learned through {edge.name}: the leftmost X-Forwarded-For entry its "
                        f"{edge.topology.lb.model.upper()} appended "
                        + "".join(f"[{key}]" for key in edge.topology.lb_model.sources["xff"]))

    def _implausible(self, edge: Edge, candidate: str) -> str | None:
        try:
            ip = ipaddress.ip_address(candidate.split("]")[0].strip("["))
        except ValueError:
            return f"the leftmost X-Forwarded-For entry {candidate!r} is not an address"
        if edge.roles.get(str(ip)) not in (None, "client"):
            return f"the leftmost X-Forwarded-For entry {ip} is the cluster's own {edge.roles[str(ip)]} address"
        if self.scheme == "internet-facing" and not ip.is_global:
            return (f"the leftmost X-Forwarded-For entry {ip} is not a public address, but an internet-facing load "
                    "balancer sees only public ones: the header was rewritten before the backend")
        return None

    def problem(self) -> str | None:
        """Why the ground truth is unknown (None when it is known)."""
        if self.address:
            return None
        tried = ("; tried: " + "; ".join(self.rejected)) if self.rejected else ""
        return ("client-IP ground truth unknown: the runner's address as the load balancer sees it cannot be read "
                "locally behind NAT. Pass --client-ip ADDR (your egress address, e.g. the NAT gateway's Elastic IP), "
                "or run an L7 topology that appends X-Forwarded-For in the same session (alb or clb-http: "
                "-m 'nlb or alb'), whose load balancer reports it" + tried)

    def disagreement(self) -> str | None:
        if not self.explicit:
            return None
        other = {name: ip for name, ip in self.learned.items() if ip != self.explicit}
        if not other:
            return None
        seen = ", ".join(f"{name} saw {ip}" for name, ip in other.items())
        return (f"--client-ip {self.explicit} disagrees with the L7 edges ({seen}): several NAT egress addresses? "
                "The explicit address is used")

    def apply(self, edge: Edge) -> None:
        """Name the runner's address as the client on ``edge``."""
        if self.address:
            edge.roles[self.address] = "client"
            edge.client_cidr = str(ipaddress.ip_network(self.address))

    def truth(self) -> Truth:
        return Truth(self.address, self.how, dict(self.learned))
