"""Cleartext redirect: what a plain http:// request gets, where it happened, and that it ends.

The probe starts at http://<hostname>/redirect-check?q=1 and follows Location headers with a hop limit. It checks
the status code (301 at an ALB with ssl-redirect, the controller's code elsewhere), who answered (the load
balancer or the controller), that Location keeps host, path and query, and that following it ends in one TLS
response from the backend: no loop.
"""

import pytest

from edgeconform import probes

pytestmark = pytest.mark.redirect


def test_cleartext_is_redirected_without_loop(conformance):
    conformance.check(lambda edge: probes.follow_redirects(edge, edge.hostnames[0], source=edge.client_addresses[0]))
