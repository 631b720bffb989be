"""Inputs that are not plain manifests, made into the documents import reads, with lines in the user's own files.

    placeholders  {{ X }}, ${X}, $X, <x y>, XXX...: found where they are, filled by --set KEY=VALUE
    values        a Helm values file recognised by its shape -> the objects its chart renders (charts.yaml)
    helm          `helm template` where a real helm is on the PATH and the chart is on disk (preferred)
    kustomize     a folder with a kustomization.yaml -> `kustomize build` (or `kubectl kustomize`), each rendered
                  object traced back to the files it came from
    terraform     .tf files (python-hcl2): kubernetes_manifest, kubernetes_service / _ingress_v1, helm_release's
                  values and set blocks, YAML heredocs

``load`` walks the paths given (a folder: its YAML, template, Terraform files, its Kustomize folders and charts) and
returns the documents with what it said on the way: warnings, values keys no chart reads, the placeholders found.
Plain manifests are read by edgeconform.importing.documents, untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..documents import Document, ImportFailed, Path_, _dotted, _read, load_text
from . import placeholders as ph
from . import values as chart_values
from .lines import where

YAML_SUFFIXES = (".yaml", ".yml", ".json")
TEMPLATE_SUFFIXES = (".tpl", ".tmpl", ".gotmpl", ".j2")
TERRAFORM_SUFFIXES = (".tf", ".tfvars")
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass
class Loaded:
    """The documents, and what reading them said: warnings (for the record), values keys no chart reads (each
    ``{"file", "line", "object", "key", "value"}``, the file a Path), the placeholders found and how each input was
    rendered (``renderings``: "kustomize build ui (kustomize v5.8.1)")."""

    documents: list[Document] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unused: list[dict[str, Any]] = field(default_factory=list)
    placeholders: list[ph.Placeholder] = field(default_factory=list)
    renderings: list[str] = field(default_factory=list)
    # where each placeholder found in a document is: (document, key path), to leave the key out if it is unusable
    at: list[tuple[ph.Placeholder, Document, Path_]] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass
class Context:
    """What every reader shares: the ``--set`` fills (and which were used)."""

    fills: dict[str, str]
    used: set[str] = field(default_factory=set)
    loaded: Loaded = field(default_factory=Loaded)
    rendered: set[int] = field(default_factory=set)  # documents a chart rendered (never values to render again)


def load(paths: Iterable[str | Path], *, fills: dict[str, str] | None = None) -> Loaded:
    """Every document of ``paths``, each input read by its kind."""
    from . import helm, kustomize, terraform

    ctx = Context(dict(fills or {}))
    for kind, target, extra in inputs(paths):
        if kind == "kustomize":
            add_documents(ctx, kustomize.render(target, ctx))
        elif kind == "chart":
            add_documents(ctx, helm.render_chart(target, extra, ctx))
        elif kind == "terraform":
            add_documents(ctx, terraform.read(target, extra, ctx))
        else:
            add_documents(ctx, read_yaml(target, ctx))
    unknown = sorted(set(ctx.fills) - ctx.used)
    if unknown:
        found = sorted({p.name for p in ctx.loaded.placeholders if not p.action})
        raise ImportFailed(f"--set {unknown[0]}: no placeholder {unknown[0]!r} among the inputs ("
                           + (f"placeholders found: {', '.join(found)}" if found else "they hold none") + ")")
    _say_placeholders(ctx.loaded)
    return ctx.loaded


def add_documents(ctx: Context, docs: list[Document]) -> None:
    """Documents read from an input: values files among them rendered by their chart, placeholders found."""
    for doc in docs:
        key = chart_values.recognise(doc.data) if not doc.kind and id(doc) not in ctx.rendered else None
        if key is not None:
            _found(ctx, doc, record=False)  # named where the values say it, left out where rendered
            rendered = chart_values.render(key, doc)
            note_rendered(ctx, rendered, f"{doc.file.name}")
            for item in rendered.documents:
                _found(ctx, item, name=False)
            ctx.loaded.documents += rendered.documents
            continue
        _found(ctx, doc, name=bool(doc.kind))  # a document of no kind is no object: nobody reads it
        ctx.loaded.documents.append(doc)
        ctx.loaded.documents += annotated(doc, ctx)


EMISSARY_ANNOTATION = "getambassador.io/config"


def annotated(doc: Document, ctx: Context) -> list[Document]:
    """Emissary's objects written in a Service's ``getambassador.io/config`` annotation (its 1.x way, still read by
    2.x and 3.x): each as the object it stands for (``name`` -> metadata.name, the rest -> spec), in the Service's
    namespace, its lines those of the annotation's text in the file [EMS-MOD]."""
    text = doc.annotations.get(EMISSARY_ANNOTATION)
    if not isinstance(text, str):
        return []
    key_file, key_line = where(doc, "metadata", "annotations", EMISSARY_ANNOTATION)
    try:
        inner = load_text(key_file, text)
    except ImportFailed as exc:
        raise doc.fail(f"its Emissary configuration is not valid YAML ({str(exc).rsplit(': ', 1)[-1]})",
                       "metadata", "annotations", EMISSARY_ANNOTATION) from None
    out = []
    for item in inner:
        if not isinstance(item.data, dict) or not item.data.get("kind"):
            continue
        data = {k: v for k, v in item.data.items() if k not in ("apiVersion", "kind", "name", "namespace")}
        name = str(item.data.get("name", ""))
        obj = {"apiVersion": item.data.get("apiVersion", "getambassador.io/v2"), "kind": item.data["kind"],
               "metadata": {"name": name, "namespace": item.data.get("namespace") or doc.namespace}, "spec": data}
        lines = {("spec",) + key: line + key_line for key, line in item.lines.items()
                 if key[0] not in ("apiVersion", "kind", "name", "namespace")}
        lines[("metadata", "name")] = item.lines.get(("name",), item.start) + key_line
        made = Document(key_file, obj, lines, item.start + key_line, files={})
        ctx.loaded.warn(f"{key_file}:{key_line}: {doc.describe()}'s {EMISSARY_ANNOTATION} annotation holds Emissary's "
                        f"{item.data['kind']} {name}: read as that object [EMS-MOD]")
        _found(ctx, made, name=False)
        out.append(made)
    return out


def note_rendered(ctx: Context, rendered: chart_values.Rendered, what: str) -> None:
    spec = chart_values.charts()[rendered.chart]
    ctx.rendered.update(id(doc) for doc in rendered.documents)
    made = ", ".join(doc.describe() for doc in rendered.documents) or "nothing import reads"
    ctx.loaded.warn(f"{what}: Helm values of the {rendered.chart} chart (recognised by their keys), rendered as "
                    f"that chart's templates do ({spec['version']}, [{spec['source']}]): {made}")
    ctx.loaded.renderings.append(f"{what}: values of the {rendered.chart} chart, rendered by edgeconform")
    for message in rendered.warnings:
        ctx.loaded.warn(message)
    for path, value in rendered.unused:
        file, line = where(rendered.values, *path)
        ctx.loaded.unused.append({"file": file, "line": line, "object": f"Helm values ({rendered.chart} chart)",
                                  "key": _dotted(path), "value": value})


# Objects import reads for the edge: in them ${X} and $X are placeholders too; elsewhere (a Job's shell command, a
# script in a ConfigMap of a cluster dump) they are that program's own syntax
EDGE_KINDS = {"Service", "Ingress", "IngressClass", "IngressClassParams", "Gateway", "GatewayClass", "HTTPRoute",
              "GRPCRoute", "TLSRoute", "TCPRoute", "LoadBalancerConfiguration", "TargetGroupConfiguration",
              "ListenerRuleConfiguration", "TargetGroupBinding", "ConfigMap"}
EDGE_GROUPS = ("getambassador.io/", "traefik.io/", "traefik.containo.us/", "gateway.envoyproxy.io/",
               "gateway.networking.k8s.io/", "elbv2.k8s.aws/", "gateway.k8s.aws/", "eks.amazonaws.com/")


def _found(ctx: Context, doc: Document, *, name: bool = True, record: bool = True) -> None:
    """The placeholders of a document: named (warnings), and recorded where they are (to leave an unusable one
    out)."""
    weak = not doc.kind or doc.kind in EDGE_KINDS or doc.api_version.startswith(EDGE_GROUPS)
    for item in ph.find(doc, weak):
        if name:
            ctx.loaded.placeholders.append(item)
        if record:
            ctx.loaded.at.append((item, doc, item.path))


def inputs(paths: Iterable[str | Path]) -> list[tuple[str, Path, Any]]:
    """(kind, path, extra) of every input: "yaml" files, "kustomize" folders, "chart" folders (extra: the values
    files given with them), "terraform" modules (extra: the .tf files to read resources from)."""
    out: list[tuple[str, Path, Any]] = []
    given_values: list[Path] = []
    charts: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            if (path / "Chart.yaml").is_file():
                charts.append(path)
                continue
            if _kustomization(path):
                out.append(("kustomize", path, None))
                continue
            found = _walk(path)
            if not found:
                raise ImportFailed(f"no {', '.join(YAML_SUFFIXES + TEMPLATE_SUFFIXES + TERRAFORM_SUFFIXES)} files, "
                                   "Kustomize folders or Helm charts in this folder", file=str(path))
            out += found
        elif path.is_file():
            if path.name in KUSTOMIZATIONS:
                out.append(("kustomize", path.parent, None))
            elif path.suffix in TERRAFORM_SUFFIXES:
                out.append(("terraform", path.parent, [path]))
            else:
                out.append(("yaml", path, None))
                given_values.append(path)
        else:
            raise ImportFailed("no such file or folder", file=str(path))
    for chart in charts:  # a chart given with values files: those are its values (helm template -f ...)
        out = [item for item in out if item[1] not in given_values]
        out.append(("chart", chart, given_values))
    return _merge_terraform(out)


def _kustomization(folder: Path) -> Path | None:
    return next((folder / name for name in KUSTOMIZATIONS if (folder / name).is_file()), None)


def _walk(folder: Path) -> list[tuple[str, Path, Any]]:
    """A folder's inputs: its Kustomize folders that no other of them builds on (the overlays), its charts, its
    Terraform modules, and its other YAML and template files, in name order."""
    every = sorted(p for p in folder.rglob("*") if not _hidden(p, folder))
    kustomized = sorted({p.parent for p in every if p.name in KUSTOMIZATIONS and p.is_file()})
    charts = sorted({p.parent for p in every if p.name == "Chart.yaml" and p.is_file()})
    from .kustomize import referenced

    bases = {base for k in kustomized for base in referenced(k)}
    out: list[tuple[str, Path, Any]] = [("kustomize", k, None) for k in kustomized if k not in bases]
    out += [("chart", c, []) for c in charts]
    inside = kustomized + charts
    tf: dict[Path, list[Path]] = {}
    for path in (p for p in every if p.is_file()):
        if any(path.is_relative_to(k) for k in inside):
            continue
        name = path.name
        if path.suffix in TERRAFORM_SUFFIXES:
            tf.setdefault(path.parent, []).append(path)
        elif path.suffix in YAML_SUFFIXES or any(name.endswith(s) for s in TEMPLATE_SUFFIXES):
            if _read_by_terraform(path, folder):
                continue
            out.append(("yaml", path, None))
    out += [("terraform", module, files) for module, files in tf.items()]
    return out


def _hidden(path: Path, folder: Path) -> bool:
    """Under a folder whose name starts with a dot (.git, .terraform's downloaded modules): not the user's edge."""
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def _read_by_terraform(path: Path, folder: Path) -> bool:
    """A template or values file a Terraform module beside it reads (file(), templatefile()): read there."""
    from .terraform import files_read

    return any(path.resolve() in files_read(module) for module in {p.parent for p in folder.rglob("*.tf")
                                                                   if not _hidden(p, folder)})


def _merge_terraform(items: list[tuple[str, Path, Any]]) -> list[tuple[str, Path, Any]]:
    """Terraform files of one module given one by one: one module, read once."""
    out: list[tuple[str, Path, Any]] = []
    modules: dict[Path, list[Path]] = {}
    for kind, path, extra in items:
        if kind == "terraform":
            if path not in modules:
                modules[path] = []
                out.append((kind, path, modules[path]))
            modules[path] += [f for f in extra if f not in modules[path]]
        else:
            out.append((kind, path, extra))
    return out


def read_yaml(path: Path, ctx: Context, text: str | None = None, *, line_offset: int = 0,
              shown: Path | None = None) -> list[Document]:
    """A YAML (or YAML template) file's documents, its placeholders filled (--set) or made parseable; ``text`` and
    ``line_offset``: YAML held inside another file (a Terraform heredoc) at that line; ``shown``: the file to cite."""
    raw = _read(path) if text is None else text
    filled = ph.fill(raw, ctx.fills, ctx.used)
    prepared = ph.prepare(shown or path, filled)
    for action in prepared.actions:
        ctx.loaded.placeholders.append(ph.Placeholder(action.text, action.name, action.file,
                                                      action.line + line_offset, action=True))
    try:
        docs = load_text(shown or path, prepared.text)
    except ImportFailed as exc:
        if not line_offset or exc.line is None:
            raise
        said = str(exc).removeprefix(f"{exc.file}:{exc.line}: ")  # the YAML problem, at its line in the file
        raise ImportFailed(said, file=exc.file, line=exc.line + line_offset) from None
    out = []
    for doc in docs:
        doc.data = ph.restore(doc.data, prepared.marks)
        doc.lines = {key: line + line_offset for key, line in ph.restore_lines(doc.lines, prepared.marks).items()}
        doc.start += line_offset
        out.append(doc)
    return out


def _say_placeholders(loaded: Loaded) -> None:
    """One warning per placeholder: where it is (file:line, object, field, the value holding it) and how to fill it."""
    by_text: dict[str, list[ph.Placeholder]] = {}
    for item in loaded.placeholders:
        if item.action and item.name.split()[0] in ph.QUIET_ACTIONS:
            continue
        by_text.setdefault(item.text, []).append(item)
    for text, items in by_text.items():
        first = items[0]
        where = []
        for item in items[:4]:
            place = f"{item.file}:{item.line}"
            if item.where:
                place += f" ({item.where}: {item.value!r})" if item.value != text else f" ({item.where})"
            where.append(place)
        more = f" and {len(items) - 4} more" if len(items) > 4 else ""
        if first.action:
            loaded.warn(f"template action {text} at {', '.join(where)}{more}: the lines it guards are read as if it "
                        "held; render the template first to read it exactly")
            continue
        loaded.warn(f"template placeholder {text} at {', '.join(where)}{more}: fill it with --set "
                    f"'{first.name}=VALUE'")


def summary(loaded: Loaded) -> str:
    """The placeholders, in one clause, for a refusal's message."""
    names = list(dict.fromkeys(f"{p.text} ({p.file.name}:{p.line})" for p in loaded.placeholders
                               if not (p.action and p.name.split()[0] in ph.QUIET_ACTIONS)))
    if not names:
        return ""
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return f"the inputs hold template placeholders to fill with --set KEY=VALUE: {shown}"
