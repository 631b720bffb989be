"""The eks target: a real cluster reached through a kubeconfig, real AWS load balancers.

- options: its spec and command-line options (light: loaded at every pytest start).
- target: EksTarget, the session (connect, read the mode, provision every topology at once, hand out ready edges,
  remove), its report lines.
- settings: what the user supplies (kubeconfig, mode, ACM certificate ARNs, client address, edge URLs, timeouts).
- modes: what a mode is (how a cluster builds a load balancer); builders: the three by name:
  - annotations: mode lbc-annotations, the AWS annotation sets of clusters/eks/annotations.yaml;
  - lbc_gateway: mode lbc-gateway, the AWS Load Balancer Controller's Gateway API (clusters/eks/gateway.yaml);
  - auto_mode: mode auto-mode, EKS Auto Mode (clusters/eks/auto-mode.yaml).
- detect: which mode a cluster is in, and what a mode needs from it (before anything is created).
- plan: every object one topology creates, as data (what `edgeconform plan --target eks` prints).
- provision: every load balancer of a run waited for in one loop.
- timeouts: the named timeout profile for a real cloud, overridable from the command line.
- deploy: applying a plan and removing it again (label-based cleanup, restore of pre-existing objects).
- waits: load-balancer hostname, DNS, healthy targets: each a bounded wait that says what it saw last.
- client: the client-IP ground truth (the runner's address as the internet sees it).
- bypass: the node-port bypass check (the controller's NodePorts must not be reachable from the client).
- cli: `edgeconform plan --target eks` and `edgeconform cleanup --target eks`.

The cluster plumbing shared with the kind target lives in edgeconform.kube and edgeconform.controllers.
"""
