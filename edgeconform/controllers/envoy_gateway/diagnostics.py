"""What a failing Envoy Gateway edge gets besides the logs: the lines of its log that mean it will not serve (read as
the log grows), its resources' status (the conditions that are not True) and its Envoy's xDS."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from ...supervisor import Connect, ProcessFailed, admin_get

# Lines of Envoy Gateway's log that mean it will not serve this edge, whatever the wait.
FATAL = {"failed to run envoy": "Envoy Gateway's Envoy is not running (it could not start, or it died)",
         "local validation error": "Envoy Gateway refused the topology's resources (its CRD validation)",
         "failed to load resources": "Envoy Gateway could not load the topology's resources"}


class FatalLines:
    """Reads Envoy Gateway's log as it grows; ``check`` raises ProcessFailed for a line that means it will not
    serve: at start-up, and later (its Envoy died: Envoy Gateway logs it and stays up without one)."""

    def __init__(self, log: Path):
        self.log, self.offset, self.failed = log, 0, ""

    def check(self) -> None:
        if not self.failed:
            try:
                with open(self.log, "rb") as f:
                    f.seek(self.offset)
                    data = f.read()
            except OSError:
                return
            complete = data[:data.rfind(b"\n") + 1]  # a line still being written is read next time
            self.offset += len(complete)
            for line in complete.decode(errors="replace").splitlines():
                meaning = next((meaning for needle, meaning in FATAL.items() if needle in line), None)
                if meaning:
                    tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
                    self.failed = f"{meaning}: {line.strip()[:1500]}\n--- last lines of {self.log} ---\n{tail}"
                    break
        if self.failed:
            raise ProcessFailed(self.failed)


def envoy_admin(runtime_dir: Path) -> tuple[str, int] | None:
    """Envoy's admin address (an ephemeral port on 127.0.0.1 of the edge's namespace), which func-e writes."""
    for path in runtime_dir.glob("*/admin-address.txt"):
        host, _, port = path.read_text().strip().rpartition(":")
        if port.isdigit():
            return host, int(port)
    return None


def diagnostics(log: Path, runtime_dir: Path, connect: Connect) -> dict[str, str]:
    """Envoy Gateway's resource status (the conditions that are not True) and Envoy's xDS: its listeners and
    routes as Envoy Gateway configured them (the config dump, secrets left out)."""
    out = {"envoy-gateway status": status_summary(log)}
    admin = envoy_admin(runtime_dir)
    if admin is None:
        out["envoy xds"] = "(Envoy did not start: no admin address)"
        return out
    try:
        _, body = admin_get(connect, f"http://{admin[0]}:{admin[1]}/config_dump", timeout=3)
        out["envoy xds"] = xds_summary(json.loads(body))
    except (OSError, ValueError) as exc:
        out["envoy xds"] = f"(no config dump from Envoy's admin {admin[0]}:{admin[1]}: {exc})"
    return out


# Conditions that are not True in standalone mode by design: a Gateway gets no address from a file provider.
EXPECTED_CONDITIONS = {("Programmed", "AddressNotAssigned")}


def status_summary(log: Path, limit: int = 6000) -> str:
    """The last status Envoy Gateway logged for each resource ("Got new status for <Kind>", the status as YAML,
    then its key): one line per condition that is not True, with its reason and message."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    latest: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        found = re.search(r"Got new status for (\w+)", lines[i])
        i += 1
        if not found:
            continue
        body = []
        while i < len(lines) and not lines[i].startswith("\t{"):
            body.append(lines[i])
            i += 1
        key = re.search(r'"key": "([^"]*)"', lines[i]) if i < len(lines) else None
        try:
            latest[f"{found.group(1)} {key.group(1).strip('/') if key else '?'}"] = yaml.safe_load("\n".join(body))
        except yaml.YAMLError:
            continue
    if not latest:
        return "(Envoy Gateway logged no status: it did not load the resources)"
    problems = [f"{name}{where}: {c.get('type')}={c.get('status')} ({c.get('reason')}): {c.get('message')}"
                for name, status in sorted(latest.items()) for where, c in _conditions(status)
                if c.get("status") != "True" and (c.get("type"), c.get("reason")) not in EXPECTED_CONDITIONS]
    if not problems:
        return f"every condition True: {', '.join(sorted(latest))}"
    return "\n".join(problems)[:limit]


def _conditions(status: Any, where: str = ""):
    """(path, condition) for every condition in a status (its own, its listeners', its parents')."""
    if isinstance(status, dict):
        for condition in status.get("conditions") or []:
            yield where, condition
        for key in ("listeners", "parents", "ancestors"):
            for i, item in enumerate(status.get(key) or []):
                name = item.get("name") or (item.get("parentRef") or item.get("ancestorRef") or {}).get("sectionName")
                yield from _conditions(item, f"{where} {key}[{name or i}]")


def xds_summary(dump: dict[str, Any], limit: int = 20000) -> str:
    """The dynamic listeners and route configurations of an Envoy config dump, compact."""
    kept = []
    for config in dump.get("configs", []):
        kind = config.get("@type", "").rsplit(".", 1)[-1]
        if kind == "ListenersConfigDump":
            kept.append({"listeners": [d.get("active_state", {}).get("listener") for d in
                                       config.get("dynamic_listeners", [])]})
        elif kind == "RoutesConfigDump":
            kept.append({"routes": [d.get("route_config") for d in config.get("dynamic_route_configs", [])]})
    text = json.dumps(_without(kept, {"access_log", "http2_protocol_options", "metadata", "@type"}),
                      separators=(",", ":"))
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _without(value: Any, keys: set[str]) -> Any:
    """``value`` without the keys that only add noise to a failure message (access-log formats, metadata)."""
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value
