"""The reading layer's own rules (edgeconform.untrusted): what passes, what is refused and how it is said, and the
limits raised by EDGECONFORM_LIMITS. The hostile corpus (tests/hostile) runs the same rules through every command."""

from __future__ import annotations

import os

import pytest

from edgeconform import untrusted
from edgeconform.untrusted import Refused


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_limits_are_raised_by_the_environment_and_a_bad_setting_is_named(monkeypatch):
    assert untrusted.limits() == untrusted.Limits()
    monkeypatch.setenv("EDGECONFORM_LIMITS", "depth=100, files=9")
    assert (untrusted.limits().depth, untrusted.limits().files) == (100, 9)
    deep = "".join("  " * i + "k:\n" for i in range(80)) + "  " * 80 + "x: 1\n"
    assert untrusted.yaml_documents("deep.yaml", deep)  # 80 deep: within the raised limit
    monkeypatch.setenv("EDGECONFORM_LIMITS", "depth=lots")
    assert "'depth=lots' is not NAME=NUMBER with NAME one of alias_nodes, depth" in refused(untrusted.limits)


def test_messages_show_control_and_bidi_characters_as_escapes_and_cut_long_values():
    assert untrusted.clean("a\x1b[2Jb\u202ec\nd\te") == "a\\x1b[2Jb\\u202ec\\nd\te"
    assert len(untrusted.clean("x" * 10_000)) < 2100 and "characters cut" in untrusted.clean("x" * 10_000)
    assert untrusted.shown("y" * 500).endswith("…(502 characters)") and untrusted.shown([1, 2]) == "a list of 2"


def test_text_must_be_utf8_without_nul(tmp_path):
    for data, words in [(b"a: 1\nb: \x00\n", "t.yaml:2: a NUL byte"), ("a: é".encode("latin-1"), "t.yaml:1: not UTF-8"),
                        ("a: 1".encode("utf-16"), "t.yaml:1: UTF-16 text"),
                        ("a: 1".encode("utf-32"), "t.yaml:1: UTF-32 text")]:
        assert words in refused(untrusted.decode, data, "t.yaml")
    assert untrusted.decode("a: é\n".encode(), "t.yaml") == "a: é\n"


def test_only_regular_files_within_the_size_limit_are_read(tmp_path, monkeypatch):
    assert "not a regular file (a FIFO, socket or device)" in refused(untrusted.read_text, "/dev/zero")
    assert "a folder: give a file" in refused(untrusted.read_text, tmp_path)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 2048)
    monkeypatch.setenv("EDGECONFORM_LIMITS", "file_bytes=1024")
    assert "big.yaml: larger than 0 MB" in refused(untrusted.read_text, big)


def test_a_folder_is_walked_within_itself(tmp_path):
    folder = tmp_path / "k8s"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.yaml").write_text("a: 1\n")
    (folder / "sub" / "b.yml").write_text("b: 1\n")
    (folder / "notes.txt").symlink_to("/etc/hostname")  # not read: not a manifest, wherever it leads
    (folder / "again.yaml").symlink_to("a.yaml")  # the same file: read once
    (folder / "link").symlink_to("sub")  # a folder of the tree: walked once
    (tmp_path / "elsewhere.yaml").write_text("secret: 1\n")
    found = untrusted.files([folder], (".yaml", ".yml"))
    assert sorted(p.resolve().name for p in found) == ["a.yaml", "b.yml"]
    (folder / "out.yaml").symlink_to("../elsewhere.yaml")
    assert "out.yaml: a symlink that leads out of" in refused(untrusted.files, [folder], (".yaml",))
    (folder / "out.yaml").unlink()
    (folder / "gone.yaml").symlink_to("nowhere.yaml")
    assert "gone.yaml: a symlink to nowhere.yaml, which does not exist" in refused(untrusted.files, [folder], (".yaml",))
    (folder / "gone.yaml").unlink()
    (folder / "sub" / "up").symlink_to("..")
    assert "up: a symlink to" in refused(untrusted.files, [folder], (".yaml",))


def test_a_walk_leaves_out_dot_names_refuses_what_is_no_regular_file_and_can_stay_in_one_folder(tmp_path):
    folder = tmp_path / "k8s"
    (folder / ".terraform" / "modules").mkdir(parents=True)
    (folder / ".terraform" / "modules" / "x.yaml").write_text("x: 1\n")  # downloaded, not the user's
    (folder / ".editor.yaml").write_text("x: 1\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "b.yaml").write_text("b: 1\n")
    (folder / "a.yaml").write_text("a: 1\n")
    assert [p.name for p in untrusted.files([folder], (".yaml",))] == ["a.yaml", "b.yaml"]
    assert [p.name for p in untrusted.files([folder], None, recursive=False)] == ["a.yaml"]
    (folder / "Kustomization").write_text("resources: []\n")
    assert [p.name for p in untrusted.files([folder], (".tf",), names=("Kustomization",))] == ["Kustomization"]
    os.mkfifo(folder / "sub" / "pipe.yaml")
    assert "pipe.yaml: not a regular file (a FIFO, socket or device)" in refused(untrusted.files, [folder], None)


def test_a_programs_output_is_read_as_a_file_and_refusals_name_the_input(tmp_path, monkeypatch):
    out = tmp_path / "stdout"
    out.write_bytes(b"kind: ConfigMap\n")
    assert untrusted.read_output(out, source="chart/Chart.yaml", what="what helm wrote") == "kind: ConfigMap\n"
    out.write_bytes(b"a: \x00\n")
    assert refused(untrusted.read_output, out, source="chart/Chart.yaml", what="what helm wrote") == \
        "chart/Chart.yaml:1: what helm wrote: a NUL byte: this is a binary file, not text"
    monkeypatch.setenv("EDGECONFORM_LIMITS", "file_bytes=4")
    assert untrusted.file_size_limit() == 5
    assert "chart/Chart.yaml: what helm wrote is larger than 0 MB: no edge renders to this much" in refused(
        untrusted.read_output, out, source="chart/Chart.yaml", what="what helm wrote")


def test_a_report_directorys_file_may_not_lead_out(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "secret.json").write_text("{}")
    (tmp_path / "run" / "report.json").symlink_to("../secret.json")
    assert "a symlink that leads out of" in refused(untrusted.member, tmp_path / "run", "report.json")


def test_aliases_within_the_budget_and_every_keys_line(tmp_path):
    text = "base: &b {port: 80, name: x}\nitems: [*b, *b]\nmerged:\n  <<: *b\n  extra: 1\n"
    [doc] = untrusted.yaml_documents("t.yaml", text)
    assert doc.data["items"][1] == {"port": 80, "name": "x"} and doc.data["merged"]["extra"] == 1
    assert doc.lines[("merged", "extra")] == 5 and doc.lines[("base", "port")] == 1


def test_documents_and_nodes_count_across_the_files_of_one_command(monkeypatch):
    monkeypatch.setenv("EDGECONFORM_LIMITS", "documents=3,nodes=20")
    budget = untrusted.Budget()
    untrusted.yaml_documents("a.yaml", "--- {a: 1}\n--- {b: 1}\n", budget)
    assert "b.yaml:2: more than 3 YAML documents in all" in refused(
        untrusted.yaml_documents, "b.yaml", "--- {a: 1}\n--- {b: 1}\n", budget)
    assert "c.yaml:1: more than 20 YAML nodes in all" in refused(untrusted.yaml_documents, "c.yaml", str(list(range(30))))


def test_json_is_held_to_the_depth_and_to_numbers_python_reads():
    assert untrusted.json_loads('{"a": [1, 2]}', "r.json") == {"a": [1, 2]}
    assert "r.json: JSON nested more than 64 deep" in refused(untrusted.json_loads, "[" * 70 + "]" * 70, "r.json")
    assert "r.json: JSON nested more than 64 deep" in refused(untrusted.json_loads, "[" * 9000 + "]" * 9000, "r.json")
    assert "a number of more than 4300 digits" in refused(untrusted.json_loads, "1" * 5000, "r.json")
    assert refused(untrusted.json_loads, '{"a":\n  1,\n  ]', "r.json").startswith("r.json:3: not JSON: ")


def test_a_file_edgeconform_reads_is_never_kept_open(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        untrusted.yaml_document(path)
    assert len(os.listdir("/proc/self/fd")) == before
