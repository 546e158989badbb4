"""Pre-detection, extraction and language ID on pages written here."""

from __future__ import annotations

import time

import pytest

from corpus_builder.text import predetect
from corpus_builder.text.extract import ExtractionTimeout, ExtractSettings, make_extractor, time_limit
from corpus_builder.text.langid import LanguageIdentifier, LanguageModelError, bundled_model_path
from corpus_builder.text.predetect import PredetectSettings, _is_utf8, japanese_signal

JA_BODY = (
    "駅前の小さな図書館では、毎週土曜日に子ども向けの読み聞かせ会が開かれています。"
    "参加した子どもたちは、絵本の続きを自分で考えて発表するのを楽しみにしているそうです。"
    "館長は、地域の人が気軽に集まれる場所にしたいと話していました。"
)
EN_BODY = (
    "The small library near the station holds a reading session for children every Saturday. "
    "Children who take part enjoy inventing the rest of the story and telling it to the others. "
    "The director said she wants the library to be a place where neighbours can meet easily."
)


def page(body: str, *, lang: str | None = None, title: str = "Library news") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    paragraphs = "".join(f"<p>{body}</p>" for _ in range(3))
    return (
        f"<!doctype html><html{lang_attr}><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> | <a href='/about'>About</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>© 2024 Example</footer></body></html>"
    )


SETTINGS = PredetectSettings()
ZH_BODY = "北京图书馆每周六为儿童举办故事会。孩子们喜欢自己编写故事的结局并讲给大家听。"


def signal(html: str, encoding: str = "utf-8", content_language: str | None = None, **kw) -> str | None:
    settings = PredetectSettings(**kw) if kw else SETTINGS
    # xmlcharrefreplace: the page footer's © has no Shift_JIS code, as on real pages
    return japanese_signal(html.encode(encoding, "xmlcharrefreplace"), content_language, None, settings)


@pytest.mark.parametrize(
    ("html", "encoding", "content_language", "expected"),
    [
        (page(EN_BODY, lang="ja-JP"), "utf-8", None, "lang_attribute"),
        (page(EN_BODY), "utf-8", "ja", "http_language"),
        (page(EN_BODY, title="図書館だより"), "utf-8", None, "title"),
        (page(JA_BODY), "utf-8", None, "kana"),
        # Legacy encodings without any declaration: decoded, then scanned as text.
        (page(JA_BODY), "cp932", None, "kana"),
        (page(JA_BODY), "euc_jp", None, "kana"),
        (page(JA_BODY), "iso2022_jp", None, "kana"),
        (page(EN_BODY, title="図書館だより"), "cp932", None, "title"),
        (page(EN_BODY, title="図書館だより"), "euc_jp", None, "title"),
        (page(EN_BODY, lang="en"), "utf-8", None, None),
        (page(ZH_BODY, lang="zh"), "utf-8", None, None),
        (page(ZH_BODY), "gbk", None, None),
        (page(EN_BODY), "utf-16", None, None),
        (page(JA_BODY), "utf-16", None, "kana"),
    ],
)
def test_predetect_signals(
    html: str, encoding: str, content_language: str | None, expected: str | None
) -> None:
    assert signal(html, encoding, content_language) == expected


RU_BODY = "Небольшая библиотека у вокзала каждую субботу проводит чтения для детей. " * 8
DE_BODY = (
    "Die kleine Bücherei am Bahnhof lädt jeden Samstag Kinder zum Vorlesen ein. Größer wird sie nicht. " * 8
)


@pytest.mark.parametrize(
    ("body", "encoding"), [(RU_BODY, "cp1251"), (DE_BODY, "latin-1"), (EN_BODY, "cp1252")]
)
def test_legacy_pages_without_kana_lead_bytes_are_settled_without_decoding(
    body: str, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_decoding(*args: object) -> None:
        raise AssertionError("the head was decoded")

    monkeypatch.setattr(predetect, "decode_html", no_decoding)
    assert signal(page(body, title="Новости" if encoding == "cp1251" else "Nachrichten"), encoding) is None


@pytest.mark.parametrize("encoding", ["cp932", "euc_jp", "gbk", "euc_kr", "cp1251"])
@pytest.mark.parametrize("kana", [0, 1, 19, 20, 21, 60])
@pytest.mark.parametrize("in_title", [False, True])
def test_the_legacy_lead_byte_bound_never_changes_the_answer(
    encoding: str, kana: int, in_title: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The byte bound only skips decoding: the signal is the one the full decoding path gives."""
    kana_text = ("ひらがなカタカナ" * 10)[:kana]
    title = kana_text if in_title else "News"
    body = (RU_BODY if encoding == "cp1251" else ZH_BODY if encoding == "gbk" else EN_BODY) + (
        "" if in_title else kana_text
    )
    html = page(body, title=title)
    bounded = signal(html, encoding)
    monkeypatch.setattr(predetect, "_legacy_kana_possible", lambda *args: True)
    assert bounded == signal(html, encoding)


def test_predetect_only_scans_the_head() -> None:
    html = "<html><body>" + "x" * 20_000 + JA_BODY * 3 + "</body></html>"
    assert signal(html, head_bytes=16_384) is None
    assert signal(html, head_bytes=40_000) == "kana"


def test_a_character_cut_by_the_head_still_counts_as_utf8() -> None:
    encoded = ("<html><body>" + JA_BODY).encode("utf-8")
    cut = len("<html><body>") + 1  # one byte into a three-byte character
    assert _is_utf8(encoded[:cut])
    assert not _is_utf8(encoded[: cut - 1] + b"\x82\xa0")  # a Shift_JIS kana
    assert not _is_utf8(b"\x1b$B$3$l\x1b(B")  # ISO-2022-JP is 7-bit but not UTF-8 text


def test_predetect_signals_can_be_switched_off() -> None:
    assert signal(page(EN_BODY, lang="ja"), use_lang_attribute=False) is None


@pytest.mark.parametrize("engine", ["trafilatura", "resiliparse"])
def test_extractors_keep_article_and_drop_navigation(engine: str) -> None:
    extract = make_extractor(ExtractSettings(engine=engine))
    text = extract(page(JA_BODY, lang="ja"))
    assert "駅前の小さな図書館" in text
    assert "About" not in text


def _table_layout_page(body: str) -> str:
    """Table-era markup: the article sits in a layout table cell, as on many older Japanese sites."""
    return (
        "<html lang='ja'><head><title>図書館だより</title></head><body>"
        "<div id='menu'><a href='/'>Home</a> <a href='/about'>About</a></div>"
        "<table width='100%'><tr><td valign='top'>"
        + "".join(f"<p>{body}</p>" for _ in range(3))
        + "</td><td><ul><li><a href='/a'>Archive</a></li></ul></td></tr></table></body></html>"
    )


@pytest.mark.parametrize("engine", ["trafilatura", "resiliparse"])
def test_article_in_a_layout_table_is_kept_one_paragraph_per_line(engine: str) -> None:
    text = make_extractor(ExtractSettings(engine=engine))(_table_layout_page(JA_BODY))
    assert "駅前の小さな図書館" in text
    assert "\n\n" not in text  # blank lines would count as duplicate paragraphs in the Swallow rules


@pytest.mark.parametrize(
    ("body", "fast_runs", "full_runs"),
    [(JA_BODY * 3, 1, 0), ("駅前の図書館が新しくなりました。", 1, 1)],
    ids=["long article: fast mode is enough", "short result: full extraction too"],
)
def test_fallback_when_short_runs_the_full_extraction_only_for_short_results(
    body: str, fast_runs: int, full_runs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trafilatura

    calls: list[bool] = []
    original = trafilatura.extract

    def counting(html: str, **kwargs: object) -> str | None:
        calls.append(bool(kwargs["fast"]))
        return original(html, **kwargs)

    html = page(body, lang="ja")
    expected = make_extractor(ExtractSettings(fallback="always" if full_runs else "never"))(html)
    monkeypatch.setattr(trafilatura, "extract", counting)
    text = make_extractor(ExtractSettings(fallback="when_short"))(html)
    assert (calls.count(True), calls.count(False)) == (fast_runs, full_runs)
    assert text == expected


def test_trafilatura_output_does_not_depend_on_earlier_pages() -> None:
    extract = make_extractor(ExtractSettings(engine="trafilatura"))
    first = extract(page(JA_BODY, lang="ja"))
    for _ in range(3):
        assert extract(page(JA_BODY, lang="ja")) == first


def test_time_limit_interrupts_a_slow_extractor() -> None:
    started = time.monotonic()
    with pytest.raises(ExtractionTimeout), time_limit(0.2):
        while True:
            time.sleep(0.01)
    assert time.monotonic() - started < 2


def test_langid_uses_the_bundled_model_and_is_newline_safe() -> None:
    identifier = LanguageIdentifier()
    assert identifier.model_path == str(bundled_model_path())
    lang, score = identifier.predict(JA_BODY.replace("。", "。\n"))
    assert lang == "ja" and score > 0.9
    lang, score = identifier.predict(EN_BODY)
    assert lang == "en" and score > 0.9
    assert identifier.predict(" \n\t") == ("und", 0.0)


def test_langid_missing_model_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(LanguageModelError, match="not found"):
        LanguageIdentifier(str(tmp_path / "lid.176.bin"))
