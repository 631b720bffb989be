"""The AWS load-balancer models, one package each (nlb, clb, alb), in matrix order.

    MODELS["nlb"]   the NLB's LoadBalancerModel (edgeconform/load_balancers/nlb/__init__.py)
    get("clb")      the same, with an error that lists the known models

A model's package holds its MODEL (the facts, with their sources) and ``standin``: how its stand-in is rendered
(edgeconform.load_balancers.standins dispatches there), with whatever helpers it needs (the NLB's PROXY v2 relay).
Adding a model: its package, one entry in ``_PACKAGES``, its templates under proxies/, its annotation set, its
source keys (docs/extending.md).
"""

from __future__ import annotations

from . import alb, clb, nlb
from .base import CITED_FACTS, L7_PROXY_CLAIM, LoadBalancerModel, ModelError

_PACKAGES = (nlb, clb, alb)
MODELS: dict[str, LoadBalancerModel] = {m.MODEL.name: m.MODEL for m in _PACKAGES}
PACKAGES: dict[str, str] = {m.MODEL.name: m.__name__ for m in _PACKAGES}  # model -> its package (its standin)
NAMES = tuple(MODELS)


def get(name: str) -> LoadBalancerModel:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown load-balancer model {name!r}; known: {', '.join(NAMES)}") from None


__all__ = ["CITED_FACTS", "L7_PROXY_CLAIM", "LoadBalancerModel", "MODELS", "ModelError", "NAMES", "PACKAGES", "get"]
