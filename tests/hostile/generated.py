"""The cases of the hostile corpus git cannot hold (a FIFO, symlinks, /dev/zero) or should not (50 MB, 501 files):
each built in the test's own folder on demand, named as corpus.yaml names it."""

from __future__ import annotations

import os
from pathlib import Path

SERVICE = """apiVersion: v1
kind: Service
metadata: {name: edge-%d, namespace: ingress-nginx}
spec: {type: LoadBalancer, selector: {app.kubernetes.io/name: ingress-nginx}, ports: [{port: 80, targetPort: http}]}
"""


def huge_50mb(folder: Path) -> Path:
    path = folder / "huge-50mb.yaml"
    with path.open("w") as f:
        line = "- " + "x" * 1021 + "\n"
        for _ in range(50 * 1024):
            f.write(line)
    return path


def many_nodes(folder: Path) -> Path:
    path = folder / "many-nodes.yaml"
    path.write_text("- 1\n" * 600_000)
    return path


def many_files(folder: Path) -> Path:
    path = folder / "many-files"
    path.mkdir()
    for i in range(501):
        (path / f"service-{i:03}.yaml").write_text(SERVICE % i)
    return path


def big_folder(folder: Path) -> Path:
    path = folder / "big-folder"
    path.mkdir()
    chunk = ("# " + "x" * 1021 + "\n") * 1024  # 1 MB of comment
    for i in range(5):
        with (path / f"part-{i}.yaml").open("w") as f:
            f.write(SERVICE % i)
            for _ in range(7):
                f.write(chunk)
    return path


def symlink_loop(folder: Path) -> Path:
    path = folder / "symlink-loop.yaml"
    path.symlink_to(path.name)
    return path


def symlink_folder_loop(folder: Path) -> Path:
    path = folder / "symlink-folder-loop"
    (path / "sub").mkdir(parents=True)
    (path / "service.yaml").write_text(SERVICE % 0)
    (path / "sub" / "up").symlink_to("..")
    return path


def symlink_escape(folder: Path) -> Path:
    path = folder / "symlink-escape"
    path.mkdir()
    (folder / "secret.yaml").write_text("token: do-not-read-me\n")
    (path / "service.yaml").symlink_to("../secret.yaml")
    return path


def symlink_to_dev_zero(folder: Path) -> Path:
    path = folder / "symlink-to-dev-zero"
    path.mkdir()
    (path / "service.yaml").symlink_to("/dev/zero")
    return path


def fifo(folder: Path) -> Path:
    path = folder / "fifo.yaml"
    os.mkfifo(path)
    return path


def dev_zero(folder: Path) -> Path:
    return Path("/dev/zero")


CASES = {"huge-50mb.yaml": huge_50mb, "many-nodes.yaml": many_nodes, "many-files": many_files,
         "big-folder": big_folder, "symlink-loop.yaml": symlink_loop, "symlink-folder-loop": symlink_folder_loop,
         "symlink-escape": symlink_escape, "symlink-to-dev-zero": symlink_to_dev_zero, "fifo.yaml": fifo,
         "dev-zero": dev_zero}
