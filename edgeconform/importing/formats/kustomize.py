"""A folder with a kustomization.yaml: rendered as ``kubectl apply -k`` would apply it, then traced back.

The renderer is the real one: ``kustomize build`` (tools/build kustomize builds v5.8.1 from its Go module; found as
the controllers are: EDGECONFORM_KUSTOMIZE, the tools folder, the PATH), else ``kubectl kustomize``. Each rendered
object is traced back to the files it came from: a key a patch set cites the patch's line, the rest the line of the
resource that declared it. Without either program, a kustomization that only lists resources is read as those
files (what kustomize would output, less its labels and name transformers); one with patches or generators is
refused, naming what to install.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from ... import binaries, untrusted
from ..documents import Document, ImportFailed, Path_, load_text, nodes, read_text, refused
from . import placeholders as ph
from .programs import run
from .reading import checked_tree, read_yaml

PROGRAM = binaries.Program("kustomize", "EDGECONFORM_KUSTOMIZE", ("version",), r"^(v?\d+\.\d+\.\d+\S*)",
                           go_module="sigs.k8s.io/kustomize/kustomize/v5")
TIMEOUT = float(os.environ.get("EDGECONFORM_KUSTOMIZE_TIMEOUT", "60"))
# kustomization keys that only list what to read: without them the output is the resources themselves
PLAIN = {"apiVersion", "kind", "resources", "bases"}
NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def kustomization(folder: Path) -> Path | None:
    return next((folder / name for name in NAMES if (folder / name).is_file()), None)


@cache
def _spec(folder: Path) -> dict[str, Any]:
    """The kustomization of ``folder``, read through the reading layer (it is the user's file like any other)."""
    path = kustomization(folder)
    if path is None:
        return {}
    try:
        parsed = untrusted.yaml_document(path)
    except untrusted.Refused as exc:
        raise refused(exc) from None
    data = parsed.data if parsed is not None else None
    return data if isinstance(data, dict) else {}


def referenced(folder: Path) -> list[Path]:
    """The folders this kustomization builds on (resources, bases, components that are folders), resolved."""
    spec = _spec(folder)
    out = []
    for key in ("resources", "bases", "components"):
        for item in spec.get(key) or []:
            target = (folder / str(item)).resolve()
            if target.is_dir():
                out.append(target)
    return out


def _check(folder: Path) -> None:
    """Every resource the kustomization lists is a file or folder here: a remote one (a URL, a git repository) is
    refused, since import reaches no network, and so is one that is not there."""
    spec = _spec(folder)
    for key in ("resources", "bases", "components"):
        for item in spec.get(key) or []:
            text = str(item)
            where = str(kustomization(folder))
            if "://" in text or text.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/")):
                raise ImportFailed(f"{key} lists {text}, a remote resource: import reads no network; render it where "
                                   "the network is (kubectl kustomize) and give the output", file=where)
            target = (folder / text).resolve()
            if not target.exists():
                raise ImportFailed(f"{key} lists {text}, which is not there ({target})", file=where)
    for base in referenced(folder):
        if kustomization(base):
            _check(base)


def tool() -> list[str] | None:
    """How to render: ``kustomize build`` where kustomize is found, else ``kubectl kustomize``; None: neither."""
    try:
        return [binaries.find(PROGRAM), "build"]
    except binaries.MissingBinary:
        pass
    kubectl = os.environ.get("EDGECONFORM_KUBECTL") or shutil.which("kubectl")
    return [kubectl, "kustomize"] if kubectl else None


def render(folder: Path, ctx: Any) -> list[Document]:
    """The objects the kustomization in ``folder`` renders, each traced to its files."""
    folder = folder.resolve()
    main = kustomization(folder)
    assert main is not None
    _check(folder)
    tree = _tree(folder)
    files = checked_tree(tree)  # what kustomize (or the listing below) reads, before anything reads it
    renders = needs_renderer(folder)
    sources = _sources(folder, ctx, quiet=renders)
    if not renders:  # kustomize would output exactly these objects (in its own order)
        ctx.loaded.renderings.append(f"{main}: a kustomization that only lists resources: read as listed")
        ctx.loaded.warn(f"{main}: a Kustomize folder that only lists resources: they are read as listed (what "
                        "kustomize renders)")
        return [doc for doc, role in sources if role == "resource"]
    command = tool()
    if command is None:
        keys = sorted(set(_spec(folder)) - PLAIN)
        raise ImportFailed(f"a Kustomize folder with {', '.join(keys)}: rendering it needs kustomize or kubectl "
                           "(`tools/build kustomize` builds kustomize; or put kubectl on the PATH, or give "
                           "`kubectl kustomize` output)", file=str(main))
    text, program = _run(command, folder, ctx, tree, files)
    rendered = load_text(main, text, ctx.budget)
    ctx.loaded.renderings.append(f"{main}: rendered by {program}")
    ctx.loaded.warn(f"{main.parent}: a Kustomize folder, rendered by {program}; each object is cited at the file "
                    "and line it came from")
    out = []
    for doc in rendered:
        traced = _trace(doc, sources)
        if traced is None:
            ctx.loaded.warn(f"{main}: {doc.describe()} rendered by kustomize is not in any file it lists (a "
                            "generator's): cited at the kustomization")
            traced = Document(main, doc.data, {}, 1)
        out.append(traced)
    return out


def _run(command: list[str], folder: Path, ctx: Any, tree: list[Path], files: list[Path]) -> tuple[str, str]:
    """The rendered text, and the program as the record names it. With --set fills, the files of the folders
    kustomize reads are copied into a temporary folder (removed after) with the placeholders filled, as envsubst
    would before apply."""
    name = "kustomize" if command[1] == "build" else "kubectl kustomize"
    version = _version(command)
    program = f"{name} {version}".strip()
    root = Path(os.path.commonpath([str(p) for p in tree]))
    with tempfile.TemporaryDirectory(prefix="edgeconform-kustomize-") as scratch:
        target = folder
        if ctx.fills:
            copy = Path(scratch) / "tree"
            for path in files:
                inside = copy / path.relative_to(root)
                inside.parent.mkdir(parents=True, exist_ok=True)
                if path.suffix in (".yaml", ".yml", ".json"):
                    inside.write_text(ph.fill(read_text(path), ctx.fills, ctx.used))
                else:
                    shutil.copyfile(path, inside)
            target = copy / folder.relative_to(root)
        text = run([*command, str(target)], program=program, source=kustomization(folder) or folder, cwd=target,
                   timeout=TIMEOUT, what="cannot render this folder", hide=(str(target), str(folder)))
    return text, program


def _version(command: list[str]) -> str:
    try:
        if command[1] == "build":
            return binaries.version(PROGRAM)
        out = binaries.probe(command[0], ("version", "--client"), r"Kustomize Version:\s*(\S+)",
                             name="kubectl", remedy="point EDGECONFORM_KUBECTL at a working kubectl")
        return f"(kustomize {out})"
    except binaries.MissingBinary:
        return ""


def _tree(folder: Path) -> list[Path]:
    """This kustomization's folder and every folder it builds on, resolved: what kustomize reads (its load
    restrictor keeps each kustomization to files inside its own folder)."""
    seen = {folder}
    todo = [folder]
    while todo:
        for base in referenced(todo.pop()):
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return sorted(seen)


def needs_renderer(folder: Path) -> bool:
    """Whether the kustomization (or one it builds on) does more than list resources: patches, generators,
    transformers need kustomize itself."""
    return not set(_spec(folder)) <= PLAIN or any(needs_renderer(base) for base in referenced(folder))


def _sources(folder: Path, ctx: Any, *, quiet: bool) -> list[tuple[Document, str]]:
    """Every document the kustomization reads, as ("resource" | "patch"), in the order kustomize applies them.
    ``quiet``: read for their lines only, where kustomize renders them (it says what is wrong with one, if anything);
    otherwise they are the output, and a file import cannot read is refused."""
    out: list[tuple[Document, str]] = []
    spec = _spec(folder)
    for key in ("resources", "bases", "components"):
        for item in spec.get(key) or []:
            target = (folder / str(item)).resolve()
            if target.is_dir() and kustomization(target):
                out += _sources(target, ctx, quiet=quiet)
            elif target.is_file():
                out += [(doc, "resource") for doc in _read(target, ctx, quiet)]
    patches = list(spec.get("patchesStrategicMerge") or []) + [
        p.get("path") if isinstance(p, dict) else p for p in spec.get("patches") or []]
    for item in patches:
        if isinstance(item, str) and (folder / item).is_file():
            out += [(doc, "patch") for doc in _read((folder / item).resolve(), ctx, quiet)]
    return out


def _read(path: Path, ctx: Any, quiet: bool) -> list[Document]:
    try:
        return read_yaml(path, ctx)
    except ImportFailed:
        if quiet:
            return []
        raise


def _trace(doc: Document, sources: list[tuple[Document, str]]) -> Document | None:
    """``doc`` (rendered) with each key's line in the file it came from: the last patch that sets it to this value,
    else the resource that declared the object."""
    same = [(s, role) for s, role in sources if s.kind == doc.kind and s.name and s.name in doc.name]
    same.sort(key=lambda item: item[0].name != doc.name)  # the object's own name before a prefixed one
    base = next((s for s, role in same if role == "resource"), None)
    if base is None:
        return None
    patches = [s for s, role in same if role == "patch"]
    lines: dict[Path_, int] = {}
    files: dict[Path_, Path] = {}

    for path, node in nodes(doc.data):
        if not path:
            continue
        for patch in reversed(patches):
            if path in patch.lines and _equal(patch.get(*path), node):
                lines[path], files[path] = patch.lines[path], patch.file
                break
        else:
            if path in base.lines:
                lines[path], files[path] = base.lines[path], base.file
    return Document(base.file, doc.data, lines, base.start, files=files)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return isinstance(a, type(b)) or isinstance(b, type(a))
    return str(a) == str(b)
