"""What ``import`` and ``check`` read, given the same way to both: files and folders or a cluster (read-only), the
placeholders filled, the ACM certificates named, the hostnames added, and the load balancer(s) chosen."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field


def arguments(parser: argparse.ArgumentParser, *, several_edges: bool) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="YAML files or folders (Helm output too), Helm values files, Kustomize folders, Terraform "
                             "(.tf) files or modules, templates")
    parser.add_argument("--kubeconfig", metavar="FILE", help="read the edge from this cluster (read-only)")
    parser.add_argument("--context", help="the kubeconfig context (default: its current one)")
    parser.add_argument("--namespace", help="read this namespace only (default: every namespace)")
    parser.add_argument("--edge", metavar="'KIND NS/NAME'", **({"action": "append", "default": []} if several_edges
                                                             else {}),
                        help="the load balancer to read where the inputs hold several (a whole cluster's objects): "
                             "its Service, Ingress or Gateway, e.g. 'Service ingress-nginx/ingress-nginx-controller'"
                             + ("; repeat it for several" if several_edges else ""))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="fills",
                        help="fill a template placeholder of the inputs: KEY is its name ({{ .Cluster }}: .Cluster, "
                             "${cert_arn}: cert_arn, $INBOUND_CIDRS: INBOUND_CIDRS, var.x for Terraform's) or its "
                             "whole text (XXX.XXX.XXX/XX); repeatable")
    parser.add_argument("--acm-cert", action="append", default=[], metavar="NAME=ARN",
                        help="the certificate name an ACM ARN stands for (as plan takes it); repeatable")
    parser.add_argument("--hostname", action="append", default=[], metavar="NAME",
                        help="the edge's hostnames, where the manifests name none; repeatable")


class InputError(ValueError):
    """The arguments cannot name an input: the message says which and how to give it."""


@dataclass
class Inputs:
    fills: dict[str, str] = field(default_factory=dict)
    acm_certs: dict[str, str] = field(default_factory=dict)


def read(args: argparse.Namespace) -> Inputs:
    """The pairs of --set and --acm-cert, after checking that the arguments name one input; InputError otherwise."""
    inputs = Inputs()
    for flag, items, into, form in (("--set", args.fills, inputs.fills, "KEY=VALUE (KEY: a placeholder's name, e.g. "
                                     "INBOUND_CIDRS)"), ("--acm-cert", args.acm_cert, inputs.acm_certs, "NAME=ARN")):
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key or (flag == "--acm-cert" and not value):
                raise InputError(f"{flag} {item!r}: give {form}")
            into[key] = value
    if bool(args.paths) == bool(args.kubeconfig):
        raise InputError("give manifest files or folders, or --kubeconfig FILE (not both)")
    if inputs.fills and args.kubeconfig:
        raise InputError("--set fills the placeholders of files: a cluster's objects have none")
    if (args.context or args.namespace) and not args.kubeconfig:
        raise InputError("--context and --namespace read a cluster: give --kubeconfig too")
    return inputs
