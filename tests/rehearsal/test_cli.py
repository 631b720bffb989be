"""edgeconform rehearse's input handling, without a control plane: unusable input exits 2 with one line naming the
cause; a control plane that cannot run here exits 3 naming what is missing and how to get it."""

from __future__ import annotations

import pytest

from edgeconform.cli import main
from edgeconform.rehearsal import components


def run(capsys, *argv) -> tuple[int, str]:
    code = main(["rehearse", *argv])
    return code, capsys.readouterr().err


def test_unknown_topology_is_unusable_input(capsys):
    code, err = run(capsys, "no-such-edge")
    assert code == 2 and "'no-such-edge' is neither a topology" in err and "nlb-proxy-v2" in err


def test_nothing_to_rehearse(capsys):
    code, err = run(capsys)
    assert code == 2 and "nothing to rehearse" in err


def test_topologies_and_manifests_are_not_mixed(capsys, tmp_path):
    manifest = tmp_path / "svc.yaml"
    manifest.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n")
    code, err = run(capsys, "nlb-ip", str(manifest))
    assert code == 2 and "not both" in err


def test_expect_names_a_known_topology(capsys, tmp_path):
    manifest = tmp_path / "svc.yaml"
    manifest.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n")
    code, err = run(capsys, str(manifest), "--expect", "nope")
    assert code == 2 and "--expect 'nope'" in err


def test_a_missing_build_is_one_named_error(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("EDGECONFORM_TOOLS_BIN", str(tmp_path))  # nothing built there
    monkeypatch.delenv("EDGECONFORM_KUBE_APISERVER", raising=False)
    monkeypatch.setenv("EDGECONFORM_ETCD", "/bin/true")
    code, err = run(capsys, "nlb-ip")
    assert code == 3
    assert "kube-apiserver not found: build it with `./dev tools` (needs Go; pinned in tools/kubernetes/go.mod)" in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_etcd_names_the_package(monkeypatch):
    monkeypatch.setenv("EDGECONFORM_ETCD", "")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(components.RehearsalError, match="apt-get install etcd-server"):
        components.find()


def test_an_override_that_is_not_a_program_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("EDGECONFORM_ETCD", "/bin/true")
    monkeypatch.setenv("EDGECONFORM_KUBE_APISERVER", str(tmp_path / "missing"))
    with pytest.raises(components.RehearsalError, match="EDGECONFORM_KUBE_APISERVER=.* is not an executable file"):
        components.find()
