"""What the format readers share: the documents and what reading them said (Loaded), the --set fills (Context),
a YAML or template file's documents (read_yaml), a chart's rendering noted, the placeholders found and said."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import untrusted
from ..documents import Document, ImportFailed, Path_, _dotted, load_text, read_files, read_text
from . import placeholders as ph
from . import values as chart_values


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
    """What every reader shares: the ``--set`` fills (and which were used), and the reading layer's budget of YAML
    documents and nodes for the whole command (every file, rendering and annotation it reads counts)."""

    fills: dict[str, str]
    used: set[str] = field(default_factory=set)
    budget: untrusted.Budget = field(default_factory=untrusted.Budget)
    roots: list[Path] = field(default_factory=list)  # the folders given (a file given: its folder), resolved
    loaded: Loaded = field(default_factory=Loaded)
    rendered: set[int] = field(default_factory=set)  # documents a chart rendered (never values to render again)
    defaulted: list[tuple[Document, str]] = field(default_factory=list)  # (a chart's default Service, its chart)


def add_documents(ctx: Context, docs: list[Document]) -> None:
    """Documents read from an input: values files among them rendered by their chart, placeholders found."""
    for doc in docs:
        key = chart_values.recognise(doc.data) if not doc.kind and id(doc) not in ctx.rendered else None
        if key is not None:
            note_placeholders(ctx, doc, record=False)  # named where the values say it, left out where rendered
            rendered = chart_values.render(key, doc)
            note_rendered(ctx, rendered, f"{doc.file.name}")
            for item in rendered.documents:
                note_placeholders(ctx, item, name=False)
            ctx.loaded.documents += rendered.documents
            continue
        note_placeholders(ctx, doc, name=bool(doc.kind))  # a document of no kind is no object: nobody reads it
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
    key_file, key_line = doc.where("metadata", "annotations", EMISSARY_ANNOTATION)
    try:
        inner = load_text(key_file, text, ctx.budget)
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
        note_placeholders(ctx, made, name=False)
        out.append(made)
    return out


def note_rendered(ctx: Context, rendered: chart_values.Rendered, what: str) -> None:
    spec = chart_values.charts()[rendered.chart]
    ctx.rendered.update(id(doc) for doc in rendered.documents)
    ctx.defaulted += [(doc, rendered.chart) for doc in rendered.defaulted]
    made = ", ".join(doc.describe() for doc in rendered.documents) or "nothing import reads"
    ctx.loaded.warn(f"{what}: Helm values of the {rendered.chart} chart (recognised by their keys), rendered as "
                    f"that chart's templates do ({spec['version']}, [{spec['source']}]): {made}")
    ctx.loaded.renderings.append(f"{what}: values of the {rendered.chart} chart, rendered by edgeconform")
    for message in rendered.warnings:
        ctx.loaded.warn(message)
    for path, value in rendered.unused:
        file, line = rendered.values.where(*path)
        ctx.loaded.unused.append({"file": file, "line": line, "object": f"Helm values ({rendered.chart} chart)",
                                  "key": _dotted(path), "value": value})


# Objects import reads for the edge: in them ${X} and $X are placeholders too; elsewhere (a Job's shell command, a
# script in a ConfigMap of a cluster dump) they are that program's own syntax
EDGE_KINDS = {"Service", "Ingress", "IngressClass", "IngressClassParams", "Gateway", "GatewayClass", "HTTPRoute",
              "GRPCRoute", "TLSRoute", "TCPRoute", "LoadBalancerConfiguration", "TargetGroupConfiguration",
              "ListenerRuleConfiguration", "TargetGroupBinding", "ConfigMap"}
EDGE_GROUPS = ("getambassador.io/", "traefik.io/", "traefik.containo.us/", "gateway.envoyproxy.io/",
               "gateway.networking.k8s.io/", "elbv2.k8s.aws/", "gateway.k8s.aws/", "eks.amazonaws.com/")


def note_placeholders(ctx: Context, doc: Document, *, name: bool = True, record: bool = True) -> None:
    """The placeholders of a document: named (warnings), and recorded where they are (to leave an unusable one
    out)."""
    weak = not doc.kind or doc.kind in EDGE_KINDS or doc.api_version.startswith(EDGE_GROUPS)
    for item in ph.find(doc, weak):
        if name:
            ctx.loaded.placeholders.append(item)
        if record:
            ctx.loaded.at.append((item, doc, item.path))


def read_yaml(path: Path, ctx: Context, text: str | None = None, *, line_offset: int = 0,
              shown: Path | None = None) -> list[Document]:
    """A YAML (or YAML template) file's documents, its placeholders filled (--set) or made parseable; ``text`` and
    ``line_offset``: YAML held inside another file (a Terraform heredoc) at that line; ``shown``: the file to cite."""
    raw = read_text(path) if text is None else text
    filled = ph.fill(raw, ctx.fills, ctx.used)
    prepared = ph.prepare(shown or path, filled)
    for action in prepared.actions:
        ctx.loaded.placeholders.append(ph.Placeholder(action.text, action.name, action.file,
                                                      action.line + line_offset, action=True))
    try:
        docs = load_text(shown or path, prepared.text, ctx.budget)
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


def say_placeholders(loaded: Loaded) -> None:
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


def checked_tree(folders: list[Path]) -> list[Path]:
    """Every file of the folders a renderer will read (a chart, a kustomization and the folders it builds on),
    checked by the reading layer before the renderer runs: within its limits, regular files only (a FIFO or a
    device would hang it), no symlink leading out of its folder."""
    return read_files(folders, None)


def _load_balancer(doc: Document) -> bool:
    return doc.kind == "Service" and doc.spec.get("type") == "LoadBalancer"


def drop_default_services(ctx: Context) -> None:
    """A chart's Service that only its defaults make (the values name no service key) is left out where the inputs
    hold another Service of type LoadBalancer: that one, given outright, is the edge's (a values file beside it
    says how the controller is configured, not that the chart's own Service is wanted too)."""
    defaulted = {id(doc): chart for doc, chart in ctx.defaulted}
    given = [doc for doc in ctx.loaded.documents if _load_balancer(doc) and id(doc) not in defaulted]
    if not given:
        return
    for doc in [d for d in ctx.loaded.documents if id(d) in defaulted and _load_balancer(d)]:
        ctx.loaded.documents.remove(doc)
        ctx.loaded.warn(f"{doc.file.name}: the {defaulted[id(doc)]} chart's own {doc.describe()} (made by its "
                        f"defaults: the values set no service key) is left out: {given[0].describe()} among the "
                        "inputs is the edge's load balancer")
