"""A side of a comparison given as a git revision of a folder: ``REV:PATH`` (``origin/main:deploy/edge``), read with
git itself as data, never checked out.

What runs here is git's plumbing only: ``rev-parse`` (is REV a commit of this repository?), ``ls-tree -r --long``
(the blobs under PATH, with their sizes, before any is read) and ``cat-file --batch`` (each blob's bytes as stored).
None of them runs what a repository can make git run: no hooks (``core.hooksPath=/dev/null``), no clean/smudge or
``process`` filters and no textconv (cat-file without ``--filters``/``--textconv`` applies none; ``git archive`` and
``git show`` of a path can, so they are not used), no fsmonitor, no pager, no transport (``protocol.allow=never``:
a partial clone missing a blob fails instead of fetching it). The revision's files are written into a folder of
their own under the reading layer's limits (the file count and sizes checked from the tree listing, before
reading), symlinks as symlinks (the reading layer then refuses one that leads out of the folder), submodules
skipped; that folder is then imported like any folder.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .. import untrusted

TIMEOUT = float(os.environ.get("EDGECONFORM_GIT_TIMEOUT", "30"))  # seconds for one git command
# -c settings that keep a repository's configuration from running anything while we read it
SAFE = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "protocol.allow=never",
        "-c", "core.pager=cat", "-c", "core.untrackedCache=false"]
ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0", "GIT_NO_REPLACE_OBJECTS": "1",
       "GIT_ASKPASS": "/bin/false", "SSH_ASKPASS": "/bin/false"}
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/@{}~^-]{0,200}$")  # what a revision given on a command line looks like


class GitError(Exception):
    """A REV:PATH that cannot be read; the message names the cause and the fix."""


def split(text: str, cwd: Path | None = None) -> tuple[str, str] | None:
    """(REV, PATH) when ``text`` is REV:PATH with REV a commit of the repository at ``cwd``, else None."""
    rev, sep, path = text.partition(":")
    if not sep or not REVISION.match(rev) or rev.startswith("-") or path.startswith("-"):
        return None
    if _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd, check=False) is None:
        return None
    return rev, path.strip("/") or "."


def read(rev: str, path: str, into: Path, cwd: Path | None = None) -> Path:
    """The files of ``rev`` under ``path`` written into ``into`` (their paths kept); returns ``into``/``path``."""
    lim = untrusted.limits()
    listing = _git(["ls-tree", "-r", "-z", "--long", "--full-tree", "--end-of-options", rev, "--", path], cwd)
    entries = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, obj, size = meta.split()
        entries.append((mode.decode(), kind.decode(), obj.decode(), size.decode(), _name(name, rev)))
    if not entries:
        raise GitError(f"{rev}:{path}: no such file or folder in that revision (git ls-tree lists nothing)")
    blobs = [e for e in entries if e[1] == "blob"]
    if len(blobs) > lim.files:
        raise GitError(f"{rev}:{path}: more than {lim.files} files to read: give the folder that holds the manifests "
                       f"of this edge only (or raise the limit: {untrusted.ENVIRONMENT}=files=N)")
    total = 0
    for mode, _, _, size, name in blobs:
        if mode != "120000" and int(size) > lim.file_bytes:
            raise GitError(f"{rev}:{name}: larger than {lim.file_bytes // untrusted.MIB} MB; give the manifests of "
                           f"this edge only (or raise the limit: {untrusted.ENVIRONMENT}=file_bytes=N)")
        total += int(size)
    if total > lim.folder_bytes:
        raise GitError(f"{rev}:{path}: more than {lim.folder_bytes // untrusted.MIB} MB in all to read (or raise the "
                       f"limit: {untrusted.ENVIRONMENT}=folder_bytes=N)")
    contents = _cat(blobs, cwd)
    root = into.resolve()
    for (mode, _, obj, _, name), data in zip(blobs, contents):
        target = (root / name).resolve()
        if not target.is_relative_to(root):  # git refuses such names; a tree written by hand could hold one
            raise GitError(f"{rev}:{name}: a path that leads out of the folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            target.symlink_to(os.fsdecode(data))
        else:
            target.write_bytes(data)
    return root / path if path != "." else root


def _name(raw: bytes, rev: str) -> str:
    name = os.fsdecode(raw)
    if name.startswith("/") or ".." in Path(name).parts:
        raise GitError(f"{rev}: the tree holds the path {untrusted.clean(name)!r}, which leads out of its folder")
    return name


def _cat(blobs: list[tuple[str, str, str, str, str]], cwd: Path | None) -> list[bytes]:
    """Each blob's bytes as stored (cat-file --batch: no filter, no textconv)."""
    request = "".join(f"{obj}\n" for _, _, obj, _, _ in blobs).encode()
    out = _git(["cat-file", "--batch"], cwd, stdin=request)
    contents, at = [], 0
    for _, _, obj, size, name in blobs:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        if len(header) != 3 or header[0].decode() != obj or header[2].decode() != size:
            raise GitError(f"{name}: git cat-file did not give the object {obj} ({out[at:end][:80]!r}): the revision "
                           "is not complete in this clone (fetch it: git fetch --depth=1 origin REV)")
        start = end + 1
        contents.append(out[start:start + int(size)])
        at = start + int(size) + 1
    return contents


def _git(args: list[str], cwd: Path | None, *, check: bool = True, stdin: bytes | None = None) -> bytes | None:
    try:
        feed = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
        done = subprocess.run(["git", *SAFE, *args], cwd=cwd, capture_output=True, timeout=TIMEOUT,
                              env={**os.environ, **ENV}, **feed)
    except FileNotFoundError:
        raise GitError("git is not installed: REV:PATH is read with git (install it, or give a folder)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {TIMEOUT:g} s (EDGECONFORM_GIT_TIMEOUT)") from None
    if done.returncode != 0:
        if not check:
            return None
        said = untrusted.clean(done.stderr.decode(errors="replace").strip().splitlines()[-1:][0]
                               if done.stderr.strip() else f"exit status {done.returncode}")
        raise GitError(f"git {args[0]} failed: {said}")
    return done.stdout
