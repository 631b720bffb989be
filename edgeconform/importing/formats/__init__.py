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
from pathlib import Path
from typing import Any

from ..documents import ImportFailed
from .reading import Context, Loaded, add_documents, drop_default_services, read_yaml, say_placeholders, summary

__all__ = ["Loaded", "inputs", "load", "programs", "summary"]


def programs() -> dict:
    """The programs import runs that tools/build builds from Go modules (tools/<name>/go.mod), by name."""
    from . import helm, kustomize

    return {program.name: program for program in (kustomize.PROGRAM, helm.PROGRAM)}

YAML_SUFFIXES = (".yaml", ".yml", ".json")
TEMPLATE_SUFFIXES = (".tpl", ".tmpl", ".gotmpl", ".j2")
TERRAFORM_SUFFIXES = (".tf", ".tfvars")
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


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
    drop_default_services(ctx)
    say_placeholders(ctx.loaded)
    return ctx.loaded


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


