"""Reports to merge that the property tests found broken, each refused naming its field (regression tests)."""

from __future__ import annotations

import json

import pytest

from edgeconform import report

from .payloads import injection_report


@pytest.mark.parametrize("remove, null", [
    (("derived", "layer"), False), (("derived", "tls_terminates_at"), False), (("fields", "load_balancer"), False),
    (("fields", "load_balancer", "model"), False), (("fields", "load_balancer"), True)])
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


def test_a_null_the_pages_can_show_is_kept(tmp_path):
    document = injection_report()
    document["topologies"][0]["fields"]["load_balancer"]["proxy_protocol"] = None  # no PROXY protocol
    document["topologies"][0]["derived"]["tls_terminates_at"] = None
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document))
    assert report.load(path).topologies[0].fields["load_balancer"]["proxy_protocol"] is None
