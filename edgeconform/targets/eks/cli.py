"""The eks target's commands of the ``edgeconform`` CLI (its TargetSpec names this module: edgeconform.cli.command).

    edgeconform plan --target eks --topology NAME [--eks-mode M] [--controller C] [--acm-cert NAME=ARN] ...
        every object a run would create or change for that topology in mode M (lbc-annotations, the default
        without a cluster to ask; lbc-gateway; auto-mode), as YAML, for review before a run (no cluster needed;
        Secrets' data and the echo's source are elided); a topology the mode cannot build is refused with the
        field or annotation and the documentation that says so
    edgeconform cleanup --target eks --kubeconfig FILE [--context NAME]
        finish what an interrupted run (or --keep) left: put back the objects it changed, delete what it
        created, wait until its load balancers are gone, delete the throwaway namespace
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ...cli.command import Command
from .options import MODES


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default="eks", choices=["eks"],
                        help="where the plan is for (eks: a real cluster through a kubeconfig)")
    parser.add_argument("--eks-config", default=None, metavar="FILE", help="eks settings (YAML)")
    from ... import controllers

    parser.add_argument("--controller", default=None, choices=controllers.for_place("cluster"),
                        help="the installed ingress controller (default: emissary)")


def plan_arguments(plan: argparse.ArgumentParser) -> None:
    _common(plan)
    plan.add_argument("--topology", required=True, metavar="NAME")
    plan.add_argument("--topology-file", action="append", default=[], metavar="FILE")
    plan.add_argument("--acm-cert", action="append", default=[], metavar="NAME=ARN")
    plan.add_argument("--client-ip", default=None, metavar="ADDR")
    plan.add_argument("--eks-scheme", default=None, choices=["internet-facing", "internal"])
    plan.add_argument("--eks-domain", default=None, metavar="DOMAIN")
    plan.add_argument("--eks-mode", default=None, choices=MODES,
                      help="how the cluster builds load balancers (default: mode: in --eks-config, else lbc-annotations)")
    plan.add_argument("--run-id", default=None, metavar="ID",
                      help="the run label's value (default: a fresh random one, as a run would get)")


def cleanup_arguments(cleanup: argparse.ArgumentParser) -> None:
    _common(cleanup)
    cleanup.add_argument("--kubeconfig", default=None, metavar="FILE")
    cleanup.add_argument("--context", default=None, metavar="NAME")


def run_plan(args: argparse.Namespace) -> int:
    from . import settings as eks_settings

    try:
        settings = eks_settings.load(args.eks_config, controller=args.controller, acm_cert=args.acm_cert,
                                     client_ip=args.client_ip, scheme=args.eks_scheme, domain=args.eks_domain,
                                     run_id=args.run_id, mode=args.eks_mode)
    except eks_settings.SettingsError as exc:
        print(f"edgeconform: {exc}", file=sys.stderr)
        return 2
    return cmd_plan(args, settings)


def run_cleanup(args: argparse.Namespace) -> int:
    from . import settings as eks_settings

    try:
        settings = eks_settings.load(args.eks_config, controller=args.controller, kubeconfig=args.kubeconfig,
                                     context=args.context)
    except eks_settings.SettingsError as exc:
        print(f"edgeconform: {exc}", file=sys.stderr)
        return 2
    return cmd_cleanup(settings)


def cmd_plan(args: argparse.Namespace, settings) -> int:
    from ... import catalog
    from .modes import CannotBuild
    from .plan import build, localize, new_run_id

    try:
        topologies = catalog.load(args.topology_file)
    except catalog.TopologyError as exc:
        print(f"edgeconform: {exc}", file=sys.stderr)
        return 2
    if args.topology not in topologies:
        print(f"edgeconform: unknown topology {args.topology!r}; known: {', '.join(topologies)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="edgeconform-plan-") as workdir:
        try:
            plan = build(localize(topologies[args.topology], settings), settings, settings.run_id or new_run_id(),
                         Path(workdir))
        except (CannotBuild, ValueError) as exc:
            print(f"edgeconform: {exc}", file=sys.stderr)
            return 2
    sys.stdout.write(plan.dump())
    for name in plan.missing_arns:
        print(f"edgeconform: no ARN for certificate {name} (shown as a placeholder): a run needs "
              f"--acm-cert {name}=ARN", file=sys.stderr)
    return 0


def cmd_cleanup(settings) -> int:
    from ...kube.api import Cluster, ClusterError
    from .deploy import Deployment
    from .timeouts import Profile

    if settings.kubeconfig is None:
        print("edgeconform: cleanup needs --kubeconfig FILE (or kubeconfig: in --eks-config)", file=sys.stderr)
        return 2
    try:
        cluster = Cluster(str(settings.kubeconfig), settings.context)
    except Exception as exc:  # no such file, unknown context, no credentials
        print(f"edgeconform: cannot use kubeconfig {settings.kubeconfig} (context {settings.context or 'current'}): "
              f"{exc}", file=sys.stderr)
        return 2
    try:
        deployment = Deployment.resume(cluster, Profile(settings.timeouts))
    except ClusterError as exc:
        print(f"edgeconform: {exc}", file=sys.stderr)
        return 0 if "nothing of an edgeconform run is left" in str(exc) else 1
    print(f"edgeconform: cleaning up run {deployment.run_id or '?'}: {len(deployment.entries)} recorded object(s)",
          file=sys.stderr)
    problems = deployment.undo(None)
    return 1 if problems else 0


COMMANDS = (
    Command("plan", "print every object a run would create for one topology (--target eks)", plan_arguments, run_plan),
    Command("cleanup", "remove what an interrupted or --keep eks run left on a cluster", cleanup_arguments,
            run_cleanup),
)
