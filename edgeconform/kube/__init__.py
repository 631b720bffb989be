"""Cluster plumbing any real-cluster target uses (kind here, EKS through a kubeconfig later).

- manifests: the echo backend, the edge Service and TLS Secrets, rendered from clusters/manifests/ (data).
- api: applying manifests and waiting for them with the official kubernetes client.
- timeouts: the named, overridable timeouts every wait uses.
- schemas: validating generated manifests against the Kubernetes and Emissary schemas.
"""
