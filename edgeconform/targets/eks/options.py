"""The eks target's spec and options (the ingress controller is the shared --controller option)."""

from ..base import Option, TargetSpec
from .timeouts import NAMES as TIMEOUT_NAMES

MODES = ("lbc-annotations", "lbc-gateway", "auto-mode")  # edgeconform.targets.eks.modes (kept light here)

SPEC = TargetSpec(
    name="eks",
    description="a real cluster and real AWS load balancers through a kubeconfig (costs money; docs/eks.md)",
    load="edgeconform.targets.eks.target:EksTarget",
    options=(
        Option("--kubeconfig", "eks target: the cluster (only this option or the config file; $KUBECONFIG is not "
                               "used)", metavar="FILE"),
        Option("--context", "eks target: the kubeconfig context", metavar="NAME"),
        Option("--keep", "eks target: keep the namespace, load balancers and controller settings after the run",
               default=False, action="store_true"),
        Option("--edge-url", "eks target: probe the existing load balancer at URL as TOPOLOGY, deploying nothing "
                             "(repeatable)", default=[], metavar="TOPOLOGY=URL", action="append"),
        Option("--acm-cert", "eks target: the ACM certificate ARN for a load-balancer certificate name (repeatable)",
               default=[], metavar="NAME=ARN", action="append"),
        Option("--client-ip", "eks target: the runner's address as the internet sees it (client-IP ground truth)",
               metavar="ADDR"),
        Option("--eks-config", "eks target: YAML settings (kubeconfig, certificates, domain, client_ip, timeouts, "
                               "edges...)", metavar="FILE"),
        Option("--eks-timeout", f"eks target: override one timeout of the aws profile ({', '.join(TIMEOUT_NAMES)})",
               default=[], metavar="NAME=SECONDS", action="append"),
        Option("--eks-scheme", "eks target: load-balancer scheme (default internet-facing; internal when the runner "
                               "is in the VPC)", choices=("internet-facing", "internal")),
        Option("--eks-mode", "eks target: how the cluster builds load balancers: lbc-annotations (Service/Ingress "
                             "annotations), lbc-gateway (the AWS Load Balancer Controller's Gateway API), auto-mode "
                             "(EKS Auto Mode); default: what the cluster tells", choices=MODES),
        Option("--rehearsal", "eks target: run against the rehearsal control plane of this machine (the real AWS Load "
                              "Balancer Controller, moto as AWS; local stand-ins built from the AWS model it made)",
               default=False, action="store_true"),
        Option("--eks-domain", "eks target: replace edgeconform.test in hostnames and certificate names (your ACM "
                               "domain)", metavar="DOMAIN"),
    ),
    default_controller="emissary",
    place="cluster",
    parallel=False,  # it reconfigures the cluster's one ingress controller, whose settings are cluster-wide
    commands="edgeconform.targets.eks.cli",  # plan, cleanup
)

# --rehearsal: the same target against the rehearsal control plane (edgeconform/rehearsal/target.py)
REHEARSAL = TargetSpec(name="eks", description="the eks target against the rehearsal control plane",
                       load="edgeconform.rehearsal.target:RehearsalEksTarget", place="cluster", parallel=False)
