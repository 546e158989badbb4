"""Extraction in a child process that is killed and replaced when a record runs over its limit.

SIGALRM cannot stop a parser busy in C (lxml, lexbor): `extract.timeout_s: 5` let a hostile page run
for minutes. A child interpreter can always be stopped: `ExtractorProcess` sends it one page at a time over
a pipe and, when the page has used more than `cpu_limit_s` of the child's CPU time, SIGKILLs it,
reaps it and starts a new one for the next page.

The limit counts CPU seconds, not wall seconds, so that a loaded machine (other workers, other jobs)
does not turn a slow page into a timeout: only a page that really needs more CPU than the limit is
dropped. A child that stops using CPU without answering (swapped out, stopped) is cut off after
`WALL_CLOCK_FACTOR` times the limit in wall time.

One child per process and settings serves all the tasks that process runs (`shared_extractor`):
starting one (an interpreter and trafilatura's imports) costs as much as extracting many pages,
which per task would weigh on a run of small files (start-up time: README, Stages). No child
outlives its owner: it asks Linux for SIGKILL when the process that started it dies
(PR_SET_PDEATHSIG), exits at end of input on its stdin (the pipe closes with the owner), and a
finalizer ends it when the owner exits normally.

Protocol (stdin/stdout of the child): a request is an 8-byte big-endian length and the page as UTF-8
(lone surrogates passed through); a response is a status byte, the child's CPU seconds so far
(8-byte float) and an 8-byte length, then UTF-8 text (the extraction, or the error's type name).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import time
import weakref
from dataclasses import asdict
from pathlib import Path

from corpus_builder.text.extract import (
    PAGE_ERRORS,
    ExtractionFailed,
    ExtractionTimeout,
    ExtractSettings,
    make_extractor,
)

#: A child that answers nothing while using no CPU is given up after this many times the CPU limit.
WALL_CLOCK_FACTOR = 10
#: Far above an interpreter's start-up and the extractor's imports on an idle machine: a loaded
#: machine may need far more.
STARTUP_TIMEOUT_S = 300.0

#: Pipe buffer asked for: Linux's default ceiling for unprivileged processes (pipe-max-size), larger
#: than most HTML pages.
PIPE_BYTES = 1 << 20

_REQUEST = struct.Struct(">Q")
_RESPONSE = struct.Struct(">cdQ")
_READY, _TEXT, _FAILED, _BUG = b"R", b"T", b"F", b"B"


class ExtractorCrashed(Exception):
    """The child died while extracting a page (a crash in C code, an OOM kill)."""


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process from /proc (None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    # fields after the command name: state is fields[0], utime and stime are fields 11 and 12
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read_exactly(fd: int, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _widen(fd: int) -> None:
    """A page crosses a 64 KiB pipe (Linux's default) in many writes, each a hand-over between the two
    processes; on a loaded machine each hand-over waits for a time slice (the wall column of
    `python -m bench.hard_limit`). One write for most pages instead."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        # above /proc/sys/fs/pipe-max-size the pipe keeps its size: slower, not wrong
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _end(process: subprocess.Popen, owner: int) -> None:
    """Kill and reap a child (no zombie), closing our ends of its pipes."""
    if os.getpid() != owner:
        return  # a forked copy of the owner: the child is not ours to kill
    if process.poll() is None:
        process.kill()
    process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()


class ExtractorProcess:
    """`extract(html)` as `make_extractor(settings)` would, in a child process with a hard CPU limit."""

    def __init__(self, settings: ExtractSettings, cpu_limit_s: float) -> None:
        self.settings = settings
        self.cpu_limit_s = cpu_limit_s
        self.restarts = 0
        self._process: subprocess.Popen | None = None
        self._cpu_before = 0.0
        self._finalizer: weakref.finalize | None = None

    def _start(self) -> subprocess.Popen:
        # The child must import this checkout of the package, whatever the parent's sys.path was made of.
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(os.getpid()), json.dumps(asdict(self.settings))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self._finalizer = weakref.finalize(self, _end, process, os.getpid())
        for pipe in (process.stdin, process.stdout):
            _widen(pipe.fileno())  # type: ignore[union-attr]
        try:
            status, cpu, payload = self._receive(process, STARTUP_TIMEOUT_S, cpu_limit=None)
        except (EOFError, ExtractionTimeout):
            self._finalizer()
            raise RuntimeError(
                f"the extraction worker ({sys.executable} -m {__name__}) did not start "
                f"(exit code {process.returncode}); its error, if any, is on stderr"
            ) from None
        if status != _READY:
            self._finalizer()
            raise RuntimeError(f"the extraction worker did not start: {_decode(payload)}")
        self._cpu_before = cpu
        return process

    def _receive(
        self, process: subprocess.Popen, wall_limit: float, cpu_limit: float | None
    ) -> tuple[bytes, float, bytes]:
        assert process.stdout is not None
        fd = process.stdout.fileno()
        started = time.monotonic()
        deadline = started + wall_limit
        # CPU time cannot grow faster than wall time, so waiting for what is left of the CPU budget never
        # overshoots it, and the first wait needs no look at /proc (most pages end within it).
        cpu_left = cpu_limit
        while True:
            wait = deadline - time.monotonic()
            if cpu_left is not None:
                wait = min(wait, cpu_left)
            if wait <= 0:
                raise ExtractionTimeout
            readable, _, _ = select.select([fd], [], [], max(wait, 0.01))
            if readable:
                status, cpu, size = _RESPONSE.unpack(_read_exactly(fd, _RESPONSE.size))
                return status, cpu, _read_exactly(fd, size)
            if cpu_limit is not None:
                used = _cpu_seconds(process.pid)
                # without /proc, the wall time since the page was sent bounds the CPU time from above
                used = time.monotonic() - started if used is None else used - self._cpu_before
                cpu_left = cpu_limit - used

    def extract(self, html: str) -> str:
        """The page's text; ExtractionTimeout over the limit, ExtractionFailed or ExtractorCrashed on a
        page the parser cannot handle. The child is replaced after a timeout or a crash."""
        if self._process is not None and self._process.poll() is not None:
            # It died between pages (e.g. the thread that started it ended, which fires PDEATHSIG):
            # not this page's doing, so start a new one and give the page its chance.
            self.close()
        if self._process is None:
            self._process = self._start()
        process = self._process
        assert process.stdin is not None
        data = _encode(html)
        try:
            _write_all(process.stdin.fileno(), _REQUEST.pack(len(data)) + data)
            status, cpu, payload = self._receive(
                process, self.cpu_limit_s * WALL_CLOCK_FACTOR, cpu_limit=self.cpu_limit_s
            )
        except ExtractionTimeout:
            self._replace()
            raise
        except (EOFError, BrokenPipeError):
            self._replace()
            raise ExtractorCrashed(f"exit code {process.returncode}") from None
        self._cpu_before = cpu
        if status == _TEXT:
            return _decode(payload)
        if status == _FAILED:
            raise ExtractionFailed(_decode(payload))
        raise RuntimeError(f"the extractor raised {_decode(payload)}")

    def _replace(self) -> None:
        self.close()
        self.restarts += 1

    def forget(self) -> None:
        """Drop the child without ending it (it belongs to the process this one was forked from)."""
        if self._finalizer is not None:
            self._finalizer.detach()
        if self._process is not None:
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    pipe.close()
        self._process = self._finalizer = None

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._process = self._finalizer = None


_SHARED: dict[tuple[ExtractSettings, float], ExtractorProcess] = {}


def _forget_after_fork() -> None:
    """A forked process (a pool worker) starts its own children: the parent's are not its to use or
    end, and its copies of their pipes would keep a child's stdin open after the parent died."""
    for extractor in _SHARED.values():
        extractor.forget()
    _SHARED.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def shared_extractor(settings: ExtractSettings, cpu_limit_s: float) -> ExtractorProcess:
    """This process's extraction worker for these settings, reused across tasks."""
    key = (settings, cpu_limit_s)
    if key not in _SHARED:
        _SHARED[key] = ExtractorProcess(settings, cpu_limit_s)
    return _SHARED[key]


# ------------------------------------------------------------------------------------------ the child


def _die_with_parent(parent: int) -> bool:
    """PR_SET_PDEATHSIG, as executors/local.py asks for its pool workers (importing that module
    would add datatrove's imports to every worker's start-up). False if the parent is already gone."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    return os.getppid() == parent


def _serve(parent: int, settings: ExtractSettings) -> None:
    if not _die_with_parent(parent):
        return
    # stdout carries the protocol only: anything a library prints goes to stderr instead.
    requests, responses = sys.stdin.buffer.fileno(), os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    def respond(status: bytes, text: str) -> None:
        data = _encode(text)
        _write_all(responses, _RESPONSE.pack(status, time.process_time(), len(data)) + data)

    extract = make_extractor(settings)
    respond(_READY, "")
    while True:
        try:
            (size,) = _REQUEST.unpack(_read_exactly(requests, _REQUEST.size))
            html = _decode(_read_exactly(requests, size))
        except EOFError:
            return  # the owner closed the pipe or died
        try:
            text = extract(html)
        except PAGE_ERRORS as exc:
            respond(_FAILED, type(exc).__name__)
            continue
        except Exception as exc:  # noqa: BLE001 - reported to the owner, where it fails the task
            respond(_BUG, f"{type(exc).__name__}: {exc}")
            continue
        respond(_TEXT, text)


if __name__ == "__main__":
    _serve(int(sys.argv[1]), ExtractSettings(**json.loads(sys.argv[2])))
