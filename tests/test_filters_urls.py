"""Host/URL filtering with a temporary UT1-layout blocklist."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus_builder.config.stages import UrlFilterStage
from corpus_builder.quality.urls import build_url_rules, hostname, load_ut1


@pytest.fixture
def ut1(tmp_path: Path) -> Path:
    for category, domains in {
        "adult": "bad.example\nwww.adult.example\n",
        "gambling": "casino.example\n",
        "press": "news.example\n",  # not one of Swallow's categories
    }.items():
        (tmp_path / category).mkdir()
        (tmp_path / category / "domains").write_text(domains, encoding="utf-8")
    (tmp_path / "README").write_text("not a category", encoding="utf-8")
    return tmp_path


def test_swallow_host_suffixes() -> None:
    rules = build_url_rules(preset="swallow")
    assert rules.check("https://ja.wikipedia.org/wiki/X") == "host_suffix:wikipedia.org"
    assert rules.check("http://notwikipedia.org/") == "host_suffix:wikipedia.org"  # plain suffix, as Swallow
    assert rules.check("https://egg.5ch.net/test/read.cgi/x") == "host_suffix:.5ch.net"
    assert rules.check("https://5ch.net/") is None
    assert rules.check("https://example.jp/page") is None
    assert rules.check("not a url") == "no_hostname"


def test_ut1_categories_exact_host(ut1: Path) -> None:
    rules = build_url_rules(preset="swallow", blocklist_root=ut1)
    assert rules.check("http://bad.example/x") == "blocklist:adult"
    assert rules.check("http://CASINO.example./") == "blocklist:gambling"
    assert rules.check("http://sub.bad.example/") is None  # exact host, as Swallow
    assert rules.check("http://news.example/") is None  # category not in Swallow's NG set
    parents = build_url_rules(blocklist_root=ut1, match_parent_domains=True)
    assert parents.check("http://sub.bad.example/") == "blocklist:adult"
    assert parents.check("http://news.example/") == "blocklist:press"  # all categories by default


def test_load_ut1_and_tld_allowlist(ut1: Path) -> None:
    assert set(load_ut1(ut1)) == {"adult", "gambling", "press"}
    assert set(load_ut1(ut1, ["adult", "missing"])) == {"adult"}
    with pytest.raises(FileNotFoundError):
        load_ut1(ut1 / "nope")
    rules = build_url_rules(preset="llm-jp")
    assert rules.check("https://example.jp/") is None
    assert rules.check("https://example.de/") == "tld_not_allowed:de"
    assert rules.check("https://ja.wikipedia.org/wiki/A") == "host_suffix:ja.wikipedia.org"
    assert build_url_rules(allowed_tlds=[".JP"]).check("https://a.jp/") is None
    assert hostname("HTTPS://Example.JP:8080/x") == "example.jp"


def test_url_filter_step(ut1: Path) -> None:
    from datatrove.data import Document

    from corpus_builder.stages.url_filter import UrlFilter

    step = UrlFilter(UrlFilterStage(preset="swallow", blocklist_root=str(ut1)))
    assert (
        step.process(Document(text="x", id="1", metadata={"url": "http://bad.example/"})) == "blocklist:adult"
    )
    assert step.process(Document(text="x", id="2", metadata={"url": "https://good.example.jp/"})) is None
