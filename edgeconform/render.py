"""Rendering the proxy configuration templates under proxies/ (Jinja2, strict about missing values)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from . import assets


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(assets.path("proxies"))),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, **context: Any) -> str:
    """Render ``proxies/<template>`` with ``context``; a missing value is an error, not an empty string."""
    return _environment().get_template(template).render(**context)


ENVOY_TLS = {"TLSv1.0": "TLSv1_0", "TLSv1.1": "TLSv1_1", "TLSv1.2": "TLSv1_2", "TLSv1.3": "TLSv1_3"}
ENVOY_REDIRECT = {301: "MOVED_PERMANENTLY", 302: "FOUND", 307: "TEMPORARY_REDIRECT", 308: "PERMANENT_REDIRECT"}
