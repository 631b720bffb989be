"""TLS and SNI: which certificate each hostname gets, what an unknown name gets, and where TLS terminated.

One TLS handshake per hostname and one with a name no certificate covers; the certificate's name must be the
one the terminator should pick (its default for the unknown name), the certificate must come from the
expected terminator (load balancer or controller), and the controller's own report of the connection must
agree on where TLS ended. A Classic ELB serves one certificate for every name: a documented limitation.
"""

import pytest

from edgeconform import probes

pytestmark = pytest.mark.sni


def test_certificate_per_hostname(conformance):
    conformance.check(lambda edge: probes.sni(edge, source=edge.client_addresses[0]))
