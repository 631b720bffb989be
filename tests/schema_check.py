"""Validating generated manifests against the real schemas, with the validators built once per kind.

kubernetes_validate.validate() builds a new reference registry and validator on every call; across the ~150
objects of every plan that dominated the unit tests' time. These helpers give the same verdict (the same schema
files, strict, the same Draft 2020-12 validator) from validators cached by (version, apiVersion, kind) and by
schema identity.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import all_versions, major_minor, schema_contents
from referencing import Registry, Resource


@cache
def _kubernetes_validator(version: str, api_version: str, kind: str) -> jsonschema.Validator:
    # the schema version is the newest that is not newer than the one asked for (as kubernetes_validate does)
    chosen = [v for v in all_versions() if major_minor(v) <= major_minor(version)][-1]
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"v{chosen}-local-strict"
    try:
        schema = schema_contents(f"kubernetes-json-schema/{folder}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(version=major_minor(version), kind=kind,
                                                      api_version=api_version) from None
    definitions = schema_contents(f"kubernetes-json-schema/{folder}/_definitions.json", version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_kubernetes(obj: dict[str, Any], version: str) -> None:
    """Like kubernetes_validate.validate(obj, version, strict=True); raises jsonschema.ValidationError."""
    _kubernetes_validator(version.lstrip("v"), obj["apiVersion"], obj["kind"]).validate(obj)


_CRD_VALIDATORS: dict[int, jsonschema.Validator] = {}


def validate_crd(obj: dict[str, Any], schema: dict[str, Any]) -> None:
    """jsonschema.validate(obj, schema) with the validator built once per schema."""
    validator = _CRD_VALIDATORS.get(id(schema))
    if validator is None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _CRD_VALIDATORS[id(schema)] = cls(schema)
    validator.validate(obj)
