"""The rehearsal control plane: etcd, kube-apiserver, moto (as every AWS endpoint) and the real AWS Load Balancer
Controller, in a network namespace of its own with no route off the machine.

- The namespace is the local target's (edgeconform.targets.local.netns): only ``lo``, AnyIP routes for the
  documentation and VPC-like ranges, no default route; ``start`` refuses to go on unless ``uplinks()`` is empty.
  Every component listens on 127.0.0.1 *inside* it; the LBC reaches the API server and moto there.
- The harness reaches the API server and moto through loopback relays in its own namespace (127.0.0.1, ephemeral
  ports): each accepted connection is carried by a socket made inside the namespace. Nothing else is reachable.
- The LBC gets every AWS endpoint (``--aws-api-endpoints``, and AWS_ENDPOINT_URL for any other service), static
  credentials, ``--aws-region``, ``--aws-vpc-id`` and ``--cluster-name``, with instance metadata disabled: it never
  asks IMDS or real AWS, and could not reach them anyway.
- Its webhooks (the Service mutator that sets ``loadBalancerClass``, the Ingress and IngressClassParams
  validators, the TargetGroupBinding mutator/validator) are registered with URL client configs on its own port,
  signed by the control plane's CA: the API server calls the real LBC's webhooks as in a cluster.
- No kubelet, no kube-controller-manager, no scheduler: the pods and EndpointSlices a Service's targets need are
  created by the harness (edgeconform.rehearsal.workload), as a cluster's controllers would.

``close()`` (also on Ctrl-C, SIGTERM, a crash, and at exit through the namespace's own holder) stops every process
and removes the namespace and its work folder.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .. import supervisor as sup
from ..targets.local import netns
from ..targets.local.relays import LoopbackRelay
from .components import Components, RehearsalError, find
from .names import ACCOUNT, CLUSTER_NAME, CREDENTIALS, PORTS, REGION

START_TIMEOUT = float(os.environ.get("EDGECONFORM_REHEARSAL_START_TIMEOUT", "60"))
# The LBC's service IDs (aws-sdk-go-v2 ServiceID) -> moto, which serves every service on one port
LBC_SERVICES = ("EC2", "Elastic Load Balancing v2", "ACM", "Shield", "WAFV2", "WAF Regional", "STS",
                "Resource Groups Tagging API", "Route 53", "Global Accelerator")


class ControlPlane:
    """``with ControlPlane() as cp: cp.kube (kubernetes ApiClient), cp.aws("elbv2"), cp.lbc_log()``.

    ``load_balancer_class``: the class the LBC reconciles Services of (default: its own ``service.k8s.aws/nlb``;
    ``eks.amazonaws.com/nlb`` approximates EKS Auto Mode's).
    """

    def __init__(self, *, load_balancer_class: str | None = None, components: Components | None = None,
                 with_lbc: bool = True):
        self.components = components or find()
        self.with_lbc = with_lbc
        self.load_balancer_class = load_balancer_class
        self.ns: netns.Namespace | None = None
        self.supervisor: sup.Supervisor | None = None
        self._relays: dict[str, LoopbackRelay] = {}
        self.timings: dict[str, float] = {}
        self.seed: Any = None  # edgeconform.rehearsal.seed.Seed once seeded
        self._kube = None
        self.lbc = None
        self.workload = None  # edgeconform.rehearsal.workload.Workload, made by the first rehearsal

    # --- start ----------------------------------------------------------------------------------------------
    def start(self) -> float:
        started = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        self.timings["up"] = time.monotonic() - started
        return self.timings["up"]

    def _start(self) -> None:
        from . import pki, seed

        ok, why = netns.available()
        if not ok:
            raise RehearsalError(f"the rehearsal control plane runs in a network namespace of its own: {why}")
        self.ns = netns.Namespace(prefix="edgeconform-rehearsal-")
        leaks = self.ns.uplinks()
        if leaks:
            raise RehearsalError(f"the control plane's namespace has a way off the machine ({'; '.join(leaks)}): "
                                 "refusing to start components in it")
        self.workdir = Path(self.ns.workdir)
        self.pki = pki.write(self.workdir / "pki")
        self.supervisor = sup.Supervisor(self.workdir, connect=self._connect, popen_kwargs=self.ns.popen_kwargs)
        t0 = time.monotonic()
        # etcd, moto and the API server start together: the API server retries etcd until it answers.
        self.supervisor.run(self._etcd())
        self.supervisor.run(self._moto())
        self.supervisor.run(self._apiserver())
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:  # meanwhile: read the CRDs, load the clients
            crds = pool.submit(seed.read_crds, self.components.crds)
            pool.submit(_preload)
            self.supervisor.wait_ready(START_TIMEOUT)
            crds = crds.result()
        self.timings["etcd+moto+apiserver"] = time.monotonic() - t0
        self._relays = {name: LoopbackRelay(self.ns, "127.0.0.1", PORTS[name]) for name in ("apiserver", "moto")}
        t0 = time.monotonic()

        def start_lbc(vpc_id: str) -> None:  # as soon as it can: its start takes 2 s (it polls its pod cache)
            self.timings["crds"] = time.monotonic() - t0
            self.lbc = self.supervisor.run(self._lbc(vpc_id))

        self.seed = seed.seed(self, crds, start_lbc if self.with_lbc else None)
        self.timings["seed"] = time.monotonic() - t0
        if not self.with_lbc:
            return
        t0 = time.monotonic()
        self.supervisor.wait_ready(START_TIMEOUT)
        seed.register_webhooks(self)
        self.timings["lbc"] = time.monotonic() - t0

    def _connect(self, ip: str, port: int, timeout: float) -> socket.socket:
        assert self.ns is not None
        return self.ns.connect(None, ip, port, timeout)

    # --- the components -------------------------------------------------------------------------------------
    def _etcd(self) -> sup.Process:
        client, peer = f"http://127.0.0.1:{PORTS['etcd']}", f"http://127.0.0.1:{PORTS['etcd-peer']}"
        argv = [self.components.etcd, "--name", "rehearsal", "--data-dir", str(self.workdir / "etcd"),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", f"rehearsal={peer}", "--log-level", "warn", "--logger", "zap"]
        # Debian's etcd 3.4 refuses to start on amd64 only when ETCD_UNSUPPORTED_ARCH is set wrongly; a clean
        # environment keeps the user's ETCD_* variables out.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        return sup.Process("etcd", argv, sup.http_ok(f"{client}/health", '"health":"true"'), env=env,
                           ready_timeout=START_TIMEOUT)

    def _moto(self) -> sup.Process:
        argv = [sys.executable, "-m", "edgeconform.rehearsal.moto_adapter", "-H", "127.0.0.1", "-p", str(PORTS["moto"])]
        env = {**_clean_env(), "EDGECONFORM_MOTO_TRUST_STORES": self.trust_stores_env(),
               "MOTO_ALLOW_NONEXISTENT_REGION": "false", "AWS_DEFAULT_REGION": REGION}
        return sup.Process("moto", argv, sup.http_ok(f"http://127.0.0.1:{PORTS['moto']}/moto-api/"), env=env,
                           ready_timeout=START_TIMEOUT)

    def trust_stores_env(self) -> str:
        from .seed import trust_stores

        return ",".join(f"{name}={arn}" for name, arn in trust_stores().items())

    def _apiserver(self) -> sup.Process:
        p = self.pki
        argv = [self.components.kube_apiserver,
                f"--etcd-servers=http://127.0.0.1:{PORTS['etcd']}",
                "--bind-address=127.0.0.1", f"--secure-port={PORTS['apiserver']}",
                "--advertise-address=10.0.0.2",  # a VPC-like address inside the namespace (loopback is refused)
                f"--tls-cert-file={p.apiserver_cert}", f"--tls-private-key-file={p.apiserver_key}",
                f"--client-ca-file={p.ca}",
                f"--service-account-key-file={p.sa_public}", f"--service-account-signing-key-file={p.sa_private}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--authorization-mode=RBAC",
                "--service-cluster-ip-range=10.96.0.0/16", "--service-node-port-range=30000-32767",
                # no controller-manager creates the default ServiceAccount: pods go without one
                "--disable-admission-plugins=ServiceAccount",
                "--enable-priority-and-fairness=false",
                "--profiling=false", "--v=1"]
        return sup.Process("kube-apiserver", argv, _https_ok(PORTS["apiserver"], "/readyz", p.ca),
                           env=_clean_env(), ready_timeout=START_TIMEOUT)

    def _lbc(self, vpc_id: str) -> sup.Process:
        moto = f"http://127.0.0.1:{PORTS['moto']}"
        argv = [self.components.lbc, f"--kubeconfig={self.pki.kubeconfig}",
                f"--cluster-name={CLUSTER_NAME}", f"--aws-region={REGION}", f"--aws-vpc-id={vpc_id}",
                "--aws-api-endpoints=" + ",".join(f"{service}={moto}" for service in LBC_SERVICES),
                "--enable-shield=false", "--enable-waf=false", "--enable-wafv2=false",
                "--enable-leader-election=false",
                f"--webhook-bind-port={PORTS['webhook']}", f"--webhook-cert-dir={self.pki.webhook_dir}",
                f"--health-probe-bind-addr=127.0.0.1:{PORTS['lbc-health']}",
                f"--metrics-bind-addr=127.0.0.1:{PORTS['lbc-metrics']}",
                "--feature-gates=NLBGatewayAPI=true,ALBGatewayAPI=true",
                # a binding that failed (a transient moto error) is retried within seconds, not after up to 1000 s
                "--targetgroupbinding-max-exponential-backoff-delay=5s",
                "--log-level=info"]
        if self.load_balancer_class:
            argv.append(f"--load-balancer-class={self.load_balancer_class}")
        env = {**_clean_env(), **CREDENTIALS, "AWS_REGION": REGION, "AWS_ENDPOINT_URL": moto,
               "AWS_EC2_METADATA_DISABLED": "true"}
        ready = sup.all_of(sup.http_ok(f"http://127.0.0.1:{PORTS['lbc-health']}/readyz"),
                           sup.tcp_open("127.0.0.1", PORTS["webhook"]))
        return sup.Process("aws-load-balancer-controller", argv, ready, env=env, ready_timeout=START_TIMEOUT)

    # --- what the harness uses ------------------------------------------------------------------------------
    @property
    def kube(self):
        """A kubernetes ApiClient for the control plane (admin), through the loopback relay."""
        if self._kube is None:
            from kubernetes import client

            config = client.Configuration()
            config.host = f"https://127.0.0.1:{self._relays['apiserver'].port}"
            config.ssl_ca_cert, config.cert_file, config.key_file = (str(self.pki.ca), str(self.pki.admin_cert),
                                                                      str(self.pki.admin_key))
            self._kube = client.ApiClient(config)
        return self._kube

    def aws(self, service: str):
        """A boto3 client for moto (through the loopback relay)."""
        import boto3

        return boto3.client(service, endpoint_url=f"http://127.0.0.1:{self._relays['moto'].port}", region_name=REGION,
                            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def lbc_log(self) -> str:
        return self.lbc.log.read_text(errors="replace") if self.lbc else ""

    def check(self) -> None:
        """RehearsalError when a component has crashed (its log tail in the message)."""
        if self.supervisor is None:
            return
        try:
            self.supervisor.check()
        except sup.ProcessFailed as exc:
            raise RehearsalError(f"a component of the rehearsal control plane failed: {exc}") from None

    def logs(self, lines: int = 40) -> dict[str, str]:
        return self.supervisor.logs(lines) if self.supervisor else {}

    # --- the end --------------------------------------------------------------------------------------------
    def close(self) -> None:
        for relay in self._relays.values():
            relay.close()
        self._relays = {}
        if self._kube is not None:
            self._kube.close()
            self._kube = None
        # Nothing of a rehearsal is kept (etcd's data, moto's state go with the folder): a short grace, then SIGKILL
        if self.supervisor is not None:
            self.supervisor.stop(grace=0.3)
        if self.ns is not None:
            self.ns.close(grace=0.3)
            self.ns = None

    def __enter__(self) -> ControlPlane:
        if self.ns is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _preload() -> None:
    import boto3  # noqa: F401
    import kubernetes.client  # noqa: F401


def _clean_env() -> dict[str, str]:
    """What a component sees: no proxy settings, no AWS or KUBECONFIG of the user."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")
    return {key: value for key, value in os.environ.items() if key in keep}


def _https_ok(port: int, path: str, ca: Path) -> sup.Check:
    context = ssl.create_default_context(cafile=str(ca))

    def check(connect: sup.Connect) -> bool:
        raw = connect("127.0.0.1", port, sup.CHECK_TIMEOUT)
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(4096):
                answer += chunk
        return answer.startswith(b"HTTP/1.1 200")
    return check


def install_signal_handlers() -> None:
    """SIGTERM (a cancelled CI job) ends like Ctrl-C: KeyboardInterrupt, so every ``finally`` closes the plane."""
    def stop(signum, frame) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)


__all__ = ["ACCOUNT", "CLUSTER_NAME", "ControlPlane", "REGION", "RehearsalError"]
