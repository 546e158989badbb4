"""Open pipeline inputs (local paths, HTTP(S), S3, any fsspec URL) as streams, with retries.

Why HTTP(S) goes through ``requests`` and not fsspec's HTTP filesystem:

* we need the status code of the *first* response to decide between "retry" (429, 5xx) and "fail now"
  (404, 403).  fsspec's HTTPFileSystem wraps aiohttp and turns statuses into generic exceptions, and it
  first issues HEAD/size probes whose failures look different from the GET's;
* fsspec's HTTPFile reads in blocks via Range requests (or downloads the whole file when the server
  does not advertise a size), while a WARC wants one plain streaming GET;
* resuming an interrupted download is a single ``Range: bytes=N-`` request we control.

Everything else (``s3://``, ``gs://``, ``file://`` ...) goes through :func:`fsspec.open`, with the same
retry loop around opening.  Local paths use the built-in ``open`` (buffered, seekable).

Nothing here reads a whole WARC into memory: HTTP bodies are streamed from the socket.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import time
from collections.abc import Callable
from typing import BinaryIO, TypeVar
from urllib.parse import urlsplit

import requests

from corpus_builder.contracts.errors import BadInputError
from corpus_builder.sources.local_inputs import InputFileError, expand_local, file_identity

__all__ = ["RemoteInputError", "open_input", "read_path_list", "expand_inputs"]

#: HTTP statuses worth another attempt, for every HTTP client of the project (inputs, crawler, KAKEN).
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_FATAL_STATUS = {403: PermissionError, 404: FileNotFoundError, 410: FileNotFoundError}
_MAX_SLEEP_S = 60.0
_T = TypeVar("_T")


class RemoteInputError(BadInputError, OSError):
    """Opening or reading an input failed after all retries (or failed in a way retries cannot fix)."""


class _Retryable(Exception):
    """Internal: a failure worth another attempt (at most `attempts` in all, when given)."""

    def __init__(self, reason: str, attempts: int | None = None) -> None:
        super().__init__(reason)
        self.attempts = attempts


# A host name that does not resolve is tried twice, not `retries + 1` times: a resolver hiccup gets a
# second chance, while a machine without network learns so in seconds instead of minutes of back-off.
_UNRESOLVED_ATTEMPTS = 2


def _unresolved_host(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ == "NameResolutionError" or "Name or service not known" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return "Failed to resolve" in str(exc)


def _is_url(s: str) -> bool:
    return "://" in s and not s.startswith("file://")


def backoff_delay(attempt: int, backoff_s: float) -> float:
    """Seconds to wait after failed attempt `attempt` (0-based): exponential, capped, with jitter that
    spreads many workers hitting the same throttled server. The one back-off of every HTTP client here."""
    return min(_MAX_SLEEP_S, backoff_s * (2**attempt)) * (0.5 + random.random() / 2)


def _sleep_backoff(attempt: int, backoff_s: float) -> None:
    time.sleep(backoff_delay(attempt, backoff_s))


def _with_retries(url: str, retries: int, backoff_s: float, fn: Callable[[], _T]) -> _T:
    last = "unknown error"
    allowed = retries + 1
    attempt = 0
    while True:
        try:
            return fn()
        except _Retryable as e:
            last = str(e)
            allowed = min(allowed, e.attempts or allowed)
        attempt += 1
        if attempt >= allowed:
            break
        _sleep_backoff(attempt - 1, backoff_s)
    raise RemoteInputError(f"giving up on {url} after {attempt} attempts: {last}")


class _HTTPStream(io.RawIOBase):
    """Streaming body of a GET; transparently resumes with a Range request after a read error."""

    def __init__(self, url: str, retries: int, backoff_s: float, timeout_s: float) -> None:
        super().__init__()
        self.url = url
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.session = requests.Session()
        self.pos = 0
        self.resp: requests.Response | None = None
        self.accept_ranges = False
        self._connect()

    def _get(self, start: int) -> requests.Response:
        headers = {"Accept-Encoding": "identity"}  # we want the file's bytes, not a re-encoding
        if start:
            headers["Range"] = f"bytes={start}-"
        try:
            resp = self.session.get(self.url, stream=True, timeout=self.timeout_s, headers=headers)
        except (requests.ConnectionError, requests.Timeout) as e:
            if _unresolved_host(e):
                host = urlsplit(self.url).hostname
                raise _Retryable(
                    f"cannot resolve host {host!r} (no network, or a wrong host name): {e}",
                    attempts=_UNRESOLVED_ATTEMPTS,
                ) from e
            raise _Retryable(f"{type(e).__name__}: {e}") from e
        if resp.status_code in _FATAL_STATUS:
            resp.close()
            exc = _FATAL_STATUS[resp.status_code]
            raise exc(f"{self.url}: HTTP {resp.status_code} {resp.reason} (not retried)")
        if resp.status_code in RETRY_STATUS:
            resp.close()
            raise _Retryable(f"HTTP {resp.status_code} {resp.reason}")
        if start and resp.status_code != 206:
            resp.close()
            raise RemoteInputError(f"{self.url}: cannot resume at byte {start} (HTTP {resp.status_code})")
        if resp.status_code >= 400:
            resp.close()
            raise RemoteInputError(f"{self.url}: HTTP {resp.status_code} {resp.reason}")
        return resp

    def _connect(self) -> None:
        start = self.pos
        self.resp = _with_retries(self.url, self.retries, self.backoff_s, lambda: self._get(start))
        if start == 0:
            self.accept_ranges = self.resp.headers.get("Accept-Ranges", "").lower() == "bytes"

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        for attempt in range(self.retries + 1):
            assert self.resp is not None
            try:
                data = self.resp.raw.read(len(b), decode_content=True)
                b[: len(data)] = data
                self.pos += len(data)
                return len(data)
            except Exception as e:  # urllib3/requests/socket errors vary by version; all are transient here
                # before the first byte a fresh GET is always safe; later only if we can resume
                if self.pos and not self.accept_ranges:
                    raise RemoteInputError(f"{self.url}: read failed at byte {self.pos}: {e}") from e
                if attempt >= self.retries:
                    raise RemoteInputError(
                        f"{self.url}: read failed at byte {self.pos} after {attempt + 1} attempts: {e}"
                    ) from e
                self.resp.close()
                _sleep_backoff(attempt, self.backoff_s)
                self._connect()
        return 0  # pragma: no cover - loop always returns or raises

    def close(self) -> None:
        if self.resp is not None:
            self.resp.close()
        self.session.close()
        super().close()


def open_input(
    url_or_path: str, *, retries: int = 5, backoff_s: float = 1.0, timeout_s: float = 60.0
) -> BinaryIO:
    """Open a local path or URL for streaming binary reading.

    Retries (exponential back-off with jitter) on HTTP 408/425/429/5xx, connection errors and timeouts
    while opening, and on read errors (before the first byte, or later when the server supports ranges).
    HTTP 403/404/410 raise ``PermissionError``/``FileNotFoundError`` at once; exhausted retries raise
    :class:`RemoteInputError` naming the URL and the last reason.
    """
    if url_or_path.startswith(("http://", "https://")):
        raw = _HTTPStream(url_or_path, retries, backoff_s, timeout_s)
        return io.BufferedReader(raw, buffer_size=1 << 20)  # type: ignore[return-value]
    if not _is_url(url_or_path):
        return open(url_or_path.removeprefix("file://"), "rb")

    import fsspec

    def attempt() -> BinaryIO:
        try:
            return fsspec.open(url_or_path, "rb").open()  # type: ignore[no-any-return]
        except (FileNotFoundError, PermissionError):
            raise
        except (OSError, TimeoutError, ConnectionError) as e:
            raise _Retryable(f"{type(e).__name__}: {e}") from e

    return _with_retries(url_or_path, retries, backoff_s, attempt)


def read_path_list(
    url_or_path: str, *, base_url: str | None = None, retries: int = 5, backoff_s: float = 1.0
) -> list[str]:
    """Read a Common Crawl ``warc.paths(.gz)`` list: one relative path per line, blank lines ignored.

    With ``base_url`` every relative path is joined to it (absolute URLs are kept as they are).
    Retries are open_input's (opening and reading); they are not wrapped in a second retry loop.
    """
    # path lists are small (CC: ~100k lines, < 10 MB), so reading one whole is fine
    with open_input(url_or_path, retries=retries, backoff_s=backoff_s) as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    out = []
    for line in data.decode("utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if base_url and "://" not in line:
            line = base_url.rstrip("/") + "/" + line.lstrip("/")
        out.append(line)
    return out


def expand_inputs(patterns: list[str], base_dir: str | None = None) -> list[str]:
    """Expand local globs (sorted), resolve relative paths against ``base_dir``, pass URLs through.

    Raises FileNotFoundError (InputFileError) naming the pattern when a local pattern matches nothing or
    names something that is not a regular file (see sources/local_inputs.py). Duplicates (the same
    file by path, glob overlap or symlink) are dropped, keeping the first occurrence.
    """
    out: list[str] = []
    seen: set[str | tuple[int, int]] = set()
    for pat in patterns:
        if _is_url(pat):
            items = [pat]
        else:
            p = os.path.expanduser(pat.removeprefix("file://"))
            if base_dir is not None and not os.path.isabs(p):
                p = os.path.join(base_dir, p)
            # Normalised so provenance columns show a clean path, not `pipelines/../samples/...`.
            p = os.path.normpath(p)
            items = expand_local(p)
            if not items:
                raise InputFileError(f"input pattern matched no files: {pat!r} (resolved to {p!r})")
        for it in items:
            # a local file is the same input whichever path or link names it
            key = it if _is_url(it) else file_identity(it)
            if key not in seen:
                seen.add(key)
                out.append(it)
    return out
