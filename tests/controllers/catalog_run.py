"""The whole catalog on one controller, compared cell by cell with its documented verdicts (the matrix tests of the
real controllers share this: tests/controllers/test_*_matrix.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The cells every topology has, as a controller without PROXY and without a Host-vs-SNI check measures them at L4
L4_PLAIN = {"client_ip": "pass", "redirect": "pass", "websocket[ws]": "pass", "websocket[wss]": "pass", "sni": "pass",
            "security[forged-client]": "pass", "security[forged-proto]": "pass", "security[proxy-required]": "n/a",
            "security[proxy-local]": "n/a", "security[proxy-forged]": "n/a", "security[tls-versions]": "pass",
            "security[default-cert]": "pass", "security[host-sni]": "skip", "security[redirect-loop]": "pass",
            "security[hostile-input]": "pass"}
# The cells issue 12 added, as the L7 topologies it added (cloudfront-alb, alb-mtls) measure them
L7_NEW = {"health_check": "pass", "dual_stack": "n/a", "host_header": "pass", "security[mtls-headers]": "n/a"}


@dataclass
class CatalogRun:
    returncode: int
    report: dict
    output: str

    @property
    def controller(self) -> dict:
        (controller,) = [r["controller"] for r in self.report["runs"]]
        return controller

    def differences(self, documented: dict[str, dict[str, str]]) -> list[str]:
        """Every cell whose verdict is not the documented one (either way), and topologies missing on either side."""
        seen: dict[str, dict[str, str]] = {}
        for result in self.report["results"]:
            cell = f"{result['behaviour']}[{result['variant']}]" if result["variant"] else result["behaviour"]
            seen.setdefault(result["topology"], {})[cell] = result["verdict"]
        out = [f"{t}/{cell}: documented {verdict}, seen {seen.get(t, {}).get(cell)}"
               for t, cells in documented.items() for cell, verdict in cells.items()
               if seen.get(t, {}).get(cell) != verdict]
        out += [f"{t}: not documented" for t in set(seen) - set(documented)]
        out += [f"{t}: not run" for t in set(documented) - set(seen)]
        return out


def run_catalog(controller: str, directory: Path, topologies: list[str] | None = None) -> CatalogRun:
    """Every catalog topology ``controller`` runs (those whose block names no controller of their own; or
    ``topologies``), the behaviours and the security suite, reported to ``directory``."""
    from edgeconform import catalog

    from tests.cases import generic

    chosen = [arg for name in (topologies or generic(catalog.load())) for arg in ("--topology", name)]
    run = subprocess.run([sys.executable, "-m", "pytest", "suites", "--controller", controller, *chosen, "-q", "-p",
                          "no:cacheprovider", "--no-matrix", "--report", str(directory)], cwd=REPO,
                         capture_output=True, text=True, timeout=900)
    report = directory / "report.json"
    assert report.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    return CatalogRun(run.returncode, json.loads(report.read_text()), run.stdout[-4000:])
