"""Which component creates the load balancer, and the defaults it applies (catalog/creators.yaml, docs/defaults.md).

The AWS Load Balancer Controller's own configuration, when it is among the inputs (its Deployment, as its Helm chart
renders it or as a values file becomes one), changes its defaults: ``--default-ssl-policy``,
``--default-target-type``, ``--default-load-balancer-scheme``, the ``NLBSecurityGroup`` feature gate, its release
(the image tag), and whether its Service webhook runs (it gives every new class-less Service of type LoadBalancer
its class, so the LBC, not the in-tree provider, builds it) [LBC-CHART][LBC-CFG][LBC-MUT].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..load_balancers import creators
from ..load_balancers.creators import Creator
from .documents import Document
from .reading import Reading
from .recognised import containers

LBC_IMAGE = "aws-load-balancer-controller"
# The webhook the LBC's chart registers when enableServiceMutatorWebhook is on (its default) [LBC-MUT]
SERVICE_WEBHOOK = "mservice.elbv2.k8s.aws"


@dataclass
class LbcConfig:
    """The LBC's configuration among the inputs (``deployment`` None: not given; its documented defaults hold)."""

    deployment: Document | None = None
    version: str | None = None  # its image tag
    # default field -> (value, the argument's path in the Deployment)
    settings: dict[str, tuple[Any, tuple[Any, ...]]] = field(default_factory=dict)
    # whether its Service webhook runs: True/False when a MutatingWebhookConfiguration of it says, None otherwise
    webhook: bool | None = None
    webhook_doc: Document | None = None

    @property
    def takes_classless(self) -> bool:
        """Whether its Service webhook gives class-less Services to the LBC: said by its webhook configuration, else
        on wherever the LBC is installed (the chart's default since v2.5.0) [LBC-MUT][LBC-HELM]."""
        if self.webhook is not None:
            return self.webhook
        return self.deployment is not None


def lbc_config(docs: list[Document], r: Reading) -> LbcConfig:
    """The LBC's Deployment and webhook configuration among ``docs``, read into its defaults."""
    out = LbcConfig()
    lbc = creators.get("lbc")
    args_of: dict[str, str] = {}
    for name, default in lbc.defaults.items():
        if default.setting.get("arg"):
            args_of[default.setting["arg"]] = name
    for doc in docs:
        if doc.kind == "MutatingWebhookConfiguration":
            hooks = [str((hook or {}).get("name", "")) for hook in doc.get("webhooks", default=[]) or []]
            if any(hook.startswith("mpod.elbv2.k8s.aws") or hook == SERVICE_WEBHOOK for hook in hooks):
                out.webhook = SERVICE_WEBHOOK in hooks
                out.webhook_doc = doc
                r.use(doc)
        for path, container in containers(doc):
            if LBC_IMAGE not in str(container.get("image", "")):
                continue
            out.deployment = doc
            r.use(doc)
            tag = str(container.get("image", "")).rpartition(":")[2]
            out.version = tag if creators.version_tuple(tag) else None
            for i, arg in enumerate(container.get("args") or []):
                flag, _, value = str(arg).partition("=")
                if flag in args_of:
                    out.settings[args_of[flag]] = (value, (*path, "args", i))
                elif flag == "--feature-gates":
                    gates = dict(item.split("=", 1) for item in value.split(",") if "=" in item)
                    if gates.get("NLBSecurityGroup", "").lower() == "false":
                        out.settings["security_groups"] = (False, (*path, "args", i))
    return out


@dataclass
class Creating:
    """The component that creates this load balancer, and the LBC's configuration where that is the LBC."""

    name: str  # lbc | in-tree | auto-mode
    lbc: LbcConfig = field(default_factory=LbcConfig)

    @property
    def creator(self) -> Creator:
        return creators.get(self.name)

    @property
    def title(self) -> str:
        return self.creator.title

    def default(self, name: str, model: str, r: Reading, field_path: str) -> Any:
        """Its default for ``name`` on ``model``, cited under ``field_path``: the user's LBC setting when its
        Deployment says one, else the component's documented default (for the LBC's release where it is known);
        an unverified default is said in a warning. None: it has none for this model."""
        if self.name == "lbc" and name in self.lbc.settings and self.lbc.deployment is not None:
            value, path = self.lbc.settings[name]
            r.cite(field_path, self.lbc.deployment, *path, keys=("LBC-CHART", "LBC-CFG"))
            return value
        found = self.creator.default(name, model, self.lbc.version if self.name == "lbc" else None)
        if found is None:
            return None
        r.cite(field_path, keys=found.sources)
        if found.unverified:
            r.warn(f"{field_path.split('.')[-1]}: {found.value} assumed (UNVERIFIED: {found.unverified})")
        return found.value

    def unverified(self, name: str, model: str) -> str | None:
        found = self.creator.default(name, model)
        return found.unverified if found is not None else None


__all__ = ["Creating", "LBC_IMAGE", "LbcConfig", "SERVICE_WEBHOOK", "lbc_config"]
