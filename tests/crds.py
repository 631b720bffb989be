"""Validating Kubernetes custom resources against the openAPIV3Schema of their real CRDs, offline (tests only).

What the API server does with a custom resource, and what this module reproduces:
  1. kind/apiVersion must map to a served version of an installed CRD      -> `no matches for kind`
  2. structural defaulting (`default:` in the schema) before validation     -> apply_defaults()
  3. OpenAPI v3 schema validation (type, enum, pattern, required, ...)      -> jsonschema Draft 4
  4. unknown fields: kubectl's default field validation is Strict           -> additionalProperties: false
  5. x-kubernetes-validations CEL rules (after defaulting)                   -> cel-python
Not reproduced: transition rules (oldSelf), CEL cost limits, `format` checks, list-type uniqueness
(x-kubernetes-list-map-keys), admission webhooks and the controller's own checks.

The CRDs are read at test time from the Go module cache of the pinned versions (`go mod download -json
MODULE@VERSION` fills it), never copied into the repository. Without Go (or the module proxy), ``crd_files``
raises CrdsUnavailable, which the tests turn into a skip naming what is missing.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Iterable

import yaml
from jsonschema import Draft4Validator

import celpy
from celpy import celtypes

# --- where the CRDs come from (the Go module cache) -------------------------------------------------------------
GATEWAY_API = ("sigs.k8s.io/gateway-api", "v1.6.3")
# The one version of the AWS Load Balancer Controller the Go module proxy serves: the GitHub path, pseudo-version
# of commit 93ff3b5fdaad (between v3.2.2 and v3.3.0). Its three gateway.k8s.aws CRDs have the same schema as v1 (and
# v1beta1) of the v3.5.0 tag; they serve v1beta1 only, so v1 is registered as an alias of v1beta1.
LBC = ("github.com/kubernetes-sigs/aws-load-balancer-controller", "v0.0.0-20260423195125-93ff3b5fdaad")
ENVOY_GATEWAY = ("github.com/envoyproxy/gateway", "v1.9.1")
# Traefik's CRDs (traefik.io/v1alpha1) ship with its documentation in the module the local target builds from.
TRAEFIK = ("github.com/traefik/traefik/v3", "v3.6.12")

CRD_GLOBS = {
    "gateway-api-standard": (GATEWAY_API, "config/crd/standard/gateway.networking.k8s.io_*.yaml"),
    "gateway-api-experimental": (GATEWAY_API, "config/crd/experimental/gateway.networking*.yaml"),
    "lbc-gateway": (LBC, "config/crd/gateway/gateway.k8s.aws_*.yaml"),
    "lbc-elbv2": (LBC, "config/crd/bases/elbv2.k8s.aws_*.yaml"),
    "envoy-gateway": (ENVOY_GATEWAY, "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_*.yaml"),
    "traefik": (TRAEFIK, "docs/content/reference/dynamic-configuration/traefik.io_*.yaml"),
}
LBC_V1_ALIAS = {("gateway.k8s.aws", "v1"): "v1beta1"}


class CrdsUnavailable(Exception):
    """The CRDs cannot be read here (no Go, no module proxy); the message says what to install."""


@cache
def module_dir(module: str, version: str) -> Path:
    """Directory of MODULE@VERSION in the Go module cache, downloading it first if needed."""
    if not shutil.which("go"):
        raise CrdsUnavailable(f"the CRDs of {module}@{version} are read from the Go module cache: install Go")
    out = subprocess.run(["go", "mod", "download", "-json", f"{module}@{version}"], capture_output=True, text=True,
                         env=dict(os.environ, GOFLAGS="-mod=mod"), timeout=600)
    info = json.loads(out.stdout or "{}")
    if out.returncode != 0 or "Dir" not in info:
        raise CrdsUnavailable(f"go mod download {module}@{version} failed: {info.get('Error') or out.stderr.strip()}")
    return Path(info["Dir"])


def crd_files(sets: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for name in sets:
        (module, version), pattern = CRD_GLOBS[name]
        found = sorted(module_dir(module, version).glob(pattern))
        if not found:
            raise CrdsUnavailable(f"no CRD files for {name}: {module}@{version}/{pattern}")
        files.extend(found)
    return files


# --------------------------------------------------------------------------------------------------
# Registry of served versions
# --------------------------------------------------------------------------------------------------

@dataclass
class CrdVersion:
    group: str
    version: str
    kind: str
    plural: str
    schema: dict
    source: str


@dataclass
class Registry:
    versions: dict[tuple[str, str, str], CrdVersion] = field(default_factory=dict)  # (group, version, kind)

    @classmethod
    def from_files(cls, files: Iterable[Path], aliases: dict[tuple[str, str], str] | None = None) -> "Registry":
        reg = cls()
        for f in files:
            for doc in yaml.load_all(f.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: 10x
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                for v in spec["versions"]:
                    if not v.get("served"):
                        continue
                    key = (spec["group"], v["name"], spec["names"]["kind"])
                    # a later set (experimental) may add versions; the first file wins for a given key
                    reg.versions.setdefault(key, CrdVersion(spec["group"], v["name"], spec["names"]["kind"],
                                                            spec["names"]["plural"], v["schema"]["openAPIV3Schema"],
                                                            str(f)))
        for (group, alias), target in (aliases or {}).items():
            for (g, ver, kind), cv in list(reg.versions.items()):
                if g == group and ver == target and (g, alias, kind) not in reg.versions:
                    reg.versions[(g, alias, kind)] = CrdVersion(g, alias, kind, cv.plural, cv.schema,
                                                                cv.source + f" (as {alias})")
        return reg

    def lookup(self, api_version: str, kind: str) -> CrdVersion | None:
        group, _, version = api_version.rpartition("/")
        return self.versions.get((group, version, kind))

    def knows_group(self, api_version: str) -> bool:
        group = api_version.rpartition("/")[0]
        return any(g == group for g, _, _ in self.versions)


# --------------------------------------------------------------------------------------------------
# 2. structural defaulting
# --------------------------------------------------------------------------------------------------

def apply_defaults(schema: dict, value: Any) -> Any:
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                value[name] = apply_defaults(sub, value[name])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in list(value):
                if name not in (schema.get("properties") or {}):
                    value[name] = apply_defaults(extra, value[name])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(schema["items"], item) for item in value]
    return value


# --------------------------------------------------------------------------------------------------
# 3+4. OpenAPI schema -> JSON Schema (draft 4), strict about unknown fields
# --------------------------------------------------------------------------------------------------

def to_jsonschema(schema: Any, strict: bool = True) -> Any:
    if isinstance(schema, list):
        return [to_jsonschema(s, strict) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: to_jsonschema(v, strict) for k, v in schema.items()
           if k not in ("x-kubernetes-validations", "default", "description")}
    if schema.get("nullable") and "type" in schema:
        out["type"] = [schema["type"], "null"]
    if (strict and schema.get("type") == "object" and "properties" in schema
            and "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def _path(parts: Iterable[Any]) -> str:
    text = ""
    for p in parts:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return text


def _schema_errors(schema: dict, obj: dict) -> list[str]:
    errors = []
    validator = Draft4Validator(to_jsonschema(schema))
    for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
        where = _path(e.absolute_path)
        if e.validator == "additionalProperties":
            extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
            errors.extend(f'unknown field "{_path([*e.absolute_path, name])}"' for name in extra)
        elif e.validator == "enum":
            allowed = ", ".join(json.dumps(v) for v in e.validator_value)
            errors.append(f"{where}: Unsupported value: {json.dumps(e.instance)}: supported values: {allowed}")
        elif e.validator == "required":
            missing = re.search(r"'(.+?)' is a required property", e.message)
            name = missing.group(1) if missing else e.message
            errors.append(f"{_path([*e.absolute_path, name])}: Required value")
        elif e.validator == "pattern":
            errors.append(f"{where}: Invalid value: {json.dumps(e.instance)}: {where} in body should match "
                          f"'{e.validator_value}'")
        elif e.validator == "type":
            errors.append(f"{where}: Invalid value: {json.dumps(e.instance)}: {where} in body must be of type "
                          f"{e.validator_value}")
        elif e.validator in ("maxLength", "maxItems", "minItems", "minLength", "minimum", "maximum"):
            errors.append(f"{where}: Invalid value: {json.dumps(e.instance)}: {where} in body fails "
                          f"{e.validator} {e.validator_value}")
        else:
            errors.append(f"{where}: {e.message}")
    return errors


# --------------------------------------------------------------------------------------------------
# 5. CEL (x-kubernetes-validations) with the Kubernetes string/net extensions the CRDs use
# --------------------------------------------------------------------------------------------------

def _split(s, sep, n=None):
    s, sep = str(s), str(sep)
    parts = s.split(sep) if n is None or int(n) < 0 else (s.split(sep, int(n) - 1) if int(n) > 0 else [])
    return celtypes.ListType([celtypes.StringType(p) for p in parts])


def _substring(s, start, end=None):
    s = str(s)
    return celtypes.StringType(s[int(start):] if end is None else s[int(start):int(end)])


def _is_ip(s):
    try:
        ipaddress.ip_address(str(s))
        return celtypes.BoolType(True)
    except ValueError:
        return celtypes.BoolType(False)


CEL_FUNCTIONS = {
    "split": _split, "substring": _substring, "isIP": _is_ip,
    "lowerAscii": lambda s: celtypes.StringType(str(s).lower()),
    "upperAscii": lambda s: celtypes.StringType(str(s).upper()),
    "trim": lambda s: celtypes.StringType(str(s).strip()),
    "indexOf": lambda s, sub: celtypes.IntType(str(s).find(str(sub))),
    "join": lambda lst, sep="": celtypes.StringType(str(sep).join(str(x) for x in lst)),
}
_ENV = celpy.Environment()
_PROGRAMS: dict[str, Any] = {}


def _program(rule: str):
    if rule not in _PROGRAMS:
        _PROGRAMS[rule] = _ENV.program(_ENV.compile(rule), functions=CEL_FUNCTIONS)
    return _PROGRAMS[rule]


def _cel_errors(schema: dict, value: Any, path: list) -> list[str]:
    errors = []
    if value is None:
        return errors
    for rule in schema.get("x-kubernetes-validations") or []:
        expr = rule["rule"]
        if "oldSelf" in expr:  # transition rule: only checked on update
            continue
        where = _path(path) + (rule.get("fieldPath") or "")
        try:
            result = _program(expr).evaluate({"self": celpy.json_to_cel(value)})
        except celpy.CELEvalError as exc:  # raised rather than returned for some expressions
            result = exc
        except Exception as exc:  # compile errors of unsupported extensions included
            errors.append(f"{where}: Invalid value: \"object\": CEL rule not evaluated ({type(exc).__name__}): "
                          f"{expr}")
            continue
        if isinstance(result, celpy.CELEvalError):
            # the API server's wording: `Invalid value: "object": no such key: X evaluating rule: <message>`
            missing = re.search(r"no such member in mapping: \\*'([A-Za-z0-9_]+)", repr(result.args))
            cause = f"no such key: {missing.group(1)}" if missing else str(result.args[0] if result.args else result)
            errors.append(f"{where}: Invalid value: \"object\": {cause} evaluating rule: "
                          f"{rule.get('message') or expr}")
        elif result is not True and not (isinstance(result, celtypes.BoolType) and bool(result)):
            errors.append(f"{where}: Invalid value: \"object\": {rule.get('message') or 'failed rule: ' + expr}")
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name, sub in props.items():
            if name in value:
                errors += _cel_errors(sub, value[name], [*path, name])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name, item in value.items():
                if name not in props:
                    errors += _cel_errors(extra, item, [*path, name])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            errors += _cel_errors(schema["items"], item, [*path, i])
    return errors


# --------------------------------------------------------------------------------------------------
# One object
# --------------------------------------------------------------------------------------------------

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass
class Result:
    ref: str                 # kind/name
    checked_by: str          # "crd:<file>" | "kubernetes-validate <ver>" | "no schema"
    errors: list[str]
    defaulted: Any = None    # the object after defaulting (CRs only)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_custom(registry: Registry, obj: dict) -> Result:
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    name = (obj.get("metadata") or {}).get("name", "")
    ref = f"{kind}/{name}"
    crd = registry.lookup(api_version, kind)
    if crd is None:
        return Result(ref, "no schema", [f'no matches for kind "{kind}" in version "{api_version}"'])
    errors = []
    if not name:
        errors.append("metadata.name: Required value")
    elif not DNS1123_SUBDOMAIN.match(name) or len(name) > 253:
        errors.append(f'metadata.name: Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of '
                      "lower case alphanumeric characters, '-' or '.'")
    defaulted = apply_defaults(crd.schema, copy.deepcopy(obj))
    errors += _schema_errors(crd.schema, defaulted)
    if not errors:  # the API server runs CEL only on a schema-valid object
        errors += _cel_errors(crd.schema, defaulted, [])
    return Result(ref, f"crd:{Path(crd.source.split(' ')[0]).name}", errors, defaulted)


CORE_GROUPS = {"v1", "apps/v1", "networking.k8s.io/v1", "policy/v1", "batch/v1", "rbac.authorization.k8s.io/v1"}


def validate_core(obj: dict, k8s_version: str = "1.35") -> Result:
    import kubernetes_validate
    ref = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name', '')}"
    try:
        used = kubernetes_validate.validate(obj, k8s_version, strict=True)
        return Result(ref, f"kubernetes-validate (k8s {used}, strict)", [])
    except kubernetes_validate.ValidationError as e:
        return Result(ref, f"kubernetes-validate (k8s {e.version}, strict)",
                      [f"{_path(e.absolute_path)}: {e.message}"])
    except kubernetes_validate.utils.SchemaNotFoundError as e:
        return Result(ref, "no schema", [e.message])


def validate(registry: Registry, obj: dict, k8s_version: str = "1.35") -> Result:
    if obj.get("apiVersion") in CORE_GROUPS:
        return validate_core(obj, k8s_version)
    return validate_custom(registry, obj)


@cache
def registry(*sets: str) -> Registry:
    """The served versions of the CRD sets named (CRD_GLOBS), read once per session."""
    return Registry.from_files(crd_files(sets), LBC_V1_ALIAS)
