"""Terraform (.tf) -> the Kubernetes objects it applies, read with python-hcl2's parser (the HCL syntax tree, so
every value keeps its line).

Read: ``kubernetes_manifest`` (an HCL object, or ``yamldecode()`` of a file or heredoc), ``kubernetes_service``
/ ``_v1``, ``kubernetes_ingress`` / ``_v1`` and ``kubernetes_config_map`` / ``_v1`` (their blocks in the provider's
snake_case, written as the object's camelCase fields), and ``helm_release`` (its ``values`` over the chart's
defaults, then its ``set`` / ``set_string`` blocks as Helm's ``--set`` parses them, rendered by the chart
(edgeconform.importing.formats.values, or the real helm when the chart is on disk).

Expressions are evaluated as far as a file can tell: strings and their interpolations, ``var.*`` (``--set``, then
terraform.tfvars / *.auto.tfvars, then the variable's default), ``local.*``, ``path.module``, and the functions
file, templatefile, jsonencode, yamlencode, yamldecode, jsondecode, merge, concat, lower, upper, trimspace,
tostring. Anything else (another resource's attribute, a variable with no value) stays as its own text, ``${...}``:
a placeholder import names, with its file and line, and that ``--set`` fills.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ... import untrusted
from ..documents import Document, ImportFailed, Path_, read_files, read_text

READ = ("kubernetes_manifest", "kubernetes_service", "kubernetes_service_v1", "kubernetes_ingress",
        "kubernetes_ingress_v1", "kubernetes_config_map", "kubernetes_config_map_v1", "helm_release")
KINDS = {"kubernetes_service": ("v1", "Service"), "kubernetes_service_v1": ("v1", "Service"),
         "kubernetes_ingress": ("networking.k8s.io/v1", "Ingress"),
         "kubernetes_ingress_v1": ("networking.k8s.io/v1", "Ingress"),
         "kubernetes_config_map": ("v1", "ConfigMap"), "kubernetes_config_map_v1": ("v1", "ConfigMap")}
# repeatable blocks (inside which block) -> the list field they make (the provider's schema: one block per item);
# any other block is one object (an Ingress backend's ``port``)
LISTS = {("spec", "port"): "ports", ("spec", "rule"): "rules", ("http", "path"): "paths", ("spec", "tls"): "tls"}
# attributes whose value is a map of the user's own keys (not field names to convert)
MAPS = {"annotations", "labels", "selector", "data", "binary_data"}


class Unknown:
    """A value the files do not give: its own text (``var.cert_arn``), named as the placeholder ``${var.cert_arn}``."""

    def __init__(self, text: str):
        self.text = text.strip()

    def __str__(self) -> str:
        return "${" + self.text + "}"


class Sourced(str):
    """A string read from a file (file(), templatefile(), a heredoc): YAML in it keeps its lines there."""

    file: Path
    offset: int  # the file's line of the string's first line, less one

    def __new__(cls, text: str, file: Path, offset: int) -> Sourced:
        out = super().__new__(cls, text)
        out.file, out.offset = file, offset
        return out


@dataclass
class Decoded:
    """yamldecode() of a sourced string: its documents."""

    documents: list[Document]


@dataclass
class Block:
    """A block's body: attributes (value, line, value's node) and nested blocks."""

    labels: list[str]
    line: int
    attributes: dict[str, tuple[Any, int, Any]] = field(default_factory=dict)
    blocks: list[tuple[str, Block]] = field(default_factory=list)
    file: Path | None = None


@dataclass
class Module:
    """One folder's .tf files: its variables, locals and the values given to them. ``root``: the folder import was
    given that holds it (file() and templatefile() read nothing outside it, as a symlink may lead nowhere outside)."""

    folder: Path
    ctx: Any
    root: Path
    texts: dict[Path, str] = field(default_factory=dict)
    trees: dict[Path, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)  # name -> (value node, file) of its default
    tfvars: dict[str, Any] = field(default_factory=dict)
    locals: dict[str, tuple[Any, Path]] = field(default_factory=dict)
    resolving: set[str] = field(default_factory=set)
    resolved: dict[str, Any] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)


def _parse(path: Path) -> Any:
    import hcl2
    from lark.exceptions import LarkError, UnexpectedInput

    text = read_text(path)
    try:
        return text, hcl2.parses_to_tree(text)
    except RecursionError:  # the parser recurses once per nesting level
        raise ImportFailed(f"HCL nested more than Python's parser can follow: no Terraform module is this deep",
                           file=str(path)) from None
    except UnexpectedInput as exc:
        raise ImportFailed(f"not valid HCL (Terraform): {str(exc).strip().splitlines()[0]}", file=str(path),
                           line=getattr(exc, "line", None)) from None
    except LarkError as exc:
        raise ImportFailed(f"not valid HCL (Terraform): {str(exc).strip().splitlines()[0]}", file=str(path)) from None


def read(folder: Path, given: list[Path] | None, ctx: Any) -> list[Document]:
    """The Kubernetes objects the module in ``folder`` applies; resources read from ``given`` (every .tf file of the
    folder when a folder was given), variables and locals from the whole module."""
    from .reading import note_rendered

    module = Module(folder.resolve(), ctx, _root(folder.resolve(), ctx))
    # the module's files (the reading layer's walk of its one folder), and the variable files Terraform loads by
    # itself: terraform.tfvars, then *.auto.tfvars in name order
    found = read_files([module.folder], (".tf", ".tfvars"), recursive=False)
    tfvars = [p for p in found if p.name == "terraform.tfvars"] + [p for p in found if p.name.endswith(".auto.tfvars")]
    for path in [p for p in found if p.suffix == ".tf"] + tfvars:
        module.texts[path], module.trees[path] = _parse(path)
    for path, tree in module.trees.items():
        if path.suffix == ".tfvars":
            for name, (node, _line) in _attributes(tree.children[0]).items():
                module.tfvars[name] = (node, path)
            continue
        for block in _blocks(tree.children[0], path, module):
            if block.labels[0] == "variable" and len(block.labels) > 1:
                default = block.attributes.get("default")
                module.variables[block.labels[1]] = (default[2], path) if default else None
            elif block.labels[0] == "locals":
                for name, (_value, _line, node) in block.attributes.items():
                    module.locals[name] = (node, path)
    files = [p.resolve() for p in given if p.suffix == ".tf"] if given else [p for p in module.trees
                                                                                if p.suffix == ".tf"]
    out: list[Document] = []
    for path in files:
        for block in _blocks(module.trees[path].children[0], path, module, evaluate=True):
            if block.labels[0] != "resource" or len(block.labels) < 3:
                continue
            kind, name = block.labels[1], block.labels[2]
            if kind == "helm_release":
                out += _helm_release(block, module, path, note_rendered)
            elif kind == "kubernetes_manifest":
                out += _manifest(block, module, path)
            elif kind in KINDS:
                out.append(_object(kind, block, path))
            else:
                ctx.loaded.unused.append({"file": path, "line": block.line, "object": f"resource {kind}.{name}",
                                          "key": "(resource)", "value": kind})
    for message in module.said:
        ctx.loaded.warn(message)
    return out


# --- the syntax tree -------------------------------------------------------------------------------------------------
def _children(node: Any) -> list[Any]:
    return [c for c in getattr(node, "children", []) if not (hasattr(c, "data") and c.data == "new_line_or_comment")]


def _name(node: Any) -> str:
    """An identifier's, a keyword's or a string label's text."""
    if hasattr(node, "data"):
        if node.data == "string":
            return "".join(str(p.children[0]) for p in node.children if hasattr(p, "data") and p.data == "string_part")
        return "".join(str(c) for c in node.children if not hasattr(c, "data")) or _name(node.children[0])
    return str(node)


def _attributes(body: Any) -> dict[str, tuple[Any, int]]:
    out = {}
    for child in _children(body):
        if hasattr(child, "data") and child.data == "attribute":
            parts = _children(child)
            out[_name(parts[0])] = (parts[-1], child.meta.line)
    return out


def _blocks(body: Any, path: Path, module: Module, evaluate: bool = False) -> list[Block]:
    out = []
    for child in _children(body):
        if hasattr(child, "data") and child.data == "block":
            out.append(_block(child, path, module, evaluate))
    return out


def _block(node: Any, path: Path, module: Module, evaluate: bool) -> Block:
    parts = _children(node)
    labels = [_name(p) for p in parts if hasattr(p, "data") and p.data in ("identifier", "string", "keyword")]
    body = next(p for p in parts if hasattr(p, "data") and p.data == "body")
    block = Block(labels, node.meta.line, file=path)
    for child in _children(body):
        if not hasattr(child, "data"):
            continue
        if child.data == "attribute":
            items = _children(child)
            value_node = items[-1]
            value = Evaluator(module, path).value(value_node) if evaluate else None
            block.attributes[_name(items[0])] = (value, child.meta.line, value_node)
        elif child.data == "block":
            inner = _block(child, path, module, evaluate)
            block.blocks.append((inner.labels[0], inner))
    return block


# --- expressions -----------------------------------------------------------------------------------------------------
class Evaluator:
    """Evaluates an expression as far as the module's files tell; what they do not is an Unknown."""

    def __init__(self, module: Module, path: Path):
        self.module, self.path = module, path
        self.text = module.texts[path]
        self.line = 1

    def source(self, node: Any) -> str:
        return self.text[node.meta.start_pos:node.meta.end_pos]

    def value(self, node: Any) -> Any:
        kind = getattr(node, "data", None)
        parts = _children(node)
        if kind == "expr_term":
            inner = [p for p in parts if hasattr(p, "data")]
            return self.value(inner[0]) if inner else Unknown(self.source(node))
        if kind == "string":
            return self.string(node)
        if kind == "int_lit":
            return int(str(node.children[0]))
        if kind == "float_lit":
            return float(str(node.children[0]))
        if kind == "literal_value":
            return {"true": True, "false": False, "null": None}[str(node.children[0])]
        if kind == "tuple":
            return [self.value(p) for p in parts if hasattr(p, "data")]
        if kind == "object":
            out = {}
            for elem in (p for p in parts if getattr(p, "data", None) == "object_elem"):
                items = _children(elem)
                key = self.key(items[0])
                out[key] = self.value(items[-1])
            return out
        if kind in ("heredoc_template", "heredoc_template_trim"):
            return self.heredoc(node.children[0], trim=kind.endswith("trim"))
        if kind == "function_call":
            return self.call(node)
        if kind in ("get_attr_expr_term", "index_expr_term", "identifier"):
            return self.reference(self.source(node))
        return Unknown(self.source(node))

    def key(self, node: Any) -> str:
        inner = node
        while getattr(inner, "data", None) in ("object_elem_key", "expr_term") and _children(inner):
            inner = [p for p in _children(inner) if hasattr(p, "data")][0]
        if getattr(inner, "data", None) == "identifier":
            return _name(inner)
        value = self.value(inner)
        return str(value)

    def string(self, node: Any) -> Any:
        from hcl2.utils import process_escape_sequences

        pieces: list[Any] = []
        for part in (p for p in node.children if getattr(p, "data", None) == "string_part"):
            for item in part.children:
                if hasattr(item, "data") and item.data == "interpolation":
                    inner = [c for c in item.children if hasattr(c, "data")][0]
                    pieces.append(self.value(inner))
                else:
                    pieces.append(process_escape_sequences(str(item)))
        if len(pieces) == 1 and not isinstance(pieces[0], str):
            return pieces[0]
        return "".join(str(p) for p in pieces)

    def heredoc(self, token: Any, trim: bool) -> Sourced:
        text = str(token)
        match = re.match(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n", text)
        assert match is not None
        body = text[match.end():]
        body = body[:body.rstrip().rfind(match.group(1))] if body.rstrip().endswith(match.group(1)) else body
        lines = body.split("\n")
        if trim:
            indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
            lines = [line[indent:] for line in lines]
        return Sourced(self.interpolate("\n".join(lines)), self.path, token.line)

    def interpolate(self, text: str) -> str:
        """``${...}`` inside a heredoc or a template: references the files give, the rest kept as written."""
        def one(match: re.Match[str]) -> str:
            value = self.reference(match.group(1)) if _REF.fullmatch(match.group(1).strip()) else None
            return match.group(0) if value is None or isinstance(value, Unknown) else str(value)

        return re.sub(r"(?<!\$)\$\{([^{}]+)\}", one, text)

    def reference(self, text: str) -> Any:
        text = text.strip()
        fills = self.module.ctx.fills
        for key in (text, "${" + text + "}"):
            if key in fills:
                self.module.ctx.used.add(key)
                return fills[key]
        head, _, rest = text.partition(".")
        if head == "var" and _REF.fullmatch(text):
            name = rest.split(".")[0].split("[")[0]
            if name in fills:
                self.module.ctx.used.add(name)
                return fills[name]
            if name in self.module.tfvars:
                node, path = self.module.tfvars[name]
                return Evaluator(self.module, path).value(node)
            default = self.module.variables.get(name)
            if default is not None and rest == name:
                node, path = default
                value = Evaluator(self.module, path).value(node)
                self.module.said.append(f"{self.path.name}: var.{name} is its default in {path.name} ({value!r}); "
                                        f"give another with --set var.{name}=VALUE")
                return value
            return Unknown(text)
        if head == "local" and rest:
            name = re.split(r"[.\[]", rest)[0]
            if name not in self.module.locals or name in self.module.resolving or rest != name:
                return Unknown(text)
            if name not in self.module.resolved:
                self.module.resolving.add(name)
                node, path = self.module.locals[name]
                self.module.resolved[name] = Evaluator(self.module, path).value(node)
                self.module.resolving.discard(name)
            return self.module.resolved[name]
        if text in ("path.module", "path.root", "path.cwd"):
            return str(self.module.folder)
        return Unknown(text)

    def call(self, node: Any) -> Any:
        parts = _children(node)
        name = _name(parts[0])
        arguments = next((p for p in parts if getattr(p, "data", None) == "arguments"), None)
        args = [self.value(a) for a in _children(arguments) if hasattr(a, "data")] if arguments is not None else []
        if any(isinstance(a, Unknown) for a in args) or name not in FUNCTIONS:
            return Unknown(self.source(node))
        self.line = node.meta.line  # where a refusal of what the function reads is said
        try:
            return FUNCTIONS[name](self, *args)
        except (OSError, ValueError, TypeError, KeyError, yaml.YAMLError) as exc:  # ImportFailed: bad YAML, said
            self.module.said.append(f"{self.path.name}:{node.meta.line}: {self.source(node)[:60]} cannot be "
                                    f"evaluated here ({exc}): kept as written")
            return Unknown(self.source(node))


_REF = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*")


def _root(folder: Path, ctx: Any) -> Path:
    """The folder import was given that holds the module (the module's own when its files were given one by one)."""
    return next((root for root in ctx.roots if root == folder or root in folder.parents), folder)


def _file(ev: Evaluator, name: str) -> Sourced:
    path = (ev.module.folder / name) if not Path(name).is_absolute() else Path(name)
    real = path.resolve()
    if real != ev.module.root and ev.module.root not in real.parents:  # said, and the value kept as written
        raise FileNotFoundError(f"{path} is outside {ev.module.root}, the folder import was given: not read")
    if not path.is_file():
        raise FileNotFoundError(f"no file {path}")
    return Sourced(read_text(path), path, 0)


def _templatefile(ev: Evaluator, name: str, variables: dict[str, Any]) -> Sourced:
    text = _file(ev, name)

    def one(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        return str(variables[key]) if key in variables and not isinstance(variables[key], Unknown) else match.group(0)

    return Sourced(re.sub(r"(?<!\$)\$\{([^{}]+)\}", one, text), text.file, text.offset)


def _yamldecode(ev: Evaluator, text: str) -> Any:
    if isinstance(text, Sourced):
        from .reading import read_yaml

        return Decoded(read_yaml(text.file, ev.module.ctx, text=str(text), line_offset=text.offset, shown=text.file))
    return _decoded(ev.path, ev.line, str(text), ev.module.ctx)


def _decoded(path: Path, line: int, text: str, ctx: Any) -> Any:
    """YAML written in a Terraform string (not read from a file), read within the command's budget: its data. A
    refusal names the line of the expression (the string's own lines are not the file's)."""
    try:
        parsed = untrusted.yaml_documents(path, text, ctx.budget)
    except untrusted.Refused as exc:
        raise ImportFailed(f"the YAML written here: {exc.reason}", file=str(path), line=line) from None
    return parsed[0].data if parsed else None


def _json_decoded(ev: Evaluator, text: str) -> Any:
    try:
        return untrusted.json_loads(str(text), ev.path)
    except untrusted.Refused as exc:
        raise ImportFailed(f"the JSON written here: {exc.reason}", file=str(ev.path), line=ev.line) from None


def _plain(value: Any) -> Any:
    if isinstance(value, Unknown):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


FUNCTIONS = {
    "file": _file,
    "templatefile": _templatefile,
    "jsonencode": lambda ev, v: json.dumps(_plain(v), separators=(",", ":")),
    "yamlencode": lambda ev, v: yaml.safe_dump(_plain(v), sort_keys=False),
    "yamldecode": _yamldecode,
    "jsondecode": _json_decoded,
    "merge": lambda ev, *maps: {k: v for m in maps for k, v in (m or {}).items()},
    "concat": lambda ev, *lists: [v for item in lists for v in (item or [])],
    "lower": lambda ev, v: str(v).lower(),
    "upper": lambda ev, v: str(v).upper(),
    "trimspace": lambda ev, v: str(v).strip(),
    "tostring": lambda ev, v: str(v),
}


@cache
def files_read(folder: Path) -> frozenset[Path]:
    """The files a module's file() and templatefile() read (so a folder's walk leaves them to it)."""
    out = set()
    folder = folder.resolve()
    for path in folder.glob("*.tf"):
        try:
            text = untrusted.read_text(path)
        except untrusted.Refused:  # said when the module itself is read
            continue
        for match in re.finditer(r"(?:file|templatefile)\(\s*\"([^\"]+)\"", text):
            name = match.group(1).replace("${path.module}", str(folder)).replace("${path.root}", str(folder))
            out.add((folder / name).resolve())
    return frozenset(out)


# --- resources -------------------------------------------------------------------------------------------------------
def _object(kind: str, block: Block, path: Path) -> Document:
    """kubernetes_service / _ingress / _config_map: the provider's blocks as the object's fields."""
    api, object_kind = KINDS[kind]
    lines: dict[Path_, int] = {}
    data: dict[str, Any] = {"apiVersion": api, "kind": object_kind}
    data.update(_body(block, (), lines, legacy=kind == "kubernetes_ingress"))
    return Document(path, _plain(data), lines, block.line)


def _body(block: Block, at: Path_, lines: dict[Path_, int], legacy: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (value, line, _node) in block.attributes.items():
        key = name if name in MAPS else _camel(name)
        out[key] = value
        lines[at + (key,)] = line
        if isinstance(value, dict) and name in MAPS:
            for inner in value:
                lines[at + (key, inner)] = line  # a map literal's keys: the attribute's line (refined below)
    parent = next((part for part in reversed(at) if isinstance(part, str)), "")
    for name, inner in block.blocks:
        if (parent, name) in LISTS:
            key = LISTS[(parent, name)]
            items = out.setdefault(key, [])
            lines.setdefault(at + (key,), inner.line)
            lines[at + (key, len(items))] = inner.line
            items.append(_body(inner, at + (key, len(items)), lines, legacy))
        else:
            key = _camel(name)
            lines[at + (key,)] = inner.line
            out[key] = _body(inner, at + (key,), lines, legacy)
    if legacy and "backend" in out and "serviceName" in out["backend"]:  # kubernetes_ingress (v1beta1's schema)
        port = out["backend"].pop("servicePort", None)
        out["backend"] = {"service": {"name": out["backend"].pop("serviceName"),
                                      "port": {"number" if isinstance(port, int) else "name": port}}}
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _manifest(block: Block, module: Module, path: Path) -> list[Document]:
    value, line, node = block.attributes.get("manifest", (None, block.line, None))
    if isinstance(value, Decoded):
        return value.documents
    if isinstance(value, dict):
        lines: dict[Path_, int] = {}
        _object_lines(node, (), lines, Evaluator(module, path))
        return [Document(path, _plain(value), lines, line)]
    module.said.append(f"{path.name}:{block.line}: kubernetes_manifest {block.labels[2]}'s manifest is not given in "
                       "the files (an expression import cannot evaluate): not read")
    return []


def _object_lines(node: Any, at: Path_, lines: dict[Path_, int], ev: Evaluator) -> None:
    """The line of every key of an HCL object literal."""
    while getattr(node, "data", None) == "expr_term" and [p for p in _children(node) if hasattr(p, "data")]:
        node = [p for p in _children(node) if hasattr(p, "data")][0]
    if getattr(node, "data", None) == "object":
        for elem in (p for p in _children(node) if getattr(p, "data", None) == "object_elem"):
            items = _children(elem)
            key = ev.key(items[0])
            lines[at + (key,)] = elem.meta.line
            _object_lines(items[-1], at + (key,), lines, ev)
    elif getattr(node, "data", None) == "tuple":
        for i, item in enumerate(p for p in _children(node) if hasattr(p, "data")):
            lines[at + (i,)] = item.meta.line
            _object_lines(item, at + (i,), lines, ev)


def _helm_release(block: Block, module: Module, path: Path, note: Any) -> list[Document]:
    """A helm_release: its values (each a YAML string: file(), templatefile(), a heredoc, yamlencode()) over the
    chart's defaults, then its set blocks, rendered by the chart."""
    from . import helm, values as chart_values

    attr = {name: value for name, (value, _line, _node) in block.attributes.items()}
    release = block.labels[2]
    chart = attr.get("chart")
    name = attr.get("name") if isinstance(attr.get("name"), str) else release
    namespace = attr.get("namespace") if isinstance(attr.get("namespace"), str) else "default"
    layers: list[Document] = []
    for i, item in enumerate(attr.get("values") or []):
        if isinstance(item, Unknown) or not isinstance(item, str):
            module.said.append(f"{path.name}:{block.attributes['values'][1]}: helm_release {release}'s values[{i}] "
                               f"is {item} (not given in the files): not read")
            continue
        if isinstance(item, Sourced):
            from .reading import read_yaml

            docs = read_yaml(item.file, module.ctx, text=str(item), line_offset=item.offset, shown=item.file)
        else:
            line = block.attributes["values"][1]
            docs = [Document(path, _decoded(path, line, item, module.ctx) or {}, {}, line)]
        layers += [doc for doc in docs if isinstance(doc.data, dict)]
    sets = _sets(block, path)
    if sets is not None:
        layers.append(sets)
    if not isinstance(chart, str):
        module.said.append(f"{path.name}:{block.line}: helm_release {release}: its chart is {chart}: not read")
        return []
    local = helm.local_chart(chart, attr.get("repository"), module.folder)
    if local is not None and helm.available():
        return helm.render_release(local, name, namespace, layers, module.ctx, where=f"{path.name}:{block.line}")
    key = chart_values.chart_named(chart)
    if key is None:
        module.said.append(f"{path.name}:{block.line}: helm_release {release} installs the chart {chart}, whose "
                           "values edgeconform does not read: not imported")
        return []
    values = chart_values.merged(layers) if layers else Document(path, {}, {}, block.line)
    from .reading import note_placeholders

    note_placeholders(module.ctx, values, record=False)
    rendered = chart_values.render(key, values, release=name, namespace=namespace)
    note(module.ctx, rendered, f"{path.name}:{block.line}: helm_release {release}")
    return rendered.documents


def _sets(block: Block, path: Path) -> Document | None:
    """set / set_string / set_sensitive blocks (and the set = [{...}] lists of provider v3) as one values layer."""
    items: list[tuple[Any, Any, str, int]] = []
    for name, inner in block.blocks:
        if name in ("set", "set_string", "set_sensitive"):
            attr = {k: v for k, (v, _l, _n) in inner.attributes.items()}
            kind = "string" if name == "set_string" or attr.get("type") == "string" else "auto"
            items.append((attr.get("name"), attr.get("value"), kind, inner.attributes.get("value", (0, inner.line))[1]))
    for name in ("set", "set_string", "set_sensitive"):
        if name in block.attributes and isinstance(block.attributes[name][0], list):
            for entry in block.attributes[name][0]:
                if isinstance(entry, dict):
                    kind = "string" if name == "set_string" or entry.get("type") == "string" else "auto"
                    items.append((entry.get("name"), entry.get("value"), kind, block.attributes[name][1]))
    if not items:
        return None
    doc = Document(path, {}, {}, block.line)
    for key, value, kind, line in items:
        if not isinstance(key, str):
            continue
        keys = helm_path(key)
        node = doc.data
        for i, part in enumerate(keys[:-1]):
            node = node.setdefault(part, {})
            doc.lines.setdefault(tuple(keys[:i + 1]), line)
        node[keys[-1]] = _typed(value) if kind == "auto" else _plain(value) if not isinstance(value, str) else value
        doc.lines[tuple(keys)] = line
    return doc


def helm_path(name: str) -> list[str]:
    """Helm's --set key: dots separate keys unless escaped (``service\\.beta\\.kubernetes\\.io/x``)."""
    parts, current, escaped = [], "", False
    for char in name:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _typed(value: Any) -> Any:
    """A --set value as Helm's strvals types it: true/false, null, an integer; else the string."""
    if not isinstance(value, str):
        return _plain(value)
    if value in ("true", "false"):
        return value == "true"
    if value == "null":
        return None
    if re.fullmatch(r"-?\d+", value) and not (len(value) > 1 and value.lstrip("-").startswith("0")):
        return int(value)
    return value
