"""Line-level cleaning modifiers: each changes what it should and counts it."""

from __future__ import annotations

from pathlib import Path

from corpus_builder.quality.clean import (
    footer_keyword_share,
    keep_kana_lines,
    nfkc,
    normalize_kutoten,
    remove_symbol_only_lines,
    remove_url_only_lines,
    trim_footer,
)


def test_kutoten_replaced_when_fullwidth_forms_dominate() -> None:
    text = "今日は晴れ，明日は雨．明後日は曇り，でしょう．"
    assert normalize_kutoten(text) == ("今日は晴れ、明日は雨。明後日は曇り、でしょう。", 4)


def test_kutoten_left_alone_when_japanese_forms_dominate() -> None:
    text = "今日は晴れ、明日は雨。明後日は曇り、でしょう．"
    assert normalize_kutoten(text) == (text, 0)


def test_kutoten_runs_preserved_and_fullwidth_alnum_excluded() -> None:
    text = "価格は１，０００円，送料は無料．．"
    out, count = normalize_kutoten(text)
    assert out == "価格は１，０００円、送料は無料。。" and count == 3


def test_footer_trimmed_from_first_keyword_heavy_line_in_last_10() -> None:
    body = [f"本文の{i}行目です。内容があります。" for i in range(12)]
    text = "\n".join([*body, "会社概要 | プライバシーポリシー", "Copyright 2024 Example"])
    out, removed = trim_footer(text)
    assert out == "\n".join(body) and removed == 2


def test_footer_only_looks_at_last_10_lines_and_needs_30_percent() -> None:
    text = "\n".join(["利用規約", *[f"本文の{i}行目です。" for i in range(12)]])
    assert trim_footer(text) == (text, 0)  # keyword line is outside the last 10
    line = "この記事のお問い合わせは下記の窓口までご連絡ください"  # 6 of 27 chars ~ 22% < 30%
    assert footer_keyword_share(line, ["お問い合わせ"]) < 0.3
    assert trim_footer("本文です。\n" + line)[1] == 0


def test_footer_keywords_replaceable(tmp_path: Path) -> None:
    words = tmp_path / "f.txt"
    words.write_text("おわり\n", encoding="utf-8")
    assert trim_footer("本文です。\nおわり", keywords_path=words) == ("本文です。", 1)


def test_url_only_and_symbol_only_lines() -> None:
    text = (
        "本文です。\nhttps://example.com/a\n  www.example.jp  https://x.y/z \n"
        "参照 https://example.com/ を見て\n"
    )
    assert remove_url_only_lines(text) == ("本文です。\n参照 https://example.com/ を見て\n", 2)
    text = "見出し\n★★★★\n----\n｜　｜\n\n本文。"
    assert remove_symbol_only_lines(text) == ("見出し\n\n本文。", 3)
    assert remove_symbol_only_lines("何もない") == ("何もない", 0)


def test_nfkc_and_kana_lines() -> None:
    assert nfkc("ＡＢＣ１２３ｱｲｳ") == ("ABC123アイウ", 9)
    assert nfkc("普通の文") == ("普通の文", 0)
    assert keep_kana_lines("MENU\nこれは本文です。\n") == ("これは本文です。", 2)
