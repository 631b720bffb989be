"""``edgeconform rehearse``: the eks plans (or your own manifests) against the real AWS Load Balancer Controller, on
a control plane of this machine, with moto as AWS.

    edgeconform rehearse TOPOLOGY|FILE|DIR... [--all] [--eks-mode M]... [--expect TOPOLOGY] [--report DIR]

- TOPOLOGY: a catalog topology (or one of --topology-file); FILE with ``topologies:``: each of its topologies;
  any other FILE or DIR: Kubernetes manifests (yours), compared with what they mean (``edgeconform import``) or,
  with --expect, with the topology you meant. --all: every catalog topology.
- --eks-mode: lbc-annotations (default), lbc-gateway, auto-mode; repeat it to rehearse in several modes (one
  control plane serves lbc-annotations and lbc-gateway; auto-mode runs the LBC with Auto Mode's class).
- Exit status: 0 every load balancer agrees with its topology (skips say why), 1 some differ or the LBC failed
  (one line each: expected, built, the annotation or CRD field responsible), 2 unusable input, 3 the control plane
  cannot run here (a missing build, no namespace support: the message says how to get it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .command import Command

MODES = ("lbc-annotations", "lbc-gateway", "auto-mode")


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", metavar="TOPOLOGY|FILE|DIR")
    parser.add_argument("--all", action="store_true", help="every catalog topology (Classic ELBs are skipped)")
    parser.add_argument("--topology-file", action="append", default=[], metavar="FILE")
    parser.add_argument("--eks-mode", action="append", choices=MODES, default=None,
                        help="how the load balancer is asked for (repeatable; default lbc-annotations)")
    parser.add_argument("--expect", default=None, metavar="TOPOLOGY",
                        help="manifests: the topology you meant (a catalog name, or one of --topology-file)")
    parser.add_argument("--controller", default="emissary", help="the controller the plans configure (the Services "
                        "select its pods; its own resources are not applied)")
    parser.add_argument("--report", default=None, metavar="DIR",
                        help="write aws-model.json (+ its schema), rehearsal.json and rehearsal.md")


def run(args: argparse.Namespace) -> int:
    from .. import catalog
    from ..rehearsal.components import RehearsalError
    from ..rehearsal.controlplane import install_signal_handlers

    modes = list(dict.fromkeys(args.eks_mode or ["lbc-annotations"]))
    try:
        topologies = catalog.load(args.topology_file)
    except catalog.TopologyError as exc:
        return _usage(str(exc))
    wanted, manifests = [], []
    for item in args.inputs:
        path = Path(item)
        if item in topologies and not path.exists():
            wanted.append(topologies[item])
        elif path.exists():
            from_file = _topology_file(path)
            if from_file is None:
                manifests.append(str(path))
            else:
                try:
                    wanted += list(catalog.load([str(path)]).values())[-len(from_file):]
                except catalog.TopologyError as exc:
                    return _usage(str(exc))
        else:
            return _usage(f"{item!r} is neither a topology (known: {', '.join(topologies)}) nor a file or folder")
    if args.all:
        wanted += [t for t in topologies.values() if t not in wanted]
    if not wanted and not manifests:
        return _usage("nothing to rehearse: name topologies, files or folders, or --all")
    expected = None
    if manifests:
        if wanted:
            return _usage("rehearse topologies or manifests, not both in one run")
        if args.expect and args.expect not in topologies:
            return _usage(f"--expect {args.expect!r}: unknown topology; known: {', '.join(topologies)}")
        expected = topologies.get(args.expect) if args.expect else None
    install_signal_handlers()
    try:
        if manifests:
            results = _manifests(manifests, expected, modes[0])
        else:
            results = []
            for lbc_class, group in _by_control_plane(modes):
                results += _topologies(wanted, group, lbc_class)
    except RehearsalError as exc:
        print(f"edgeconform: {exc}", file=sys.stderr)
        return 2 if "refused" in str(exc) or "rehearse one at a time" in str(exc) else 3
    except KeyboardInterrupt:
        print("edgeconform: interrupted; the control plane is stopped", file=sys.stderr)
        return 130
    failed = False
    for result in results:
        for line in result.lines():
            print(f"[{result.mode}] {line}")
        failed |= not result.ok and not result.skipped
    if args.report:
        write_report(Path(args.report), results)
    return 1 if failed else 0


def _usage(message: str) -> int:
    print(f"edgeconform: {message}", file=sys.stderr)
    return 2


def _topology_file(path: Path):
    """The topology names of a topology file; None for anything else (manifests)."""
    import yaml

    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return None
    return list(data["topologies"]) if isinstance(data, dict) and isinstance(data.get("topologies"), dict) else None


def _by_control_plane(modes: list[str]):
    """lbc-annotations and lbc-gateway share one control plane; auto-mode needs the LBC with Auto Mode's class."""
    from ..rehearsal.rehearse import AUTO_MODE_CLASS

    plain = [m for m in modes if m != "auto-mode"]
    if plain:
        yield None, plain
    if "auto-mode" in modes:
        yield AUTO_MODE_CLASS, ["auto-mode"]


def _topologies(wanted, modes: list[str], lbc_class):
    from ..rehearsal.controlplane import ControlPlane
    from ..rehearsal.rehearse import Rehearser

    results = []
    with ControlPlane(load_balancer_class=lbc_class) as cp:
        print(f"edgeconform: rehearsal control plane up in {cp.timings['up']:.1f} s (kube-apiserver, etcd, moto, "
              f"the AWS Load Balancer Controller pid {cp.lbc.popen.pid})", file=sys.stderr)
        rehearser = Rehearser(cp)
        for mode in modes:
            started = time.monotonic()
            results += rehearser.rehearse(wanted, mode)
            print(f"edgeconform: {mode}: {len(wanted)} topologies rehearsed in {time.monotonic() - started:.1f} s",
                  file=sys.stderr)
    return results


def _manifests(paths: list[str], expected, mode: str):
    from ..importing import ImportFailed
    from ..rehearsal.components import RehearsalError
    from ..rehearsal.controlplane import ControlPlane
    from ..rehearsal.manifests import Manifests
    from ..rehearsal.rehearse import Rehearser

    try:
        given = Manifests(paths)
        meant = expected or given.imported().topology
    except ImportFailed as exc:
        raise RehearsalError(f"the manifests were refused: {exc}") from None
    if given.left_out:
        print(f"edgeconform: not applied (the LBC does not read them): {', '.join(given.left_out)}", file=sys.stderr)
    with ControlPlane(load_balancer_class=None) as cp:
        return [Rehearser(cp).rehearse_manifests(given, meant)]


def write_report(directory: Path, results) -> None:
    from ..rehearsal.model import AwsModel

    directory.mkdir(parents=True, exist_ok=True)
    model = AwsModel(source="the rehearsal control plane's moto (edgeconform rehearse)",
                     load_balancers=[r.load_balancer for r in results if r.load_balancer is not None])
    (directory / "aws-model.json").write_text(json.dumps({"$schema": "aws-model.schema.json",
                                                          **model.model_dump(mode="json")}, indent=1) + "\n")
    (directory / "aws-model.schema.json").write_text(json.dumps(AwsModel.model_json_schema(), indent=1) + "\n")
    rows = [{"topology": r.topology.name, "mode": r.mode, "ok": r.ok, "skipped": r.skipped, "error": r.error,
             "load_balancer": r.load_balancer.name if r.load_balancer else None, "seconds": round(r.seconds, 2),
             "differences": [d.as_dict() for d in r.differences]} for r in results]
    (directory / "rehearsal.json").write_text(json.dumps({"results": rows}, indent=1) + "\n")
    lines = ["# edgeconform rehearse", "", "| topology | mode | result |", "|---|---|---|"]
    for r in results:
        verdict = "skipped" if r.skipped else "agrees" if r.ok else "differs" if not r.error else "not built"
        lines.append(f"| `{r.topology.name}` | {r.mode} | {verdict} |")
    lines += ["", *[f"- [{r.mode}] {line}" for r in results for line in r.lines() if not r.ok or r.differences]]
    (directory / "rehearsal.md").write_text("\n".join(lines) + "\n")


COMMAND = Command("rehearse", "apply the eks plan (or your manifests) to a local control plane with the real AWS Load "
                              "Balancer Controller and moto as AWS; compare the AWS model it builds with the topology",
                  arguments, run)
