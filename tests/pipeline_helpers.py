"""Shared by the end-to-end tests: a generated sample and a pipeline file pointing at it."""

from __future__ import annotations

import hashlib
from pathlib import Path

PIPELINE = """\
name: e2e
seed: 0
sources:
  - name: cc
    kind: commoncrawl
    snapshot: CC-MAIN-2024-10
    paths: ["{inputs}/*.warc.gz"]
stages:
  - step: decode
  - step: extract
  - step: langid
    keep: {{ja: 0.65, en: 0.65}}
  - step: quality
    preset: swallow
    languages: [ja]
output:
  dir: {output}
executor:
  workers: {workers}
"""


def write_pipeline(path: Path, inputs: Path, output: Path, workers: int = 1) -> Path:
    path.write_text(PIPELINE.format(inputs=inputs, output=output, workers=workers), encoding="utf-8")
    return path


def output_digests(output: Path) -> dict[str, str]:
    """sha256 of every data file and the manifest (logs and timings excluded)."""
    digests = {}
    for path in sorted(output.rglob("*")):
        relative = path.relative_to(output).as_posix()
        if path.is_file() and not relative.startswith("_logs/"):
            digests[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests
