"""The rehearsal's fixed names and ports (a leaf: the control plane, the seeding and the rehearsal share them)."""

CLUSTER_NAME = "edgeconform-rehearsal"
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "rehearsal", "AWS_SECRET_ACCESS_KEY": "rehearsal"}  # moto accepts any
# inside the control plane's namespace, on 127.0.0.1
PORTS = {"etcd": 2379, "etcd-peer": 2380, "apiserver": 6443, "moto": 5000, "webhook": 9443, "lbc-health": 61779,
         "lbc-metrics": 8080}
