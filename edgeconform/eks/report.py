"""What an eks run reports at its end: time-to-ready per topology (by phase), where the client-IP ground truth
came from, and anything the cleanup could not remove."""

from __future__ import annotations

import pytest

PHASES = ["apply", "lb-provision", "lb-dns", "lb-targets"]


def summary(config: pytest.Config) -> list[str]:
    from .pytest_plugin import TARGET

    target = config.stash.get(TARGET, None)
    if target is None:
        return []
    lines = [f"edgeconform eks run {target.run_id}: time to ready per topology (seconds; timeout profile aws)"]
    if not target.ready:
        lines.append("  (no edge became ready)")
    for name, ready in target.ready.items():
        phases = "  ".join(f"{phase} {ready.phases[phase]:.1f}" for phase in PHASES if phase in ready.phases)
        lines.append(f"  {name:<24} {ready.total:7.1f}   {phases}   {ready.hostname}")
    truth = target.truth
    if truth.address:
        lines.append(f"client-IP ground truth: {truth.address} ({truth.how})")
    else:
        lines.append("client-IP ground truth: unknown (pass --client-ip, or include alb / clb-http in the run)")
    disagreement = truth.disagreement()
    if disagreement:
        lines.append(f"client-IP note: {disagreement}")
    for problem in target.problems:
        lines.append(f"CLEANUP PROBLEM: {problem}")
    if target.settings.keep and target.deployment is not None:
        lines.append(f"--keep: run {target.run_id} left in place; remove it with `edgeconform cleanup --target eks "
                     f"--kubeconfig {target.settings.kubeconfig}`")
    return lines
