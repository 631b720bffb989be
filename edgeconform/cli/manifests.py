"""``edgeconform manifests NAME``: the Kubernetes objects a real cluster (kind, EKS) gets for one topology, without
a cluster (edgeconform.kube.show)."""

from __future__ import annotations

import argparse

from .command import Command


def arguments(parser: argparse.ArgumentParser) -> None:
    from .. import controllers

    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--topology-file", action="append", default=[], metavar="FILE")
    parser.add_argument("--controller", default="emissary", choices=controllers.for_place("cluster"))
    parser.add_argument("--lb-address", default="172.18.0.100", metavar="IP",
                        help="the load balancer's address the controller trusts (on kind: the stand-in's)")


def run(args: argparse.Namespace) -> int:
    from .. import catalog
    from ..kube.show import cmd_manifests

    return cmd_manifests(catalog.load(args.topology_file), args.name, args.controller, args.lb_address)


COMMAND = Command("manifests", "print the Kubernetes objects a real cluster (kind, EKS) gets for one topology: echo "
                               "backend, controller resources (Secrets elided)", arguments, run)
