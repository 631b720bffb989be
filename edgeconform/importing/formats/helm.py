"""``helm template``, preferred wherever it can run: a real helm is found (EDGECONFORM_HELM, the tools folder that
``tools/build helm`` fills, the PATH) and the chart is on disk (a chart folder among the inputs, or a helm_release
whose chart is a local path). A chart in a remote repository is never fetched: import reads no network, so its
values are read by edgeconform's renderer of that chart (values.py) instead, and the record says which was used.

Each rendered object is cited at the chart template it came from (helm's ``# Source:`` line), and each key whose
value is one of the values given at that value's file and line.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ... import binaries, untrusted
from ..documents import Document, ImportFailed, Path_, load_text, nodes, refused
from .programs import run
from .reading import checked_tree, note_placeholders, note_rendered, read_yaml

PROGRAM = binaries.Program("helm", "EDGECONFORM_HELM", ("version", "--short"), r"^(v\d+\.\d+\.\d+\S*)",
                           go_module="helm.sh/helm/v4")
TIMEOUT = float(os.environ.get("EDGECONFORM_HELM_TIMEOUT", "60"))


def available() -> bool:
    try:
        binaries.find(PROGRAM)
        return True
    except binaries.MissingBinary:
        return False


def local_chart(chart: str, repository: Any, folder: Path) -> Path | None:
    """The chart's folder on disk, if a helm_release names one (``chart = "./charts/x"``, or a local repository)."""
    candidates = [Path(chart) if Path(chart).is_absolute() else folder / chart]
    if isinstance(repository, str) and not repository.startswith(("http://", "https://", "oci://")):
        candidates.append(folder / repository / chart)
    return next((c.resolve() for c in candidates if (c / "Chart.yaml").is_file()), None)


def chart_name(folder: Path) -> str:
    """The chart's name, as its Chart.yaml says (read as any input is: edgeconform.untrusted)."""
    try:
        parsed = untrusted.yaml_document(folder / "Chart.yaml")
    except untrusted.Refused as exc:
        raise refused(exc) from None
    meta = parsed.data if parsed is not None and isinstance(parsed.data, dict) else {}
    return str(meta.get("name") or folder.name)


def render_chart(folder: Path, values_files: list[Path], ctx: Any) -> list[Document]:
    """A chart folder given as an input, with the values files given beside it."""
    from . import values as chart_values

    layers = [doc for path in values_files for doc in read_yaml(path, ctx) if isinstance(doc.data, dict)]
    name = chart_name(folder)
    if available():
        return render_release(folder.resolve(), name, "default", layers, ctx, where=str(folder))
    key = chart_values.chart_named(name)
    if key is None:
        raise ImportFailed(f"a Helm chart ({name}): rendering it needs helm (`tools/build helm` builds it, or put helm "
                           "on the PATH), or give its `helm template` output", file=str(folder / "Chart.yaml"))
    values = chart_values.merged(layers) if layers else Document(folder / "Chart.yaml", {}, {}, 1)
    for layer in layers:
        note_placeholders(ctx, layer, record=False)
    rendered = chart_values.render(key, values, release=name)
    ctx.loaded.warn(f"{folder}: helm is not on the PATH: the chart's values are read by edgeconform's renderer of "
                    f"the {key} chart instead of helm template")
    note_rendered(ctx, rendered, str(folder))
    return rendered.documents


def render_release(chart: Path, release: str, namespace: str, layers: list[Document], ctx: Any,
                   where: str) -> list[Document]:
    """``helm template RELEASE CHART --namespace NS -f layer...``: the objects, cited at their templates and values.
    Every file of the chart is checked by the reading layer before helm reads it."""
    checked_tree([chart])
    helm = binaries.find(PROGRAM)
    version = binaries.version(PROGRAM)
    for layer in layers:
        note_placeholders(ctx, layer, record=False)
    with tempfile.TemporaryDirectory(prefix="edgeconform-helm-") as scratch:
        args = [helm, "template", release, str(chart), "--namespace", namespace]
        for i, layer in enumerate(layers):
            path = Path(scratch) / f"values-{i}.yaml"
            path.write_text(yaml.safe_dump(layer.data, sort_keys=False))
            args += ["-f", str(path)]
        home = {"HELM_CACHE_HOME": f"{scratch}/cache", "HELM_CONFIG_HOME": f"{scratch}/config",
                "HELM_DATA_HOME": f"{scratch}/data"}
        text = run(args, program="helm template", source=chart / "Chart.yaml", cwd=Path(scratch), timeout=TIMEOUT,
                   what="cannot render this chart", env={**os.environ, **home})
    ctx.loaded.renderings.append(f"{where}: rendered by helm {version} (helm template {release} {chart})")
    ctx.loaded.warn(f"{where}: the chart {chart.name} is on disk and helm {version} is here: rendered by helm "
                    "template (preferred over edgeconform's reading of the values)")
    out = []
    for doc in load_text(chart / "Chart.yaml", text, ctx.budget):
        out.append(_cite(doc, chart, text, layers))
        out += [_cite(proxy, chart, text, layers, template=out[-1].file)
                for proxy in _envoy_proxy(out[-1], ctx.budget)]
    ctx.rendered.update(id(doc) for doc in out)
    return out


def _cite(doc: Document, chart: Path, text: str, layers: list[Document], template: Path | None = None) -> Document:
    """The rendered object at its template (``# Source: <chart>/templates/x.yaml``), each key whose value is one of
    the values given at that value's line."""
    if template is None:
        source = _source(text, doc.start)
        template = chart.parent / source if source else chart / "Chart.yaml"
        if not template.is_file():
            template = chart / "Chart.yaml"
    given: dict[str, list[tuple[Path_, Document]]] = {}
    for layer in layers:
        for path in layer.lines:
            value = layer.get(*path)
            if isinstance(value, (str, int, float, bool)):
                given.setdefault(str(value), []).append((path, layer))
    lines: dict[Path_, int] = {}
    files: dict[Path_, Path] = {}

    for path, node in nodes(doc.data):
        if not path or isinstance(node, (dict, list)):
            continue
        text = str(node)
        candidates = given.get(text, []) or given.get(text.partition("=")[2], []) if text.startswith("--") else \
            given.get(text, [])
        named = [c for c in candidates if c[0][-1] == path[-1]] or candidates
        if named:
            vpath, layer = named[-1]
            files[path], lines[path] = layer.where(*vpath)
    return Document(template, doc.data, lines, 1, files=files)


def _source(text: str, start: int) -> str | None:
    """The ``# Source:`` comment above the document starting at line ``start``."""
    rows = text.split("\n")
    for i in range(min(start, len(rows)) - 1, -1, -1):
        row = rows[i].strip()
        if row.startswith("# Source:"):
            return row.split(":", 1)[1].strip()
        if row == "---" and i < start - 2:
            break
    return None


def _envoy_proxy(doc: Document, budget: untrusted.Budget) -> list[Document]:
    """Envoy Gateway's chart writes its configuration into a ConfigMap: the default EnvoyProxy in it as the object
    (values.py renders the same from the values). The configuration is YAML in a string the values wrote: read
    within the command's budget."""
    if doc.kind != "ConfigMap" or doc.name != "envoy-gateway-config":
        return []
    text = (doc.data.get("data") or {}).get("envoy-gateway.yaml") if isinstance(doc.data.get("data"), dict) else None
    try:
        parsed = untrusted.yaml_documents(doc.file, text, budget) if isinstance(text, str) else []
    except untrusted.Refused as exc:
        raise refused(exc) from None
    config = parsed[0].data if parsed else {}
    proxy = config.get("envoyProxy") if isinstance(config, dict) else None
    if not isinstance(proxy, dict):
        return []
    data = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
            "metadata": {"name": "envoy-gateway-default", "namespace": doc.namespace}, "spec": proxy}
    return [Document(doc.file, data, {}, 1)]
