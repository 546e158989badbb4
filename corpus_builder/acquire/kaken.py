"""KAKEN (科研費 research project database) harvester: pages through the KAKEN OpenSearch API and
saves every raw response for :func:`corpus_builder.sources.kaken.iter_kaken` to read.

* request: ``GET {base_url}?appid=..&format=xml&rw={page_size}&st={start}``
  ``&{year_from_param}=Y1&{year_to_param}=Y2``
  plus any fixed ``params``.  ``appid`` is required (register at NII).  ``rw`` (page size) is at most 500,
  ``st`` is the 1-based start index.
* year range: ``year_from_param="s1"`` / ``year_to_param="s2"``, the grant period (助成期間) from/to.
  NII's own parameter table ("KAKEN公開XML定義 / APIパラメータ", linked from
  https://support.nii.ac.jp/ja/kaken/api/api_outline) was not reachable from here; the names agree
  with two independent descriptions of the API: https://zenn.dev/nakamura196/articles/1c1d3588398ad3
  ("s1, s2 助成期間(From/To)で検索") and the client github.com/hirakinii/kaken-api-client-typescript
  (src/api/projects.ts: s1 = grantPeriodFrom, s2 = grantPeriodTo).  They are settings, so a
  different name needs no code change.  Whether a project whose period overlaps a range but is not
  inside it matches (the same API's ``o1`` condition) is not documented there: a project may then be
  saved under two year ranges; its id (``kaken:<number>``) is the same in both and exact dedup keeps
  one copy.  Total hits are read from the ``totalResults`` element (OpenSearch namespace or none).
* the API returns at most ``max_results`` (200,000) hits per query, so the harvest works on fiscal-year
  ranges: a range with more hits is bisected; a single year with more hits is split by ``split_param`` over
  ``split_values`` (e.g. a research-category parameter) when given, and otherwise raises
  :class:`KakenCapError` naming the year and the count -- never a silent partial harvest;
* files: ``out_dir/<query key>/st-<start>.xml`` (written to a temporary name and renamed), so an
  interrupted harvest resumes where it stopped: pages on disk are not fetched again;
* politeness: ``delay_s`` between requests, retries with back-off on 429/5xx/connection errors.
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import requests

from corpus_builder.contracts.errors import RunFailedError
from corpus_builder.sources.kaken import local_name
from corpus_builder.sources.remote import RETRY_STATUS, backoff_delay
from corpus_builder.writers.atomic import atomic_open_url

__all__ = ["KakenSettings", "KakenCapError", "HarvestSummary", "harvest"]


class KakenCapError(RunFailedError):
    """A query that cannot be narrowed below the API's result cap."""


@dataclass
class KakenSettings:
    appid: str
    base_url: str = "https://kaken.nii.ac.jp/opensearch/"
    year_from: int = 1965
    year_to: int = 2025
    year_from_param: str = "s1"  # ASSUMED name; see module docstring
    year_to_param: str = "s2"  # ASSUMED name
    params: dict[str, str] = field(default_factory=dict)  # fixed extra query parameters
    split_param: str | None = None
    split_values: list[str] = field(default_factory=list)
    page_size: int = 500
    max_results: int = 200_000
    delay_s: float = 1.0
    retries: int = 3
    backoff_s: float = 2.0
    timeout_s: float = 60.0
    user_agent: str = "corpus_builder-kaken-harvester/0.1"

    def __post_init__(self) -> None:
        if not self.appid:
            raise ValueError("KAKEN OpenSearch needs an appid")
        if not 1 <= self.page_size <= 500:
            raise ValueError("page_size (rw) must be 1..500")
        if self.year_from > self.year_to:
            raise ValueError("year_from must be <= year_to")


@dataclass
class HarvestSummary:
    queries: list[str]  # query keys harvested (directories under out_dir)
    pages_fetched: int
    pages_skipped: int  # already on disk (resumed)
    total_results: int


def _total_results(xml_bytes: bytes) -> int:
    root = ET.fromstring(xml_bytes)
    for el in root.iter():
        if local_name(el.tag) == "totalResults" and el.text and el.text.strip().isdigit():
            return int(el.text.strip())
    raise ValueError("response has no totalResults element")


class _Client:
    def __init__(self, s: KakenSettings) -> None:
        self.s = s
        self.session = requests.Session()
        self.session.headers["User-Agent"] = s.user_agent
        self.last = 0.0
        self.fetched = 0

    def get(self, params: dict[str, str]) -> bytes:
        last_err = "unknown error"
        for attempt in range(self.s.retries + 1):
            wait = self.last + self.s.delay_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.last = time.monotonic()
            try:
                r = self.session.get(self.s.base_url, params=params, timeout=self.s.timeout_s)
            except (requests.ConnectionError, requests.Timeout) as e:
                last_err = f"{type(e).__name__}: {e}"
            else:
                if r.status_code == 200:
                    self.fetched += 1
                    return r.content
                if r.status_code not in RETRY_STATUS:
                    raise RuntimeError(f"KAKEN API: HTTP {r.status_code} for {r.url}: {r.text[:300]}")
                last_err = f"HTTP {r.status_code}"
            if attempt < self.s.retries:
                time.sleep(backoff_delay(attempt, self.s.backoff_s))
        raise RuntimeError(f"KAKEN API: giving up after {self.s.retries + 1} attempts: {last_err}")


def _write_atomic(path: Path, data: bytes) -> None:
    with atomic_open_url(str(path)) as f:
        f.write(data)


def harvest(out_dir: str | os.PathLike, settings: KakenSettings) -> HarvestSummary:
    """Save every result page of every fiscal-year query under ``out_dir`` (resumable).

    See the module docstring."""
    out = Path(out_dir)
    s = settings
    client = _Client(s)
    keys: list[str] = []
    skipped = 0
    total = 0

    def base_params(y1: int, y2: int, split: str | None) -> dict[str, str]:
        p = {
            "appid": s.appid,
            "format": "xml",
            "rw": str(s.page_size),
            **s.params,
            s.year_from_param: str(y1),
            s.year_to_param: str(y2),
        }
        if split is not None and s.split_param:
            p[s.split_param] = split
        return p

    def first_page(key: str, params: dict[str, str]) -> tuple[bytes, bool]:
        path = out / key / "st-000001.xml"
        if path.exists():
            return path.read_bytes(), True
        return client.get({**params, "st": "1"}), False

    def run(y1: int, y2: int, split: str | None) -> None:
        nonlocal skipped, total
        key = f"fy{y1}-{y2}" + (f"_{s.split_param}-{split}" if split is not None else "")
        params = base_params(y1, y2, split)
        data, cached = first_page(key, params)
        n = _total_results(data)
        if n > s.max_results:
            if y1 < y2:
                mid = (y1 + y2) // 2
                run(y1, mid, split)
                run(mid + 1, y2, split)
                return
            if split is None and s.split_param and s.split_values:
                for v in s.split_values:
                    run(y1, y2, v)
                return
            raise KakenCapError(
                f"KAKEN query {key} has {n} results, over the API cap of {s.max_results}, "
                f"and cannot be split "
                f"further (set split_param/split_values to split a single fiscal year)"
            )
        if cached:
            skipped += 1
        else:
            _write_atomic(out / key / "st-000001.xml", data)
        keys.append(key)
        total += n
        for start in range(1 + s.page_size, n + 1, s.page_size):
            path = out / key / f"st-{start:06d}.xml"
            if path.exists():
                skipped += 1
                continue
            _write_atomic(path, client.get({**params, "st": str(start)}))

    run(s.year_from, s.year_to, None)
    return HarvestSummary(
        queries=keys, pages_fetched=client.fetched, pages_skipped=skipped, total_results=total
    )
