"""The kind target's command: ``edgeconform kind status|down|enter`` for the engines that run kind on the images
./dev kind-images builds (podman in namespaces of its own). A run with --keep-cluster leaves its engine and cluster
up for the next run; these say what runs, end it, or run a command inside (kubectl, podman, curl: nothing of the
engine is reachable from this machine's own namespace)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from ...cli.command import Command


def arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("status", help="the engines (kept clusters) that run, and the image store")
    down = sub.add_parser("down", help="end an engine: its cluster, containers, network, namespaces and folder")
    down.add_argument("--name", default=None, help="the engine (the cluster's name; default: every engine)")
    enter = sub.add_parser("enter", help="run a command inside an engine's namespaces (kubectl finds its cluster)")
    enter.add_argument("--name", default="edgeconform", help="the engine (default: edgeconform)")
    enter.add_argument("argv", nargs=argparse.REMAINDER, metavar="COMMAND")


def run(args: argparse.Namespace) -> int:
    from .engine import Engine, cache_dir, image_store, remove_dead

    engines = cache_dir() / "engines"
    names = sorted(p.name for p in engines.iterdir()) if engines.is_dir() else []
    if args.action == "status":
        from .images import built

        have = built()
        print(f"image store: {image_store()} ({len(have)} images built)" if have else
              f"image store: {image_store()} (not built: ./dev kind-images)")
        for name in names:
            engine = Engine.find(name)
            print(f"engine {name}: " + (f"runs (PID 1 {engine.pid1}); edgeconform kind enter --name {name} -- ..."
                                        if engine else "dead (left by a killed run; `down` removes it)"))
        return 0
    if args.action == "down":
        for name in [args.name] if args.name else names:
            engine = Engine.find(name)
            if engine is not None:
                engine.stop()
                print(f"engine {name}: ended")
            elif name in names:
                remove_dead(name)
                print(f"engine {name}: its leftovers removed")
            else:
                print(f"edgeconform: no engine named {name!r}", file=sys.stderr)
                return 1
        return 0
    engine = Engine.find(args.name)
    if engine is None:
        print(f"edgeconform: no engine named {args.name!r} runs (a run with --keep-cluster leaves one)",
              file=sys.stderr)
        return 1
    argv = [a for a in args.argv if a != "--"] or ["sh"]
    env = engine.env()
    kubeconfig = engine.folder / "kubeconfig"  # kind's, for kubectl and helm inside
    from .images import tools_bin

    found = subprocess.run(engine.command([str(tools_bin() / "kind"), "get", "kubeconfig", "--name", args.name]),
                           env=env, capture_output=True, text=True)
    if found.returncode == 0:
        kubeconfig.write_text(found.stdout)
        env["KUBECONFIG"] = str(kubeconfig)
    env["PATH"] = f"{tools_bin()}{os.pathsep}{env.get('PATH', '')}"
    os.execvpe("nsenter", engine.command(argv), env)
    return 0  # not reached


COMMANDS = (Command("kind", "the kind target's podman engines (kept clusters): status, down, enter", arguments, run),)
