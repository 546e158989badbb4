"""What a crawl is told and what it reports: its settings, the outcomes it logs, its summary.

Kept apart from the crawler so that `corpus-build --help` and the CLI's option defaults (which are
these settings' own) do not import aiohttp and the crawler at every start.
"""

from dataclasses import dataclass, field

from corpus_builder.acquire.crawler_guard import (
    AddressPolicy,
)

VERSION = "0.1"
DEFAULT_USER_AGENT = (
    f"corpus_builder-crawler/{VERSION} (LLM pre-training corpus research; +contact in README)"
)
LOCK_FILE = "crawl.lock"


class Outcome:
    """Values of the ``outcome`` column of the crawl log."""

    FETCHED = "fetched"  # final response 2xx (possibly cut: see reason)
    HTTP_ERROR = "http_error"  # final response 4xx/5xx/other (written to the WARC too)
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    ROBOTS_DISALLOWED = "robots_disallowed"
    ROBOTS_UNAVAILABLE = "robots_unavailable"  # robots.txt unreachable: host treated as disallowed
    REFUSED = "refused"  # scheme or address not allowed; nothing was sent to it
    INVALID = "invalid"  # malformed URL, host or Location header; nothing was sent to it
    ERROR = "error"  # timeout / connection error after all retries, or an unexpected failure

    RETRYABLE = frozenset({ERROR, ROBOTS_UNAVAILABLE})


@dataclass
class CrawlSettings:
    user_agent: str = DEFAULT_USER_AGENT
    global_concurrency: int = 32
    per_host_concurrency: int = 1
    per_host_delay_s: float = 1.0
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 1.0
    max_retry_after_s: float = 60.0
    # robots.txt Crawl-delay (not in RFC 9309; honoured by Bing and Yandex) raises the per-host delay,
    # up to this cap, so that a site asking for an hour per page does not stall the crawl for days.
    max_crawl_delay_s: float = 30.0
    max_body_bytes: int = 10_000_000
    max_redirects: int = 5
    respect_robots: bool = True
    allow_private: bool = False
    allow_networks: list[str] = field(default_factory=list)
    warc_max_bytes: int = 1_000_000_000
    warc_prefix: str = "crawl"
    retry_failed: bool = False
    accept_language: str | None = "ja,en;q=0.8"

    def __post_init__(self) -> None:
        if self.global_concurrency < 1 or self.per_host_concurrency < 1:
            raise ValueError("concurrency limits must be >= 1")
        if self.per_host_delay_s < 0 or self.timeout_s <= 0 or self.max_body_bytes <= 0:
            raise ValueError("per_host_delay_s >= 0, timeout_s > 0 and max_body_bytes > 0 are required")
        if self.max_crawl_delay_s < 0:
            raise ValueError("max_crawl_delay_s must be >= 0")
        if self.max_redirects < 0 or self.retries < 0:
            raise ValueError("max_redirects and retries must be >= 0")
        AddressPolicy(allow_networks=self.allow_networks)  # raises ValueError on a bad CIDR


@dataclass
class CrawlSummary:
    urls: int  # distinct URLs in the list
    skipped: int  # already in the log (resumed run)
    outcomes: dict[str, int]  # outcome -> count, for this run
    truncated: int  # bodies cut at max_body_bytes in this run
    requests: int  # HTTP requests sent in this run (robots.txt, retries, redirect hops included)
    bytes: int  # body bytes received in this run
    warc_files: list[str]  # files written in this run
    elapsed_s: float
