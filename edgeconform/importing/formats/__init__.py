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
Every file is read through the reading layer (edgeconform.untrusted): the folders walked, the files given, the
trees a renderer reads (checked before it runs), what the renderer writes, and every YAML document against one
budget for the whole command.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..documents import ImportFailed, read_files
from .kustomize import NAMES as KUSTOMIZATION_NAMES
from .reading import Context, Loaded, add_documents, drop_default_services, read_yaml, say_placeholders, summary

__all__ = ["Loaded", "inputs", "load", "programs", "summary"]


def programs() -> dict:
    """The programs import runs that tools/build builds from Go modules (tools/<name>/go.mod), by name."""
    from . import helm, kustomize

    return {program.name: program for program in (kustomize.PROGRAM, helm.PROGRAM)}

YAML_SUFFIXES = (".yaml", ".yml", ".json")
TEMPLATE_SUFFIXES = (".tpl", ".tmpl", ".gotmpl", ".j2")
TERRAFORM_SUFFIXES = (".tf", ".tfvars")
SUFFIXES = YAML_SUFFIXES + TEMPLATE_SUFFIXES + TERRAFORM_SUFFIXES
KUSTOMIZATIONS = KUSTOMIZATION_NAMES


def load(paths: Iterable[str | Path], *, fills: dict[str, str] | None = None) -> Loaded:
    """Every document of ``paths``, each input read by its kind."""
    from . import helm, kustomize, terraform

    paths = [Path(p) for p in paths]
    ctx = Context(dict(fills or {}), roots=[(p if p.is_dir() else p.parent).resolve() for p in paths])
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
    drop_default_services(ctx)
    say_placeholders(ctx.loaded)
    return ctx.loaded


def inputs(paths: Iterable[str | Path]) -> list[tuple[str, Path, Any]]:
    """(kind, path, extra) of every input: "yaml" files, "kustomize" folders, "chart" folders (extra: the values
    files given with them), "terraform" modules (extra: the .tf files to read resources from). Folders are walked by
    the reading layer (edgeconform.untrusted.files: its limits on files and bytes, symlinks that stay inside,
    regular files only, names starting with a dot left out), and so is every file given."""
    given = [Path(p) for p in paths]
    found = read_files(given, SUFFIXES, names=KUSTOMIZATIONS)
    out: list[tuple[str, Path, Any]] = []
    given_values: list[Path] = []
    charts: list[Path] = []
    for path in given:
        if path.is_dir():
            mine = [f for f in found if path in f.parents]
            if path / "Chart.yaml" in mine:
                charts.append(path)
            elif any(path / name in mine for name in KUSTOMIZATIONS):
                out.append(("kustomize", path, None))
            else:
                out += _walk(path, mine)
        elif path.name in KUSTOMIZATIONS:
            out.append(("kustomize", path.parent, None))
        elif path.suffix in TERRAFORM_SUFFIXES:
            out.append(("terraform", path.parent, [path]))
        else:
            out.append(("yaml", path, None))
            given_values.append(path)
    for chart in charts:  # a chart given with values files: those are its values (helm template -f ...)
        out = [item for item in out if item[1] not in given_values]
        out.append(("chart", chart, given_values))
    return _merge_terraform(out)


def _walk(folder: Path, every: list[Path]) -> list[tuple[str, Path, Any]]:
    """A folder's inputs (``every``: its files the reading layer found): its Kustomize folders that no other of
    them builds on (the overlays), its charts, its Terraform modules, and its other YAML and template files, in
    name order."""
    from .kustomize import referenced
    from .terraform import files_read

    kustomized = sorted({p.parent for p in every if p.name in KUSTOMIZATIONS})
    charts = sorted({p.parent for p in every if p.name == "Chart.yaml"})
    bases = {base for k in kustomized for base in referenced(k)}
    out: list[tuple[str, Path, Any]] = [("kustomize", k, None) for k in kustomized if k.resolve() not in bases]
    out += [("chart", c, []) for c in charts]
    inside = kustomized + charts
    tf: dict[Path, list[Path]] = {}
    for path in every:
        if any(k in path.parents for k in inside):
            continue
        if path.suffix in TERRAFORM_SUFFIXES:
            tf.setdefault(path.parent, []).append(path)
    read_by_terraform = {read for module in tf for read in files_read(module)}
    for path in every:
        if any(k in path.parents for k in inside) or path.suffix in TERRAFORM_SUFFIXES:
            continue
        if path.resolve() not in read_by_terraform:  # a template or values file a module reads: read there
            out.append(("yaml", path, None))
    out += [("terraform", module, files) for module, files in tf.items()]
    return out


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


