"""Reports to merge that the property tests found broken, each refused naming its field (regression tests)."""

from __future__ import annotations

import json

import pytest

from edgeconform import report

from .payloads import injection_report


@pytest.mark.parametrize("remove", [("derived", "layer"), ("derived", "tls_terminates_at"),
                                    ("fields", "load_balancer"), ("fields", "load_balancer", "model")])
@pytest.mark.parametrize("null", [False, True], ids=["removed", "null"])
def test_a_topology_record_without_what_the_pages_show_is_refused(tmp_path, remove, null):
    # hypothesis: a report whose topology record had no derived.layer (then: a null load_balancer) passed the schema
    # and crashed report.html (jinja2 UndefinedError) in report merge
    document = injection_report()
    parent = document["topologies"][0]
    for key in remove[:-1]:
        parent = parent[key]
    if null:
        parent[remove[-1]] = None
    else:
        del parent[remove[-1]]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document))
    with pytest.raises(report.ReportError, match=rf"report.json: field topologies.0.{'.'.join(remove)}: is missing"):
        report.load(path)
