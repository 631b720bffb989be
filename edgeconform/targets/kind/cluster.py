"""A kind cluster's life: create or reuse, kubeconfig, diagnostics, delete.

Reuse: a cluster is reused when one of the same name exists *and* was created from the same config file; the
file's sha256 is recorded in the cluster (ConfigMap kube-public/edgeconform-kind). A same-named cluster made
from another config (or not by edgeconform) is never touched: the error says how to proceed.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ... import assets
from ...kube.manifests import versions
from ...kube.timeouts import CLUSTER_CREATE, COMMAND, Timeout
from .tools import Toolbox

DEFAULT_NAME = "edgeconform"
MARKER = {"namespace": "kube-public", "name": "edgeconform-kind"}


class CommandFailed(Exception):
    pass


def config_path(images: str = "registry") -> Path:
    """The cluster configuration: kind's own node images (registry), or the ones ./dev kind-images builds (local:
    no kindnetd, so a static CNI configuration in the node; the kubelet allowed on a cgroup v1 host)."""
    return assets.path("clusters/kind/cluster-local.yaml" if images == "local" else "clusters/kind/cluster.yaml")


def config_sha256(path: Path | None = None) -> str:
    return hashlib.sha256((path or config_path()).read_bytes()).hexdigest()


# --- the exact command lines (golden-tested) ---------------------------------------------------------
def get_clusters_command(kind: str = "kind") -> list[str]:
    return [kind, "get", "clusters"]


def create_command(name: str, kubeconfig: str, kind: str = "kind", config: Path | None = None,
                   image: str | None = None) -> list[str]:
    return [kind, "create", "cluster", "--name", name, "--config", str(config or config_path()),
            "--image", image or versions()["node_image"], "--kubeconfig", kubeconfig,
            "--wait", f"{int(CLUSTER_CREATE.seconds)}s"]


def kubeconfig_command(name: str, kind: str = "kind") -> list[str]:
    return [kind, "get", "kubeconfig", "--name", name]


def delete_command(name: str, kind: str = "kind") -> list[str]:
    return [kind, "delete", "cluster", "--name", name]


def export_logs_command(name: str, directory: str, kind: str = "kind") -> list[str]:
    return [kind, "export", "logs", directory, "--name", name]


def node_container(name: str) -> str:
    """kind names a single control-plane node's container <cluster>-control-plane."""
    return f"{name}-control-plane"


def run(argv: list[str], env: dict[str, str] | None = None, timeout: Timeout = COMMAND) -> str:
    """Run one tool command; a failure raises CommandFailed with the command and its output's tail."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout.seconds,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"`{' '.join(argv)}` did not finish within the {timeout.describe()}") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise CommandFailed(f"`{' '.join(argv)}` failed (exit {done.returncode}):\n{tail}")
    return done.stdout


@dataclass
class KindCluster:
    name: str
    tools: Toolbox
    workdir: Path
    keep: bool = False
    created: bool = False
    reused: bool = False
    node_image: str | None = None  # None: versions.yaml's (registry); the built one for local images
    relay: object = None  # the loopback relay to the API server inside the engine (local images)
    timings: dict = field(default_factory=dict)

    @property
    def kubeconfig(self) -> str:
        """The kubeconfig kind wrote: what kind, helm and kubectl use (inside the engine, for local images)."""
        return str(self.workdir / f"kubeconfig-{self.name}")

    @property
    def api_kubeconfig(self) -> str:
        """The kubeconfig this process's kubernetes client uses: kind's, or, where the API server's published port
        is inside the engine's namespace, the same pointing at a loopback relay to it."""
        if self.tools.ns is None:
            return self.kubeconfig
        path = self.workdir / f"kubeconfig-{self.name}-relayed"
        if not path.exists():
            import yaml

            from ..local.relays import LoopbackRelay

            config = yaml.safe_load(Path(self.kubeconfig).read_text())
            server = config["clusters"][0]["cluster"]["server"]  # https://127.0.0.1:PORT, published inside
            host, port = server.rsplit("//", 1)[1].rsplit(":", 1)
            self.relay = LoopbackRelay(self.tools.ns, host.strip("[]"), int(port))
            for entry in config["clusters"]:
                entry["cluster"]["server"] = f"https://127.0.0.1:{self.relay.port}"
            path.write_text(yaml.safe_dump(config))
        return str(path)

    def _run(self, argv: list[str], timeout: Timeout = COMMAND) -> str:
        return run(self.tools.command(argv), self.tools.env, timeout)

    def exists(self) -> bool:
        return self.name in self._run(get_clusters_command()).split()

    def ensure(self) -> None:
        """Reuse a matching cluster or create one; leaves a kubeconfig in the work directory."""
        import time

        if self.exists():
            Path(self.kubeconfig).write_text(self._run(kubeconfig_command(self.name)))
            recorded = self._recorded_sha()
            if recorded == self.identity:
                self.reused = True
                return
            why = ("was created from another cluster config or node image" if recorded else
                   "was not created by edgeconform")
            raise CommandFailed(
                f"a kind cluster named {self.name!r} exists but {why}; delete it (`{' '.join(delete_command(self.name))}`)"
                f" or choose another name with --cluster-name")
        started = time.monotonic()
        self._run(create_command(self.name, self.kubeconfig, config=self.config, image=self.node_image), CLUSTER_CREATE)
        self.timings["kind create cluster"] = round(time.monotonic() - started, 1)
        self.created = True
        self._record_sha()

    @property
    def config(self) -> Path:
        return config_path(self.tools.images)

    @property
    def identity(self) -> str:
        """What a reusable cluster was made from: the config file's sha256 and, with local images, the node image
        (a rebuilt node image makes a new cluster)."""
        sha = config_sha256(self.config)
        if self.node_image:
            from .images import built

            sha += f" node {self.node_image} {built().get('node', {}).get('key', '')}"
        return sha

    def _recorded_sha(self) -> str | None:
        from kubernetes import client, config
        api = client.CoreV1Api(config.new_client_from_config(config_file=self.api_kubeconfig))
        try:
            return (api.read_namespaced_config_map(MARKER["name"], MARKER["namespace"]).data or {}).get("config-sha256")
        except client.ApiException:
            return None

    def _record_sha(self) -> None:
        from kubernetes import client, config
        api = client.CoreV1Api(config.new_client_from_config(config_file=self.api_kubeconfig))
        body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=MARKER["name"], labels={
            "app.kubernetes.io/managed-by": "edgeconform"}), data={"config-sha256": self.identity})
        api.create_namespaced_config_map(MARKER["namespace"], body)

    def export_logs(self) -> str:
        """`kind export logs` into the work directory; returns where (or why not)."""
        directory = self.workdir / "kind-logs"
        try:
            self._run(export_logs_command(self.name, str(directory)))
        except CommandFailed as exc:
            return f"(kind export logs failed: {exc})"
        return str(directory)

    def close(self) -> None:
        """Delete the cluster unless --keep-cluster asked to leave it for the next run."""
        if self.relay is not None:
            self.relay.close()
            self.relay = None
        if self.keep:
            return
        self._run(delete_command(self.name))
