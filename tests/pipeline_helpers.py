"""Shared by the end-to-end tests: a pipeline with every phase (documents, dedup, decontaminate,
tokenize, mixture), output checksums, and killing a run."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

DOCUMENTS_ONLY = """\
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

PIPELINE = DOCUMENTS_ONLY.replace(
    "output:",
    """dedup:
  partitions: 3
decontaminate:
  sets:
    - {{name: ja-quiz, paths: ["{inputs}/eval/ja-quiz.jsonl"], fields: [question, choices], id_field: id}}
    - name: en-reading
      paths: ["{inputs}/eval/en-reading.jsonl"]
      fields: [passage, question]
      id_field: id
      action: cut
tokenize:
  train: {{vocab_size: 1000, sample_docs: {{ja: 1000, en: 1000}}}}
mixture:
  subsets: {{cc/ja: {{epochs: 2}}, cc/en: {{epochs: 1}}}}
  shard_tokens: 20000
output:""",
)


def write_pipeline(
    path: Path, inputs: Path, output: Path, workers: int = 1, *, documents_only: bool = False
) -> Path:
    template = DOCUMENTS_ONLY if documents_only else PIPELINE
    path.write_text(template.format(inputs=inputs, output=output, workers=workers), encoding="utf-8")
    return path


def output_digests(output: Path) -> dict[str, str]:
    """sha256 of every data file and the manifest (logs and timings excluded)."""
    digests = {}
    for path in sorted(output.rglob("*")):
        relative = path.relative_to(output).as_posix()
        if path.is_file() and not relative.startswith("_logs/"):
            digests[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def processes_running(pipeline: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().split(") ", 1)[1][0]
            except OSError:
                continue
            if str(pipeline).encode() in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


def assert_no_survivors(pipeline: Path) -> None:
    """Pool workers and the progress manager die with the killed driver (PR_SET_PDEATHSIG)."""
    deadline = time.monotonic() + 10
    while (survivors := processes_running(pipeline)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not survivors, f"processes outlived the killed run: {survivors}"


def corpus_build(*args: str, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`corpus-build ARGS` in a child process (this interpreter), output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "corpus_builder", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def run_and_kill(
    command: list[str], pipeline: Path, when: Callable[[], bool], env: dict[str, str] | None = None
) -> bool:
    """Start `command` (a run of `pipeline`) and SIGKILL it once `when()` holds; False if it finished
    first. After the kill, no process of the run may be left."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if when():
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                if process.returncode != -signal.SIGKILL:
                    return False  # it had finished between the check and the kill
                assert_no_survivors(pipeline)
                return True
            if process.poll() is not None:
                return False
            time.sleep(0.002)
        raise AssertionError("the kill condition never held")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
