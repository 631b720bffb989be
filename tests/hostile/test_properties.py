"""Property-based tests (hypothesis) of every reader of untrusted files: real inputs with any one field replaced by a
value of the wrong type (null, true, a number, a float, a huge string, unicode, markup, a list, a mapping) or
removed. Whatever the input, the reader gives its result or its one refusal, never another exception; and a
topology file with wrong fields names every one of them.

- import's readers: every manifest of the fuzz corpus's seeds (every example and every eks plan's golden manifests),
  serialised as the YAML import reads;
- the topology loader: the catalog and every misconfigured example;
- report merge: a report with every kind of field (payloads.injection_report), then merged and rendered;
- the kubeconfig reader, up to the Kubernetes client's own configuration (nothing is contacted).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from edgeconform import catalog, report
from edgeconform.kube import kubeconfig
from edgeconform.report import collect, html, markdown
from edgeconform.report.merge import merge

from ..fuzz.targets import import_manifests
from .payloads import PAYLOADS, injection_report
from .test_escaping import check_html, check_markdown, check_terminal

REPO = Path(__file__).resolve().parent.parent.parent
# libyaml's loader and emitter where PyYAML has them: the same documents, ten times faster (the inputs are written
# and read here many times; what import reads them with is its own reading layer)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
WRONG = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70), st.floats(),
    st.text(max_size=12), st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12),
    st.sampled_from(PAYLOADS), st.just("x" * 100_000), st.sampled_from(["²", "٣", "0x1F", "1e400", "-0", "Infinity",
                                                                         '[{"HTTPS": 1e400}]', "[" * 3000, "*", ""]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=3))


def paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key and list item of ``data``, as paths."""
    out = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        out.append(prefix + (key,))
        out += paths(value, prefix + (key,))
    return out


def mutated(data: Any, path: tuple, value: Any, remove: bool) -> Any:
    data = copy.deepcopy(data)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if remove:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


@st.composite
def changed(draw, documents: list[Any]):
    """One of ``documents`` with one field replaced by a wrong value, or removed."""
    data = draw(st.sampled_from(documents))
    found = paths(data)
    if not found:
        return data
    return mutated(data, draw(st.sampled_from(found)), draw(WRONG), draw(st.booleans()))


# --- import's readers ------------------------------------------------------------------------------------------
def _manifest_sets() -> list[list[Any]]:
    sets = []
    for side in sorted((REPO / "examples" / "migrations").glob("*/*/manifests")):
        sets.append([doc for p in sorted(side.glob("*.yaml")) for doc in yaml.load_all(p.read_text(), Loader=LOADER) if doc])
    for path in sorted((REPO / "tests" / "targets" / "eks" / "golden" / "eks-plan").rglob("*.yaml"))[::3]:
        sets.append([doc for doc in yaml.load_all(path.read_text(), Loader=LOADER) if doc])
    return sets


MANIFESTS = _manifest_sets()


@given(st.data())
def test_import_gives_a_topology_or_one_refusal_whatever_field_is_wrong(data):
    documents = data.draw(st.sampled_from(MANIFESTS))
    i = data.draw(st.integers(min_value=0, max_value=len(documents) - 1))
    documents = [*documents[:i], data.draw(changed([documents[i]])), *documents[i + 1:]]
    text = yaml.dump_all(documents, Dumper=DUMPER, sort_keys=False, allow_unicode=True)
    import_manifests(text.encode())  # an exception other than ImportFailed fails the test


# --- the topology loader ---------------------------------------------------------------------------------------
def _topology_files() -> list[dict]:
    files = [REPO / "catalog" / "topologies.yaml", *sorted((REPO / "examples" / "misconfigured").glob("*.yaml"))]
    return [yaml.load(path.read_text(), Loader=LOADER) for path in files]


TOPOLOGY_FILES = _topology_files()
FREE = ("sources", "unverified", "settings", "description")  # free-form maps and text: any value may be right


@given(changed(TOPOLOGY_FILES))
def test_a_topology_file_loads_or_is_refused_whatever_field_is_wrong(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("topology") / "edges.yaml"
    path.write_text(yaml.dump(document, Dumper=DUMPER, allow_unicode=True))
    try:
        catalog.load_file(path)
    except catalog.TopologyError as exc:
        assert all(line.startswith(str(path)) for line in str(exc).splitlines()), str(exc)


@st.composite
def two_wrong_fields(draw):
    """A catalog topology with two of its scalar fields (not free-form ones) replaced by a mapping."""
    document = draw(st.sampled_from(TOPOLOGY_FILES[:1]))
    name = draw(st.sampled_from(sorted(document["topologies"])))
    entry = document["topologies"][name]
    leaves = [p for p in paths(entry) if not isinstance(_at(entry, p), (dict, list)) and not set(p) & set(FREE)]
    first, second = draw(st.lists(st.sampled_from(leaves), min_size=2, max_size=2, unique=True))
    if first[:len(second)] == second or second[:len(first)] == first:
        second = first
    for path in {first, second}:
        entry = mutated(entry, path, {"hostile": [1]}, False)
    return {"topologies": {name: entry}}, name, {first, second}


def _at(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


@given(two_wrong_fields())
def test_every_wrong_field_of_a_topology_is_named(tmp_path_factory, case):
    document, name, wrong = case
    path = tmp_path_factory.mktemp("two") / "edges.yaml"
    path.write_text(yaml.dump(document, Dumper=DUMPER))
    try:
        catalog.load_file(path)
    except catalog.TopologyError as exc:
        message = str(exc)
    else:
        raise AssertionError(f"a mapping in {wrong} was accepted")
    for field in wrong:
        assert f"field '{'.'.join(map(str, field))}" in message, (field, message)


# --- report merge ----------------------------------------------------------------------------------------------
REPORT = injection_report()


@given(changed([REPORT]))
def test_a_report_merges_and_renders_or_is_refused_whatever_field_is_wrong(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("report") / "report.json"
    path.write_text(json.dumps(document, allow_nan=True))
    try:
        loaded = report.load(path)
    except report.ReportError:
        return
    merged = merge([loaded, loaded])
    check_markdown(markdown.render(merged), shown=[])
    check_html(html.render(merged), shown=[])
    check_terminal(collect.render(merged, color=True))


# --- the kubeconfig reader -------------------------------------------------------------------------------------
KUBECONFIG = {"apiVersion": "v1", "kind": "Config", "current-context": "edge",
              "clusters": [{"name": "edge", "cluster": {"server": "https://127.0.0.1:1",
                                                        "certificate-authority-data": "bm90IGEgY2VydA==",
                                                        "tls-server-name": "kubernetes"}}],
              "contexts": [{"name": "edge", "context": {"cluster": "edge", "user": "admin", "namespace": "edge"}}],
              "users": [{"name": "admin", "user": {"token": "t0ken"}}], "preferences": {}}


@given(changed([KUBECONFIG]))
def test_a_kubeconfig_gives_a_client_or_one_refusal_whatever_field_is_wrong(tmp_path_factory, document):
    from kubernetes.config.config_exception import ConfigException

    path = tmp_path_factory.mktemp("kubeconfig") / "config"
    path.write_text(yaml.dump(document, Dumper=DUMPER, allow_unicode=True))
    try:  # builds the client's configuration; nothing is contacted
        kubeconfig.client(path).close()
    except (kubeconfig.KubeconfigError, ConfigException, ValueError, OSError):
        pass  # what import --kubeconfig and the targets turn into one refusal


# --- every field, exhaustively ---------------------------------------------------------------------------------
SWEEP = [None, 7, "\u202e<b>" * 1000, ["a"], {"a": 1}]  # null, a number, a long string, a list, a mapping


@pytest.mark.integration  # some 9,000 imports: half a minute
def test_every_field_of_every_example_with_every_kind_of_wrong_value():
    """Not a sample: every key and list item of every example's manifests (examples/migrations), replaced by each
    kind of wrong value and removed, imports or is refused."""
    sets = MANIFESTS[:12]
    count = 0
    for documents in sets:
        for i, doc in enumerate(documents):
            for path in paths(doc):
                for value, remove in [*((v, False) for v in SWEEP), (None, True)]:
                    changed_docs = [*documents[:i], mutated(doc, path, value, remove), *documents[i + 1:]]
                    text = yaml.dump_all(changed_docs, Dumper=DUMPER, sort_keys=False, allow_unicode=True)
                    try:
                        import_manifests(text.encode())
                    except Exception as exc:
                        raise AssertionError(f"{type(exc).__name__}: {exc} with {path} of document {i} "
                                             f"{'removed' if remove else f'= {value!r:.40}'}") from exc
                    count += 1
    assert count > 5000, count
