"""The stand-in containers on the `kind` docker network: the load balancer and the client relays.

Specs are data (ContainerSpec) so the golden tests show exactly what would run; ``start`` turns one into a
running container with testcontainers (which also reaps it if the harness dies: Ryuk).

- The load balancer: the same HAProxy / Envoy templates as the local target (proxies/), in the pinned
  haproxy / envoyproxy images, listening on the real AWS ports 80/443, connecting from its own address.
- NLB client-IP preservation: HAProxy `usesrc clientip` as on the local target. In a container that also needs
  the replies to come back through it: the node routes each client address via the load balancer, and inside
  the load balancer's network namespace TPROXY-style policy routing hands those replies to HAProxy's
  transparent sockets (transparent_setup_script). The node image (already pulled for kind) runs those commands.
- ip targets: the load balancer routes the pod CIDRs via their nodes and connects to the pod addresses.
- Client relays: one small HAProxy per client address (see proxies/haproxy/client-relay.cfg.j2).

Where the engine runs in namespaces of its own (local images, engine.py), nothing is published: the harness
reaches each container at its own address on the kind network, through sockets made in the engine's namespace
(``connect``), and testcontainers talks to the engine's socket (``client_kw``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...kube.timeouts import STANDIN_READY
from ...supervisor import Connect, host_connect, http_ok

NETWORK = "kind"
ADMIN_PORT = 9901
LABELS = {"app.kubernetes.io/managed-by": "edgeconform"}
ENVOY_FLAGS = ["--disable-hot-restart", "--concurrency", "1", "--log-level", "warn"]
TRANSPARENT_MARK = 1
TRANSPARENT_TABLE = 100


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    entrypoint: list[str]
    command: list[str]
    volumes: tuple[tuple[str, str, str], ...] = ()  # (host path, container path, mode)
    published: tuple[int, ...] = ()  # container ports published on 127.0.0.1 (a free host port each)
    network: str = NETWORK
    cap_add: tuple[str, ...] = ()
    sysctls: dict[str, str] = field(default_factory=dict)
    user: str = "0"
    ready_path: str = ""  # HTTP path on the first published port that answers 200 when ready
    ip: str | None = None  # a fixed address on the network (a replaced container keeps its predecessor's)


def load_balancer(prefix: str, program: str, image: str, workdir: Path, config_file: str, transparent: bool,
                  listener_ports: list[int], publish: bool = True, ip: str | None = None) -> ContainerSpec:
    config = str(workdir / config_file)
    if program == "haproxy":
        entrypoint, command, ready = ["haproxy"], ["-db", "-f", config], "/stats;csv"
    else:
        entrypoint, command, ready = ["envoy"], ["-c", config, *ENVOY_FLAGS], "/ready"
    return ContainerSpec(
        name=f"{prefix}-lb", image=image, entrypoint=entrypoint, command=command,
        # mounted at the same path, so the rendered configuration's certificate paths hold inside
        volumes=((str(workdir), str(workdir), "ro"),), published=(ADMIN_PORT, *listener_ports) if publish else (),
        cap_add=("NET_ADMIN",) if transparent else (),
        sysctls={"net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.default.rp_filter": "0"} if transparent else {},
        ready_path=ready, ip=ip)


def client_relay(prefix: str, index: int, image: str, workdir: Path, config_file: str,
                 public_ports: list[int], publish: bool = True) -> ContainerSpec:
    return ContainerSpec(
        name=f"{prefix}-client-{index}", image=image, entrypoint=["haproxy"],
        command=["-db", "-f", str(workdir / config_file)], volumes=((str(workdir), str(workdir), "ro"),),
        published=(ADMIN_PORT, *public_ports) if publish else (), ready_path="/stats;csv")


def transparent_setup_script(pod_routes: list[tuple[str, str]], transparent: bool) -> str:
    """Shell run in the load balancer's network namespace (as root, NET_ADMIN)."""
    lines = ["set -e"]
    if transparent:  # replies to preserved client addresses go to HAProxy's transparent sockets
        lines += [
            "iptables -t mangle -N EDGECONFORM_DIVERT",
            "iptables -t mangle -A PREROUTING -p tcp -m socket -j EDGECONFORM_DIVERT",
            f"iptables -t mangle -A EDGECONFORM_DIVERT -j MARK --set-mark {TRANSPARENT_MARK}",
            "iptables -t mangle -A EDGECONFORM_DIVERT -j ACCEPT",
            f"ip rule add fwmark {TRANSPARENT_MARK} lookup {TRANSPARENT_TABLE}",
            f"ip route add local 0.0.0.0/0 dev lo table {TRANSPARENT_TABLE}",
        ]
    lines += [f"ip route replace {cidr} via {node_ip}" for cidr, node_ip in pod_routes]  # ip targets
    return "\n".join(lines)


def netns_helper(lb_name: str, node_image: str, script: str) -> ContainerSpec:
    return ContainerSpec(name=f"{lb_name}-netns", image=node_image, entrypoint=["sh", "-c"], command=[script],
                         network=f"container:{lb_name}", cap_add=("NET_ADMIN", "NET_RAW"))


def node_route_commands(engine: str, node: str, client_ips: list[str], lb_ip: str, add: bool) -> list[list[str]]:
    """On a node: route each client address back through the load balancer (client-IP preservation)."""
    verb = "replace" if add else "del"
    return [[engine, "exec", node, "ip", "route", verb, f"{ip}/32", "via", lb_ip] for ip in client_ips]


# --- running them ------------------------------------------------------------------------------------
@dataclass
class Running:
    spec: ContainerSpec
    container: Any  # testcontainers DockerContainer
    ip: str
    ports: dict[int, int]  # container port -> host port on 127.0.0.1 (published ones only)

    def address(self, port: int) -> tuple[str, int]:
        """Where this process reaches the container's ``port``: its published port, else the container itself."""
        return ("127.0.0.1", self.ports[port]) if port in self.ports else (self.ip, port)

    def logs(self, lines: int = 60) -> str:
        try:
            out, err = self.container.get_logs()
            text = (out or b"").decode(errors="replace") + (err or b"").decode(errors="replace")
        except Exception as exc:
            return f"(no logs: {exc})"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def check(self) -> None:
        """Raise ProcessFailed (with the log) when the container is no longer running."""
        from ...supervisor import ProcessFailed

        wrapped = self.container.get_wrapped_container()
        wrapped.reload()
        if wrapped.status != "running":
            raise ProcessFailed(f"container {self.spec.name} is {wrapped.status} "
                                f"(exit {wrapped.attrs.get('State', {}).get('ExitCode')}):\n{self.logs()}")

    def stop(self) -> None:
        try:
            self.container.stop()
        except Exception:
            pass


def start(spec: ContainerSpec, client_kw: dict | None = None) -> Running:
    """``client_kw``: docker-py's from_env arguments (the engine's socket: {"environment": {"DOCKER_HOST": ...}})."""
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(spec.image, docker_client_kw=client_kw).with_name(spec.name).with_command(spec.command)
    for host, inside, mode in spec.volumes:
        container = container.with_volume_mapping(host, inside, mode)
    for port in spec.published:  # loopback only, a free port each (docker-py's (address, None) binding)
        container.ports[str(port)] = ("127.0.0.1", None)
    fixed = {}
    if spec.ip:
        from docker.types import EndpointConfig

        fixed["networking_config"] = {spec.network: EndpointConfig("1.41", None, None, ipv4_address=spec.ip)}
    container = container.with_kwargs(entrypoint=spec.entrypoint, network=spec.network, cap_add=list(spec.cap_add),
                                      sysctls=spec.sysctls or None, user=spec.user, labels=LABELS, **fixed)
    container.start()
    wrapped = container.get_wrapped_container()
    wrapped.reload()
    ip = wrapped.attrs["NetworkSettings"]["Networks"].get(spec.network, {}).get("IPAddress", "")
    ports = {port: int(container.get_exposed_port(port)) for port in spec.published}
    return Running(spec, container, ip, ports)


def sweep(prefix: str, client_kw: dict | None = None) -> list[str]:
    """Remove the containers of ours whose names start with ``prefix`` (the cluster's name): what a run that was killed
    left on a kept cluster. Returns their names."""
    from testcontainers.core.docker_client import DockerClient

    client = DockerClient(**(client_kw or {})).client
    selector = [f"{key}={value}" for key, value in LABELS.items()]
    removed = []
    for container in client.containers.list(all=True, filters={"label": selector}):
        if container.name.startswith(f"{prefix}-"):
            container.remove(force=True)
            removed.append(container.name)
    return removed


def run_once(spec: ContainerSpec, client_kw: dict | None = None) -> str:
    """Run a one-shot container to completion; raise with its output when it fails."""
    from testcontainers.core.docker_client import DockerClient

    client = DockerClient(**(client_kw or {})).client
    container = client.containers.run(spec.image, spec.command, entrypoint=spec.entrypoint, network_mode=spec.network,
                                      cap_add=list(spec.cap_add), user=spec.user, labels=LABELS, detach=True)
    try:
        result = container.wait(timeout=STANDIN_READY.seconds)
        output = container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)
    if result.get("StatusCode", 1) != 0:
        raise RuntimeError(f"{spec.name} failed (exit {result.get('StatusCode')}):\n{output}")
    return output


def wait_ready(running: list[Running], connect: Connect = host_connect) -> float:
    """Every container answers on its admin port, within the stand-in timeout (``connect``: where sockets are
    made, the engine's namespace for local images)."""
    started = time.monotonic()
    pending = list(running)
    while pending:
        pending = [r for r in pending if not _answers(r, connect)]
        if not pending:
            break
        if time.monotonic() - started > STANDIN_READY.seconds:
            names = ", ".join(r.spec.name for r in pending)
            raise RuntimeError(f"{names} did not answer within the {STANDIN_READY.describe()}:\n"
                               + "\n".join(f"--- {r.spec.name} ---\n{r.logs()}" for r in pending))
        time.sleep(0.5)
    return time.monotonic() - started


def _answers(r: Running, connect: Connect) -> bool:
    host, port = r.address(ADMIN_PORT)
    try:
        return http_ok(f"http://{host}:{port}{r.spec.ready_path}")(connect)
    except Exception:
        return False
