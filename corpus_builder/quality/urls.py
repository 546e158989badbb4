"""Host/URL filtering: host suffix rules, UT1-layout domain blocklists by category, TLD allowlists.

A :class:`UrlRules` checks a URL and returns ``None`` (keep) or a reason naming the rule:

* ``no_hostname`` — the document has no URL or its URL has no host (Swallow's and LLM-jp's code
  raise on these; we drop with this reason and go on);
* ``host_suffix:<suffix>`` — the host ends with a listed suffix (plain ``str.endswith``, as in
  Swallow: ``wikipedia.org`` also matches ``notwikipedia.org``; write ``.wikipedia.org`` to
  match subdomains only);
* ``blocklist:<category>`` — the host is listed in ``<root>/<category>/domains`` of a blocklist
  in the UT1 layout (https://dsi.ut-capitole.fr/blacklists/); exact host match by default (as
  Swallow), or also any parent domain with ``match_parent_domains``;
* ``tld_not_allowed:<tld>`` — a TLD allowlist is set and the host's last label is not in it.

The lists are user-supplied files (UT1 is not shipped); they are read once per process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

# Swallow corpus v1 ngurl.py (swallow-llm/swallow-corpus@2d03507): host suffixes and the UT1
# categories whose DEFAULT_TYPE is black, plus its custom list ("custom").
SWALLOW_HOST_SUFFIXES = (".5ch.net", "wikipedia.org")
SWALLOW_UT1_CATEGORIES = (
    "adult", "shopping", "cryptojacking", "games", "redirector", "strict_redirector", "vpn",
    "strong_redirector", "social_networks", "ddos", "gambling", "publicite", "bitcoin", "dating",
    "phishing", "filehosting", "agressif", "chat", "mixed_adult", "celebrity", "financial", "manga",
    "remote-control", "webmail", "malware", "doh", "warez", "custom",
)  # fmt: skip
# LLM-jp ja_cc has_valid_domain (llm-jp/llm-jp-corpus scripts/filters.py reading
# scripts/dict/ja_valid_domains.txt, at c58e94f; both unchanged at v2.0.0 6e7746d): TLD allowlist.
LLMJP_TLDS = (
    "jp", "com", "net", "org", "work", "info", "xyz", "biz", "me", "tv", "site", "tokyo", "cc",
)  # fmt: skip


def hostname(url: str) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


@cache
def _read_domains(path: str) -> frozenset[str]:
    out: set[str] = set()
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            domain = line.strip().lower().rstrip(".")
            if domain and not domain.startswith("#"):
                out.add(domain)
    return frozenset(out)


def load_ut1(root: str | Path, categories: Iterable[str] | None = None) -> dict[str, frozenset[str]]:
    """``{category: domains}`` from ``<root>/<category>/domains``; missing categories are skipped.

    ``categories=None`` loads every category directory that has a ``domains`` file.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"blocklist root not found: {root}")
    names = (
        sorted(p.name for p in root.iterdir() if (p / "domains").is_file())
        if categories is None
        else list(categories)
    )
    return {
        name: _read_domains(str(root / name / "domains"))
        for name in names
        if (root / name / "domains").is_file()
    }


@dataclass(frozen=True)
class UrlRules:
    host_suffixes: tuple[str, ...] = ()
    blocklists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    allowed_tlds: frozenset[str] | None = None
    match_parent_domains: bool = False

    def check(self, url: str | None) -> str | None:
        host = hostname(url or "")
        if not host:
            return "no_hostname"
        for suffix in self.host_suffixes:
            if host.endswith(suffix):
                return f"host_suffix:{suffix}"
        if self.blocklists:
            candidates = [host]
            if self.match_parent_domains:
                labels = host.split(".")
                candidates += [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
            for category, domains in self.blocklists.items():
                if any(c in domains for c in candidates):
                    return f"blocklist:{category}"
        if self.allowed_tlds is not None:
            tld = host.rsplit(".", 1)[-1]
            if tld not in self.allowed_tlds:
                return f"tld_not_allowed:{tld}"
        return None


def build_url_rules(
    preset: str | None = None,
    host_suffixes: Iterable[str] = (),
    blocklist_root: str | Path | None = None,
    blocklist_categories: Iterable[str] | None = None,
    allowed_tlds: Iterable[str] | None = None,
    match_parent_domains: bool = False,
) -> UrlRules:
    """Rules from a named preset (``swallow`` / ``llm-jp``) plus explicit additions.

    ``swallow``: its host suffixes, and its UT1 categories when ``blocklist_root`` is given (and
    ``blocklist_categories`` is not).  ``llm-jp``: LLM-jp's TLD allowlist and ``ja.wikipedia.org``
    (Wikipedia is its own source).  LLM-jp drops a URL starting with ``https://ja.wikipedia.org/``;
    here the host is dropped whatever the scheme or port (``http://ja.wikipedia.org/...`` passes
    LLM-jp's prefix test, then its ``org`` TLD check).
    """
    suffixes = list(host_suffixes)
    categories = None if blocklist_categories is None else list(blocklist_categories)
    tlds = None if allowed_tlds is None else {t.lower().lstrip(".") for t in allowed_tlds}
    if preset == "swallow":
        suffixes = [*SWALLOW_HOST_SUFFIXES, *suffixes]
        if categories is None:
            categories = list(SWALLOW_UT1_CATEGORIES)
    elif preset == "llm-jp":
        suffixes = ["ja.wikipedia.org", *suffixes]
        if tlds is None:
            tlds = set(LLMJP_TLDS)
    elif preset is not None:
        raise ValueError(f"unknown URL rule preset {preset!r} (swallow, llm-jp)")
    blocklists = load_ut1(blocklist_root, categories) if blocklist_root else {}
    return UrlRules(
        host_suffixes=tuple(dict.fromkeys(suffixes)),
        blocklists=blocklists,
        allowed_tlds=frozenset(tlds) if tlds is not None else None,
        match_parent_domains=match_parent_domains,
    )
