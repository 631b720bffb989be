"""Notes: what the local target cannot emulate, said at load time with its sources (never a faked observation).
A note explains no failure."""

from __future__ import annotations

from ..topology import Topology
from .base import Said, rule


@rule("ALB_HOST_PORT", kind="note")
def alb_host_port(t: Topology) -> Said | None:
    odd = [item.port for item in t.lb.listeners if item.port not in (80, 443)]
    if t.lb_model.has("preserve_host_header") and not t.lb.preserve_host_header and odd:
        return (f"on listener port(s) {odd} the ALB appends the port to a Host that has none [ALB-HOST]; the stand-in "
                "does not (it leaves Host as sent there)", ("ALB-HOST",))
    return None


@rule("ALB_MTLS_PASSTHROUGH_CHAIN", kind="note")
def alb_mtls_passthrough_chain(t: Topology) -> Said | None:
    if t.lb.mutual_tls == "passthrough":
        return ("in passthrough mode the ALB forwards the client's whole certificate chain; the stand-in forwards the "
                "certificate the client presented (the leaf; these probes send no intermediates)", ("ALB-MTLS",))
    return None


@rule("NLB_SECURITY_GROUPS", kind="note")
def nlb_security_groups(t: Topology) -> Said | None:
    if not t.lb_model.has("security_groups"):
        return None
    with_groups = t.security_groups
    if with_groups and t.preserves_client_ip:
        return ("the NLB has security groups (the LBC default since v2.6) and client-IP preservation is on: targets "
                "see the clients' own addresses. AWS says a target security group that references the NLB's admits "
                "its traffic even so; LBC users report that new NLBs of this kind route nothing until the targets' "
                "groups admit the client networks (#3521, a user report). Security groups are not emulated here",
                ("NLB-SG", "LBC-NLB", "LBC-SG", "#3521"))
    if with_groups:
        return ("the NLB has security groups (the LBC default since v2.6) and preservation is off: targets see the "
                "NLB's address, and the LBC ignores load-balancer-source-ranges on the targets' side; the NLB's "
                "frontend group decides who may connect. Security groups are not emulated here",
                ("NLB-SG", "LBC-NLB", "LBC-SA"))
    in_tree = t.lb.created_by == "in-tree"
    why = "the in-tree provider creates none" if in_tree else "aws-load-balancer-disable-nlb-sg"
    return (f"the NLB has no security groups ({why}): the targets' own groups must admit the clients' addresses where "
            "preservation is on, and the NLB's addresses otherwise. Security groups are not emulated here",
            ("NLB-SG", "LBC-SA", "LBC-SG", *(("CPA-LB",) if in_tree else ())))


RULES = (alb_host_port, alb_mtls_passthrough_chain, nlb_security_groups)
