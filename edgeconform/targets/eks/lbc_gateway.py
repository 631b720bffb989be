"""Mode lbc-gateway: the load balancer is a Gateway of the AWS Load Balancer Controller's Gateway API (v3.x).

The data (clusters/eks/gateway.yaml) says which Gateway API field or attribute encodes which topology field and
cites its source; clusters/manifests/eks/gateway.yaml.j2 lays the objects out. This module evaluates the one
against the topology and fills the other:

    topology listener TCP   -> Gateway listener TCP, a TCPRoute to the Service port of that listener
                      TLS   -> Gateway listener TLS (mode Terminate), a TCPRoute; certificates and policy on the
                               LoadBalancerConfiguration's listenerConfigurations
                      HTTP  -> Gateway listener HTTP, an HTTPRoute (or a 301 RequestRedirect with ssl_redirect)
                      HTTPS -> Gateway listener HTTPS, an HTTPRoute; certificates and policy as for TLS
    target type, client-IP preservation, PROXY v2, health checks -> the TargetGroupConfiguration
    X-Forwarded-For mode, idle timeout                          -> LoadBalancerConfiguration attributes

The Gateway is the load balancer, in front of whichever ingress controller the run configures: its routes end
at a Service that selects the controller's pods, exactly as the annotated Service of lbc-annotations does.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from ... import assets
from ...kube import manifests
from ...topology import Topology
from . import annotations
from .modes import (CannotBuild, LoadBalancerPart, LoadBalancerRef, Mode, ModeFacts, Refusal, Setting, refusals_from,
                    render, rules)
from .settings import EksSettings

MODE = "lbc-gateway"
RECONCILER = "AWS Load Balancer Controller Gateway API ({controller}) [LBC-GW]"


@cache
def data() -> dict[str, Any]:
    return yaml.safe_load(assets.path("clusters/eks/gateway.yaml").read_text())


def _key_values(entries: list[dict[str, Any]], ctx: dict[str, Any], where: str,
                settings: list[Setting]) -> list[dict[str, str]]:
    out = []
    for entry in rules(entries, ctx):
        value = render(entry["value"], ctx)
        out.append({"key": entry["key"], "value": value})
        settings.append(Setting(where, entry["key"], value, tuple(entry.get("encodes", [])),
                                tuple(entry.get("sources", [])), " ".join(str(entry.get("why", "")).split())))
    return out


def _rendered(config: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """A configuration of the data file with its string values rendered against the context (the topology's)."""
    return {key: _rendered(value, ctx) if isinstance(value, dict) else render(value, ctx) if isinstance(value, str)
            else value for key, value in config.items()}


def listener_name(protocol: str, port: int) -> str:
    return f"{protocol.lower()}-{port}"


def gateway_class(model: str, facts: ModeFacts, run_labels: dict[str, str] | None = None) -> dict[str, Any]:
    cls = data()["classes"][model]
    return manifests.render("eks/gateway-class.yaml.j2", api_gateway=facts.gateway_api_version, name=cls["name"],
                            controller_name=cls["controller_name"], labels=run_labels or manifests.labels())[0]


class GatewayMode(Mode):
    name = MODE

    def refusals(self, t: Topology, settings: EksSettings) -> list[Refusal]:
        return refusals_from(data()["refuse"].get(t.lb_model.annotation_set, []), annotations.context(t, settings))

    def build(self, t: Topology, settings: EksSettings, namespace: str, selector: dict[str, str],
              container_ports: dict[str, int], facts: ModeFacts) -> LoadBalancerPart:
        self.check(t, settings)
        d, lb = data(), t.lb
        ctx = annotations.context(t, settings)
        cls = d["classes"][lb.model]
        chosen: list[Setting] = [Setting("GatewayClass", "controllerName", cls["controller_name"],
                                         ("load_balancer.model",), tuple(cls["sources"]), cls["why"])]
        listeners, configs = [], []
        for item in lb.listeners:
            how = d["listeners"][item.protocol]
            entry = {"name": listener_name(how["protocol"], item.port), "protocol": how["protocol"],
                     "port": item.port, "tls_mode": how.get("tls_mode"), "route": how["route"],
                     # an L4 route reaches the Service's port, an L7 route the controller's container port
                     "backend_port": item.port if t.layer == "l4" else container_ports[item.target],
                     "redirect": None}
            chosen.append(Setting("Gateway listener", entry["name"], f"{how['protocol']} -> {how['route']}",
                                  ("load_balancer.listeners",), tuple(how["sources"]), " ".join(how["why"].split())))
            if lb.ssl_redirect and not item.terminates_tls:
                redirect = d["redirect"]
                entry["redirect"] = {"scheme": "https", "port": ctx["tls_ports"][0],
                                     "statusCode": redirect["status_code"]}
                chosen.append(Setting("HTTPRoute RequestRedirect", entry["name"],
                                      f"https:{ctx['tls_ports'][0]} {redirect['status_code']}",
                                      ("load_balancer.ssl_redirect",), tuple(redirect["sources"]),
                                      " ".join(redirect["why"].split())))
            listeners.append(entry)
            config = self._listener_config(item, ctx, chosen)
            if config:
                configs.append(config)
        ip_address_type = None
        if lb.ip_address_type == "dualstack":
            ip_address_type = "dualstack"
            chosen.append(Setting("LoadBalancerConfiguration", "ipAddressType", ip_address_type,
                                  ("load_balancer.ip_address_type",), tuple(d["ip_address_type"]["sources"]),
                                  d["ip_address_type"]["why"]))
        lb_attributes = _key_values(d["load_balancer_attributes"], ctx,
                                    "LoadBalancerConfiguration loadBalancerAttributes", chosen)
        target_group: dict[str, Any] = {"targetType": lb.target_type}
        chosen.append(Setting("TargetGroupConfiguration", "targetType", lb.target_type, ("load_balancer.target_type",),
                              ("LBC-GW-TGCFG",), "instance targets reach the controller through NodePorts, ip "
                              "targets its pods"))
        if t.layer == "l7":
            target_group["protocol"] = "HTTP"
        attributes = _key_values(d["target_group_attributes"], ctx, "TargetGroupConfiguration targetGroupAttributes",
                                 chosen)
        if attributes:
            target_group["targetGroupAttributes"] = attributes
        for check in rules(d["health_checks"], ctx)[:1]:
            config = _rendered(check["config"], ctx)
            target_group["healthCheckConfig"] = config
            # the topology's health check, or (deviates) a stand-in for one this mode cannot express
            chosen.append(Setting("TargetGroupConfiguration", "healthCheckConfig",
                                  ", ".join(f"{k}={v}" for k, v in config.items()),
                                  ("load_balancer.health_check",), tuple(check["sources"]),
                                  ("deviates from the topology: " if check.get("deviates") else "")
                                  + " ".join(check["why"].split())))
        name = annotations.resource_name(t)
        objects = manifests.render(
            "eks/gateway.yaml.j2", api_gateway=facts.gateway_api_version, api_lbc=facts.lbc_gateway_api_version,
            name=name, namespace=namespace, labels=manifests.labels(t.name), class_name=cls["name"],
            scheme=settings.scheme, source_ranges=settings.source_ranges, lb_attributes=lb_attributes,
            ip_address_type=ip_address_type,
            listener_configs=configs, listeners=listeners, placeholder_certificate=d["placeholder_certificate"],
            hostnames=t.hostnames, target_group=target_group, node_ports=lb.target_type == "instance",
            external_traffic_policy=t.kubernetes.external_traffic_policy, selector=selector,
            ports=annotations.service_ports(t, "Service" if t.layer == "l4" else "Gateway", container_ports))
        notes = [f"the Gateway API defaults a RequestRedirect to {302}; this plan sets {d['redirect']['status_code']} "
                 "explicitly (the topology's ssl_redirect)"] if lb.ssl_redirect else []
        return LoadBalancerPart(
            MODE, RECONCILER.format(controller=cls["controller_name"]), objects,
            LoadBalancerRef(facts.gateway_api_version, "Gateway", namespace, name), chosen,
            shared=[gateway_class(lb.model, facts)], notes=notes,
            missing_arns=annotations.missing_arns(t, settings))

    @staticmethod
    def _listener_config(item, ctx: dict[str, Any], chosen: list[Setting]) -> dict[str, Any] | None:
        """listenerConfigurations[] for one listener: certificates and policy where TLS ends, attributes."""
        config: dict[str, Any] = {"protocolPort": f"{item.protocol}:{item.port}"}
        if item.terminates_tls:
            arns = ctx["arns"]
            config["defaultCertificate"] = arns[0]
            if arns[1:]:
                config["certificates"] = arns[1:]
            config["sslPolicy"] = ctx["policy"]
            chosen.append(Setting("LoadBalancerConfiguration listenerConfigurations", config["protocolPort"],
                                  f"defaultCertificate + {len(arns) - 1} more, sslPolicy {ctx['policy']}",
                                  ("load_balancer.certificates", "load_balancer.tls_min_version"),
                                  ("LBC-GW-LBCFG",), "the first certificate is the default, the rest the SNI list; "
                                  "the topology's minimum TLS version"))
        if item.protocol == "HTTPS" and ctx["lb"].mutual_tls != "off":
            mutual: dict[str, Any] = {"mode": ctx["lb"].mutual_tls}
            if mutual["mode"] == "verify":
                mutual["trustStore"] = ctx["settings"].trust_store
            config["mutualAuthentication"] = mutual
            how = data()["mutual_authentication"]
            chosen.append(Setting("LoadBalancerConfiguration listenerConfigurations", f"{config['protocolPort']} "
                                  "mutualAuthentication", ", ".join(f"{k}={v}" for k, v in mutual.items()),
                                  ("load_balancer.mutual_tls",), tuple(how["sources"]), how["why"]))
        attributes = _key_values(data()["listener_attributes"], {**ctx, "listener": item},
                                 f"LoadBalancerConfiguration listenerAttributes {config['protocolPort']}", chosen)
        if attributes:
            config["listenerAttributes"] = attributes
        return config if len(config) > 1 else None


__all__ = ["CannotBuild", "GatewayMode", "gateway_class"]
