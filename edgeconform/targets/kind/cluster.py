"""A kind cluster's life: create or reuse, kubeconfig, diagnostics, delete.

Reuse: a cluster is reused when one of the same name exists *and* was created from the same config file; the
file's sha256 is recorded in the cluster (ConfigMap kube-public/edgeconform-kind). A same-named cluster made
from another config (or not by edgeconform) is never touched: the error says how to proceed.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ... import assets
from ...kube.manifests import versions
from ...kube.timeouts import CLUSTER_CREATE, COMMAND, Timeout
from .tools import Toolbox

DEFAULT_NAME = "edgeconform"
MARKER = {"namespace": "kube-public", "name": "edgeconform-kind"}


class CommandFailed(Exception):
    pass


def config_path() -> Path:
    return assets.path("clusters/kind/cluster.yaml")


def config_sha256(path: Path | None = None) -> str:
    return hashlib.sha256((path or config_path()).read_bytes()).hexdigest()


# --- the exact command lines (golden-tested) ---------------------------------------------------------
def get_clusters_command(kind: str = "kind") -> list[str]:
    return [kind, "get", "clusters"]


def create_command(name: str, kubeconfig: str, kind: str = "kind", config: Path | None = None) -> list[str]:
    return [kind, "create", "cluster", "--name", name, "--config", str(config or config_path()),
            "--image", versions()["node_image"], "--kubeconfig", kubeconfig, "--wait", f"{int(CLUSTER_CREATE.seconds)}s"]


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

    @property
    def kubeconfig(self) -> str:
        return str(self.workdir / f"kubeconfig-{self.name}")

    def exists(self) -> bool:
        return self.name in run(get_clusters_command(self.tools.kind), self.tools.env).split()

    def ensure(self) -> None:
        """Reuse a matching cluster or create one; leaves a kubeconfig in the work directory."""
        if self.exists():
            Path(self.kubeconfig).write_text(run(kubeconfig_command(self.name, self.tools.kind), self.tools.env))
            recorded = self._recorded_sha()
            if recorded == config_sha256():
                self.reused = True
                return
            why = ("was created from another cluster config" if recorded else "was not created by edgeconform")
            raise CommandFailed(
                f"a kind cluster named {self.name!r} exists but {why}; delete it (`{' '.join(delete_command(self.name))}`)"
                f" or choose another name with --cluster-name")
        run(create_command(self.name, self.kubeconfig, self.tools.kind), self.tools.env, CLUSTER_CREATE)
        self.created = True
        self._record_sha()

    def _recorded_sha(self) -> str | None:
        from kubernetes import client, config
        api = client.CoreV1Api(config.new_client_from_config(config_file=self.kubeconfig))
        try:
            return (api.read_namespaced_config_map(MARKER["name"], MARKER["namespace"]).data or {}).get("config-sha256")
        except client.ApiException:
            return None

    def _record_sha(self) -> None:
        from kubernetes import client, config
        api = client.CoreV1Api(config.new_client_from_config(config_file=self.kubeconfig))
        body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=MARKER["name"], labels={
            "app.kubernetes.io/managed-by": "edgeconform"}), data={"config-sha256": config_sha256()})
        api.create_namespaced_config_map(MARKER["namespace"], body)

    def export_logs(self) -> str:
        """`kind export logs` into the work directory; returns where (or why not)."""
        directory = self.workdir / "kind-logs"
        try:
            run(export_logs_command(self.name, str(directory), self.tools.kind), self.tools.env)
        except CommandFailed as exc:
            return f"(kind export logs failed: {exc})"
        return str(directory)

    def close(self) -> None:
        """Delete the cluster unless --keep-cluster asked to leave it for the next run."""
        if self.keep:
            return
        run(delete_command(self.name, self.tools.kind), self.tools.env)
