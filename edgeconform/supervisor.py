"""Supervision of the real processes an edge is made of (HAProxy, Envoy, the echo backend).

- Each process runs in its own process group with PR_SET_PDEATHSIG, so it dies with the harness even when the
  harness is SIGKILLed; an atexit hook and SIGTERM handling cover the normal and Ctrl-C paths.
- Readiness is a bounded convergence loop over each process's own admin/stats/health endpoint; a process that
  exits during start-up fails at once with its log tail, never after the timeout. A readiness check is given the
  function that opens connections (``connect``), so the same checks work where the edge lives in a network
  namespace of its own.
- Logs go to one file per process in the edge's work directory, so a failing test can attach them.
"""

from __future__ import annotations

import atexit
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

READY_TIMEOUT = float(os.environ.get("EDGECONFORM_READY_TIMEOUT", "10"))
# Opens a TCP connection to (ip, port) within ``timeout`` seconds: a plain socket here, or one made inside the
# edge's network namespace.
Connect = Callable[[str, int, float], socket.socket]
Check = Callable[[Connect], bool]  # a readiness check, given the way to connect
_PR_SET_PDEATHSIG = 1
_live: weakref.WeakSet[Supervisor] = weakref.WeakSet()


@dataclass
class Process:
    """One process to run: what it is called in logs and errors, its command line, the files it needs written
    into the work folder first (its configuration), and how to tell that it is ready."""

    name: str  # "controller (envoy)"
    argv: list[str]
    ready: Check
    files: dict[str, str] = field(default_factory=dict)  # file name in the work folder -> text
    env: dict[str, str] | None = None
    ready_timeout: float | None = None  # seconds it may take to be ready; None: the supervisor's (READY_TIMEOUT)
    # Raises ProcessFailed when the process, though running, has failed (a controller whose own child died)
    watch: Callable[[], None] | None = None


class ProcessFailed(Exception):
    """A supervised process exited or never became ready; the message carries its log tail."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    signal.pthread_sigmask(signal.SIG_SETMASK, [])  # a caller may block SIGTERM while it builds
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def _zombie(pid: int) -> bool:
    """Whether the process has exited and waits to be reaped (its state in /proc: Z)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


@dataclass
class Managed:
    name: str
    argv: list[str]
    log: Path
    ready: Check
    popen: subprocess.Popen = field(repr=False)
    is_ready: bool = False
    ready_timeout: float | None = None
    watch: Callable[[], None] | None = None

    def alive(self) -> bool:
        if self.popen.poll() is not None:
            return False
        if _zombie(self.popen.pid):
            # it has exited: a killed multi-threaded program (a Go controller) is a zombie at once, but waitpid
            # reports it only when its other threads are gone; its code is there within moments (bounded)
            try:
                self.popen.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                pass
            return False
        return True

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def failure(self, what: str) -> ProcessFailed:
        return ProcessFailed(f"{self.name} {what}. Command: {' '.join(self.argv)}\n--- last lines of {self.log} ---\n"
                             f"{self.tail()}")


def host_connect(ip: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection from this machine's own network namespace."""
    return socket.create_connection((ip, port), timeout=timeout)


class Supervisor:
    def __init__(self, workdir: Path, connect: Connect = host_connect,
                 popen_kwargs: Callable[[], dict] | None = None):
        """``connect`` opens the readiness checks' connections; ``popen_kwargs()`` gives the Popen arguments that
        start a process where the edge lives (its own network namespace), replacing the default group and
        parent-death setup."""
        self.workdir, self.connect, self.popen_kwargs = workdir, connect, popen_kwargs
        self.processes: list[Managed] = []
        self._stopped = False
        _live.add(self)

    def run(self, process: Process) -> Managed:
        """Write the process's files into the work folder, then start it."""
        for name, text in process.files.items():
            (self.workdir / name).write_text(text)
        managed = self.start(process.name, process.argv, process.ready, env=process.env)
        managed.ready_timeout, managed.watch = process.ready_timeout, process.watch
        return managed

    def take_over(self, managed: Managed, process: Process) -> None:
        """A process this supervisor already runs (a controller started ahead of its topology) is now ready when
        ``process`` says: its readiness, budget and watch replace the old ones."""
        managed.ready, managed.ready_timeout, managed.watch = process.ready, process.ready_timeout, process.watch
        managed.is_ready = False

    def start(self, name: str, argv: list[str], ready: Check, env: dict | None = None) -> Managed:
        log = self.workdir / f"{name.split()[0]}.log"
        with open(log, "ab") as out:
            where = (self.popen_kwargs() if self.popen_kwargs else None) or {"start_new_session": True,
                                                                             "preexec_fn": _die_with_parent}
            popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.workdir, env=env, **where)
        managed = Managed(name, argv, log, ready, popen)
        self.processes.append(managed)
        return managed

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Poll every process's readiness until all are ready; returns the seconds it took."""
        started = time.monotonic()
        delay = 0.005
        while True:
            for proc in self.processes:
                if not proc.alive():
                    raise proc.failure(f"exited during start-up with code {proc.popen.returncode}")
                if not proc.is_ready:
                    proc.is_ready = _safely(lambda: proc.ready(self.connect))
            if all(proc.is_ready for proc in self.processes):
                return time.monotonic() - started
            late = [proc for proc in self.processes
                    if not proc.is_ready and time.monotonic() - started > (proc.ready_timeout or timeout)]
            if late:
                slow = late[0]
                raise slow.failure(f"was not ready after {slow.ready_timeout or timeout:g} s "
                                   "(EDGECONFORM_READY_TIMEOUT)")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)

    def check(self) -> None:
        """Raise ProcessFailed for the first process that is no longer running (or says it failed)."""
        for proc in self.processes:
            if not proc.alive():
                raise proc.failure(f"crashed (exit code {proc.popen.returncode})")
            if proc.watch is not None:
                proc.watch()

    def logs(self, lines: int = 40) -> dict[str, str]:
        return {proc.name: proc.tail(lines) for proc in self.processes}

    def pids(self) -> list[int]:
        return [proc.popen.pid for proc in self.processes]

    def stop(self, grace: float = 2.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        for proc in self.processes:
            _signal_group(proc.popen, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.processes:
            try:
                proc.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc.popen, signal.SIGKILL)
                proc.popen.wait(timeout=5)
            _signal_group(proc.popen, signal.SIGKILL)  # anything the process left in its group


def _signal_group(popen: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(popen.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _safely(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except (OSError, http.client.HTTPException):
        return False


@atexit.register
def stop_all() -> None:
    for supervisor in list(_live):
        supervisor.stop(grace=1.0)


# --- readiness checks ---------------------------------------------------------------------------------
CHECK_TIMEOUT = 0.5


def admin_get(connect: Connect, url: str, timeout: float = CHECK_TIMEOUT) -> tuple[int, str]:
    """(status, body) of a plain-HTTP GET on an admin/stats/health endpoint, over a connection from ``connect`` (not
    a probe: those are edgeconform.probing.http.http_get)."""
    parts = urlsplit(url)

    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = connect(parts.hostname, parts.port or 80, timeout)

    conn = Connection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def http_ok(url: str, expect: str | None = None) -> Check:
    def check(connect: Connect) -> bool:
        status, body = admin_get(connect, url)
        return status == 200 and (expect is None or expect in body)
    return check


def tcp_open(ip: str, port: int) -> Check:
    def check(connect: Connect) -> bool:
        connect(ip, port, CHECK_TIMEOUT).close()
        return True
    return check


def all_of(*checks: Check) -> Check:
    return lambda connect: all(check(connect) for check in checks)
