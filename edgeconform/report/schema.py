"""The JSON Schema of report.json, generated from the report model.

    python -m edgeconform.report.schema          rewrite edgeconform/report/report.schema.json
    python -m edgeconform.report.schema --check  exit 1 when the committed file is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .model import Report

PATH = Path(__file__).with_name("report.schema.json")
ID = "urn:edgeconform:report-schema:1"  # a name, not an address: nothing fetches it


def generate() -> dict:
    schema = Report.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": ID, **schema}


def text() -> str:
    return json.dumps(generate(), indent=2) + "\n"


def load() -> dict:
    return json.loads(PATH.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        if PATH.read_text(encoding="utf-8") != text():
            print(f"{PATH} is stale: run python -m edgeconform.report.schema", file=sys.stderr)
            return 1
        return 0
    PATH.write_text(text(), encoding="utf-8")
    print(PATH)
    return 0


if __name__ == "__main__":
    sys.exit(main())
