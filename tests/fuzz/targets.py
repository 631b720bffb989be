"""What the fuzzers run, without the fuzzer: ``import_manifests(data)`` reads bytes as ``edgeconform import`` reads a
manifests file (the reading layer, the shape of every field, every reader, the topology check) and renders the
topology file it would write. A refusal (ImportFailed) is what hostile input should get; any other exception is a
crash. The atheris target (import_target.py) and the replay of kept crashes (test_fuzz.py) both call it."""

from __future__ import annotations

from pathlib import Path

from edgeconform import findings, importing, untrusted
from edgeconform.importing import build, documents

PATH = Path("fuzz-manifests.yaml")


def import_manifests(data: bytes) -> importing.Imported | None:
    """The import of ``data`` (None: refused, as it should be)."""
    try:
        text = untrusted.decode(data, PATH)
        docs = documents.load_text(PATH, text)
        # origin "<fuzz>": the manifest lines it cites are not looked up on disk (there is no such file)
        result = build.topology(docs, Path.cwd(), inputs=[str(PATH)], origin="<fuzz>")
    except (importing.ImportFailed, untrusted.Refused):
        return None
    importing.render(result)
    findings.findings(result.topology)
    return result
