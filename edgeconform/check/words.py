"""A failure said in the words of the files it came from: the one mapping from a topology field to the user's lines.

The suites, the findings and their messages speak in topology fields (``controller.proxy_protocol``); a platform
team wrote annotations, ConfigMap keys and CRD fields. An imported topology's ``sources:`` map each field to the
manifest lines it was read from (``PATH:LINE``), and the import's documents know which object and key each line
holds. So, for a failed cell:

1. the fields its likely cause rests on: each finding that explains the cell reads some settings (catalog/advice.yaml
   ``evidence:``, else the settings of its fix: ``findings:``, a controller's ``finding_codes``); a failure no
   finding explains rests on the settings that decide the cell (``fields:``);
2. each field's lines in the user's files, as they are written there (the annotation, the ConfigMap key, the CRD
   field, and its ``file:line``), or, where the files do not set it, the default that applied, in the controller's
   own words (edgeconform.compare.advice);
3. the fix, in the same words.

Nothing here rewrites a message: the messages stay as the suites wrote them, and these lines go beside them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import catalog, controllers, findings, untrusted
from ..compare import advice as advice_table
from ..importing import Document
from ..report.model import InputLine, InputsRecord
from ..topology import Topology

TEXT_LIMIT = 160  # characters of a quoted line


@dataclass
class Lines:
    """The user's files as an import read them: which object and key each line holds, and each line's text."""

    documents: list[Document]
    shown_from: Path = field(default_factory=Path.cwd)  # files are shown relative to this folder
    _index: dict[tuple[Path, int], tuple[Document, tuple]] = field(default_factory=dict, repr=False)
    _texts: dict[Path, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for doc in self.documents:
            for path, line in doc.lines.items():
                key = (doc.file_at(*path).resolve(), line)
                known = self._index.get(key)
                if known is None or len(path) < len(known[1]):  # a flow mapping's line: the key that opens it
                    self._index[key] = (doc, path)

    def at(self, file: Path, line: int, field_path: str) -> InputLine:
        """The line ``file:line`` as the user wrote it, and what it is (the object and key, where known)."""
        file = file.resolve()
        text = self._text(file, line)
        says = ""
        found = self._index.get((file, line))
        if found is not None:
            says = _says(*found, text)
        return InputLine(field=field_path, file=self._shown(file), line=line, text=text, says=says)

    def _text(self, file: Path, line: int) -> str:
        if file not in self._texts:
            try:  # import read it already: within the reading layer's limits
                self._texts[file] = untrusted.read_text(file).splitlines()
            except (untrusted.Refused, OSError):
                self._texts[file] = []
        lines = self._texts[file]
        return untrusted.clean(lines[line - 1].strip(), TEXT_LIMIT) if 0 < line <= len(lines) else ""

    def _shown(self, file: Path) -> str:
        relative = os.path.relpath(file, self.shown_from.resolve())
        return Path(file if relative.startswith("..") else relative).as_posix()


def _says(doc: Document, path: tuple, text: str) -> str:
    """What the key at ``path`` is, in Kubernetes' words: an annotation, a ConfigMap key, an object's field."""
    what = doc.describe()
    if len(path) == 3 and path[:2] == ("metadata", "annotations"):
        said = f"annotation {path[2]} of {what}"
    elif doc.kind == "ConfigMap" and len(path) == 2 and path[0] == "data":
        said = f"key {path[1]} of {what}"
    else:
        said = f"{_dotted(path)} of {what}"
    last = str(path[-1]) if path else ""
    if last and last not in text:  # the object was rendered from this line (a values file, Terraform, a template)
        said += ", as rendered from this line"
    return untrusted.clean(said, TEXT_LIMIT * 2)


def _dotted(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def fields_of(t: Topology, behaviour: str, variant: str, advice: advice_table.Advice) -> tuple[list[str], list]:
    """The settings a failure of the cell rests on, and the findings that explain it."""
    found = findings.for_cell(t, behaviour, variant)
    named = [f for finding in found for f in advice.reads(finding.code)]
    if not named:
        cell = f"{behaviour}[{variant}]" if variant else behaviour
        named = [f for f, cells in advice.fields.items() if behaviour in cells or cell in cells]
    return list(dict.fromkeys(named)), found


# an abstract field and the others the same setting may decide with it (hops may be written as networks)
ALSO = {"trusted_hops": ("trusted_hops", "trusted_cidrs")}


def native_keys(t: Topology, field_path: str) -> list[str]:
    """The controller's own settings (``controller.settings.KEY``) that decide the abstract ``field_path``: each key
    whose removal, or the opposite of whose true/false, changes that field in the plug-in's own translation
    (Controller.to_abstract): a key written at its default decides the field as much as one that is not."""
    ctl = t.controller
    if not field_path.startswith("controller.") or not ctl.kind or not isinstance(ctl.settings, dict):
        return []
    cls = controllers.controller_class(ctl.kind)
    if cls.settings_model is None:
        return []
    name = field_path.split(".", 1)[1]
    watched = ALSO.get(name, (name,))

    def derived(settings: dict) -> dict | None:
        try:
            found = cls.to_abstract(cls.settings_model.model_validate(settings), t)
        except (ValueError, controllers.SettingsError):
            return None
        return {key: found.get(key) for key in watched}

    given = derived(ctl.settings)
    if given is None:
        return []
    out = []
    for key, value in ctl.settings.items():
        others = [{k: v for k, v in ctl.settings.items() if k != key}]
        flipped = _opposite(value)
        if flipped is not None:
            others.append({**ctl.settings, key: flipped})
        if any((found := derived(other)) is not None and found != given for other in others):
            out.append(key)
    return out


def _opposite(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return "false" if value.lower() == "true" else "true"
    return None


def refs(t: Topology, field_path: str, origin: Path) -> list[tuple[Path, int]]:
    """The manifest lines ``sources:`` names for ``field_path`` (PATH relative to the topology file's folder): the
    field's own, or those of the controller's settings that decide it."""
    fields = [field_path]
    if not t.sources.get(field_path):
        keys = [f"controller.settings.{key}" for key in native_keys(t, field_path)]
        fields = [f for f in t.sources if any(f == k or f.startswith(k + ".") for k in keys)]
    out = []
    for name in fields:
        for entry in t.sources.get(name, []):
            match = catalog.MANIFEST_REF.match(entry)
            if match:
                out.append(((origin.parent / match["path"]), int(match["line"])))
    return out


def for_failure(t: Topology, behaviour: str, variant: str, lines: Lines, origin: Path,
                advice: advice_table.Advice | None = None) -> InputsRecord:
    """The lines of the user's files a failure of one cell rests on, and what to change, in their words."""
    advice = advice or advice_table.load()
    chain = advice.vocabulary(t)
    named, found = fields_of(t, behaviour, variant, advice)
    settings = advice_table.settings(t)
    out: list[InputLine] = []
    for field_path in named:
        where = refs(t, field_path, origin)
        if where:
            out += [lines.at(file, line, field_path) for file, line in where]
        elif field_path in settings and settings[field_path] != advice_table.NOT_APPLICABLE:
            words, _ = advice.say(chain, field_path, settings[field_path])
            out.append(InputLine(field=field_path, file="", line=0, text=words,
                                 says="the default applies"))
    fixes = []
    for finding in found:
        for field_path, value in advice.findings.get(finding.code, {}).items():
            words, keys = advice.fix(chain, field_path, value)
            fixes.append(words + "".join(f" [{k}]" for k in keys))
    unique = list({(i.file, i.line, i.text): i for i in out}.values())
    return InputsRecord(lines=unique, fixes=list(dict.fromkeys(fixes)))

