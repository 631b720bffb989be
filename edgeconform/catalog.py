"""Loading the topology catalog and user topology files, with errors that name file, entry and field.

File format (YAML)::

    version: 1
    defaults: {...}          # merged under every entry (deep merge; the entry wins)
    topologies:
      NAME: {description, hostnames, load_balancer, kubernetes, controller, sources}
    imported: {...}          # optional: what `edgeconform import` read and did not understand (ImportRecord)

``sources:`` maps a field to where it comes from: source keys of the documentation (edgeconform.sources), and, in a
file written from manifests, ``PATH:LINE`` references to the manifest line the field was read from (PATH relative
to the topology file; the file must exist and have that line).

Two kinds of problems are told apart. A file the model cannot represent (a typo, a Classic ELB sending PROXY
v2, which AWS cannot do) is an error here. A load balancer and controller that disagree (the LB sends PROXY
v2, the controller does not expect it) is a valid topology: the suites run it and it fails with a diagnosis.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import assets, load_balancers, sources, untrusted
from .load_balancers import creators
from .topology import TRUST_FIELDS, Topology

CATALOG_PATH = "catalog/topologies.yaml"
TOP_LEVEL = ("version", "defaults", "topologies", "imported")
# A topology's name: it names folders, network namespaces, pytest ids and Kubernetes objects.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
# A hostname, or a certificate's name (which may be a wildcard): DNS labels of letters, digits and hyphens (an
# internationalised name in its xn-- form). Edges issue certificates for them and send them as SNI and Host.
DNS_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                      r"[A-Za-z0-9])?)*\.?$")
# A manifest reference in ``sources:``: PATH:LINE (a source key never holds a colon).
MANIFEST_REF = re.compile(r"^(?P<path>[^:\s]+):(?P<line>[1-9][0-9]*)$")


class NotUnderstood(BaseModel):
    """A key of the manifests an import read but did not understand (never silently dropped)."""

    model_config = ConfigDict(extra="forbid")
    file: str
    line: int | None = None
    object: str = Field("", description="kind namespace/name, e.g. 'ConfigMap ingress-nginx/ingress-nginx-controller'")
    key: str
    value: Any = None


class ImportRecord(BaseModel):
    """A topology file's ``imported:`` block: what ``edgeconform import`` read, and what it did not understand."""

    model_config = ConfigDict(extra="forbid")
    inputs: list[str] = Field(default_factory=list, description="the manifests or folders it read")
    not_understood: list[NotUnderstood] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="e.g. documented defaults assumed for a missing "
                                                                  "ConfigMap")
    rendered: list[str] = Field(default_factory=list, description="how inputs that are not plain manifests were "
                                "made into objects: kustomize build, helm template, edgeconform's reading of a chart's "
                                "values, Terraform")


class TopologyError(Exception):
    """A catalog or topology file that cannot be used. The message names the file, the entry and the field (and
    the line, where the file has one for it); a file with several problems lists each on a line of its own."""

    def __init__(self, path: str, message: str, entry: str | None = None, field: str | None = None,
                 line: int | None = None):
        self.path, self.entry, self.field, self.line = path, entry, field, line
        self.problems: list[TopologyError] = [self]
        where = path
        if entry:
            where += f": topology {entry!r}"
        if field:
            where += f": field {field!r}"
        super().__init__(untrusted.clean(f"{where}: {message}" + (f" (line {line})" if line else "")))

    @classmethod
    def several(cls, problems: list[TopologyError], shown: int = 50) -> TopologyError:
        """One error listing every problem, one line each (at most ``shown``, then how many more)."""
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        out = cls(first.path, "", first.entry, first.field, first.line)
        lines = [str(p) for p in problems[:shown]]
        if len(problems) > shown:
            lines.append(f"{first.path}: ... and {len(problems) - shown} more problems")
        out.args = ("\n".join(lines),)
        out.problems = list(problems)
        return out

    @classmethod
    def refused(cls, exc: untrusted.Refused) -> TopologyError:
        """The reading layer's refusal of a file, as it words it."""
        out = cls(exc.file, exc.reason, line=exc.line)
        out.args = (str(exc),)
        return out


def default_catalog() -> Path:
    return assets.path(CATALOG_PATH)


def load(paths: list[str | Path] | None = None, *, include_default: bool = True) -> dict[str, Topology]:
    """The default catalog (unless excluded) plus each file in ``paths``; later files override by name."""
    topologies: dict[str, Topology] = _default_catalog() if include_default else {}
    for path in paths or []:
        topologies.update(load_file(Path(path)))
    return topologies


_DEFAULT: dict[tuple[str, int, int], dict[str, Topology]] = {}


def _default_catalog() -> dict[str, Topology]:
    """The default catalog, read once per process while its file is unchanged (every command, plan and test reads
    it; parsing its YAML costs fifty times the copy). A deep copy each time: nobody shares a mutable list."""
    path = default_catalog()
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _DEFAULT:
        _DEFAULT.clear()
        _DEFAULT[key] = load_file(path)
    return copy.deepcopy(_DEFAULT[key])


def load_file(path: str | Path) -> dict[str, Topology]:
    """The topologies of one file, read through the reading layer (edgeconform.untrusted); every problem of the
    file is named, each with its line."""
    path = Path(path)
    shown = str(path)
    if not path.exists() and not path.is_symlink():
        raise TopologyError(shown, "no such file (check the path given to --topology-file)")
    try:
        parsed = untrusted.yaml_document(path)
    except untrusted.Refused as exc:
        raise TopologyError.refused(exc) from None
    document, lines = (parsed.data, parsed.lines) if parsed is not None else (None, {})
    if not isinstance(document, dict) or not isinstance(document.get("topologies"), dict):
        raise TopologyError(shown, "expected a mapping with a 'topologies:' mapping of NAME -> entry")
    unknown_top = sorted(untrusted.shown(key) for key in document if key not in TOP_LEVEL)
    if unknown_top:
        raise TopologyError(shown, f"unknown top-level key(s) [{', '.join(unknown_top)}]; allowed: "
                                   f"{', '.join(TOP_LEVEL)}")
    imported(document, shown, lines)
    if document.get("version", 1) != 1:
        raise TopologyError(shown, f"unsupported version {untrusted.shown(document.get('version'))}; this harness "
                                   "reads version 1", line=lines.get(("version",)))
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise TopologyError(shown, "'defaults' must be a mapping")

    result: dict[str, Topology] = {}
    problems: list[TopologyError] = []
    for name, entry in document["topologies"].items():
        where = _lines_of(lines, name)
        if not isinstance(entry, dict):
            problems.append(TopologyError(shown, "entry must be a mapping", entry=str(name), line=where(None)))
            continue
        merged = _deep_merge(defaults, entry)
        merged["name"] = str(name)
        merged["origin"] = shown
        try:
            result[str(name)] = parse(merged, path=shown, line=where)
        except TopologyError as exc:
            problems += exc.problems
    if problems:
        raise TopologyError.several(problems)
    return result


def _lines_of(lines: dict[tuple[Any, ...], int], name: Any):
    """field -> the line of a topology's field in its file: in its entry, else in the file's defaults."""
    def line(field: str | None) -> int | None:
        parts = tuple(int(p) if p.isdecimal() else p for p in field.split(".")) if field else ()
        for root in (("topologies", name), ("defaults",)):
            for end in range(len(parts), 0 if root[0] == "topologies" else 1, -1):
                found = lines.get(root + parts[:end])
                if found:
                    return found
        return lines.get(("topologies", name))
    return line


def imported(document: dict[str, Any], path: str, lines: dict[tuple[Any, ...], int] | None = None
             ) -> ImportRecord | None:
    """The file's ``imported:`` block, checked (None when it has none); every problem named."""
    block = document.get("imported")
    if block is None:
        return None
    try:
        return ImportRecord.model_validate(block)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = ("imported", *error["loc"])
            line = next((lines[loc[:end]] for end in range(len(loc), 0, -1) if loc[:end] in (lines or {})), None)
            field = ".".join(str(part) for part in loc)
            problems.append(TopologyError(path, f"field {field!r}: {error['msg']}", line=line))
        raise TopologyError.several(problems) from None


def entry_data(t: Topology) -> dict[str, Any]:
    """``t`` as an entry ``parse`` takes back: its fields, less what parse itself fills in (the trust a controller
    without settings has, e.g. none's)."""
    from . import controllers

    data = t.model_dump(exclude_none=True)
    kind = t.controller.kind
    if kind and kind in controllers.available():
        for key in controllers.controller_class(kind).fixed_trust:
            data["controller"].pop(key, None)
    return data


def parse(data: dict[str, Any], path: str = "<topology>", line=None) -> Topology:
    """One entry (already merged with defaults) into a checked Topology; a TopologyError names every problem.
    ``line``: field -> its line in the file, where there is one."""
    name = str(data.get("name", "?"))
    line = line or (lambda field: None)
    if not NAME.match(name):
        raise TopologyError(path, f"the name {untrusted.shown(name)} is not letters, digits, '.', '_' and '-' (at most "
                                  "63, a letter or digit first): it names folders, namespaces and Kubernetes objects",
                            line=line(None))
    try:
        topology = Topology.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, name, exc, line=line) from None
    controller = data.get("controller")
    topology = _own_vocabulary(topology, controller if isinstance(controller, dict) else {}, path, line)
    problems = consistency_problems(topology)
    if problems:
        raise TopologyError.several([TopologyError(path, message, entry=name, field=field, line=line(field))
                                     for field, message in problems])
    return topology


def _validation_error(path: str, name: str, exc: ValidationError, prefix: str = "", line=None) -> TopologyError:
    problems = []
    for error in exc.errors():
        field = ".".join([*([prefix] if prefix else []), *(str(part) for part in error["loc"])]) or None
        value = error.get("input")
        shown_value = "" if isinstance(value, dict) else f" (got {untrusted.shown(value)})"
        problems.append(TopologyError(path, f"{error['msg']}{shown_value}", entry=name, field=field,
                                      line=line(field) if line else None))
    return TopologyError.several(problems)


def _own_vocabulary(t: Topology, written: dict[str, Any], path: str, line=None) -> Topology:
    """A controller block written in a controller's own terms (kind + settings): its settings checked by the
    controller's plug-in and the trust model derived from them, so the rules read the same fields either way."""
    from . import controllers

    line = line or (lambda field: None)
    ctl = t.controller
    if ctl.kind is None:
        if ctl.settings is not None:
            raise TopologyError(path, "settings are a controller's own: name the controller with controller.kind "
                                      f"({', '.join(controllers.names())})", entry=t.name, field="controller.settings",
                                line=line("controller.settings"))
        return t
    if ctl.kind not in controllers.available():
        raise TopologyError(path, f"unknown controller {untrusted.shown(ctl.kind)}; known: "
                                  f"{', '.join(controllers.names())}", entry=t.name, field="controller.kind",
                            line=line("controller.kind"))
    cls = controllers.controller_class(ctl.kind)
    if cls.fixed_trust:  # no controller there (none): nothing trusts, redirects or expects anything
        given = [key for key in written if key in cls.fixed_trust]
        if given:
            raise TopologyError(path, f"{', '.join(given)}: a controller's setting{'s' if len(given) > 1 else ''}, "
                                      f"and with controller.kind {ctl.kind} the load balancer sends straight to the "
                                      "application: the expectations state what arrives there, and what the "
                                      "application trusts is its own business; remove it",
                                entry=t.name, field=f"controller.{given[0]}", line=line(f"controller.{given[0]}"))
        if ctl.settings is not None:
            raise TopologyError(path, f"{ctl.kind} has no settings of its own: give the application's certificates "
                                      "(controller.certificates) and tls_min_version only",
                                entry=t.name, field="controller.settings", line=line("controller.settings"))
        return t.model_copy(update={"controller": ctl.model_copy(update=dict(cls.fixed_trust))})
    if ctl.settings is None:
        return t  # abstract terms: the block only says which controller runs the edge
    if cls.settings_model is None:
        raise TopologyError(path, f"{ctl.kind} has no settings of its own: write the abstract controller block "
                                  f"({', '.join(TRUST_FIELDS)})", entry=t.name, field="controller.settings",
                            line=line("controller.settings"))
    both = [key for key in written if key in TRUST_FIELDS]
    if both:
        raise TopologyError(path, f"{both[0]} follows from the {ctl.kind} settings: give either controller.settings "
                                  "or the abstract fields, not both", entry=t.name, field=f"controller.{both[0]}",
                            line=line(f"controller.{both[0]}"))
    try:
        native = cls.settings_model.model_validate(ctl.settings)
        derived = cls.to_abstract(native, t)
    except ValidationError as exc:
        raise _validation_error(path, t.name, exc, prefix="controller.settings", line=line) from None
    except controllers.SettingsError as exc:
        field = "controller.settings" + (f".{exc.field}" if exc.field else "")
        raise TopologyError(path, str(exc), entry=t.name, field=field, line=line(field)) from None
    try:  # checked like any block: a plug-in's translation cannot slip in a value the model refuses
        controller = type(ctl).model_validate({**ctl.model_dump(), **derived})
    except ValidationError as exc:
        raise _validation_error(path, t.name, exc, prefix="controller", line=line) from None
    return t.model_copy(update={"controller": controller})


def consistency_problems(t: Topology) -> list[tuple[str, str]]:
    """What the AWS load balancer (or this model of it) cannot do, as (field, message) pairs."""
    from . import controllers  # controllers import the catalog
    from .behaviours import REQUIRABLE  # the behaviour names a topology can require

    lb, model, problems = t.lb, t.lb_model, []
    add = problems.append
    cites = lambda *facts: sources.cite(model.cite(*facts))  # noqa: E731
    names = [(f"hostnames.{i}", name, False) for i, name in enumerate(t.hostnames)]
    names += [(f"load_balancer.certificates.{i}", name, True) for i, name in enumerate(lb.certificates)]
    names += [(f"controller.certificates.{i}", name, True) for i, name in enumerate(t.controller.certificates)]
    if lb.cloudfront is not None:
        names.append(("load_balancer.cloudfront.certificate", lb.cloudfront.certificate, True))
    for field, name, wildcard in names:
        if not DNS_NAME.match(name.removeprefix("*.") if wildcard else name):
            add((field, f"{untrusted.shown(name)} is not a DNS name (letters, digits and hyphens between dots"
                        f"{'; a wildcard as *.domain' if wildcard else ''}; an internationalised name in its xn-- "
                        "form)"))
    ports = [listener.port for listener in lb.listeners]
    for i, listener in enumerate(lb.listeners):
        if listener.protocol not in model.protocols:
            add((f"load_balancer.listeners.{i}.protocol",
                 f"{model.article} has no {listener.protocol} listener; use one of {sorted(model.protocols)} "
                 f"{cites('listeners')}"))
        if listener.is_l7 and listener.target == "https":
            add((f"load_balancer.listeners.{i}.target",
                 "an L7 listener forwards plaintext HTTP here: target 'http' or 'redirect'"))
        if listener.terminates_tls and listener.target == "https":
            add((f"load_balancer.listeners.{i}.target",
                 "re-encryption to the controller (TLS target group) is not modelled: target 'http' or 'redirect'"))
    if len(set(ports)) != len(ports):
        add(("load_balancer.listeners", f"two listeners share a port: {ports}"))
    if len({listener.is_l7 for listener in lb.listeners}) > 1:
        add(("load_balancer.listeners", "mixes L4 (TCP/TLS/SSL) and L7 (HTTP/HTTPS) listeners; split it into two topologies"))

    if lb.proxy_protocol and lb.proxy_protocol != model.proxy_protocol:
        senders = [m for m in load_balancers.MODELS.values() if m.proxy_protocol == lb.proxy_protocol]
        keys = sources.cite(dict.fromkeys([*model.cite("proxy"), *(k for m in senders for k in m.cite("proxy"))]))
        add(("load_balancer.proxy_protocol", f"{model.article} cannot send PROXY {lb.proxy_protocol}; only the "
                                             f"{' and the '.join(m.title for m in senders)} does {keys}"))
    for field, default in (("privatelink_endpoint", None), ("proxy_protocol_placement", "on_first_ack_with_payload")):
        if getattr(lb, field) != default and lb.proxy_protocol != "v2":
            add((f"load_balancer.{field}", "this describes an NLB's PROXY v2 header: set proxy_protocol: v2 on an NLB "
                                           "[NLB-TG23]"))
    if lb.proxy_protocol and t.layer == "l7" and not model.l7_proxy_claim:
        add(("load_balancer.proxy_protocol", "PROXY protocol applies to TCP/SSL listeners, not HTTP/HTTPS ones [CLB-PP][CLB-L]"))
    elif lb.proxy_protocol and t.layer == "l7" and load_balancers.L7_PROXY_CLAIM not in lb.unverified:
        add(("load_balancer.proxy_protocol", f"PROXY on HTTP/HTTPS listeners is documented by no AWS page: state it as "
                                             f"a claim (load_balancer.unverified: {{{load_balancers.L7_PROXY_CLAIM}: "
                                             f"WHY}}), or make the listeners TCP/SSL {cites('l7_proxy')}"))
    if lb.xff is not None and t.layer == "l4":
        add(("load_balancer.xff", "X-Forwarded-For processing needs an L7 (HTTP/HTTPS) listener; L4 listeners add no headers [NLB-TLS23][CLB-L]"))
    elif lb.xff is not None and lb.xff not in model.xff_modes:
        add(("load_balancer.xff", f"{model.article} has X-Forwarded-For mode(s) {list(model.xff_modes)} only "
                                  f"{cites('xff')}"))
    for field, on in (("mutual_tls", lb.mutual_tls != "off"), ("xff_client_port", lb.xff_client_port),
                      ("preserve_host_header", lb.preserve_host_header)):
        if on and not model.has(field):
            add((f"load_balancer.{field}", f"an ALB setting [ALB-MTLS][ALB-ATTR]; {model.article} has none"))
    if lb.mutual_tls != "off" and not any(listener.protocol == "HTTPS" for listener in lb.listeners):
        add(("load_balancer.mutual_tls", "mutual TLS is set on HTTPS listeners: give the ALB one [ALB-MTLS]"))
    if lb.ip_address_type == "dualstack" and not model.has("dualstack"):
        add(("load_balancer.ip_address_type", "dual stack is modelled for NLBs and ALBs (LBC ip-address-type) "
                                              "[LBC-SA][LBC-IA]"))
    if lb.ip_address_type == "dualstack" and lb.cloudfront is not None:
        add(("load_balancer.ip_address_type", "a dual-stack ALB behind CloudFront is not modelled"))
    cf = lb.cloudfront
    if cf is not None:
        protocols = {listener.protocol for listener in lb.listeners}
        needs = {"http-only": {"HTTP"}, "https-only": {"HTTPS"}, "match-viewer": {"HTTP", "HTTPS"}}[cf.origin_protocol]
        if not model.has("cloudfront"):
            add(("load_balancer.cloudfront", "CloudFront in front of the load balancer is modelled for an ALB only"))
        elif not needs <= protocols:
            add(("load_balancer.cloudfront.origin_protocol", f"origin protocol {cf.origin_protocol} reaches the ALB "
                                                             f"over {'/'.join(sorted(needs))}: give it such a listener [CF-DIST]"))
        if lb.ssl_redirect:
            add(("load_balancer.ssl_redirect", "an ALB ssl-redirect behind CloudFront is not modelled: let CloudFront "
                                               "redirect viewers (cloudfront.viewer_protocol: redirect-to-https) [CF-VIEWER]"))
    if lb.security_groups is not None and not model.has("security_groups"):
        add(("load_balancer.security_groups", "this field describes an NLB's security groups (LBC v2.6+) [LBC-NLB]; "
                                              "ALB and Classic ELB security groups are not modelled"))
    if lb.created_by is not None and lb.model not in creators.get(lb.created_by).models:
        creator = creators.get(lb.created_by)
        makes = " and ".join(f"{load_balancers.get(m).title}s" for m in creator.models)
        add(("load_balancer.created_by", f"{creator.title} creates {makes}, not {model.article} [CPA][LBC-SA]"))
    if lb.client_ip_preservation is not None and not model.preserves_client_ip_attribute:
        add(("load_balancer.client_ip_preservation", "only NLB target groups have preserve_client_ip [NLB-TGA]"))
    if lb.ssl_redirect and not model.redirect_action:
        add(("load_balancer.ssl_redirect", f"{model.article} cannot redirect; only the ALB has a redirect action "
                                           f"[ALB-L23]{cites('listeners')}"))

    needs_lb_cert = any(listener.terminates_tls for listener in lb.listeners)
    if needs_lb_cert and not lb.certificates:
        add(("load_balancer.certificates", "a TLS/SSL/HTTPS listener needs at least one certificate (the first is the default)"))
    if lb.certificates and not needs_lb_cert:
        add(("load_balancer.certificates", "certificates given but no listener terminates TLS at the load balancer"))
    if model.max_certificates is not None and len(lb.certificates) > model.max_certificates:
        limit = ("one certificate per listener: Classic Load Balancers do not support SNI" if not model.sni else
                 f"a default certificate plus at most {model.max_certificates - 1} more")
        add(("load_balancer.certificates", f"{model.article} takes {limit} {cites('certificate_limit')}"))
    if any(listener.target == "https" for listener in lb.listeners) and not t.controller.certificates:
        add(("controller.certificates", "a listener forwards TLS to the controller's https port, which needs certificates"))
    if controllers.straight_to_app(t):
        for i, listener in enumerate(lb.listeners):
            if listener.target == "redirect":
                add((f"load_balancer.listeners.{i}.target", "with controller.kind none the load balancer sends to the "
                                                            "application, which has no port that only redirects: "
                                                            "target 'http' (or 'https' where TLS passes through)"))
    problems += _health_check_problems(t)
    problems += _idle_timeout_problems(t)
    problems += _tls_policy_problems(t)
    for i, name in enumerate(t.requires):
        if name not in REQUIRABLE:
            add((f"requires.{i}", f"unknown behaviour {name!r}; a topology can require {', '.join(REQUIRABLE)}"))

    for field, keys in t.sources.items():
        refs = [key for key in keys if MANIFEST_REF.match(key)]
        bad = sources.unknown([key for key in keys if key not in refs])
        if bad:
            add((f"sources.{field}", f"unknown source key(s) {bad}; see edgeconform/sources.py (a manifest line is "
                                     "PATH:LINE)"))
        for ref in refs:
            problem = _manifest_problem(t.origin, ref)
            if problem:
                add((f"sources.{field}", problem))
    return problems


def _health_check_problems(t: Topology) -> list[tuple[str, str]]:
    """Health checks AWS (or the Kubernetes side) cannot set up [ELB-HCAPI][LBC-SA][K8S-HCNP]."""
    given, check = t.lb.health_check, t.health_check
    if given is None:
        return []
    problems = []
    model = t.lb_model
    if given.protocol is not None and given.protocol not in model.health_check_protocols:
        problems.append(("load_balancer.health_check.protocol", f"{model.article} target group "
                                                                f"({'/'.join(sorted(model.protocols))}) cannot be "
                                                                f"health checked over {given.protocol} [ELB-HCAPI]"))
    if check.port == "health-check-node-port" and not (t.lb.target_type == "instance"
                                                       and t.kubernetes.external_traffic_policy == "Local"):
        problems.append(("load_balancer.health_check.port", "a healthCheckNodePort exists for externalTrafficPolicy "
                                                            "Local and reaches nodes: instance targets only [K8S-HCNP]"))
    if check.port == "health-check-node-port" and check.protocol != "HTTP":
        problems.append(("load_balancer.health_check.protocol", "kube-proxy answers the healthCheckNodePort over HTTP "
                                                                "(/healthz) [K8S-HCNP][LBC-SA]"))
    if given.success_codes and check.protocol != "HTTP":
        problems.append(("load_balancer.health_check.success_codes", "success codes apply to HTTP health checks"))
    return problems


def _idle_timeout_problems(t: Topology) -> list[tuple[str, str]]:
    """Idle timeouts AWS cannot set: per model and listener protocol [NLB-IT][ALB-IT][CLB-IT]."""
    lb, model, problems = t.lb, t.lb_model, []
    keys = sources.cite(model.cite("idle_timeout"))
    per_listener = set(model.idle_timeouts) - {p for p, (lo, hi) in model.idle_timeouts.items() if lo == hi}
    if lb.idle_timeout is not None and lb.idle_timeout < 1:
        return [("load_balancer.idle_timeout", f"an idle timeout is a number of seconds, at least 1; got {lb.idle_timeout}")]
    for i, listener in enumerate(lb.listeners):
        if listener.idle_timeout is not None and not model.has("listener_idle_timeout"):
            problems.append((f"load_balancer.listeners.{i}.idle_timeout",
                             f"{model.article}'s idle timeout is a load-balancer attribute, not a listener's: set "
                             f"load_balancer.idle_timeout {keys}"))
            continue
        if listener.idle_timeout is not None and listener.protocol not in per_listener:
            problems.append((f"load_balancer.listeners.{i}.idle_timeout",
                             f"{model.article} {listener.protocol} listener's idle timeout cannot be set {keys}"))
            continue
        given = listener.idle_timeout if listener.idle_timeout is not None else lb.idle_timeout
        if given is None:
            continue
        lo, hi = model.idle_timeouts[listener.protocol]
        if not lo <= given <= hi:
            field = (f"load_balancer.listeners.{i}.idle_timeout" if listener.idle_timeout is not None
                     else "load_balancer.idle_timeout")
            rule = (f"is {lo} s and cannot be changed" if lo == hi else f"must be {lo}-{hi} s")
            where = f"{model.title} {listener.protocol} listener" if model.has("listener_idle_timeout") else model.title
            problems.append((field, f"{where} idle timeout {rule} (listener {listener.port}); got {given} {keys}"))
    return problems


def _tls_policy_problems(t: Topology) -> list[tuple[str, str]]:
    """A security policy the model does not have, or one named where no TLS ends at the load balancer."""
    from .load_balancers import policies

    lb, model = t.lb, t.lb_model
    keys = sources.cite(model.cite("tls_policy"))
    if lb.tls_policy is None and lb.tls_min_version is None:
        return []
    field = "load_balancer.tls_policy" if lb.tls_policy is not None else "load_balancer.tls_min_version"
    if lb.tls_policy is not None and lb.tls_min_version is not None:
        return [("load_balancer.tls_min_version", "give load_balancer.tls_policy only: tls_min_version is the old way "
                                                  "to pick a policy (by its oldest TLS version)")]
    if not any(listener.terminates_tls for listener in lb.listeners):
        return [(field, "a security policy applies where TLS ends at the load balancer, and no listener terminates "
                        "TLS here")]
    if lb.tls_min_version is not None:
        if model.policy_by_min_version.get(lb.tls_min_version) is None:
            newest = max((p.max for p in model.tls_policies.values()), key=policies.VERSIONS.index)
            return [(field, f"{model.article} has no security policy that starts at {lb.tls_min_version}: its "
                            f"policies stop at {newest} {keys}")]
        return []
    if lb.tls_policy not in model.tls_policies:
        known = ", ".join(sorted(model.tls_policies))
        return [(field, f"{model.article} has no security policy {lb.tls_policy!r}; its policies: {known} {keys}")]
    return []


def _deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _manifest_problem(origin: str, ref: str) -> str | None:
    """Why a PATH:LINE reference cannot be followed (PATH relative to the topology file), or None."""
    if not origin or origin.startswith("<"):
        return None  # no file to resolve it from
    match = MANIFEST_REF.match(ref)
    path = Path(origin).parent / match["path"]
    line = int(match["line"])
    if not path.exists():
        return f"{ref}: no such manifest ({path})"
    try:  # a manifest is read like any input: a regular file (not /dev/zero, not a FIFO), bounded in size
        count = len(untrusted.read_text(path, what="manifest").splitlines())
    except untrusted.Refused as exc:
        return f"{ref}: {exc.reason}"
    if line > count:
        return f"{ref}: {match['path']} has {count} lines"
    return None
