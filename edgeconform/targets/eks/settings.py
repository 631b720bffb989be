"""What a user supplies for the eks target: from the command line, from a config file, or both.

The config file (``--eks-config FILE``, YAML) carries what does not change between nightly runs::

    kubeconfig: ~/.kube/config        # the cluster; no default on purpose (the target creates billable LBs)
    context: prod-edge-test
    controller: emissary              # the installed ingress controller (one that runs in a cluster)
    mode: lbc-gateway                 # how load balancers are built: lbc-annotations | lbc-gateway | auto-mode
                                      # (default: what the cluster tells, edgeconform.targets.eks.detect)
    scheme: internet-facing           # or internal, when the runner is inside the VPC
    domain: edge.example.com          # replaces edgeconform.test in every hostname and certificate name
    certificates:                     # certificate name -> ACM (or IAM server certificate) ARN
      default.edge.example.com: arn:aws:acm:eu-west-1:123456789012:certificate/...
    trust_store: my-trust-store       # ALB mutual TLS verify: the ELB trust store (ARN or name) with the test CA
    client_ip: 203.0.113.7            # the runner's address as the internet sees it
    allow_from: [203.0.113.7/32]      # who may reach the throwaway load balancers (default: client_ip/32)
    vpc_cidrs: [10.0.0.0/16]          # the load balancers' private addresses (default: RFC 1918 + 100.64/10)
    ca_bundle: ./private-ca.pem       # extra CA for load-balancer certificates not publicly trusted
    timeouts: {lb-provision: 900}     # the aws timeout profile, by name (seconds)
    edges:                            # edge-url mode: probe these, deploy nothing
      nlb-proxy-v2: https://k8s-edge-abc.elb.eu-west-1.amazonaws.com

Command-line options win over the file. Every error names the setting, what is wrong, and how to fix it.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ... import controllers, untrusted

ARN = re.compile(r"^arn:aws[a-z-]*:(acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+|iam::\d{12}:server-certificate/\S+)$")
CATALOG_DOMAIN = "edgeconform.test"
# Where a load balancer's own (private) addresses come from when the user does not name the VPC.
DEFAULT_VPC_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]


class SettingsError(Exception):
    """The eks settings are wrong: the message names the setting, the problem and the fix."""


class EdgeUrl(BaseModel):
    """An edge that already exists: probed as the topology it claims to be, nothing deployed."""

    model_config = ConfigDict(frozen=True)
    topology: str
    url: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


class EksSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kubeconfig: Path | None = None
    context: str | None = None
    keep: bool = False
    controller: str = "emissary"  # one of the controllers that run on eks (edgeconform.controllers)
    mode: Literal["lbc-annotations", "lbc-gateway", "auto-mode"] | None = None  # None: detected from the cluster
    scheme: Literal["internet-facing", "internal"] = "internet-facing"
    domain: str | None = None
    certificates: dict[str, str] = {}
    trust_store: str | None = None  # ALB mutual TLS in verify mode: the trust store's ARN or name
    client_ip: str | None = None
    allow_from: list[str] | None = None
    vpc_cidrs: list[str] = Field(default_factory=lambda: list(DEFAULT_VPC_CIDRS))
    ca_bundle: Path | None = None
    alb_ingress_class: str = "alb"
    timeouts: dict[str, float] = {}
    edges: dict[str, str] = {}
    run_id: str | None = None

    @field_validator("certificates")
    @classmethod
    def _arns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, arn in value.items():
            if not ARN.match(arn):
                raise ValueError(f"{name}: {arn!r} is not an ACM certificate ARN "
                                 "(arn:aws:acm:REGION:ACCOUNT:certificate/ID) nor an IAM server-certificate ARN")
        return value

    @field_validator("controller")
    @classmethod
    def _controller(cls, value: str) -> str:
        runs_here = controllers.for_place("cluster", "eks")
        if value not in runs_here:
            raise ValueError(f"{value!r} is not a controller the eks target configures; choose one of "
                             f"{', '.join(runs_here)}")
        return value

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, value: Path | None) -> Path | None:
        if value is not None and not Path(value).expanduser().is_file():
            raise ValueError(f"{value}: no such file (a PEM file of CA certificates)")
        return Path(value).expanduser() if value is not None else None

    @field_validator("client_ip")
    @classmethod
    def _client_ip(cls, value: str | None) -> str | None:
        if value is not None:
            ipaddress.ip_address(value)  # ValueError names the bad value
        return value

    @field_validator("allow_from", "vpc_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str] | None) -> list[str] | None:
        return [str(ipaddress.ip_network(item, strict=False)) for item in value] if value is not None else None

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"(?=.{1,200}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}", value):
            raise ValueError(f"{value!r} is not a DNS domain (lower case, like edge.example.com)")
        return value

    @field_validator("edges")
    @classmethod
    def _edges(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{name}: {url!r} is not an http(s) URL with a host (the load balancer's DNS name)")
            if parts.path not in ("", "/") or parts.query:
                raise ValueError(f"{name}: {url!r} has a path or query; give only scheme and host, the listener "
                                 "ports come from the topology")
        return value

    # --- derived ------------------------------------------------------------------------------------
    @property
    def edge_urls(self) -> list[EdgeUrl]:
        return [EdgeUrl(topology=name, url=url) for name, url in self.edges.items()]

    @property
    def source_ranges(self) -> list[str]:
        """Who may reach the throwaway load balancers: allow_from, else the client address alone, else anyone."""
        if self.allow_from is not None:
            return list(self.allow_from)
        if self.client_ip:
            return [str(ipaddress.ip_network(self.client_ip))]
        return []

    def rename(self, name: str) -> str:
        """A catalog hostname or certificate name on this cluster (the domain mapping)."""
        if self.domain and (name == CATALOG_DOMAIN or name.endswith("." + CATALOG_DOMAIN)):
            return name[: -len(CATALOG_DOMAIN)] + self.domain
        return name

    def arn_for(self, name: str) -> str | None:
        """The ARN for a certificate name, looked up by its name on this cluster, then by its catalog name."""
        for key in (self.rename(name), name):
            if key in self.certificates:
                return self.certificates[key]
        return None


def _pairs(values: list[str], option: str, what: str) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise SettingsError(f"{option} {item!r}: expected {what}")
        out[key.strip()] = value.strip()
    return out


def load(config_file: str | Path | None = None, **options: Any) -> EksSettings:
    """Settings from the config file (if any) overlaid with command-line values (None means "not given").

    Command-line forms: ``acm_cert=["NAME=ARN", ...]``, ``edge_url=["TOPOLOGY=URL", ...]``,
    ``timeout=["NAME=SECONDS", ...]``; the rest by their field names.
    """
    data: dict[str, Any] = {}
    where = "the command line"
    if config_file:
        path = Path(config_file).expanduser()
        where = f"{path}"
        if not path.exists():
            raise SettingsError(f"--eks-config {path}: cannot read it (No such file or directory)")
        try:  # read as untrusted input (edgeconform.untrusted): bounded in size, depth and aliases
            parsed = untrusted.yaml_document(path)
        except untrusted.Refused as exc:
            raise SettingsError(f"--eks-config {exc}") from None
        loaded = (parsed.data if parsed is not None else None) or {}
        if not isinstance(loaded, dict):
            raise SettingsError(f"--eks-config {path}: expected a mapping of settings, got {type(loaded).__name__}")
        data.update(loaded)
        for key in ("kubeconfig", "ca_bundle"):  # relative paths are relative to the config file
            if isinstance(data.get(key), str):
                data[key] = str((path.parent / Path(data[key]).expanduser()).resolve())
    certificates = dict(data.get("certificates") or {})
    certificates.update(_pairs(options.pop("acm_cert", None) or [], "--acm-cert", "NAME=ARN"))
    edges = dict(data.get("edges") or {})
    edges.update(_pairs(options.pop("edge_url", None) or [], "--edge-url", "TOPOLOGY=URL"))
    timeouts = dict(data.get("timeouts") or {})
    for name, value in _pairs(options.pop("timeout", None) or [], "--eks-timeout", "NAME=SECONDS").items():
        try:
            timeouts[name] = float(value)
        except ValueError:
            raise SettingsError(f"--eks-timeout {name}={value}: {value!r} is not a number of seconds") from None
    data.update({"certificates": certificates, "edges": edges, "timeouts": timeouts})
    data.update({key: value for key, value in options.items() if value not in (None, False)})
    if isinstance(data.get("kubeconfig"), str):
        data["kubeconfig"] = str(Path(data["kubeconfig"]).expanduser())
    try:
        return EksSettings(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {_reason(err)}"
                             for err in exc.errors())
        raise SettingsError(f"eks settings from {where}: {problems}") from None


def _reason(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown setting (known: {', '.join(EksSettings.model_fields)})"
    if err["type"] == "literal_error":
        return f"{err['input']!r} is not one of {err['ctx']['expected']}"
    return str(err["msg"]).removeprefix("Value error, ")


__all__ = ["EksSettings", "EdgeUrl", "SettingsError", "load"]
