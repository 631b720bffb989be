"""Every user gets every verdict: the NLB suite run by an unprivileged account gives the same verdicts as root's,
client IP included (each edge lives in a user + network namespace of its own; nobody needs root).

The test needs root to make the account (a system user, removed again if this test made it) and runs the suite
as that account with an interpreter it may execute. Run as a normal user, it skips: that run is itself the proof.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
ACCOUNT = "edgeconform-probe"
CANDIDATES = [sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"]


@pytest.fixture(scope="module")
def account():
    if os.geteuid() != 0:
        pytest.skip("needs root to create an unprivileged account; this run is unprivileged already")
    made = False
    try:
        pwd.getpwnam(ACCOUNT)
    except KeyError:
        if not shutil.which("useradd"):
            pytest.skip("useradd is not installed: cannot create the unprivileged account")
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ACCOUNT],
                       check=True, capture_output=True)
        made = True
    yield pwd.getpwnam(ACCOUNT)
    if made:
        subprocess.run(["userdel", ACCOUNT], capture_output=True)


def as_user(user, argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, user=user.pw_uid, group=user.pw_gid, extra_groups=[], capture_output=True,
                          text=True, **kwargs)


def interpreter(user) -> str:
    """A Python of this one's minor version that the account may run (this venv's may live under /root)."""
    for candidate in CANDIDATES:
        if not os.path.exists(candidate):
            continue
        try:
            probe = as_user(user, [candidate, "-c", "import sys; print(sys.version_info[:2])"], timeout=30)
        except OSError:  # not executable by the account (a venv whose interpreter lives under /root)
            continue
        if probe.returncode == 0 and probe.stdout.strip() == str(sys.version_info[:2]):
            return candidate
    pytest.skip(f"no Python {sys.version_info.major}.{sys.version_info.minor} the account {ACCOUNT} may run "
                f"(tried {', '.join(CANDIDATES)})")


def nlb_verdicts(report: Path) -> dict[str, str]:
    results = json.loads((report / "report.json").read_text())["results"]
    return {f"{r['topology']} {r['behaviour']}[{r['variant']}]": r["verdict"] for r in results}


def run_nlb_suite(argv_prefix: list[str], report: Path, env: dict[str, str], user=None,
                  controller: str = "envoy") -> subprocess.CompletedProcess:
    argv = [*argv_prefix, "-m", "pytest", "suites", "-m", "nlb", "-q", "-p", "no:cacheprovider", "--report",
            str(report), "--controller", controller]
    if user is None:
        return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    return as_user(user, argv, cwd=REPO, env=env, timeout=600)


@pytest.fixture
def request_cleanup():
    made: list[Path] = []
    yield made.append
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


# envoy: the generic controller; ingress-nginx: nginx as uid 0 of the user namespace (`user root; master_process off`)
@pytest.mark.parametrize("controller", ["envoy", "ingress-nginx"])
def test_an_unprivileged_user_gets_roots_verdicts(account, tmp_path, request_cleanup, controller):
    python = interpreter(account)
    site = sysconfig.get_paths()["purelib"]  # this venv's packages: the same CPython ABI as `python`
    home = Path(tempfile.mkdtemp(prefix="unprivileged-run-"))  # pytest's own tmp_path is root's alone
    request_cleanup(home)
    os.chown(home, account.pw_uid, account.pw_gid)
    readable = as_user(account, ["test", "-r", str(REPO / "suites" / "test_client_ip.py"), "-a", "-r", site])
    if readable.returncode != 0:
        pytest.skip(f"the checkout {REPO} or {site} is not readable by other accounts")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), site]), "TMPDIR": str(home)}
    theirs = home / "report"
    user_run = run_nlb_suite([python], theirs, env, account, controller)
    assert user_run.returncode == 0, user_run.stdout[-4000:] + user_run.stderr[-2000:]

    ours = tmp_path / "root-report"
    root_run = run_nlb_suite([sys.executable], ours, {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, None, controller)
    assert root_run.returncode == 0, root_run.stdout[-4000:]

    (ran,) = [run["controller"] for run in json.loads((theirs / "report.json").read_text())["runs"]]
    assert ran["name"] == controller, ran
    user_verdicts, root_verdicts = nlb_verdicts(theirs), nlb_verdicts(ours)
    assert user_verdicts == root_verdicts
    client_ip = {cell: v for cell, v in user_verdicts.items() if " client_ip[" in cell}
    assert client_ip and "skip" not in client_ip.values(), client_ip
    assert client_ip["nlb-instance-local client_ip[]"] == "pass"  # preservation measured without root
    left = [p for p in home.iterdir() if p.name.startswith("edgeconform-")]
    assert not left, f"the unprivileged run left work folders: {left}"
