"""The JSON Schemas of report.json and of compare's migration.json, generated from their models.

    python -m edgeconform.report.schema          rewrite report.schema.json and migration.schema.json
    python -m edgeconform.report.schema --check  exit 1 when a committed file is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from .migration import MigrationReport
from .model import Report

PATH = Path(__file__).with_name("report.schema.json")
ID = "urn:edgeconform:report-schema:1"  # a name, not an address: nothing fetches it
MIGRATION_PATH = Path(__file__).with_name("migration.schema.json")
MIGRATION_ID = "urn:edgeconform:migration-schema:1"
SCHEMAS: dict[Path, tuple[type[BaseModel], str]] = {PATH: (Report, ID), MIGRATION_PATH: (MigrationReport, MIGRATION_ID)}


def generate(path: Path = PATH) -> dict:
    model, name = SCHEMAS[path]
    schema = model.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": name, **schema}


def text(path: Path = PATH) -> str:
    return json.dumps(generate(path), indent=2) + "\n"


def load(path: Path = PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        stale = [path for path in SCHEMAS if path.read_text(encoding="utf-8") != text(path)]
        for path in stale:
            print(f"{path} is stale: run python -m edgeconform.report.schema", file=sys.stderr)
        return 1 if stale else 0
    for path in SCHEMAS:
        path.write_text(text(path), encoding="utf-8")
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
