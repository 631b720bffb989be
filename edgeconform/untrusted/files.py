"""Files and folders: regular files within the size limits, folders within the count limits, symlinks that stay
inside the folder they are in; text that is UTF-8 without NUL bytes."""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .limits import ENVIRONMENT, MIB, Limits, Refused, limits


def files(paths: Iterable[str | Path], suffixes: tuple[str, ...] | None, *, names: tuple[str, ...] = (),
          recursive: bool = True) -> list[Path]:
    """The files of ``paths``: a file as given; a folder's files ending in ``suffixes`` or named one of ``names``
    (``suffixes`` None: every file), recursively (``recursive``), in name order. What a name starting with a dot
    names inside a folder (.git, .terraform's downloaded modules, editor files) is not the user's input and is not
    walked. A symlink inside a folder is followed while it stays inside that folder; one that leads out of it, into
    a folder that holds it, or in a loop is refused. A file reached twice is read once."""
    lim = limits()
    out: list[Path] = []
    seen: set[Path] = set()
    total = 0
    for given in paths:
        path = Path(given)
        if path.is_symlink():
            _target(path, required=True)
        if path.is_dir():
            found = _walk(path, suffixes, names, recursive, lim)
            if not found:
                said = ", ".join([*(suffixes or ()), *names]) or "readable"
                raise Refused(path, f"no {said} files in this folder")
        elif path.exists():
            found = [path]
        else:
            raise Refused(path, "no such file or folder")
        for item in found:
            real = item.resolve()
            if real in seen:
                continue
            seen.add(real)
            size = _regular(item).st_size
            if size > lim.file_bytes:
                raise _too_large(item, lim, "file")
            total += size
            out.append(item)
            if len(out) > lim.files:
                raise _too_many(path, lim)
            if total > lim.folder_bytes:
                raise Refused(path, f"more than {lim.folder_bytes // MIB} MB in all to read: give the folder that "
                                    "holds the manifests of this edge only (or raise the limit: "
                                    f"{ENVIRONMENT}=folder_bytes=N)")
    return out


def _too_many(path: Path, lim: Limits) -> Refused:
    return Refused(path, f"more than {lim.files} files to read: give the folder that holds the manifests of this "
                         f"edge only (or raise the limit: {ENVIRONMENT}=files=N)")


def _walk(folder: Path, suffixes: tuple[str, ...] | None, names: tuple[str, ...], recursive: bool,
          lim: Limits) -> list[Path]:
    root = folder.resolve()
    found: list[Path] = []
    pending = [folder]
    visited = {root}
    while pending:
        current = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            raise Refused(current, f"cannot read this folder: {exc.strerror}") from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            wanted = suffixes is None or path.suffix in suffixes or path.name in names
            if entry.is_symlink():
                target = _target(path, required=wanted)
                if target is None or not (wanted or target.is_dir()):
                    continue  # a file edgeconform does not read, wherever it leads
                if target != root and root not in target.parents:
                    raise Refused(path, f"a symlink that leads out of {folder} (to {target}): edgeconform reads only "
                                        "what is inside the folder it is given; copy the file in, or give it by its "
                                        "own path")
                if target.is_dir():
                    holder = path.parent.resolve()
                    if target == holder or target in holder.parents:
                        raise Refused(path, f"a symlink to {target}, a folder that holds it (a loop): remove it")
                    if recursive and target not in visited:  # a folder of the tree reached twice is walked once
                        visited.add(target)
                        pending.append(path)
                    continue
                found.append(path)
            elif entry.is_dir(follow_symlinks=False):
                if not recursive:
                    continue
                real = path.resolve()
                if real not in visited:
                    visited.add(real)
                    pending.append(path)
            elif wanted:  # a FIFO, socket or device named like an input is refused, not passed over
                if not entry.is_file(follow_symlinks=False):
                    _regular(path)
                found.append(path)
            if len(found) > lim.files:
                raise _too_many(folder, lim)
    return sorted(found)


def member(folder: str | Path, name: str) -> Path:
    """The file ``name`` of ``folder`` (a report directory's report.json): a symlink there must stay inside it."""
    folder = Path(folder)
    path = folder / name
    if path.is_symlink():
        target = _target(path, required=True)
        root = folder.resolve()
        if root not in target.parents:
            raise Refused(path, f"a symlink that leads out of {folder} (to {target}): give the file itself")
    return path


def _target(link: Path, *, required: bool) -> Path | None:
    """Where a symlink leads (None: nowhere, when it need not). A loop is refused, and a dangling link that is
    ``required``."""
    try:
        return link.resolve(strict=True)
    except RuntimeError:  # Python before 3.13: a loop
        raise Refused(link, "a symlink in a loop: remove it") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused(link, "a symlink in a loop: remove it") from None
        if required:
            raise Refused(link, f"a symlink to {os.readlink(link)}, which does not exist") from None
        return None


def _regular(path: Path) -> os.stat_result:
    try:
        found = path.stat()
    except RuntimeError:
        raise Refused(path, "a symlink in a loop: remove it") from None
    except OSError as exc:
        raise Refused(path, "a symlink in a loop: remove it" if exc.errno == errno.ELOOP
                      else f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(found.st_mode):
        kind = "a folder" if stat.S_ISDIR(found.st_mode) else "not a regular file (a FIFO, socket or device)"
        raise Refused(path, f"{kind}: give a file")
    return found


def read_bytes(path: str | Path, *, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``file_bytes`` (never more is read: a file that grows, or a device
    behind a symlink, is cut off and refused)."""
    path = Path(path)
    lim = limits()
    _regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Refused(path, f"cannot read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # replaced since it was looked at
            raise Refused(path, "not a regular file (a FIFO, socket or device): give a file")
        data = f.read(lim.file_bytes + 1)
    if len(data) > lim.file_bytes:
        raise _too_large(path, lim, what)
    return data


def _too_large(path: Path, lim: Limits, what: str) -> Refused:
    return Refused(path, f"larger than {lim.file_bytes // MIB} MB: no {what} edgeconform reads is this large; give "
                         f"the {what} itself (or raise the limit: {ENVIRONMENT}=file_bytes=N)")


def read_text(path: str | Path, *, what: str = "file") -> str:
    """A file's text: UTF-8, no NUL byte, within the size limit."""
    return decode(read_bytes(path, what=what), path)


def file_size_limit() -> int:
    """The most bytes a file (or a program's output) may hold: a program writing what edgeconform then reads is run
    with this as its file size limit (RLIMIT_FSIZE), so it cannot fill the disk either."""
    return limits().file_bytes + 1


def read_output(path: str | Path, *, source: str | Path, what: str) -> str:
    """What a program edgeconform ran wrote to ``path`` (helm template, kustomize build), held to the rules of a
    file's text; a refusal names ``source``, the input the program read."""
    path = Path(path)
    lim = limits()
    if path.stat().st_size > lim.file_bytes:
        raise Refused(source, f"{what} is larger than {lim.file_bytes // MIB} MB: no edge renders to this much; give "
                              f"the manifests of this edge only (or raise the limit: {ENVIRONMENT}=file_bytes=N)")
    try:
        return read_text(path, what=what)
    except Refused as exc:  # said of the input, not of a scratch file the user never saw
        raise Refused(source, f"{what}: {exc.reason}", line=exc.line) from None


def decode(data: bytes, path: str | Path) -> str:
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
                      (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            raise Refused(path, f"{name} text: save it as UTF-8", line=1)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise Refused(path, "a NUL byte: this is a binary file, not text", line=data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Refused(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save it as UTF-8", line=line) from None
