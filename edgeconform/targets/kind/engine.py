"""Podman in namespaces of its own, with no route off the machine: the container engine of the air-gapped kind path.

``Engine.start(name)`` starts the holder (holder.py: network, mount, PID, cgroup and UTS namespaces), writes
podman's configuration for it (containers.conf, storage.conf, registries.conf, policy.json: nothing read from the
host's /etc/containers) and its Docker-compatible socket (testcontainers talks to it). Every podman, kind, helm or
kubectl command runs through ``engine.command(argv)`` (nsenter into the namespaces); the harness reaches addresses
inside through sockets made in the engine's network namespace (``engine.connect``) and loopback relays.

Storage: images come from the image store `./dev kind-images` fills (an additional, read-only image store);
containers, volumes and networks live in the engine's own folder, removed with it. Registries: none is configured,
the pull policy is never, and the namespace has no route and no resolver, so a pull fails at once.

A kept engine (``--keep-cluster``) outlives the run: its holder is detached, and the next run finds it by name
(``Engine.find``); ``edgeconform kind down`` or a run without --keep-cluster ends it.
"""

from __future__ import annotations

import atexit
import ctypes
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..base import TargetUnavailable
from ..local import netns

CLONE_NEWNET = 0x40000000
START_TIMEOUT = 20.0
SOCKET_TIMEOUT = 30.0
# the host's hard limits (ulimit -Hn, -Hu) on the machine this was built on; containers get them as defaults
ULIMITS = ("nofile=20000:20000", "nproc=32768:32768")
OUTSIDE = netns.OUTSIDE
# The engine's resolver: an address on its own lo where nothing listens, so every lookup fails at once inside
RESOLVER = "10.255.255.53"
_libc = ctypes.CDLL(None, use_errno=True)
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]


class EngineError(RuntimeError):
    """The engine could not start or a command in it failed; the message names the step and the way out."""


def cache_dir() -> Path:
    """Where the kind target keeps its images and engines: $EDGECONFORM_CACHE/kind, else .tools/kind of the checkout."""
    base = os.environ.get("EDGECONFORM_CACHE")
    if base:
        return Path(base) / "kind"
    return Path(__file__).resolve().parents[3] / ".tools" / "kind"


def image_store() -> Path:
    return cache_dir() / "store"


def requirements() -> None:
    """Raise TargetUnavailable naming what is missing for podman in its own namespaces, and how to get it."""
    if os.geteuid() != 0:
        raise TargetUnavailable(
            "kind on podman without a registry runs rootful podman in namespaces of its own, which needs root: run "
            "as root (rootless podman cannot run kind's nodes on this host's cgroup v1 hierarchy)")
    missing = [tool for tool in ("podman", "nsenter", "netavark", "conmon", "runc")
               if not shutil.which(tool) and not os.path.exists(f"/usr/lib/podman/{tool}")]
    if missing:
        raise TargetUnavailable(
            f"kind on podman needs {', '.join(missing)}: apt-get install podman netavark aardvark-dns runc conmon "
            "uidmap iptables (see docs/kind.md)")
    if not (image_store() / "overlay-images").is_dir():
        raise TargetUnavailable(f"the kind images are not built (no image store at {image_store()}): run "
                                "./dev kind-images")


def configure(folder: Path, graphroot: Path, additional_stores: list[Path]) -> None:
    """Podman's whole configuration for the engine, in ``folder`` (mounted on /etc/containers inside)."""
    etc = folder / "etc-containers"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "containers.conf").write_text(
        "# edgeconform's podman, in namespaces of its own (edgeconform/targets/kind/engine.py)\n"
        "[containers]\n"
        f"default_ulimits = {json.dumps(list(ULIMITS))}\n"
        'log_driver = "k8s-file"\n'
        "[engine]\n"
        'cgroup_manager = "cgroupfs"\n'  # no systemd on this host: podman manages cgroups itself
        'events_logger = "file"\n'
        'runtime = "runc"\n'
        'pull_policy = "never"\n'
        "[network]\n"
        'network_backend = "netavark"\n'
        f'network_config_dir = "{folder / "networks"}"\n')
    stores = ", ".join(json.dumps(str(store)) for store in additional_stores)
    (etc / "storage.conf").write_text(
        "[storage]\n"
        'driver = "overlay"\n'
        f'graphroot = "{graphroot}"\n'
        'runroot = "/run/containers/storage"\n'
        "[storage.options]\n"
        f"additionalimagestores = [{stores}]\n")
    (etc / "registries.conf").write_text(
        "# no registry: every image comes from the image store ./dev kind-images builds\n"
        "unqualified-search-registries = []\n"
        'short-name-mode = "disabled"\n')
    (etc / "policy.json").write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    (folder / "resolv.conf").write_text(f"# no resolver answers here: nothing resolves off the machine\nnameserver {RESOLVER}\n")
    (folder / "networks").mkdir(exist_ok=True)


@dataclass(eq=False)
class Engine:
    name: str
    folder: Path
    pid1: int
    holder: int
    cgroups: list[str]
    kept: bool = False
    _process: subprocess.Popen | None = field(default=None, repr=False)
    _service: subprocess.Popen | None = field(default=None, repr=False)
    _threads: ThreadPoolExecutor | None = field(default=None, repr=False)

    # --- life ------------------------------------------------------------------------------------------------
    @classmethod
    def folder_of(cls, name: str) -> Path:
        return cache_dir() / "engines" / name

    @classmethod
    def start(cls, name: str, *, keep: bool = False, image_store: Path | None = None,
              graphroot: Path | None = None) -> Engine:
        """Start an engine named ``name``. ``image_store``: the read-only store its images come from;
        ``graphroot``: where it writes (default: its own folder's; the image build writes the store itself)."""
        requirements_met = shutil.which("nsenter") and shutil.which("podman")
        if not requirements_met:
            requirements()
        folder = cls.folder_of(name)
        if folder.exists():
            if cls.find(name) is not None:
                raise EngineError(f"an engine named {name!r} runs already (a kept cluster, or another run): "
                                  f"`edgeconform kind down --name {name}` ends it")
            remove_dead(name)  # what a killed run left: no process of it is alive (its PID namespace is gone)
        folder.mkdir(parents=True)
        stores = [image_store] if image_store else []
        configure(folder, graphroot or folder / "storage", stores)
        read, write = os.pipe()
        config = {"state": str(folder), "keep": keep, "parent": os.getpid(), "report_fd": write,
                  "cgroup": f"edgeconform-kind-{name}", "resolver": RESOLVER}
        holder = Path(__file__).with_name("holder.py")
        process = subprocess.Popen([sys.executable, "-I", "-S", str(holder), json.dumps(config)], pass_fds=[write],
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        os.close(write)
        try:
            answer = _read_answer(read, START_TIMEOUT)
        finally:
            os.close(read)
        if "error" in answer or "pid1" not in answer:
            process.kill()
            process.wait()
            _remove_cgroups(answer.get("cgroups", []))
            shutil.rmtree(folder, ignore_errors=True)
            raise EngineError(f"the container engine's namespaces could not be made: {answer.get('error', answer)}. "
                              "It needs root with CAP_SYS_ADMIN and a kernel with mount, network, PID and cgroup "
                              "namespaces")
        engine = cls(name, folder, answer["pid1"], answer["holder"], answer["cgroups"], kept=keep,
                     _process=process)
        _live.add(engine)
        try:
            leaks = engine.uplinks()
            if leaks:
                raise EngineError(f"the engine's namespace has a way off the machine ({'; '.join(leaks)}): refusing "
                                  "to run anything in it")
        except BaseException:
            engine.stop()
            raise
        return engine

    @classmethod
    def find(cls, name: str) -> Engine | None:
        """A kept engine of that name that still runs, or None."""
        record = cls.folder_of(name) / "holder.json"
        try:
            answer = json.loads(record.read_text())
        except (OSError, ValueError):
            return None
        if "pid1" not in answer or not _same_namespaces(answer["pid1"], answer["holder"]):
            return None
        engine = cls(name, cls.folder_of(name), answer["pid1"], answer["holder"], answer.get("cgroups", []),
                     kept=True)
        _live.add(engine)
        return engine

    def stop(self) -> None:
        """End every process of the engine (its PID namespace), its cgroups and its folder."""
        _live.discard(self)
        if self._threads is not None:
            self._threads.shutdown(wait=False)
        try:
            os.kill(self.holder, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if self._process is not None:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        else:
            _wait_gone(self.holder, 10)
        _wait_gone(self.pid1, 10)
        for process in (self._service,):
            if process is not None:
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
        _remove_cgroups(self.cgroups)
        shutil.rmtree(self.folder, ignore_errors=True)

    def alive(self) -> bool:
        return _same_namespaces(self.pid1, self.holder)

    # --- commands inside ---------------------------------------------------------------------------------------
    def command(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the engine's namespaces."""
        return ["nsenter", f"--target={self.pid1}", "--mount", "--net", "--pid", "--uts", "--cgroup", "--", *argv]

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DOCKER_", "CONTAINER_"))}
        env.update({"KIND_EXPERIMENTAL_PROVIDER": "podman", "CONTAINERS_CONF": "/etc/containers/containers.conf",
                    "CONTAINERS_STORAGE_CONF": "/etc/containers/storage.conf",
                    "CONTAINERS_REGISTRIES_CONF": "/etc/containers/registries.conf"})
        for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
            env.pop(key, None)  # nothing goes through a proxy: there is nowhere to go
        env.update(extra or {})
        return env

    def run(self, argv: list[str], timeout: float = 600, input: bytes | None = None, check: bool = True
            ) -> subprocess.CompletedProcess:
        try:
            done = subprocess.run(self.command(argv), input=input, capture_output=True, timeout=timeout,
                                  env=self.env(), stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise EngineError(f"`{' '.join(argv)}` did not finish within {timeout:g} s") from None
        if check and done.returncode != 0:
            tail = "\n".join(done.stderr.decode(errors="replace").strip().splitlines()[-15:])
            raise EngineError(f"`{' '.join(argv)}` failed (exit {done.returncode}) in the engine:\n{tail}")
        return done

    @property
    def docker_host(self) -> str:
        return f"unix://{self.folder / 'podman.sock'}"

    def serve(self) -> str:
        """Podman's Docker-compatible API on a socket in the engine's folder (testcontainers talks to it)."""
        sock = self.folder / "podman.sock"
        if _answers(sock):
            return self.docker_host
        log = open(self.folder / "podman-service.log", "ab")
        self._service = subprocess.Popen(self.command(["podman", "system", "service", "--time=0",
                                                       self.docker_host]), env=self.env(), stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(sock):
            if self._service.poll() is not None or time.monotonic() > deadline:
                tail = (self.folder / "podman-service.log").read_text(errors="replace")[-2000:]
                raise EngineError(f"podman's API service did not answer on {sock} within {START_TIMEOUT:g} s:\n{tail}")
            time.sleep(0.1)
        return self.docker_host

    # --- sockets inside ----------------------------------------------------------------------------------------
    def _executor(self) -> ThreadPoolExecutor:
        if self._threads is None:
            target = f"/proc/{self.pid1}/ns/net"

            def enter() -> None:  # the worker thread moves into the engine's network namespace for good
                fd = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    if _libc.setns(fd, CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), f"setns({target})")
                finally:
                    os.close(fd)
            self._threads = ThreadPoolExecutor(1, thread_name_prefix=f"engine-{self.name}", initializer=enter)
        return self._threads

    def socket(self, family: int = socket.AF_INET, type: int = socket.SOCK_STREAM, proto: int = 0) -> socket.socket:
        """A socket of the engine's network stack (made by a thread that lives in its network namespace)."""
        return self._executor().submit(socket.socket, family, type, proto).result(timeout=SOCKET_TIMEOUT)

    def connect(self, src: str | None, dst: str, port: int, timeout: float | None = 5.0) -> socket.socket:
        """A TCP connection made inside the engine's network namespace (the signature of netns.Namespace's)."""
        return netns.connect_with(self.socket, src, dst, port, timeout)

    def uplinks(self) -> list[str]:
        """What could carry a packet off the machine: a default or gateway route, an interface that is not lo, a
        bridge or a veth (podman's), a route lookup of an outside address that finds one. Empty: there is none."""
        return netns.uplinks_of(self.socket, allowed_kinds=("bridge", "veth"))


def remove_dead(name: str) -> None:
    """The folder and cgroups of an engine whose holder is gone (killed before it could clean up): the cgroups its
    holder recorded, and any other of its name (a holder killed before it wrote its record)."""
    folder = Engine.folder_of(name)
    try:
        cgroups = json.loads((folder / "holder.json").read_text()).get("cgroups", [])
    except (OSError, ValueError):
        cgroups = []
    _remove_cgroups(list(dict.fromkeys([*cgroups, *named_cgroups(name)])))
    shutil.rmtree(folder, ignore_errors=True)


def named_cgroups(name: str, root: Path = Path("/sys/fs/cgroup"), depth: int = 4) -> list[str]:
    """Every cgroup folder of the engine ``name`` (holder.py: ``edgeconform-kind-<name>`` below the harness's own
    cgroup, which can differ from one login to the next), searched ``depth`` levels into each hierarchy."""
    wanted = f"edgeconform-kind-{name}"
    found = []
    level = [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    for _ in range(depth):
        below = []
        for folder in level:
            try:
                children = [c for c in folder.iterdir() if c.is_dir()]
            except OSError:
                continue
            found += [str(c) for c in children if c.name == wanted]
            below += [c for c in children if c.name != wanted]
        level = below
    return found


def _read_answer(fd: int, timeout: float) -> dict:
    import select

    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return {"error": f"the holder did not answer within {timeout:g} s"}
    data = os.read(fd, 65536)
    try:
        return json.loads(data) if data else {"error": "the holder exited before it answered"}
    except ValueError:
        return {"error": f"the holder answered {data[:200]!r}"}


def _answers(sock: Path) -> bool:
    if not sock.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(2)
            s.connect(str(sock))
            s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.")
    except OSError:
        return False


def _same_namespaces(pid1: int, holder: int) -> bool:
    """Whether pid1 still is PID 1 of the engine the holder holds (pids can be reused)."""
    try:
        with open(f"/proc/{pid1}/status", encoding="ascii") as f:
            status = f.read()
    except OSError:
        return False
    ppid = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), "")
    nspid = next((line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")), [])
    return ppid == str(holder) and nspid[-1:] == ["1"]


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                if f.read().split(") ")[-1].startswith("Z"):
                    return  # a zombie: gone but for its parent's wait
        except OSError:
            return
        time.sleep(0.05)


def _remove_cgroups(folders: list[str]) -> None:
    """rmdir every cgroup below and including each folder, deepest first (they are empty once the PIDs are gone)."""
    for top in folders:
        for _ in range(50):  # the kernel frees a cgroup shortly after its last process is reaped
            for root, dirs, _files in os.walk(top, topdown=False):
                for name in dirs:
                    _rmdir(os.path.join(root, name))
            _rmdir(top)
            if not os.path.exists(top):
                break
            time.sleep(0.1)


def _rmdir(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.EBUSY, errno.ENOTEMPTY):
            raise


_live: set[Engine] = set()


def _stop_all() -> None:
    for engine in list(_live):
        if not engine.kept:
            engine.stop()


atexit.register(_stop_all)
