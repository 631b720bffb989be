"""What a cluster on AWS has before anyone asks for a load balancer, seeded into moto and the API server.

AWS (moto): one VPC (10.0.0.0/16 with an IPv6 block, for dual-stack load balancers), a public and a private subnet
in each of two zones tagged the way the LBC discovers subnets (``kubernetes.io/role/elb`` public,
``kubernetes.io/role/internal-elb`` private, ``kubernetes.io/cluster/<name>: shared``) [LBC-SUBNETS], the node's
security group tagged ``kubernetes.io/cluster/<name>: owned`` (the LBC adds its rules there), one node instance
whose network interface carries the pod addresses as secondary private IPs (the LBC finds a pod's ENI by its IP,
as the VPC CNI assigns them), ACM certificates imported on demand from the harness's test CA (the ones the
stand-ins serve) and the trust store mutual TLS names.

Kubernetes: the LBC's and Gateway API's CRDs (copied by tools/build from the pinned modules), the ``alb``
IngressClass its Helm chart creates, the Node (providerID ``aws:///<zone>/<instance id>``, Ready), and, once the
LBC serves them, its webhooks.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from .. import certs
from .components import RehearsalError
from .names import ACCOUNT, CLUSTER_NAME, PORTS, REGION



class Plane(Protocol):
    """What seeding reads of the control plane that calls it (edgeconform.rehearsal.controlplane.ControlPlane):
    a Protocol, so the two modules do not import each other."""

    workdir: Path
    pki: Any
    seed: Any

    def kube(self) -> Any: ...

    def aws(self, service: str) -> Any: ...

ZONES = ("a", "b")
VPC_CIDR = "10.0.0.0/16"
NODE_IP = "10.0.1.10"
POD_IPS = [str(ipaddress.ip_address("10.0.1.32") + i) for i in range(24)]  # the node ENI's secondary addresses
TRUST_STORE = "edgeconform-rehearsal-ca"
ALB_INGRESS_CLASS = "alb"
ESTABLISH_TIMEOUT = 30.0


def trust_stores() -> dict[str, str]:

    return {TRUST_STORE: f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:truststore/{TRUST_STORE}/0123456789abcdef"}


@dataclass
class Seed:
    vpc_id: str
    subnets: dict[str, str]  # subnet id -> "public"/"private" + zone
    instance_id: str
    node_name: str
    zone: str
    security_group: str
    certificates: dict[str, str] = field(default_factory=dict)  # certificate name -> ACM ARN
    cert_files: dict[str, certs.IssuedCert] = field(default_factory=dict)
    pod_ips: list[str] = field(default_factory=lambda: list(POD_IPS))


def seed(cp: Plane, crds: list[dict[str, Any]], vpc_ready=None) -> Seed:
    """AWS and the CRDs at the same time, then the Node (it names the instance). ``vpc_ready(vpc_id)`` is called
    once the CRDs are established and the VPC exists (what the LBC needs to start), while the rest goes on."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    vpc: dict[str, str] = {}
    made = threading.Event()

    def on_vpc(vpc_id: str) -> None:
        vpc["id"] = vpc_id
        made.set()

    with ThreadPoolExecutor(2) as pool:
        aws = pool.submit(_aws, cp, on_vpc)
        install_crds(cp, crds)
        while not made.wait(0.05):
            if aws.done():
                aws.result()  # raises what stopped it before the VPC existed
        if vpc_ready is not None:
            vpc_ready(vpc["id"])
        result = aws.result()
    _kubernetes(cp, result)
    return result


def read_crds(directory: Path) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster on these large schemas
    return [doc for path in sorted(directory.glob("*.yaml")) for doc in yaml.load_all(path.read_text(), loader)
            if doc and doc.get("kind") == "CustomResourceDefinition"]


def _aws(cp: Plane, on_vpc=None) -> Seed:

    ec2 = cp.aws("ec2")
    cluster_tag = f"kubernetes.io/cluster/{CLUSTER_NAME}"
    vpc = ec2.create_vpc(CidrBlock=VPC_CIDR, AmazonProvidedIpv6CidrBlock=True,
                         TagSpecifications=[_tags("vpc", Name=CLUSTER_NAME)])["Vpc"]
    vpc_id = vpc["VpcId"]
    if on_vpc is not None:
        on_vpc(vpc_id)
    ipv6 = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0].get("Ipv6CidrBlockAssociationSet", [])
    v6_subnets = list(ipaddress.ip_network(ipv6[0]["Ipv6CidrBlock"]).subnets(new_prefix=64)) if ipv6 else []
    subnets: dict[str, str] = {}
    node_subnet = ""
    for index, (zone, role) in enumerate((z, r) for z in ZONES for r in ("public", "private")):
        tag = "kubernetes.io/role/elb" if role == "public" else "kubernetes.io/role/internal-elb"
        args: dict[str, Any] = {"VpcId": vpc_id, "CidrBlock": f"10.0.{index}.0/24",
                                "AvailabilityZone": f"{REGION}{zone}",
                                "TagSpecifications": [_tags("subnet", **{tag: "1", cluster_tag: "shared",
                                                                         "Name": f"{role}-{zone}"})]}
        if v6_subnets:
            args["Ipv6CidrBlock"] = str(v6_subnets[index])
        subnet = ec2.create_subnet(**args)["Subnet"]["SubnetId"]
        subnets[subnet] = f"{role} {REGION}{zone}"
        if zone == ZONES[0] and role == "private":
            node_subnet = subnet
    group = ec2.create_security_group(GroupName=f"{CLUSTER_NAME}-node", Description="the nodes", VpcId=vpc_id,
                                      TagSpecifications=[_tags("security-group", **{cluster_tag: "owned"})])["GroupId"]
    # moto does not validate AMIs (MOTO_ENABLE_AMI_VALIDATION is off); listing its catalogue would take 1.5 s
    instance = ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, InstanceType="m5.large",
                                 NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": node_subnet, "Groups": [group],
                                                     "PrivateIpAddress": NODE_IP}],
                                 TagSpecifications=[_tags("instance", **{cluster_tag: "owned"})])["Instances"][0]
    eni = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=POD_IPS)
    zone = instance["Placement"]["AvailabilityZone"]
    node_name = f"ip-{NODE_IP.replace('.', '-')}.{REGION}.compute.internal"
    return Seed(vpc_id, subnets, instance["InstanceId"], node_name, zone, group)


def _tags(resource: str, **tags: str) -> dict[str, Any]:
    return {"ResourceType": resource, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


def install_crds(cp: Plane, crds: list[dict[str, Any]]) -> None:
    """Create every CRD (a few at a time: the API server builds each schema), the IngressClass, and wait until the
    CRDs are established: the LBC looks for the Gateway API kinds once, when it starts."""
    from concurrent.futures import ThreadPoolExecutor

    from kubernetes import client

    extensions = client.ApiextensionsV1Api(cp.kube)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(extensions.create_custom_resource_definition, crds))
    client.NetworkingV1Api(cp.kube).create_ingress_class({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": {"name": ALB_INGRESS_CLASS}, "spec": {"controller": "ingress.k8s.aws/alb"}})
    deadline = time.monotonic() + ESTABLISH_TIMEOUT
    names = {crd["metadata"]["name"] for crd in crds}
    while names:
        for name in sorted(names):
            conditions = extensions.read_custom_resource_definition(name).status.conditions or []
            if any(c.type == "Established" and c.status == "True" for c in conditions):
                names.discard(name)
        if names and time.monotonic() > deadline:
            raise RehearsalError(f"CRDs not established within {ESTABLISH_TIMEOUT:g} s: {', '.join(sorted(names))}")
        if names:
            time.sleep(0.05)


def _kubernetes(cp: Plane, s: Seed) -> None:
    from kubernetes import client

    core = client.CoreV1Api(cp.kube)
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": s.node_name, "labels": {"kubernetes.io/hostname": s.node_name,
                                                         "topology.kubernetes.io/zone": s.zone,
                                                         "node.kubernetes.io/instance-type": "m5.large"}},
            "spec": {"providerID": f"aws:///{s.zone}/{s.instance_id}"}}
    core.create_node(node)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    core.patch_node_status(s.node_name, {"status": {
        "addresses": [{"type": "InternalIP", "address": NODE_IP}, {"type": "Hostname", "address": s.node_name}],
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "rehearsal node",
                        "lastHeartbeatTime": now, "lastTransitionTime": now}]}})


def certificate_arns(cp: Plane, names: list[str]) -> dict[str, str]:
    """ACM ARNs for these certificate names, importing the harness's test-CA certificate (role "lb") of each name
    not imported yet."""
    s = cp.seed
    missing = [name for name in dict.fromkeys(names) if name not in s.certificates]
    if missing:
        acm = cp.aws("acm")
        issued = certs.issue(Path(cp.workdir) / "acm", "lb", missing)
        for name, files in issued.items():
            chain = files.chain_pem.read_bytes()
            leaf, _, rest = chain.partition(b"-----END CERTIFICATE-----\n")
            arn = acm.import_certificate(Certificate=leaf + b"-----END CERTIFICATE-----\n",
                                         PrivateKey=files.key_pem.read_bytes(),
                                         CertificateChain=rest or certs.authority().cert_pem.bytes())["CertificateArn"]
            s.certificates[name], s.cert_files[name] = arn, files
    return {name: s.certificates[name] for name in names}


# --- the LBC's webhooks ------------------------------------------------------------------------------------------
# Paths and rules as the LBC's Helm chart registers them (helm/aws-load-balancer-controller/templates/webhook.yaml
# at v3.6.2), pointed at the LBC's own port inside the namespace instead of a Service.
_MUTATING = [
    ("mservice.elbv2.k8s.aws", "/mutate-v1-service", "", "v1", "services", ["CREATE"], "Fail"),
    ("mtargetgroupbinding.elbv2.k8s.aws", "/mutate-elbv2-k8s-aws-v1beta1-targetgroupbinding", "elbv2.k8s.aws",
     "v1beta1", "targetgroupbindings", ["CREATE", "UPDATE"], "Fail"),
]
_VALIDATING = [
    ("vingressclassparams.elbv2.k8s.aws", "/validate-elbv2-k8s-aws-v1beta1-ingressclassparams", "elbv2.k8s.aws",
     "v1beta1", "ingressclassparams", ["CREATE", "UPDATE"], "Fail"),
    ("vtargetgroupbinding.elbv2.k8s.aws", "/validate-elbv2-k8s-aws-v1beta1-targetgroupbinding", "elbv2.k8s.aws",
     "v1beta1", "targetgroupbindings", ["CREATE", "UPDATE"], "Fail"),
    ("vingress.elbv2.k8s.aws", "/validate-networking-v1-ingress", "networking.k8s.io", "v1", "ingresses",
     ["CREATE", "UPDATE"], "Fail"),
]


def webhook_configurations(ca_pem: bytes, port: int) -> list[dict[str, Any]]:
    import base64

    bundle = base64.b64encode(ca_pem).decode()

    def hooks(entries):
        return [{"name": name, "admissionReviewVersions": ["v1beta1"], "sideEffects": "None",
                 "failurePolicy": policy, "matchPolicy": "Equivalent", "timeoutSeconds": 10,
                 "clientConfig": {"url": f"https://127.0.0.1:{port}{path}", "caBundle": bundle},
                 "objectSelector": {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "NotIn",
                                                          "values": ["aws-load-balancer-controller"]}]},
                 "rules": [{"apiGroups": [group], "apiVersions": [version], "operations": operations,
                            "resources": [resource]}]}
                for name, path, group, version, resource, operations, policy in entries]

    meta = {"name": "aws-load-balancer-webhook"}
    return [{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
             "metadata": meta, "webhooks": hooks(_MUTATING)},
            {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
             "metadata": meta, "webhooks": hooks(_VALIDATING)}]


def register_webhooks(cp: Plane) -> None:
    from kubernetes import client


    api = client.AdmissionregistrationV1Api(cp.kube)
    mutating, validating = webhook_configurations(cp.pki.ca_pem, PORTS["webhook"])
    api.create_mutating_webhook_configuration(mutating)
    api.create_validating_webhook_configuration(validating)
