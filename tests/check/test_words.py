"""check.words: a failure's settings said as the user's files say them (the annotation, the ConfigMap key, its
file:line), the controller's own keys found through its plug-in's translation, the default named where the files
set nothing, and the fix in the controller's words."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edgeconform import catalog, controllers, importing
from edgeconform.check import words

EDGE = Path(__file__).resolve().parent / "edges" / "proxy-not-expected"


def imported(folder: Path, tmp_path: Path):
    output = tmp_path / "out" / "edge.yaml"
    output.parent.mkdir()
    result = importing.from_paths([str(folder)], output=output)
    output.write_text(importing.render(result))
    t = catalog.load_file(output)[result.name]
    return controllers.bind(t, t.controller.kind), output, words.Lines(importing.load([str(folder)]), tmp_path)


def test_a_proxy_mismatch_is_said_with_the_annotation_and_the_configmap_key(tmp_path):
    shutil.copytree(EDGE, tmp_path / "edge")
    t, output, lines = imported(tmp_path / "edge", tmp_path)
    assert words.native_keys(t, "controller.proxy_protocol") == ["use-proxy-protocol"]
    said = words.for_failure(t, "client_ip", "", lines, output)
    assert [(i.file, i.line, i.text) for i in said.lines] == [
        ("edge/service.yaml", 12, 'service.beta.kubernetes.io/aws-load-balancer-proxy-protocol: "*"'),
        ("edge/configmap.yaml", 8, 'use-proxy-protocol: "false"')]
    assert said.lines[0].says == ("annotation service.beta.kubernetes.io/aws-load-balancer-proxy-protocol of "
                                  "Service ingress-nginx/ingress-nginx-controller")
    assert said.lines[1].says == "key use-proxy-protocol of ConfigMap ingress-nginx/ingress-nginx-controller"
    assert said.fixes == ['set `use-proxy-protocol: "true"` in the ingress-nginx ConfigMap [NGX-CM]']
    assert [i.field for i in said.lines] == ["load_balancer.proxy_protocol", "controller.proxy_protocol"]


def test_a_key_the_files_leave_out_is_named_with_its_default(tmp_path):
    shutil.copytree(EDGE, tmp_path / "edge")
    config = tmp_path / "edge" / "configmap.yaml"
    config.write_text(config.read_text().replace('  use-proxy-protocol: "false"\n', ""))
    t, output, lines = imported(tmp_path / "edge", tmp_path)
    said = words.for_failure(t, "redirect", "", lines, output)
    unset = [i for i in said.lines if i.field == "controller.proxy_protocol"]
    assert [(i.file, i.line, i.text, i.says) for i in unset] == [
        ("", 0, '`use-proxy-protocol: "false"`', "the default applies")]


def test_a_quoted_line_is_text_cut_and_cleaned(tmp_path):
    shutil.copytree(EDGE, tmp_path / "edge")
    service = tmp_path / "edge" / "service.yaml"
    service.write_text(service.read_text().replace(
        'aws-load-balancer-proxy-protocol: "*"',
        'aws-load-balancer-proxy-protocol: "*"  # \u202e<b>' + "x" * 400))
    t, output, lines = imported(tmp_path / "edge", tmp_path)
    said = words.for_failure(t, "client_ip", "", lines, output)
    text = said.lines[0].text
    assert "\u202e" not in text and "\\u202e" in text and len(text) <= words.TEXT_LIMIT + 40


@pytest.mark.parametrize("kind, words_", [("emissary", "runs in a cluster only"),
                                          ("istio", "runs in a cluster only")])
def test_a_controller_check_cannot_run_here_is_named(kind, words_):
    from edgeconform.check import CheckError, runnable

    if "local" in controllers.controller_class(kind).runs_on:
        pytest.skip(f"{kind} runs locally now")
    with pytest.raises(CheckError, match=words_):
        runnable(kind, "shop")


def test_a_controller_not_built_here_is_unusable_input_with_the_fix(monkeypatch, tmp_path):
    from edgeconform import binaries
    from edgeconform.check import CheckError, runnable

    monkeypatch.setenv("EDGECONFORM_TOOLS_BIN", str(tmp_path))
    monkeypatch.delenv("EDGECONFORM_ENVOY_GATEWAY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    binaries.find.cache_clear()
    binaries.version.cache_clear()
    try:
        with pytest.raises(CheckError, match=r"envoy-gateway not found: build it with `\./dev tools`"):
            runnable("envoy-gateway", "shop")
    finally:
        binaries.find.cache_clear()
        binaries.version.cache_clear()
