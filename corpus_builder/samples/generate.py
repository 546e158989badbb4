"""Deterministic generator of realistic sample WARC files.

The pipeline needs WARC input that can be produced offline, byte-for-byte reproducibly, and that exercises
the awkward parts of real Common Crawl data: legacy Japanese encodings, missing or wrong charset
declarations, boilerplate-only pages, low-quality Japanese, exact and near duplicates, non-HTML payloads and
a damaged gzip member. Everything here is synthetic: the prose lives in ``samples/texts/*.txt`` and was
written for this project; hosts are invented and IP addresses come from the TEST-NET-3 documentation range.

Three consumers:

* ``generate_sample`` -- the small three-file set used by ``pipelines/sample.yaml`` ("run it offline");
* tests, via ``build_pages`` / ``sample_pages`` (which also expose the ground truth per page) and
  ``planted_pages`` (which pages carry evaluation items, see ``eval_plant.py``);
* throughput benchmarks, via ``generate_cc_mix`` (a Common-Crawl-like mix with ~5 % Japanese).

Determinism: only ``random.Random(seed)`` is used, WARC-Date is derived from ``snapshot_date`` + record
index, WARC-Record-ID is a uuid5 of (seed, index, type, url), and gzip members are written by us with
``mtime=0`` so no wall-clock time or hostname leaks into the output.
"""

from __future__ import annotations

import argparse
import gzip as gzip_mod
import html
import io
import json
import random
import sys
import time
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from corpus_builder.samples.eval_plant import EVAL_DIR, EVAL_FILES, PlantedPage, eval_file_bytes, plant

__all__ = [
    "SamplePage",
    "build_pages",
    "write_warc",
    "sample_pages",
    "generate_sample",
    "generate_cc_mix",
    "planted_pages",
    "write_eval_sets",
    "DEFAULT_JA_KINDS",
    "DEFAULT_EN_KINDS",
    "DEFAULT_OTHER_KINDS",
    "SAMPLE_FILE_NAMES",
    "SAMPLE_CORRUPT_FILE",
]


@dataclass(frozen=True)
class SamplePage:
    """One generated HTTP response plus the ground truth needed to check later pipeline stages."""

    url: str
    lang: str  # "ja", "en", "zh", "ko", "de"; "und" for binary payloads, which have no language
    kind: str  # see DEFAULT_*_KINDS for the full list
    charset: str  # python codec used for the bytes ("" for binary payloads)
    declared_charset: str | None  # what the HTTP header / meta says (may be wrong on purpose)
    html: bytes  # the response body (not always HTML: "binary" pages carry PDF/JPEG-like bytes)
    declared_in: str = "both"  # where declared_charset appears: "http", "meta", "both" or "none"
    content_type: str = "text/html"  # media type for the HTTP Content-Type header (without charset)
    content_language: str | None = None  # optional HTTP Content-Language header
    title: str = ""
    article_text: str = ""  # main text as authored: paragraphs joined by "\n" (extraction ground truth)
    duplicate_of: str | None = None  # for "duplicate"/"near_duplicate": URL of the page that was copied

    @property
    def charset_is_wrong(self) -> bool:
        """True when the declaration names a different encoding than the one used for the bytes."""
        if self.declared_charset is None or not self.charset:
            return False
        return _canonical_codec(self.declared_charset) != _canonical_codec(self.charset)


# --------------------------------------------------------------------------------------------------------
# Page mixes. Weights are relative; build_pages turns them into exact counts (largest remainder) so
# tests can predict the composition without re-running the random choices.

DEFAULT_JA_KINDS: dict[str, float] = {
    "good": 14,  # 12-20 prose sentences, passes the Swallow quality thresholds
    "low_quality": 3,  # katakana-heavy product listing (katakana share > 0.5)
    "repetitive": 2,  # a few sentences repeated many times (line/paragraph repetition filters)
    "short": 3,  # 2-4 sentences, well under 400 characters
    "boilerplate": 3,  # menus and link lists around a one-line notice
    "duplicate": 3,  # same article as a "good" page, other host/template/encoding
    "near_duplicate": 2,  # same article with a sentence swapped and one appended
}
DEFAULT_EN_KINDS: dict[str, float] = {
    "good": 18,
    "low_quality": 3,  # keyword-stuffed spam
    "short": 3,
    "boilerplate": 3,
    "duplicate": 2,
    "near_duplicate": 1,
}
DEFAULT_OTHER_KINDS: dict[tuple[str, str], float] = {
    ("zh", "good"): 4,
    ("ko", "good"): 4,
    ("de", "good"): 4,
    ("de", "short"): 1,
    ("und", "binary"): 2,
}

# (python codec, name written in headers/meta, weight). Shift_JIS is encoded with cp932 because that is
# what real "Shift_JIS" pages contain (Windows extensions) and what browsers decode them as.
_CHARSETS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "ja": (
        ("utf-8", "UTF-8", 0.45),
        ("cp932", "Shift_JIS", 0.3),
        ("euc_jp", "EUC-JP", 0.15),
        ("iso2022_jp", "ISO-2022-JP", 0.1),
    ),
    "en": (("utf-8", "UTF-8", 0.8), ("cp1252", "windows-1252", 0.2)),
    "zh": (("gb2312", "GB2312", 0.5), ("gbk", "GBK", 0.25), ("utf-8", "UTF-8", 0.25)),
    "ko": (("euc_kr", "EUC-KR", 0.6), ("utf-8", "UTF-8", 0.4)),
    "de": (("utf-8", "UTF-8", 0.6), ("latin-1", "ISO-8859-1", 0.4)),
}
# Deliberately wrong declarations seen in the wild: (codec of the bytes, declared name).
_WRONG_CHARSETS: dict[str, tuple[tuple[str, str], ...]] = {
    "ja": (("euc_jp", "Shift_JIS"), ("cp932", "UTF-8")),
    "en": (("utf-8", "ISO-8859-1"),),
}
_JA_GOOD_MIN_CHARS = 450  # Swallow needs >= 400; near-duplicates may lose a few characters
_DECLARATION_PLACES = (("both", 0.45), ("meta", 0.3), ("http", 0.15), ("none", 0.1))

# Invented hosts: (host, native site title, romanised title for English-only <title> tags).
_JA_HOSTS = (
    "kurashi-note.jp",
    "kotokoto-daidokoro.jp",
    "senro-mukou.net",
    "machi-kioku.jp",
    "veranda-saien.jp",
    "kotsukotsu-dev.jp",
    "hidamari-tosho.jp",
)
_JA_ROMAN = (
    "Kurashi Note",
    "Kotokoto Kitchen Diary",
    "Beyond the Tracks",
    "Town Memory Archive",
    "Balcony Garden News",
    "Steady Dev Memo",
    "Hidamari Reading Room",
)
_JA_MIRRORS = ("matome-yomimono.net", "blog-ranking-navi.com", "news-clip-jp.info")
_EN_HOSTS = (
    "smallkitchennotes.com",
    "thedailycommute.net",
    "backyardbeds.org",
    "stacksandshelves.net",
    "weatherwatchjournal.com",
    "plaincodenotes.dev",
    "ridgeandvalley.org",
)
_EN_MIRRORS = ("content-digest-hub.com", "best-articles-feed.net")
_OTHER_SITES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # lang: (hosts, nav labels) -- short labels written for this project
    "zh": (
        ("xiaomian-riji.cn", "chengshi-shenghuo.com.cn"),
        ("首页", "新闻", "生活", "关于我们", "联系我们"),
    ),
    "ko": (("ilsang-gi.co.kr", "dongne-sosik.kr"), ("홈", "소식", "생활", "소개", "문의")),
    "de": (
        ("alltag-notizen.de", "stadtleben-blog.de"),
        ("Startseite", "Blog", "Themen", "Über uns", "Kontakt", "Impressum"),
    ),
}
_NATIVE_SITE_TITLE = {"zh": "生活小记", "ko": "일상 기록", "de": "Notizen aus dem Alltag"}
_LANG_NAMES = {
    "ja": ("jpn", "Japanese"),
    "en": ("eng", "English"),
    "zh": ("zho", "Chinese"),
    "ko": ("kor", "Korean"),
    "de": ("deu", "German"),
}


# --------------------------------------------------------------------------------------------------------
# Source text


@cache
def _load_sections(name: str) -> dict[str, tuple[str, ...]]:
    """Read ``texts/<name>``: '#' lines are comments, '## x' starts section x, other lines are items."""
    raw = resources.files(__package__).joinpath("texts").joinpath(name).read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    current = ""
    for line in raw.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("## "):
            current = line[3:].strip()
            sections.setdefault(current, [])
        elif not line.startswith("#"):
            sections.setdefault(current, []).append(line)
    return {key: tuple(items) for key, items in sections.items()}


def _prose(lang: str) -> dict[str, tuple[str, ...]]:
    return _load_sections(f"{lang}_prose.txt")


def _nav(lang: str) -> dict[str, tuple[str, ...]]:
    return _load_sections(f"{lang}_nav.txt")


# --------------------------------------------------------------------------------------------------------
# Helpers


def _canonical_codec(name: str) -> str:
    """Normalise a charset label so 'Shift_JIS' and 'cp932' compare equal (they are the same family)."""
    import codecs

    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return name.lower()
    return {"shift_jis": "cp932", "iso8859-1": "cp1252", "latin-1": "cp1252"}.get(codec, codec)


def _allocate(n: int, weights: Mapping) -> dict:
    """Split n into integer counts proportional to weights (largest remainder, ties by insertion order).

    Deterministic without an rng so callers and tests can compute the exact composition up front.
    """
    total = float(sum(weights.values()))
    if n <= 0 or total <= 0:
        return {key: 0 for key in weights}
    exact = {key: n * w / total for key, w in weights.items()}
    counts = {key: int(v) for key, v in exact.items()}
    rest = n - sum(counts.values())
    order = sorted(weights, key=lambda k: -(exact[k] - counts[k]))  # stable sort keeps insertion order
    for key in order[:rest]:
        counts[key] += 1
    return counts


def _weighted(rng: random.Random, items: Sequence[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _split_paragraphs(rng: random.Random, sentences: Sequence[str], joiner: str) -> list[str]:
    """Group sentences into paragraphs of 2-5 sentences, as a human writer roughly would."""
    paragraphs: list[str] = []
    i = 0
    while i < len(sentences):
        size = rng.randint(2, 5)
        if len(sentences) - (i + size) == 1:  # avoid a dangling one-sentence paragraph at the end
            size += 1
        paragraphs.append(joiner.join(sentences[i : i + size]))
        i += size
    return paragraphs


def _pick_sentences(rng: random.Random, lang: str, count: int) -> tuple[str, list[str]]:
    """Choose a primary topic (used for the title) and `count` sentences, topic sentences first."""
    prose = _prose(lang)
    topic = rng.choice(sorted(prose))
    own = list(prose[topic])
    rng.shuffle(own)
    own = own[: max(3, count // 2)]
    others = [s for t in sorted(prose) if t != topic for s in prose[t]]
    chosen = own + rng.sample(others, max(0, count - len(own)))
    return topic, chosen[:count]


@dataclass
class _Article:
    """Intermediate article content before it is wrapped in a site template."""

    title: str
    heading: str
    paragraphs: list[str]
    topic: str
    listing: list[str] | None = None  # low-quality product/keyword lists rendered as <ul>
    url: str = ""


# --------------------------------------------------------------------------------------------------------
# HTML rendering


def _meta_tag(rng: random.Random, declared: str) -> str:
    # Older encodings usually come with the HTML4 http-equiv form, newer pages with <meta charset>.
    if declared.upper() in {"UTF-8"} and rng.random() < 0.7:
        return f'<meta charset="{declared}">'
    if rng.random() < 0.6:
        return f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">'
    return f'<meta charset="{declared}">'


def _links(labels: Sequence[str], prefix: str) -> str:
    return "".join(
        f'<li><a href="/{prefix}/{i + 1}/">{_esc(label)}</a></li>' for i, label in enumerate(labels)
    )


def _render_html(
    rng: random.Random,
    *,
    lang: str,
    html_lang: str | None,
    meta: str | None,
    site_title: str,
    article: _Article,
    menu: Sequence[str],
    sidebar_heading: str,
    sidebar_items: Sequence[str],
    footer: Sequence[str],
    date_text: str,
    year: int,
    extra_link_lists: Sequence[Sequence[str]] = (),
) -> str:
    """Wrap an article in one of two site templates (modern HTML5 or legacy table-era markup)."""
    legacy = rng.random() < 0.35
    lang_attr = f' lang="{html_lang}"' if html_lang else ""
    head = [meta] if meta else []
    head.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    head.append(f"<title>{_esc(article.title)}</title>")
    head.append('<link rel="stylesheet" href="/assets/site.css">')
    # Inline style/script so extractors have something to strip; the code is trivial and self-written.
    head.append("<style>body{margin:0;font-family:sans-serif}.sidebar{float:right;width:30%}</style>")
    head.append(f'<script>window.pageInfo={{id:"{rng.randrange(10**6)}",lang:"{lang}"}};</script>')

    body_parts = [f"<h1>{_esc(article.heading)}</h1>", f'<p class="post-date">{_esc(date_text)}</p>']
    body_parts += [f"<p>{_esc(p)}</p>" for p in article.paragraphs]
    if article.listing:
        body_parts.append(
            '<ul class="items">' + "".join(f"<li>{_esc(x)}</li>" for x in article.listing) + "</ul>"
        )
    article_html = "<article>\n" + "\n".join(body_parts) + "\n</article>"
    sidebar = f"<h2>{_esc(sidebar_heading)}</h2><ul>{_links(sidebar_items, 'archives')}</ul>"
    lists = "\n".join(
        f'<ul class="link-list">{_links(labels, f"section{i}")}</ul>'
        for i, labels in enumerate(extra_link_lists)
    )
    # Latin-script pages use a literal sign so every UTF-8/windows-1252 mix-up shows visible mojibake;
    # the CJK legacy encodings (ISO-2022-JP, GB2312, ...) lack it, so those pages use the entity.
    copyright_sign = "\u00a9" if lang in {"en", "de"} else "&copy;"
    copyright_line = f"<p>{copyright_sign} {year} {_esc(site_title)}. All rights reserved.</p>"

    if legacy:
        doctype = '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">'
        body = (
            f'<div id="menu"><ul>{_links(menu, "menu")}</ul></div>\n'
            f'<div id="header"><a href="/">{_esc(site_title)}</a></div>\n'
            '<table id="layout" width="100%"><tr><td id="main" valign="top">\n'
            f"{article_html}\n{lists}\n</td>\n"
            f'<td id="side" class="sidebar" valign="top">{sidebar}</td></tr></table>\n'
            f'<div id="footer"><ul>{_links(footer, "info")}</ul>{copyright_line}</div>'
        )
    else:
        doctype = "<!DOCTYPE html>"
        body = (
            f'<nav class="global-nav"><ul>{_links(menu, "menu")}</ul></nav>\n'
            '<header class="site-header">'
            f'<p class="site-title"><a href="/">{_esc(site_title)}</a></p></header>\n'
            f"<main>\n{article_html}\n{lists}\n"
            f'<aside class="sidebar">{sidebar}</aside>\n</main>\n'
            f'<footer class="site-footer"><ul>{_links(footer, "info")}</ul>{copyright_line}</footer>'
        )
    head_html = "\n".join(head)
    return f"{doctype}\n<html{lang_attr}>\n<head>\n{head_html}\n</head>\n<body>\n{body}\n</body>\n</html>\n"


# --------------------------------------------------------------------------------------------------------
# Article builders per kind


def _ja_title(rng: random.Random, topic: str, site: str) -> str:
    template = rng.choice(_nav("ja")["titles"])
    return f"{template.format(topic=topic)} | {site}"


def _make_article(rng: random.Random, lang: str, kind: str, site_title: str) -> _Article:
    joiner = "" if lang in {"ja", "zh"} else " "
    if lang in {"zh", "ko", "de"}:
        prose = _prose(lang)
        topic = sorted(prose)[0]
        pool = list(prose[topic])
        count = rng.randint(4, len(pool)) if kind == "good" else 2
        sentences = rng.sample(pool, count)
        paragraphs = _split_paragraphs(rng, sentences, joiner)
        heading = sentences[0].rstrip("。.!！")[:24]
        return _Article(f"{heading} - {site_title}", heading, paragraphs, topic)

    nav = _nav(lang)
    if kind in {"good", "duplicate", "near_duplicate"}:
        topic, sentences = _pick_sentences(rng, lang, rng.randint(12, 20))
        if lang == "ja":
            # Twelve short sentences can fall just under the 400-character quality floor; top up (still
            # at most 20 sentences, and 20 x 25 chars always suffices) with margin for near-copy edits.
            pool = [s for t in sorted(_prose(lang)) for s in _prose(lang)[t] if s not in sentences]
            while sum(map(len, sentences)) < _JA_GOOD_MIN_CHARS and len(sentences) < 20:
                sentences.append(pool.pop(rng.randrange(len(pool))))
    elif kind in {"short", "boilerplate"}:
        topic, sentences = _pick_sentences(rng, lang, rng.randint(2, 4))
        if kind == "boilerplate":
            sentences = list(nav["notice"])
    elif kind == "repetitive":
        topic, base = _pick_sentences(rng, lang, 3)
        sentences = [base[i % len(base)] for i in range(rng.randint(15, 24))]
    elif kind == "low_quality":
        if lang == "ja":
            items = rng.sample(_load_sections("ja_products.txt")[""], rng.randint(10, 15))
            heading = "ニューアイテム ピックアップ セレクション"
            return _Article(f"{heading} | {site_title}", heading, [], "セール", listing=items)
        spam = nav["spam"]
        items = [" ".join(rng.choice(spam) for _ in range(3)) for _ in range(rng.randint(12, 20))]
        heading = "Best Cheap Deals Online Discount Sale"
        return _Article(f"{heading} | {site_title}", heading, [], "deals", listing=items)
    else:
        raise ValueError(f"unknown kind {kind!r} for language {lang!r}")

    # Repetitive pages keep one sentence per <p> so the repeated lines are what repetition filters see.
    paragraphs = list(sentences) if kind == "repetitive" else _split_paragraphs(rng, sentences, joiner)
    if lang == "ja":
        title = _ja_title(rng, topic, site_title)
        heading = title.split(" | ")[0]
    else:
        heading = rng.choice(nav["titles"]).format(topic=topic)
        heading = heading[0].upper() + heading[1:]
        title = f"{heading} - {site_title}"
    return _Article(title, heading, paragraphs, topic)


def _near_copy(rng: random.Random, lang: str, source: _Article) -> _Article:
    """Copy an article, swap one sentence and append another: similar enough for MinHash dedup."""
    joiner = "" if lang == "ja" else " "
    splitter = "。" if lang == "ja" else ". "
    pool = [s for t in sorted(_prose(lang)) for s in _prose(lang)[t]]
    paragraphs = list(source.paragraphs)
    extra = rng.choice([s for s in pool if s not in "".join(paragraphs)])
    first = paragraphs[0].split(splitter)
    if len(first) > 2:  # replace the second sentence of the first paragraph
        first[1] = rng.choice(pool).rstrip("。.")
        paragraphs[0] = splitter.join(first)
    paragraphs[-1] = paragraphs[-1] + joiner + extra
    return _Article(source.title, source.heading, paragraphs, source.topic)


# --------------------------------------------------------------------------------------------------------
# Page assembly


def _binary_page(rng: random.Random, index: int) -> SamplePage:
    """A non-HTML response (PDF or JPEG-like bytes) that text extraction must skip, not crash on."""
    if rng.random() < 0.5:
        body = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + rng.randbytes(rng.randint(600, 1500)) + b"\n%%EOF\n"
        ctype, ext = "application/pdf", "pdf"
    else:
        body = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(rng.randint(600, 1500)) + b"\xff\xd9"
        ctype, ext = "image/jpeg", "jpg"
    host = rng.choice(_EN_HOSTS + _JA_HOSTS)
    return SamplePage(
        url=f"https://{host}/files/{index:05d}/document.{ext}",
        lang="und",
        kind="binary",
        charset="",
        declared_charset=None,
        html=body,
        declared_in="none",
        content_type=ctype,
    )


def _site_for(rng: random.Random, lang: str, kind: str) -> tuple[str, str, str]:
    """Return (host, site title, romanised title); copies live on aggregator hosts."""
    if lang == "ja":
        if kind in {"duplicate", "near_duplicate"} and rng.random() < 0.7:
            host = rng.choice(_JA_MIRRORS)
            return host, "まとめ読み物ナビ", "Matome Navi"
        i = rng.randrange(len(_JA_HOSTS))
        return _JA_HOSTS[i], _nav("ja")["sites"][i], _JA_ROMAN[i]
    if lang == "en":
        if kind in {"duplicate", "near_duplicate"} and rng.random() < 0.7:
            host = rng.choice(_EN_MIRRORS)
            return host, "Content Digest", "Content Digest"
        i = rng.randrange(len(_EN_HOSTS))
        return _EN_HOSTS[i], _nav("en")["sites"][i], _nav("en")["sites"][i]
    host = rng.choice(_OTHER_SITES[lang][0])
    return host, _NATIVE_SITE_TITLE[lang], host


@dataclass
class _Chrome:
    """Everything around the article on a page: its address, date, language tag and navigation."""

    path: str
    date_text: str
    year: int
    html_lang: str | None
    menu: Sequence[str]
    sidebar_heading: str
    sidebar_items: Sequence[str]
    footer: Sequence[str]


def _article_for(
    rng: random.Random, lang: str, kind: str, site_title: str, source: _Article | None
) -> _Article:
    """A fresh article, or an exact or near copy of `source` for the duplicate kinds."""
    if kind == "duplicate" and source is not None:
        return _Article(source.title, source.heading, list(source.paragraphs), source.topic)
    if kind == "near_duplicate" and source is not None:
        return _near_copy(rng, lang, source)
    return _make_article(rng, lang, kind, site_title)


def _chrome_for(
    rng: random.Random, lang: str, kind: str, index: int, roman: str, article: _Article
) -> tuple[_Chrome, _Article]:
    """The page around the article, in the habits of the language's sites; a few Japanese blog
    pages get an English-only <title>, so the article comes back too."""
    year = rng.randint(2019, 2024)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    if lang == "ja":
        nav = _nav("ja")
        # Realism: some Japanese pages omit lang, a few carry an English-only <title>.
        html_lang = "ja" if rng.random() < 0.8 else None
        if rng.random() < 0.12 and kind in {"good", "short"}:
            article = _Article(
                f"{roman} - Blog", article.heading, article.paragraphs, article.topic, article.listing
            )
        side = nav["sidebar"]
        chrome = _Chrome(
            path=f"/entry/{year}/{month:02d}/{index:05d}.html",
            date_text=f"{year}年{month}月{day}日",
            year=year,
            html_lang=html_lang,
            menu=nav["menu"],
            sidebar_heading=side[0],
            sidebar_items=[f"{article.topic} {i}" for i in range(1, 6)],
            footer=nav["footer"],
        )
    elif lang == "en":
        nav = _nav("en")
        html_lang = rng.choice(("en", "en-US", "en-GB", None, None))  # English pages often omit it
        slug = "-".join(article.heading.lower().replace(":", "").split()[:5])
        chrome = _Chrome(
            path=f"/{year}/{month:02d}/{slug}-{index:05d}/",
            date_text=f"{year}-{month:02d}-{day:02d}",
            year=year,
            html_lang=html_lang,
            menu=nav["menu"],
            sidebar_heading=nav["sidebar"][0],
            sidebar_items=[f"{article.topic.title()} #{i}" for i in range(1, 6)],
            footer=nav["footer"],
        )
    else:
        labels = _OTHER_SITES[lang][1]
        chrome = _Chrome(
            path=f"/post/{index:05d}.html",
            date_text=f"{year}-{month:02d}-{day:02d}",
            year=year,
            html_lang=lang if rng.random() < 0.8 else None,
            menu=labels,
            sidebar_heading=labels[1],
            sidebar_items=labels[2:],
            footer=labels[-2:],
        )
    return chrome, article


def _make_page(
    rng: random.Random,
    *,
    index: int,
    lang: str,
    kind: str,
    charset: str,
    declared: str | None,
    declared_in: str,
    source: _Article | None = None,
) -> tuple[SamplePage, _Article]:
    host, site_title, roman = _site_for(rng, lang, kind)
    article = _article_for(rng, lang, kind, site_title, source)
    chrome, article = _chrome_for(rng, lang, kind, index, roman, article)
    extra_lists: list[Sequence[str]] = []
    if kind == "boilerplate":
        labels = _nav(lang)["boilerplate"]
        extra_lists = [labels[i : i + 6] for i in range(0, len(labels), 6)] * 2

    meta = _meta_tag(rng, declared) if declared and declared_in in {"meta", "both"} else None
    document = _render_html(
        rng,
        lang=lang,
        html_lang=chrome.html_lang,
        meta=meta,
        site_title=site_title,
        article=article,
        menu=chrome.menu,
        sidebar_heading=chrome.sidebar_heading,
        sidebar_items=chrome.sidebar_items,
        footer=chrome.footer,
        date_text=chrome.date_text,
        year=chrome.year,
        extra_link_lists=extra_lists,
    )
    text_lines = article.paragraphs + (article.listing or [])
    page = SamplePage(
        url=f"https://{host}{chrome.path}",
        lang=lang,
        kind=kind,
        charset=charset,
        declared_charset=declared,
        html=document.encode(charset),  # strict: a character the codec lacks is a bug in the texts
        declared_in=declared_in,
        content_language=lang if rng.random() < 0.3 else None,
        title=article.title,
        article_text="\n".join(text_lines),
        duplicate_of=source.url if source is not None and kind in {"duplicate", "near_duplicate"} else None,
    )
    article.url = page.url
    return page, article


def _charset_plan(rng: random.Random, lang: str, kinds: list[str], wrong_rate: float) -> list[tuple]:
    """Assign (codec, declared, declared_in) per page: exact coverage of encodings, a few wrong ones."""
    options = _CHARSETS[lang]
    counts = _allocate(len(kinds), {(c, d): w for c, d, w in options})
    pairs = [pair for pair, n in counts.items() for _ in range(n)]
    rng.shuffle(pairs)
    plan: list[tuple] = []
    for codec, declared in pairs:
        place = _weighted(rng, _DECLARATION_PLACES)
        plan.append((codec, None if place == "none" else declared, place))
    wrong = _WRONG_CHARSETS.get(lang, ())
    if wrong and wrong_rate > 0:
        good_idx = [i for i, k in enumerate(kinds) if k == "good"]
        n_wrong = min(len(good_idx), round(wrong_rate * len(kinds)))
        for j, i in enumerate(rng.sample(good_idx, n_wrong)):
            codec, declared = wrong[j % len(wrong)]
            plan[i] = (codec, declared, rng.choice(("http", "meta", "both")))
    return plan


def build_pages(
    seed: int,
    n_ja: int,
    n_en: int,
    n_other: int,
    *,
    ja_kinds: Mapping[str, float] | None = None,
    en_kinds: Mapping[str, float] | None = None,
    other_kinds: Mapping[tuple[str, str], float] | None = None,
    wrong_charset_rate: float = 0.07,
    shuffle: bool = True,
) -> list[SamplePage]:
    """Build n_ja + n_en + n_other pages deterministically from ``seed``.

    Kind counts per language are ``_allocate(n, weights)`` of the given (or default) mixes, so they are
    exact and predictable. ``wrong_charset_rate`` of the ja/en pages (rounded, only "good" pages) get a
    deliberately wrong charset declaration. With ``shuffle`` the languages and kinds are interleaved like a
    crawl; otherwise pages come grouped by language with originals before their copies.
    """
    rng = random.Random(seed)
    pages: list[SamplePage] = []
    index = 0
    mixes = (("ja", n_ja, ja_kinds or DEFAULT_JA_KINDS), ("en", n_en, en_kinds or DEFAULT_EN_KINDS))
    for lang, n, mix in mixes:
        counts = _allocate(n, mix)
        # Originals first so copies can refer to them; copies of nothing fall back to a hidden original.
        order = sorted(counts, key=lambda k: k in {"duplicate", "near_duplicate"})
        kinds = [k for k in order for _ in range(counts[k])]
        plan = _charset_plan(rng, lang, kinds, wrong_charset_rate)
        originals: list[_Article] = []
        for kind, (codec, declared, place) in zip(kinds, plan, strict=True):
            source = None
            if kind in {"duplicate", "near_duplicate"}:
                if not originals:
                    _, hidden = _make_page(
                        rng,
                        index=-1,
                        lang=lang,
                        kind="good",
                        charset="utf-8",
                        declared="UTF-8",
                        declared_in="both",
                    )
                    originals.append(hidden)
                source = rng.choice(originals)
            page, article = _make_page(
                rng,
                index=index,
                lang=lang,
                kind=kind,
                charset=codec,
                declared=declared,
                declared_in=place,
                source=source,
            )
            if kind == "good":
                originals.append(article)
            pages.append(page)
            index += 1

    other_counts = _allocate(n_other, other_kinds or DEFAULT_OTHER_KINDS)
    for (lang, kind), n in other_counts.items():
        if lang == "und":
            for _ in range(n):
                pages.append(_binary_page(rng, index))
                index += 1
            continue
        kinds = [kind] * n
        for codec, declared, place in _charset_plan(rng, lang, kinds, 0.0):
            page, _ = _make_page(
                rng, index=index, lang=lang, kind=kind, charset=codec, declared=declared, declared_in=place
            )
            pages.append(page)
            index += 1
    if shuffle:
        rng.shuffle(pages)
    return pages


# --------------------------------------------------------------------------------------------------------
# WARC writing


def _parse_date(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def _record_id(seed: int, index: int, rec_type: str, url: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{seed}|{index}|{rec_type}|{url}')}>"


def _ip_for(host: str) -> str:
    # TEST-NET-3 (RFC 5737) so no generated address points at a real machine.
    return f"203.0.113.{zlib.crc32(host.encode()) % 254 + 1}"


class _RecordSerializer:
    """Serialise warcio records to bytes so we control compression (and can damage a member on purpose).

    warcio's own gzip path is deterministic today (zlib leaves mtime 0), but writing members ourselves
    makes that explicit and gives one gzip member per record exactly like Common Crawl.
    """

    def __init__(self) -> None:
        self.buf = io.BytesIO()
        self.writer = WARCWriter(self.buf, gzip=False)

    def to_bytes(self, record) -> bytes:
        self.buf.seek(0)
        self.buf.truncate()
        self.writer.write_record(record)
        return self.buf.getvalue()


def _compress(raw: bytes) -> bytes:
    # mtime=0 keeps the gzip header free of wall-clock time; level 6 is zlib's speed/size sweet spot.
    return gzip_mod.compress(raw, compresslevel=6, mtime=0)


def _damage(member: bytes) -> bytes:
    """Damage a gzip member's deflate stream while keeping its 10-byte header and its length intact.

    The first deflate block header is set to the reserved block type 3, so inflate fails on the very first
    byte whatever the payload (flipping bytes mid-stream alone sometimes only trips the CRC check, which
    some readers merely warn about). Middle bytes are flipped too, so the record cannot be salvaged.
    The intact header lets a resynchronising reader find the next member by its magic bytes.
    """
    data = bytearray(member)
    data[10] |= 0x06  # BTYPE bits (1-2) = 0b11: "reserved (error)" in RFC 1951
    mid = len(data) // 2
    for i in range(mid, min(mid + 32, len(data) - 8)):
        data[i] ^= 0xA5
    return bytes(data)


def write_warc(
    path: str | Path,
    pages: Iterable[SamplePage],
    *,
    gzip: bool = True,
    with_requests: bool = True,
    with_metadata: bool = True,
    snapshot_date: str = "2024-02-20T10:00:00Z",
    seed: int = 0,
    corrupt_at: int | None = None,
) -> None:
    """Write ``pages`` as a Common-Crawl-style WARC: warcinfo, then request/response/metadata per page.

    ``corrupt_at`` inserts one deliberately damaged gzip member (a response record) before the page with
    that index; it needs ``gzip=True`` because damage is defined at the gzip-member level.
    """
    if corrupt_at is not None and not gzip:
        raise ValueError("corrupt_at requires gzip=True (the damage is to a gzip member)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    base = _parse_date(snapshot_date)
    ser = _RecordSerializer()
    builder = ser.writer

    def emit(out, raw: bytes, damaged: bool = False) -> None:
        if gzip:
            member = _compress(raw)
            out.write(_damage(member) if damaged else member)
        else:
            out.write(raw)

    with open(path, "wb") as out:
        info_id = _record_id(seed, -1, "warcinfo", path.name)
        fields = (
            "software: corpus_builder.samples.generate/0.1\r\n"
            "format: WARC File Format 1.0\r\n"
            f"isPartOf: CB-SAMPLE-{base:%Y-%m}\r\n"
            "description: Synthetic pages generated offline for tests and benchmarks; not crawled.\r\n"
            "operator: corpus_builder maintainers\r\n"
        ).encode()
        info = builder.create_warc_record(
            "",
            "warcinfo",
            payload=io.BytesIO(fields),
            length=len(fields),
            warc_headers_dict={
                "WARC-Type": "warcinfo",
                "WARC-Date": f"{base:%Y-%m-%dT%H:%M:%SZ}",
                "WARC-Filename": path.name,
                "WARC-Record-ID": info_id,
            },
        )
        emit(out, ser.to_bytes(info))

        for i, page in enumerate(pages):
            if corrupt_at is not None and i == corrupt_at:
                bad = _response_record(builder, page, seed, -2, base, info_id, url=page.url + "?copy=damaged")
                emit(out, ser.to_bytes(bad), damaged=True)
            when = base + timedelta(seconds=i + 1)
            resp = _response_record(builder, page, seed, i, base, info_id)
            resp_id = resp.rec_headers.get_header("WARC-Record-ID")
            if with_requests:
                emit(out, ser.to_bytes(_request_record(builder, page, seed, i, when, info_id, resp_id)))
            emit(out, ser.to_bytes(resp))
            if with_metadata:
                emit(out, ser.to_bytes(_metadata_record(builder, page, seed, i, when, info_id, resp_id)))


def _warc_date(when: datetime) -> str:
    return f"{when:%Y-%m-%dT%H:%M:%SZ}"


def _response_record(
    builder: WARCWriter,
    page: SamplePage,
    seed: int,
    i: int,
    base: datetime,
    info_id: str,
    url: str | None = None,
):
    url = url or page.url
    when = base + timedelta(seconds=max(i, 0) + 1)
    ctype = page.content_type
    if page.declared_charset and page.declared_in in {"http", "both"}:
        ctype += f"; charset={page.declared_charset}"
    headers = [
        ("Date", format_datetime(when, usegmt=True)),
        ("Server", "nginx"),
        ("Content-Type", ctype),
        ("Content-Length", str(len(page.html))),
    ]
    if page.content_language:
        headers.append(("Content-Language", page.content_language))
    headers.append(("Connection", "close"))
    http_headers = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    host = urlsplit(url).hostname or ""
    whd = {
        "WARC-Type": "response",
        "WARC-Date": _warc_date(when),
        "WARC-Record-ID": _record_id(seed, i, "response", url),
        "WARC-Warcinfo-ID": info_id,
        "WARC-IP-Address": _ip_for(host),
        "WARC-Target-URI": url,
        "WARC-Identified-Payload-Type": page.content_type,
    }
    return builder.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(page.html),
        length=len(page.html),
        http_headers=http_headers,
        warc_headers_dict=whd,
    )


def _request_record(
    builder: WARCWriter, page: SamplePage, seed: int, i: int, when: datetime, info_id: str, resp_id: str
):
    parts = urlsplit(page.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = [
        ("User-Agent", "corpus-builder-sample/0.1 (synthetic; no network access)"),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("Accept-Language", "en-US,en;q=0.5"),
        ("Accept-Encoding", "br,gzip"),
        ("Host", parts.hostname or ""),
    ]
    http_headers = StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)
    whd = {
        "WARC-Type": "request",
        "WARC-Date": _warc_date(when),
        "WARC-Record-ID": _record_id(seed, i, "request", page.url),
        "WARC-Warcinfo-ID": info_id,
        "WARC-IP-Address": _ip_for(parts.hostname or ""),
        "WARC-Concurrent-To": resp_id,
        "WARC-Target-URI": page.url,
    }
    return builder.create_warc_record(page.url, "request", http_headers=http_headers, warc_headers_dict=whd)


def _metadata_record(
    builder: WARCWriter, page: SamplePage, seed: int, i: int, when: datetime, info_id: str, resp_id: str
):
    # CC metadata records carry fetch time, detected charset and CLD2 language guesses; we mimic the
    # field names with plausible (true) values so readers that parse them have something to chew on.
    lines = [f"fetchTimeMs: {zlib.crc32(page.url.encode()) % 900 + 50}"]
    if page.charset:
        lines.append(f"charset-detected: {_CHARSETS_NAME.get(page.charset, page.charset)}")
    if page.lang in _LANG_NAMES:
        iso3, name = _LANG_NAMES[page.lang]
        cld2 = {
            "reliable": True,
            "text-bytes": len(page.article_text.encode("utf-8")),
            "languages": [
                {
                    "code": page.lang,
                    "code-iso-639-3": iso3,
                    "text-covered": 0.97,
                    "score": 990.0,
                    "name": name,
                }
            ],
        }
        lines.append("languages-cld2: " + json.dumps(cld2, separators=(",", ":")))
    payload = ("\r\n".join(lines) + "\r\n").encode()
    whd = {
        "WARC-Type": "metadata",
        "WARC-Date": _warc_date(when),
        "WARC-Record-ID": _record_id(seed, i, "metadata", page.url),
        "WARC-Warcinfo-ID": info_id,
        "WARC-Concurrent-To": resp_id,
        "WARC-Target-URI": page.url,
    }
    return builder.create_warc_record(
        page.url,
        "metadata",
        payload=io.BytesIO(payload),
        length=len(payload),
        warc_content_type="application/warc-fields",
        warc_headers_dict=whd,
    )


_CHARSETS_NAME = {codec: name for opts in _CHARSETS.values() for codec, name, _ in opts}


# --------------------------------------------------------------------------------------------------------
# Entry points

SAMPLE_FILE_NAMES = ("sample-00000.warc.gz", "sample-00001.warc.gz", "sample-00002.warc.gz")
SAMPLE_CORRUPT_FILE = 1  # index into SAMPLE_FILE_NAMES of the file that gets the damaged record
_SAMPLE_COUNTS = (30, 30, 15)  # ja, en, other -> 75 pages, 25 per file
_SAMPLE_SNAPSHOTS = ("2024-02-20T10:00:00Z", "2024-02-20T11:00:00Z", "2024-02-20T12:00:00Z")


def _planted_sample(seed: int) -> tuple[list[SamplePage], list[PlantedPage]]:
    return plant(build_pages(seed, *_SAMPLE_COUNTS))


def sample_pages(seed: int = 0) -> list[list[SamplePage]]:
    """The pages of each sample file, in file order (ground truth for tests and the sample pipeline),
    with the evaluation items of `eval_plant` planted into a few of them."""
    pages, _ = _planted_sample(seed)
    per_file = -(-len(pages) // len(SAMPLE_FILE_NAMES))
    return [pages[i : i + per_file] for i in range(0, len(pages), per_file)]


def planted_pages(seed: int = 0) -> list[PlantedPage]:
    """Which sample pages carry which planted evaluation item, and what decontamination must do."""
    return _planted_sample(seed)[1]


def write_eval_sets(out_dir: str | Path) -> list[Path]:
    """The evaluation set files the sample's planted items come from: `<out_dir>/eval/*.jsonl`."""
    folder = Path(out_dir) / EVAL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for set_name, file_name in EVAL_FILES.items():
        path = folder / file_name
        path.write_bytes(eval_file_bytes(set_name))
        paths.append(path)
    return paths


def generate_sample(out_dir: str | Path, seed: int = 0, *, corrupt_record: bool = True) -> list[Path]:
    """Write the three sample WARC files used by ``pipelines/sample.yaml`` and the evaluation sets
    planted into them (``eval/*.jsonl``); return the WARC files' paths.

    With ``corrupt_record`` one extra, damaged response record sits in the middle of sample-00001 so the
    sample run demonstrates error reporting; all 75 real pages are still present around it.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for k, (name, pages) in enumerate(zip(SAMPLE_FILE_NAMES, sample_pages(seed), strict=True)):
        path = out / name
        corrupt_at = len(pages) // 2 if corrupt_record and k == SAMPLE_CORRUPT_FILE else None
        write_warc(
            path, pages, snapshot_date=_SAMPLE_SNAPSHOTS[k], seed=seed * 1000 + k, corrupt_at=corrupt_at
        )
        paths.append(path)
    write_eval_sets(out)
    return paths


def generate_cc_mix(
    out_path: str | Path,
    n_records: int,
    ja_share: float = 0.05,
    seed: int = 0,
    *,
    other_share: float = 0.1,
    with_requests: bool = True,
) -> Path:
    """Write one WARC with ``n_records`` responses, ``ja_share`` of them Japanese, for benchmarks.

    The non-Japanese remainder is English plus ``other_share`` zh/ko/de/binary pages, roughly the shape of
    a Common Crawl segment as seen by a Japanese-focused pipeline.
    """
    n_ja = round(n_records * ja_share)
    n_other = round((n_records - n_ja) * other_share)
    pages = build_pages(seed, n_ja, n_records - n_ja - n_other, n_other)
    path = Path(out_path)
    write_warc(path, pages, with_requests=with_requests, seed=seed)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m corpus_builder.samples.generate", description="Write deterministic sample WARC files."
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cc-mix",
        type=int,
        default=0,
        metavar="N",
        help="also write cc-mix-N.warc.gz with N response records",
    )
    parser.add_argument("--ja-share", type=float, default=0.05, help="Japanese share of the cc mix")
    parser.add_argument("--no-corrupt", action="store_true", help="omit the damaged record in sample-00001")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    paths = generate_sample(args.out_dir, args.seed, corrupt_record=not args.no_corrupt)
    paths += [args.out_dir / EVAL_DIR / name for name in EVAL_FILES.values()]
    if args.cc_mix > 0:
        paths.append(
            generate_cc_mix(
                args.out_dir / f"cc-mix-{args.cc_mix}.warc.gz", args.cc_mix, args.ja_share, args.seed
            )
        )
    for p in paths:
        print(f"{p}\t{p.stat().st_size} bytes")
    print(f"done in {time.perf_counter() - start:.2f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
