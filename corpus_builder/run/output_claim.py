"""Who may write into an output directory: one run at a time (a lock), and only the run whose
configuration, input list and input bytes made what is already there (the run identity).

Input fingerprints: size, mtime and the sha256 of the size plus the first and last
`FINGERPRINT_SAMPLE_BYTES` of the file. Not the whole file: a Common Crawl WARC is ~1 GB and a
snapshot ~90,000 of them, so a full hash would read every input a second time before the run starts
(bench/input_fingerprint.py measures both on a 1 GB file). The ends are what differ between two WARC
files (the first record's id and date, the last record's), and the size and mtime catch appends,
truncation and rewrites in place. Remote inputs (URLs) carry no fingerprint: they are not read twice.

The manifest records size and sampled hash only (a function of the bytes, so two runs on copies of the
same files give the same manifest); `_logs/run_identity.json` adds the mtime, so that a file rewritten
in place with the same size and ends is still refused on resume.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shlex
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import orjson
from datatrove.io import get_datafolder

from corpus_builder.contracts import outputs
from corpus_builder.contracts.errors import BadInputError
from corpus_builder.sources.tasks import InputTask
from corpus_builder.writers.atomic import atomic_open

#: Bytes hashed from each end of a local input (see the module docstring for why not all of it).
FINGERPRINT_SAMPLE_BYTES = 1 << 20


class OutputClaimError(BadInputError):
    """The output directory is in use by another run, or holds the output of other inputs or config."""


def input_fingerprint(path: str) -> dict[str, Any] | None:
    """size, mtime_ns and sha256 of (size, first and last FINGERPRINT_SAMPLE_BYTES) of a local file."""
    if "://" in path:
        return None
    with open(path, "rb") as f:
        stat = os.fstat(f.fileno())
        digest = hashlib.sha256(stat.st_size.to_bytes(8, "little"))
        digest.update(f.read(FINGERPRINT_SAMPLE_BYTES))
        if stat.st_size > FINGERPRINT_SAMPLE_BYTES:
            f.seek(max(FINGERPRINT_SAMPLE_BYTES, stat.st_size - FINGERPRINT_SAMPLE_BYTES))
            digest.update(f.read(FINGERPRINT_SAMPLE_BYTES))
    return {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256_ends": digest.hexdigest()}


def input_fingerprints(tasks: list[InputTask]) -> dict[str, dict[str, Any] | None]:
    """Fingerprint of each task's input, keyed by its provenance label."""
    try:
        return {task.label: input_fingerprint(task.path) for task in tasks}
    except OSError as exc:
        raise OutputClaimError(f"cannot read input {exc.filename}: {exc.strerror}") from None


def _changed(label: str, before: dict[str, Any], now: dict[str, Any]) -> str:
    what = [
        f"{name} {before.get(key)} -> {now.get(key)}"
        for key, name in (("bytes", "size"), ("mtime_ns", "mtime_ns"), ("sha256_ends", "sha256 of its ends"))
        if before.get(key) != now.get(key)
    ]
    return f"input {label} changed since this output was started ({'; '.join(what)})"


def claim_output(output_dir: str, config_sha256: str, inputs: dict[str, dict[str, Any] | None]) -> None:
    """Record (or check) which configuration and input bytes this output directory belongs to.

    Raises OutputClaimError naming the changed input or the different configuration; the identity file
    is written with write-then-rename, so a full disk or a kill never leaves an empty one behind."""
    folder = get_datafolder(output_dir)
    folder.makedirs(outputs.LOGS, exist_ok=True)
    previous: dict[str, Any] | None = None
    if folder.exists(outputs.RUN_IDENTITY):
        with folder.open(outputs.RUN_IDENTITY, "rb") as f:
            try:
                previous = orjson.loads(f.read())
            except orjson.JSONDecodeError:
                # Only a version that wrote this file in place can leave it empty or cut (its write
                # failed, and the claim comes before any output): nothing here belongs to another run.
                previous = None
    if previous is not None:
        if previous.get("config_sha256") != config_sha256:
            raise OutputClaimError(
                f"{output_dir} holds the output of a different configuration or input list; "
                "choose another --output or remove it"
            )
        recorded = previous.get("inputs")
        if recorded is not None:
            for label, now in inputs.items():
                before = recorded.get(label)
                if before != now:
                    raise OutputClaimError(
                        _changed(label, before or {}, now or {})
                        + f"; its old outputs in {output_dir} would mix with new ones: restore the file, "
                        "or choose another --output or remove it"
                    )
            return
    identity = {"config_sha256": config_sha256, "inputs": inputs}
    with atomic_open(folder, outputs.RUN_IDENTITY) as f:
        f.write(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))


def manifest_inputs(inputs: dict[str, dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """The part of each fingerprint that depends only on the file's bytes (for the manifest)."""
    return {
        label: {"bytes": fp["bytes"], "sha256_ends": fp["sha256_ends"]}
        for label, fp in inputs.items()
        if fp is not None
    }


@contextlib.contextmanager
def output_lock(output_dir: str) -> Iterator[None]:
    """Hold an exclusive flock on `<output>/_logs/run.lock` for the block; the kernel releases it when
    the process ends however it ends, so a killed run never leaves a stale lock. The file names the
    holder (pid, host, start time, command) for the message a second run prints.

    Only local output directories are locked: object stores have no such lock, so two runs into one
    `s3://` output are not detected."""
    if "://" in output_dir:
        yield
        return
    os.makedirs(os.path.join(output_dir, outputs.LOGS), exist_ok=True)
    path = os.path.join(output_dir, outputs.RUN_LOCK)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "(not yet described)"
            raise OutputClaimError(
                f"{output_dir} is in use by another run: {holder}; "
                "wait for it to end or choose another --output"
            ) from None
        holder = (
            f"pid {os.getpid()} on {socket.gethostname()}, started "
            f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}: {shlex.join(sys.argv)}"
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode() + b"\n", 0)
        yield
    finally:
        os.close(fd)  # releases the lock
