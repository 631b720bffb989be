"""Cleartext redirect: what a plain http:// request gets, where it happened, and that it ends.

The probe starts at http://<hostname>/redirect-check?q=1 and follows Location headers with a hop limit. It checks
the status code (301 at an ALB with ssl-redirect, the controller's code elsewhere), who answered (the load
balancer or the controller), that Location keeps host, path and query, and that following it ends in one TLS
response from the backend: no loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from .base import Behaviour, Cell, Expectation, Fact, Facts, straight_to_app

if TYPE_CHECKING:
    from ..edge import Edge
    from ..probing.http import RedirectTrail
    from ..topology import Topology

NAME = "redirect"


@dataclass(frozen=True)
class RedirectWant:
    action: Literal["redirect", "serve"]
    code: int | None = None
    at: Literal["lb", "controller"] | None = None


def rule(t: Topology) -> Expectation:
    model = t.lb_model
    make = lambda **kw: Expectation(topology=t.name, behaviour=NAME, **kw)  # noqa: E731
    if t.http_listener is None:
        return make(outcome="n/a", want=None, sources=model.cite("listeners"), summary="",
                    reason="no cleartext listener: nothing to redirect")
    cf = t.lb.cloudfront
    if cf and cf.viewer_protocol == "https-only":
        return make(outcome="n/a", want=None, sources=("CF-VIEWER",), summary="",
                    reason="CloudFront's viewer protocol policy https-only answers cleartext with 403: no redirect")
    if cf and cf.viewer_protocol == "redirect-to-https":
        return make(outcome="works", want=RedirectWant("redirect", 301, "lb"), sources=("CF-VIEWER",),
                    summary="cleartext gets 301 to https at CloudFront (viewer protocol policy redirect-to-https), "
                            "then the request is served over TLS")
    if t.lb.ssl_redirect:
        return make(outcome="works", want=RedirectWant("redirect", 301, "lb"), sources=model.cite("redirect"),
                    summary=f"cleartext gets 301 to https at the {model.title} (ssl-redirect), then the request is "
                            "served over TLS")
    if straight_to_app(t):  # nothing between the load balancer and the application redirects anything
        keys = model.cite("redirect") if model.redirect_action else model.cite("listeners")
        by = f" (the {model.title} redirects only with ssl-redirect)" if model.redirect_action else ""
        return make(outcome="works", want=RedirectWant("serve"), sources=keys,
                    summary=f"cleartext reaches the application as is: nothing in front of it redirects{by}")
    if not t.redirect_intended:
        return make(outcome="works", want=RedirectWant("serve"), sources=("NGX-CM",),
                    summary="cleartext is served as is: no redirect is configured")
    from ..controllers import semantics_of

    semantics = semantics_of(t)
    asked = t.controller.redirect_code
    code = semantics.get_redirect_code(asked)  # the code a GET gets (the probe's method)
    method = ""
    if code != asked:
        method = (f" ({t.controller.kind}'s redirect codes follow the method: a redirect set up as {asked} answers "
                  f"GET with {code})")
    if t.layer == "l7":
        keys: tuple[str, ...] = (*model.cite("xff"), "ENVOY-H", "NGX-CM")
        how = f"by X-Forwarded-Proto from the {model.title}"
        if cf:
            keys += ("CF-ORIGIN",)
            how += " (set from the CloudFront -> ALB hop)"
    elif t.tls_terminates_at == "lb":
        keys, how = ("NGX-AWS",), "on a port that only redirects (TLS ends at the load balancer, no X-Forwarded-Proto)"
    else:
        keys, how = ("NGX-CM",), "which sees the cleartext connection itself"
    if code != asked:
        keys = (*keys, *semantics.sources.get("redirect", ()))
    return make(outcome="works", want=RedirectWant("redirect", code, "controller"), sources=keys,
                summary=f"cleartext gets {code} to https at the controller, {how}; following it ends in one "
                        f"TLS response, no loop{method}")


def probe(edge: Edge) -> RedirectTrail:
    from ..probing import http  # the HTTP stack loads when a probe runs

    return http.follow_redirects(edge, edge.hostnames[0], source=edge.client_addresses[0])


def compare(edge: Edge, want: RedirectWant, trail: RedirectTrail) -> list[str]:
    first, last = trail.first.result, trail.last
    if first.status is None:
        return [f"no response to cleartext: {first.describe()}"]
    if want.action == "serve":
        if first.status == 200 and trail.first.at == "backend":
            return []
        return [f"expected cleartext to be served by the backend (200), got {first.status} from {trail.first.at}"]
    problems = []
    if first.status != want.code:
        problems.append(f"expected {want.code} to https, got {first.status} from the {trail.first.at}")
    if trail.first.at != want.at:
        problems.append(f"expected the redirect to come from the {want.at}, it came from the {trail.first.at}")
    if first.location:
        target = urlsplit(first.location)
        original = urlsplit(first.url)
        if target.scheme != "https":
            problems.append(f"Location {first.location!r} is not https")
        if target.hostname and target.hostname != first.host:
            problems.append(f"Location host {target.hostname!r} differs from the request's {first.host!r}")
        if (target.path, target.query) != (original.path, original.query):
            problems.append(f"Location {first.location!r} does not keep the path and query {original.path}?{original.query}")
    elif 300 <= first.status < 400:
        problems.append("the redirect has no Location header")
    if trail.loop:
        problems.append(f"redirect loop: still redirecting after {trail.limit} hops")
    elif not problems and not (last.result.status == 200 and last.at == "backend"
                               and last.result.url.startswith("https://")):
        problems.append(f"following the redirect did not end at the backend over https: {last.result.describe()}")
    return problems


def location(value: str | None) -> str | None:
    """A Location as clients follow it: the default port spelled or not is the same place."""
    if not value:
        return value
    target = urlsplit(value)
    default = {"https": 443, "http": 80}.get(target.scheme)
    netloc = target.hostname or ""
    if target.port and target.port != default:
        netloc += f":{target.port}"
    return target._replace(netloc=netloc).geturl()


def facts(edge: Edge, trail: RedirectTrail) -> dict[str, object]:
    """What a cleartext request gets (status, Location, who answered) and whether following it loops."""
    first = trail.first
    return {"status": first.result.status, "location": location(first.result.location), "answered_by": first.at,
            "loop": trail.loop}


FACTS = Facts(facts, (Fact("status", "the status a cleartext request gets", keep=True),
                      Fact("location", "where the redirect sends it", keep=True),
                      Fact("loop", "whether following the redirect loops", ideal=False),
                      Fact("answered_by", "who answers the cleartext request")))

BEHAVIOUR = Behaviour(
    name=NAME,
    description="behaviour: cleartext is redirected to HTTPS, without a loop",
    cells={"": Cell(rule, probe, compare, facts=FACTS)},
)
