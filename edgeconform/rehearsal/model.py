"""The AWS model: what the AWS Load Balancer Controller asked AWS for, read back through the Elastic Load Balancing
API (moto here; the same calls work against AWS). One LoadBalancer with its attributes, listeners (certificates,
policy, default actions, mutual TLS, attributes), rules and target groups (attributes, health check, targets).

``aws-model.json`` (``edgeconform rehearse --report DIR``) is this model; its JSON Schema is
``AwsModel.model_json_schema()``, written beside it as ``aws-model.schema.json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Action(_Model):
    type: str  # forward | redirect | fixed-response | authenticate-*
    target_groups: list[str] = []  # forward: target group names
    redirect: dict[str, str] = {}  # redirect: Protocol, Port, Host, Path, Query, StatusCode
    fixed_response: dict[str, str] = {}


class Rule(_Model):
    priority: str
    conditions: list[dict[str, Any]] = []
    actions: list[Action] = []


class Listener(_Model):
    port: int
    protocol: str
    ssl_policy: str | None = None
    default_certificate: str | None = None  # the certificate's name where the rehearsal imported it, else its ARN
    sni_certificates: list[str] = []
    alpn_policy: list[str] = []
    mutual_authentication: dict[str, Any] = {}
    default_actions: list[Action] = []
    rules: list[Rule] = []
    attributes: dict[str, str] = {}


class Target(_Model):
    id: str
    port: int | None = None


class HealthCheck(_Model):
    protocol: str | None = None
    port: str | None = None
    path: str | None = None
    matcher: str | None = None
    interval_seconds: int | None = None
    timeout_seconds: int | None = None
    healthy_threshold: int | None = None
    unhealthy_threshold: int | None = None


class TargetGroup(_Model):
    name: str
    protocol: str | None = None
    port: int | None = None
    target_type: str
    ip_address_type: str | None = None
    health_check: HealthCheck
    attributes: dict[str, str] = {}
    targets: list[Target] = []
    tags: dict[str, str] = {}


class LoadBalancer(_Model):
    name: str
    arn: str
    dns_name: str
    type: str  # network | application
    scheme: str
    ip_address_type: str
    security_groups: list[str] = []
    subnets: list[str] = []
    attributes: dict[str, str] = {}
    listeners: list[Listener] = []
    target_groups: list[TargetGroup] = []
    tags: dict[str, str] = {}


class AwsModel(_Model):
    schema_version: int = SCHEMA_VERSION
    source: str = Field(description="where it was read from: the rehearsal's moto, or an AWS account")
    load_balancers: list[LoadBalancer] = []


def read_back(elbv2, dns_names: list[str] | None = None, cert_names: dict[str, str] | None = None) -> list[LoadBalancer]:
    """Every load balancer (or those with these DNS names), as the API describes them. ``cert_names``: ARN -> name."""
    names = cert_names or {}
    found = []
    for lb in _pages(elbv2, "describe_load_balancers", "LoadBalancers"):
        if dns_names is not None and lb["DNSName"] not in dns_names:
            continue
        arn = lb["LoadBalancerArn"]
        described = elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
        rules_of = {item["ListenerArn"]: elbv2.describe_rules(ListenerArn=item["ListenerArn"])["Rules"]
                    for item in described}
        groups = target_groups_of(elbv2, described, rules_of)
        tg_names = {group["TargetGroupArn"]: group["TargetGroupName"] for group in groups}
        listeners = []
        for item in described:
            certificates = [cert for cert in elbv2.describe_listener_certificates(
                ListenerArn=item["ListenerArn"])["Certificates"] if not cert.get("IsDefault")] \
                if item["Protocol"] in ("HTTPS", "TLS") else []
            default = (item.get("Certificates") or [{}])[0].get("CertificateArn")
            rules = [Rule(priority=rule["Priority"], conditions=rule.get("Conditions", []),
                          actions=[_action(action, tg_names) for action in rule.get("Actions", [])])
                     for rule in rules_of[item["ListenerArn"]] if not rule.get("IsDefault")]
            listeners.append(Listener(
                port=item["Port"], protocol=item["Protocol"], ssl_policy=item.get("SslPolicy"),
                default_certificate=names.get(default, default) if default else None,
                sni_certificates=sorted(names.get(c["CertificateArn"], c["CertificateArn"]) for c in certificates
                                        if c["CertificateArn"] != default),
                alpn_policy=item.get("AlpnPolicy", []), mutual_authentication=_plain(item.get("MutualAuthentication", {})),
                default_actions=[_action(action, tg_names) for action in item.get("DefaultActions", [])],
                rules=rules, attributes=_attributes(elbv2.describe_listener_attributes(
                    ListenerArn=item["ListenerArn"]).get("Attributes", []))))
        target_groups = []
        for group in groups:
            tg_arn = group["TargetGroupArn"]
            health = elbv2.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
            target_groups.append(TargetGroup(
                name=group["TargetGroupName"], protocol=group.get("Protocol"), port=group.get("Port"),
                target_type=group["TargetType"], ip_address_type=group.get("IpAddressType"),
                health_check=HealthCheck(
                    protocol=group.get("HealthCheckProtocol"), port=group.get("HealthCheckPort"),
                    path=group.get("HealthCheckPath"),
                    matcher=(group.get("Matcher") or {}).get("HttpCode") or (group.get("Matcher") or {}).get("GrpcCode"),
                    interval_seconds=group.get("HealthCheckIntervalSeconds"),
                    timeout_seconds=group.get("HealthCheckTimeoutSeconds"),
                    healthy_threshold=group.get("HealthyThresholdCount"),
                    unhealthy_threshold=group.get("UnhealthyThresholdCount")),
                attributes=_attributes(elbv2.describe_target_group_attributes(TargetGroupArn=tg_arn)["Attributes"]),
                targets=sorted((Target(id=h["Target"]["Id"], port=h["Target"].get("Port")) for h in health),
                               key=lambda t: (t.id, t.port or 0)),
                tags=_tags(elbv2, tg_arn)))
        found.append(LoadBalancer(
            name=lb["LoadBalancerName"], arn=arn, dns_name=lb["DNSName"], type=lb["Type"], scheme=lb["Scheme"],
            ip_address_type=lb.get("IpAddressType", "ipv4"), security_groups=lb.get("SecurityGroups", []),
            subnets=sorted(zone.get("SubnetId", "") for zone in lb.get("AvailabilityZones", [])),
            attributes=_attributes(elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]),
            listeners=sorted(listeners, key=lambda item: item.port),
            target_groups=sorted(target_groups, key=lambda item: item.name), tags=_tags(elbv2, arn)))
    return found


def target_groups_of(elbv2, listeners: list[dict[str, Any]], rules_of: dict[str, list[dict[str, Any]]]) -> list[dict]:
    """The target groups the listeners forward to (default actions and rules). Asked by ARN: DescribeTargetGroups
    by LoadBalancerArn finds, in moto, only target groups of default actions (an ALB Gateway forwards in rules)."""
    arns: list[str] = []
    for item in listeners:
        actions = [*item.get("DefaultActions", []),
                   *(a for rule in rules_of.get(item["ListenerArn"], []) for a in rule.get("Actions", []))]
        for action in actions:
            found = [g["TargetGroupArn"] for g in (action.get("ForwardConfig") or {}).get("TargetGroups", [])]
            found += [action["TargetGroupArn"]] if action.get("TargetGroupArn") else []
            arns += [arn for arn in found if arn not in arns]
    return elbv2.describe_target_groups(TargetGroupArns=arns)["TargetGroups"] if arns else []


def _pages(client, operation: str, key: str):
    for page in client.get_paginator(operation).paginate():
        yield from page[key]


def _attributes(items: list[dict[str, str]]) -> dict[str, str]:
    return {item["Key"]: item["Value"] for item in items}


def _tags(elbv2, arn: str) -> dict[str, str]:
    descriptions = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return {tag["Key"]: tag["Value"] for tag in descriptions[0]["Tags"]} if descriptions else {}


def _plain(value: Any) -> Any:
    return {k: _plain(v) for k, v in value.items()} if isinstance(value, dict) else value


def _action(action: dict[str, Any], tg_names: dict[str, str]) -> Action:
    kind = action["Type"]
    groups = [tg_names.get(item["TargetGroupArn"], item["TargetGroupArn"])
              for item in (action.get("ForwardConfig") or {}).get("TargetGroups", [])]
    if not groups and action.get("TargetGroupArn"):
        groups = [tg_names.get(action["TargetGroupArn"], action["TargetGroupArn"])]
    return Action(type=kind, target_groups=groups,
                  redirect={k: str(v) for k, v in (action.get("RedirectConfig") or {}).items()},
                  fixed_response={k: str(v) for k, v in (action.get("FixedResponseConfig") or {}).items()})
