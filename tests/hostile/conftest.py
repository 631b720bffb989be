"""Hypothesis, deterministic: the same examples on every run (derandomize, no example database), few enough that
the property tests stay in the unit tier's seconds. HYPOTHESIS_PROFILE=nightly runs many more (a different seed
each night: what it finds is printed with the seed to reproduce it)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture,
          HealthCheck.filter_too_much]
settings.register_profile("edgeconform", derandomize=True, database=None, deadline=None, max_examples=60,
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("nightly", derandomize=False, database=None, deadline=None, max_examples=3000,
                          suppress_health_check=_QUIET, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "edgeconform"))
