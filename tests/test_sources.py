"""Every source key resolves to an https address on an allowed host (AWS documentation, the Kubernetes projects,
the RFC editor, Envoy; on GitHub only the organisations the rules cite), and no key points into the archived
awsdocs repositories any more."""

from __future__ import annotations

import pytest

from edgeconform import catalog, sources
from edgeconform.load_balancers import MODELS


def bad_addresses(addresses: dict[str, str]) -> list[str]:
    """One line per key whose address is not acceptable: the key, the address and every problem it has."""
    out = []
    for key, address in sorted(addresses.items()):
        problems = [sources.address_problem(address)]
        if "awsdocs" in address:
            problems.append("still points into an archived awsdocs repository")
        if any(problems):
            out.append(f"{key}: {address}: {'; '.join(p for p in problems if p)}")
    return out


def test_every_key_resolves_to_an_https_address_of_an_allowed_host():
    # one test for every key: its failure names each bad address, not the first
    assert len(sources.ALL_KEYS) > 100
    bad = bad_addresses({key: sources.url(key) for key in sources.ALL_KEYS})
    assert not bad, f"{len(bad)} source address(es) to fix in edgeconform/sources.py:\n  " + "\n  ".join(bad)


def test_the_address_check_names_every_bad_key_and_each_of_its_problems():
    bad = bad_addresses({"OK": "https://docs.aws.amazon.com/x.html", "PLAIN": "http://docs.aws.amazon.com/x.html",
                         "OLD": "https://github.com/awsdocs/elb-network-load-balancers-user-guide/blob/main/x.md"})
    assert [line.split(":")[0] for line in bad] == ["OLD", "PLAIN"]
    assert "not one of" in bad[0] and "archived awsdocs" in bad[0]
    assert bad[1].endswith("not https")


@pytest.mark.parametrize("address, words", [
    ("http://docs.aws.amazon.com/x.html", "not https"),
    ("https://github.com/awsdocs/elb-network-load-balancers-user-guide/blob/main/doc_source/x.md", "awsdocs"),
    ("https://example.com/x", "host example.com"),
])
def test_an_address_outside_the_allowed_hosts_is_named(address, words):
    assert words in (sources.address_problem(address) or "")


def test_the_aws_keys_point_at_docs_aws_amazon_com():
    for key in ("NLB-TG23", "NLB-TLS23", "NLB-TS23", "ALB-ATTR", "ALB-L23", "ALB-HTTPS23", "CLB-HTTPS23"):
        assert sources.url(key).startswith("https://docs.aws.amazon.com/elasticloadbalancing/latest/"), key
        assert key in sources.DATED, f"{key} rests on dated text: say which, with its date"


def test_dated_notes_name_known_keys_and_a_date():
    for key, note in sources.DATED.items():
        assert key in sources.ALL_KEYS
        assert "20" in note, f"{key}: the note gives no date"


def test_every_key_the_models_and_the_catalog_cite_is_known():
    cited = {k for m in MODELS.values() for keys in m.sources.values() for k in keys}
    cited |= {k for t in catalog.load().values() for keys in t.sources.values() for k in keys}
    assert not sources.unknown(sorted(cited))
