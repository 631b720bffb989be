"""Rehearse EKS here: the eks plans (or a user's manifests) against the real AWS Load Balancer Controller, on a
control plane of this machine, with moto's server mode as AWS (docs/rehearsal.md).

    components    where etcd, kube-apiserver, the LBC and its CRDs come from; RehearsalError
    controlplane  etcd + kube-apiserver + moto + the LBC in a network namespace with no uplink (names: its constants)
    moto_adapter  moto's server with the eight gaps fixed that stop the LBC (each documented and tested)
    pki, seed     certificates and kubeconfig; the VPC, subnets, node, ACM certificates, CRDs, Node, webhooks
    workload, cluster   the pods, EndpointSlices, Deployment status and namespace finalizing a cluster would do
    rehearse      apply, wait for the LBC, read back (model), compare (compare); manifests: the user's own
    cli           `edgeconform rehearse`; target: `--target eks --rehearsal`
"""

from .components import RehearsalError

__all__ = ["RehearsalError"]
