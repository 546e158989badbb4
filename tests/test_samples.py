"""Tests for the deterministic sample WARC generator (corpus_builder.samples.generate).

The generator feeds the offline sample pipeline, other tests and benchmarks, so these tests pin down what
those consumers rely on: byte-identical output per seed, exact page composition, honest charsets, Japanese
"good" pages that really pass the Swallow-style thresholds, and a damaged record only when asked for.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from corpus_builder.samples.generate import (
    DEFAULT_EN_KINDS,
    DEFAULT_JA_KINDS,
    DEFAULT_OTHER_KINDS,
    SAMPLE_CORRUPT_FILE,
    SAMPLE_FILE_NAMES,
    SamplePage,
    build_pages,
    generate_cc_mix,
    generate_sample,
    main,
    sample_pages,
    write_warc,
)

# ---------------------------------------------------------------------------------------------------------
# Japanese quality statistics, computed independently of the code under test.

_JA_PUNCT = set("。．！？、，")
_KANJI_EXTRA = set("々〇〻")


def _is_hiragana(c: str) -> bool:
    return "\u3041" <= c <= "\u3096"


def _is_katakana(c: str) -> bool:
    return "\u30a1" <= c <= "\u30fa"


def _is_kanji(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or c in _KANJI_EXTRA


def ja_stats(text: str) -> dict[str, float]:
    text = text.replace("\n", "")
    hira = sum(map(_is_hiragana, text))
    kata = sum(map(_is_katakana, text))
    kanji = sum(map(_is_kanji, text))
    punct = sum(c in _JA_PUNCT for c in text)
    letters = hira + kata + kanji + punct
    sentences = [s for s in re.split(r"[。．！？]", text) if s.strip()]
    return {
        "hiragana_fraction": hira / letters if letters else 0.0,
        "katakana_fraction": kata / letters if letters else 0.0,
        "avg_sentence_len": sum(map(len, sentences)) / len(sentences) if sentences else 0.0,
        "chars": len(text),
    }


def passes_ja_thresholds(text: str) -> bool:
    s = ja_stats(text)
    return (
        s["hiragana_fraction"] >= 0.2
        and s["katakana_fraction"] <= 0.5
        and 20 <= s["avg_sentence_len"] <= 90
        and s["chars"] >= 400
    )


def _responses(path: Path) -> list[tuple[str, str, bytes]]:
    """(target URI, HTTP Content-Type, payload) of every response record; raises on damaged input."""
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "response":
                out.append(
                    (
                        rec.rec_headers.get_header("WARC-Target-URI"),
                        rec.http_headers.get_header("Content-Type"),
                        rec.content_stream().read(),
                    )
                )
    return out


def _all_sample_pages(seed: int = 0) -> list[SamplePage]:
    return [p for chunk in sample_pages(seed) for p in chunk]


# ---------------------------------------------------------------------------------------------------------
# Determinism


def test_generate_sample_is_byte_identical(tmp_path: Path) -> None:
    a = generate_sample(tmp_path / "a", seed=0)
    b = generate_sample(tmp_path / "b", seed=0)
    assert [p.name for p in a] == list(SAMPLE_FILE_NAMES)
    for pa, pb in zip(a, b, strict=True):
        data = pa.read_bytes()
        assert data == pb.read_bytes()
        assert data[:4] == b"\x1f\x8b\x08\x00" and data[4:8] == b"\x00\x00\x00\x00"  # gzip mtime fixed at 0
    c = generate_sample(tmp_path / "c", seed=1)
    assert a[0].read_bytes() != c[0].read_bytes()


def test_cc_mix_is_deterministic_with_requested_share(tmp_path: Path) -> None:
    # Same file name in both runs: the name is recorded in the warcinfo record.
    p1 = generate_cc_mix(tmp_path / "a" / "mix.warc.gz", 400, ja_share=0.05, seed=7)
    p2 = generate_cc_mix(tmp_path / "b" / "mix.warc.gz", 400, ja_share=0.05, seed=7)
    assert p1.read_bytes() == p2.read_bytes()
    responses = _responses(p1)
    assert len(responses) == 400
    # Same parameters as generate_cc_mix uses internally: 20 ja, 38 other, 342 en.
    pages = build_pages(7, 20, 342, 38)
    assert [r[2] for r in responses] == [p.html for p in pages]
    assert sum(p.lang == "ja" for p in pages) == 20


# ---------------------------------------------------------------------------------------------------------
# Composition


def test_sample_composition_matches_default_mixes() -> None:
    chunks = sample_pages(0)
    assert [len(c) for c in chunks] == [25, 25, 25]
    pages = [p for c in chunks for p in c]
    langs = Counter(p.lang for p in pages)
    assert langs["ja"] == 30 and langs["en"] == 30
    assert sum(langs[k] for k in ("zh", "ko", "de", "und")) == 15
    # The default weights sum to exactly the sample counts, so the allocation reproduces them.
    assert Counter(p.kind for p in pages if p.lang == "ja") == Counter(DEFAULT_JA_KINDS)
    assert Counter(p.kind for p in pages if p.lang == "en") == Counter(DEFAULT_EN_KINDS)
    other = Counter((p.lang, p.kind) for p in pages if p.lang not in {"ja", "en"})
    assert other == Counter(DEFAULT_OTHER_KINDS)
    assert len({p.url for p in pages}) == len(pages)
    assert {p.charset for p in pages if p.lang == "ja"} == {"utf-8", "cp932", "euc_jp", "iso2022_jp"}
    assert {p.charset for p in pages if p.lang == "en"} == {"utf-8", "cp1252"}
    assert {p.charset for p in pages if p.lang == "zh"} >= {"gb2312", "gbk"}
    assert "euc_kr" in {p.charset for p in pages if p.lang == "ko"}
    assert {p.declared_in for p in pages if p.lang in {"ja", "en"}} == {"http", "meta", "both", "none"}
    assert any(p.lang == "ja" and p.charset_is_wrong for p in pages)
    assert any(p.lang == "en" and p.charset_is_wrong for p in pages)
    assert any(p.lang == "ja" and b'<html lang="ja">' not in p.html for p in pages)


@pytest.mark.parametrize("seed", [0, 3])
def test_build_pages_counts_and_custom_mix(seed: int) -> None:
    pages = build_pages(seed, 20, 13, 9)
    assert Counter(p.lang for p in pages)["ja"] == 20
    assert Counter(p.lang for p in pages)["en"] == 13
    assert len(pages) == 42
    only = build_pages(seed, 6, 4, 0, ja_kinds={"good": 1}, en_kinds={"short": 1})
    assert Counter((p.lang, p.kind) for p in only) == {("ja", "good"): 6, ("en", "short"): 4}
    assert build_pages(seed, 20, 13, 9) == pages  # same seed, same pages


# ---------------------------------------------------------------------------------------------------------
# Content


def test_every_page_decodes_with_its_own_charset() -> None:
    pages = _all_sample_pages(0) + build_pages(5, 40, 40, 20)
    for p in pages:
        if p.kind == "binary":
            assert p.charset == "" and not p.html.lstrip().startswith(b"<")
            continue
        text = p.html.decode(p.charset)  # strict: must not raise
        assert "<article>" in text and "<h1>" in text and ("&copy;" in text or "\u00a9" in text)
        for line in p.article_text.split("\n"):
            assert html.escape(line, quote=False) in text
        has_meta = f"charset={p.declared_charset}" in text or f'charset="{p.declared_charset}"' in text
        assert has_meta == (p.declared_charset is not None and p.declared_in in {"meta", "both"}), p.url
        if p.charset_is_wrong:
            assert p.html.decode(p.declared_charset, errors="replace") != text


@pytest.mark.parametrize("seed", [0, 1, 2, 11])
def test_japanese_good_pages_pass_thresholds(seed: int) -> None:
    pages = build_pages(seed, 40, 0, 0) + (_all_sample_pages(seed) if seed == 0 else [])
    good = [p for p in pages if p.lang == "ja" and p.kind in {"good", "duplicate", "near_duplicate"}]
    assert good
    for p in good:
        assert passes_ja_thresholds(p.article_text), (p.url, ja_stats(p.article_text))
    for p in pages:
        if p.lang == "ja" and p.kind == "low_quality":
            assert ja_stats(p.article_text)["katakana_fraction"] > 0.5
        if p.lang == "ja" and p.kind in {"short", "boilerplate"}:
            assert ja_stats(p.article_text)["chars"] < 400


def test_duplicates_copy_a_good_page_on_another_url() -> None:
    pages = _all_sample_pages(0)
    by_url = {p.url: p for p in pages}
    dups = [p for p in pages if p.kind in {"duplicate", "near_duplicate"}]
    assert dups
    for d in dups:
        src = by_url[d.duplicate_of]
        assert src.kind == "good" and src.lang == d.lang and src.url != d.url
        if d.kind == "duplicate":
            assert d.article_text == src.article_text
        else:
            assert d.article_text != src.article_text
            assert src.article_text.split("\n")[1:-1] == d.article_text.split("\n")[1:-1]


# ---------------------------------------------------------------------------------------------------------
# WARC structure and the damaged record


def test_warc_records_match_pages(tmp_path: Path) -> None:
    paths = generate_sample(tmp_path, corrupt_record=False)
    for path, chunk in zip(paths, sample_pages(0), strict=True):
        with open(path, "rb") as fh:
            types = [rec.rec_type for rec in ArchiveIterator(fh)]
        assert types == ["warcinfo"] + ["request", "response", "metadata"] * len(chunk)
        responses = _responses(path)
        assert [(u, body) for u, _, body in responses] == [(p.url, p.html) for p in chunk]
        for (_, ctype, _), p in zip(responses, chunk, strict=True):
            declared_in_http = p.declared_charset is not None and p.declared_in in {"http", "both"}
            assert ctype.startswith(p.content_type)
            assert ("charset=" in ctype) == declared_in_http
            if declared_in_http:
                assert ctype.endswith(f"charset={p.declared_charset}")


def test_write_warc_uncompressed_without_requests(tmp_path: Path) -> None:
    pages = build_pages(2, 3, 3, 0)
    path = tmp_path / "plain.warc"
    write_warc(path, pages, gzip=False, with_requests=False, with_metadata=False)
    assert path.read_bytes().startswith(b"WARC/1.0\r\n")
    with open(path, "rb") as fh:
        assert [r.rec_type for r in ArchiveIterator(fh)] == ["warcinfo"] + ["response"] * 6
    with pytest.raises(ValueError):
        write_warc(tmp_path / "x.warc", pages, gzip=False, corrupt_at=1)


def test_corrupt_record_only_when_asked(tmp_path: Path) -> None:
    bad = generate_sample(tmp_path / "bad", corrupt_record=True)
    good = generate_sample(tmp_path / "good", corrupt_record=False)
    chunks = sample_pages(0)
    for k, (b, g) in enumerate(zip(bad, good, strict=True)):
        if k != SAMPLE_CORRUPT_FILE:
            assert b.read_bytes() == g.read_bytes()
            assert len(_responses(b)) == len(chunks[k])
            continue
        assert b.read_bytes() != g.read_bytes()
        assert len(_responses(g)) == len(chunks[k])
        seen = 0
        with pytest.raises(Exception), open(b, "rb") as fh:  # noqa: B017 - any read error is acceptable
            for rec in ArchiveIterator(fh):
                if rec.rec_type == "response":
                    rec.content_stream().read()
                    seen += 1
        assert seen == len(chunks[k]) // 2  # the damage sits in the middle of the file


def test_cli_writes_sample_and_mix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), "--seed", "4", "--cc-mix", "60", "--no-corrupt"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([*SAMPLE_FILE_NAMES, "cc-mix-60.warc.gz", "eval"])  # eval/: the planted sets
    assert len(_responses(tmp_path / "cc-mix-60.warc.gz")) == 60
    assert "cc-mix-60.warc.gz" in capsys.readouterr().out
