"""The AWS load-balancer models, one module each (nlb, clb, alb), in matrix order.

    MODELS["nlb"]   the NLB's LoadBalancerModel
    get("clb")      the same, with an error that lists the known models
"""

from __future__ import annotations

from . import alb, clb, nlb
from .base import CITED_FACTS, LoadBalancerModel, ModelError

MODELS: dict[str, LoadBalancerModel] = {m.MODEL.name: m.MODEL for m in (nlb, clb, alb)}
NAMES = tuple(MODELS)


def get(name: str) -> LoadBalancerModel:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown load-balancer model {name!r}; known: {', '.join(NAMES)}") from None


__all__ = ["CITED_FACTS", "LoadBalancerModel", "MODELS", "ModelError", "NAMES", "get"]
