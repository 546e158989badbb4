"""Main-content extraction from HTML with trafilatura or resiliparse, under a time limit.

`InProcessExtractor` limits a page with SIGALRM, which interrupts Python code only; the hard limit
that also stops the C parsers is `ExtractorProcess` (text/extract_process.py).
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

Engine = Literal["trafilatura", "resiliparse"]
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")


class ExtractionTimeout(BaseException):
    """Raised from a SIGALRM handler. A BaseException, so that an extractor's own
    `except Exception` cannot swallow it and keep running past the limit."""


#: Errors a hostile page can cause in a parser (dropped as `extract_failed`); any other exception is a
#: bug of ours and fails the task.
PAGE_ERRORS = (RecursionError, MemoryError, ValueError, TypeError)


class ExtractionFailed(Exception):
    """The parser gave up on a page; `kind` is its error's type name. A property of the page, not of
    the run."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    # SIGALRM only works in the main thread; pipeline tasks run there (local pool workers and Ray
    # tasks alike). Elsewhere the limit cannot be enforced and the extractor runs unbounded.
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expire(signum: int, frame: object) -> None:
        raise ExtractionTimeout

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


Fallback = Literal["always", "when_short", "never"]
# trafilatura's own MIN_EXTRACTED_SIZE (settings.cfg): below it, its extractor counts a result as short.
SHORT_EXTRACTION_CHARS = 250


@dataclass(frozen=True, slots=True)
class ExtractSettings:
    engine: Engine = "trafilatura"
    include_tables: bool = False
    favor: Literal["balanced", "precision", "recall"] = "balanced"
    fallback: Fallback = "always"


def _trafilatura(settings: ExtractSettings) -> Callable[[str], str]:
    import trafilatura

    def extract(html: str, fast: bool) -> str:
        # deduplicate=False: trafilatura's duplicate cache lives for the whole process, which would make
        # a page's text depend on which pages the same worker saw before it.
        text = trafilatura.extract(
            html,
            output_format="txt",
            fast=fast,
            include_comments=False,
            include_tables=settings.include_tables,
            include_images=False,
            include_links=False,
            deduplicate=False,
            favor_precision=settings.favor == "precision",
            favor_recall=settings.favor == "recall",
            with_metadata=False,
        )
        return text or ""

    def run(html: str) -> str:
        if settings.fallback == "when_short":
            text = extract(html, fast=True)
            return text if len(text.strip()) >= SHORT_EXTRACTION_CHARS else extract(html, fast=False)
        return extract(html, fast=settings.fallback == "never")

    return run


def _resiliparse(settings: ExtractSettings) -> Callable[[str], str]:
    from resiliparse.extract.html2text import extract_plain_text

    def run(html: str) -> str:
        # Tables are not skipped: on table-layout sites (common among older Japanese pages) the article
        # sits in a layout table, and skipping tables lost it (bench/extraction.py).
        text = extract_plain_text(
            html, main_content=True, alt_texts=False, links=False, list_bullets=True, noscript=False
        )
        # One paragraph per line, as trafilatura writes it: resiliparse puts blank lines between blocks,
        # which line-based rules (Swallow's duplicate-paragraph fraction) would count as duplicates.
        return _BLANK_LINES.sub("\n", text)

    return run


def make_extractor(settings: ExtractSettings) -> Callable[[str], str]:
    return {"trafilatura": _trafilatura, "resiliparse": _resiliparse}[settings.engine](settings)


class InProcessExtractor:
    """The extractor in this process under a SIGALRM limit (`extract.isolate: false`): no process
    round-trip, but a parser busy in C code runs on past the limit."""

    def __init__(self, settings: ExtractSettings, timeout_s: float) -> None:
        self._extract = make_extractor(settings)
        self.timeout_s = timeout_s

    def extract(self, html: str) -> str:
        try:
            with time_limit(self.timeout_s):
                return self._extract(html)
        except PAGE_ERRORS as exc:
            raise ExtractionFailed(type(exc).__name__) from exc

    def close(self) -> None:
        """Nothing to release; the same interface as ExtractorProcess."""
