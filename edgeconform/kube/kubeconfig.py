"""A kubeconfig, read as untrusted input before the Kubernetes client reads it: through the reading layer
(edgeconform.untrusted: a regular file within the size, depth and alias limits), the fields the client reads in
the shapes it expects (every wrong one named), and the files the chosen context names (certificates, keys, token
files) regular files within the size limit. The client then reads the file as it always does (KUBECONFIG's
rules, paths relative to the file).

Not checked: what a kubeconfig may legitimately do, such as run its ``exec`` credential plugin (that is how EKS
clusters are reached). Give edgeconform only kubeconfigs you would give kubectl.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import untrusted
from ..untrusted import SCALAR, Each, Required

NAMED = {"name": Required(str)}
SHAPE = {
    "apiVersion": str, "kind": str, "current-context": str, "preferences": {},
    "clusters": [{**NAMED, "cluster": Required({
        "server": str, "certificate-authority": str, "certificate-authority-data": str,
        "insecure-skip-tls-verify": bool, "tls-server-name": str, "proxy-url": str})}],
    "contexts": [{**NAMED, "context": Required({"cluster": str, "user": str, "namespace": str})}],
    "users": [{**NAMED, "user": {
        "token": str, "tokenFile": str, "username": str, "password": str,
        "client-certificate": str, "client-certificate-data": str, "client-key": str, "client-key-data": str,
        "exec": {"command": Required(str), "args": [str], "env": [{"name": Required(str), "value": str}],
                 "apiVersion": str, "provideClusterInfo": bool, "interactiveMode": str},
        "auth-provider": {"name": str, "config": Each(SCALAR)}}}],
}
FILES = {"cluster": ("certificate-authority",), "user": ("client-certificate", "client-key", "tokenFile")}


class KubeconfigError(Exception):
    """A kubeconfig edgeconform will not hand to the Kubernetes client; every problem on a line of its own."""


def check(kubeconfig: str | Path, context: str | None = None) -> Path:
    """The kubeconfig's path (``~`` expanded), once it is safe to read; KubeconfigError otherwise."""
    path = Path(kubeconfig).expanduser()
    if not path.exists() and not path.is_symlink():
        raise KubeconfigError(f"{untrusted.clean(str(path))}: no such kubeconfig file")
    try:
        parsed = untrusted.yaml_document(path)
    except untrusted.Refused as exc:
        raise KubeconfigError(str(exc)) from None
    data = parsed.data if parsed is not None else None
    if not isinstance(data, dict) or not {"clusters", "contexts"} <= set(data):
        raise KubeconfigError(f"{untrusted.clean(str(path))}: not a kubeconfig (a mapping with clusters, contexts and "
                              "users)")
    problems = untrusted.shape_problems(data, SHAPE)
    if problems:
        lines = [untrusted.clean(f"{path}:{_line(parsed.lines, where)}: field {_dotted(where)}: {problem}")
                 for where, problem in problems[:50]]
        raise KubeconfigError("\n".join(lines + ([f"{path}: ... and {len(problems) - 50} more problems"]
                                                 if len(problems) > 50 else [])))
    for problem in _files(path, data, context):
        raise KubeconfigError(problem)
    return path


def _files(path: Path, data: dict[str, Any], context: str | None) -> list[str]:
    """The files the chosen context's cluster and user name, each a regular file within the size limit."""
    name = context or data.get("current-context")
    chosen = next((c.get("context") or {} for c in data.get("contexts") or [] if c.get("name") == name), {})
    out = []
    for section, keys in FILES.items():
        entry = next((item.get(section) or {} for item in data.get(f"{section}s") or []
                      if item.get("name") == chosen.get(section)), {})
        for key in keys:
            if entry.get(key):
                named = Path(entry[key]).expanduser()
                try:
                    untrusted.read_bytes(named if named.is_absolute() else path.parent / named, what=key)
                except untrusted.Refused as exc:
                    out.append(f"{untrusted.clean(str(path))}: {section} {key}: {exc}")
    return out


def _line(lines: dict[tuple[Any, ...], int], where: tuple[Any, ...]) -> int:
    return next((lines[where[:end]] for end in range(len(where), 0, -1) if where[:end] in lines), 1)


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the file)"


def client(kubeconfig: str | Path, context: str | None = None):
    """An ApiClient for the kubeconfig, once it is checked."""
    from kubernetes import config

    path = check(kubeconfig, context)
    return config.new_client_from_config(config_file=str(path), context=context)
