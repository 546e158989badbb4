"""The `llm-jp` preset as LLM-jp's ja_cc chain (issue 21): every rule on the raw text in LLM-jp's
order, kana-line extraction afterwards, HojiChar's word counting, the `llm-jp` URL rule set and a
document without a URL.  Fixtures are written for these tests."""

from __future__ import annotations

import math
import random
import re
import zlib
from pathlib import Path

import pytest
from datatrove.data import Document

from corpus_builder.config.stages import QualityStage, UrlFilterStage
from corpus_builder.quality.clean import keep_kana_lines
from corpus_builder.quality.explain import explain
from corpus_builder.quality.ngword import ListOrderMatcher, WordMatcher
from corpus_builder.quality.presets import load_preset
from corpus_builder.quality.urls import LLMJP_TLDS, build_url_rules
from corpus_builder.stages.quality import QualityFilter
from corpus_builder.stages.url_filter import UrlFilter

LLMJP = load_preset("llm-jp")

# Written for these tests; passes every llm-jp rule (about 40 characters per 。, zlib ratio ~0.58).
BASE = (
    "これは品質フィルタの試験のために書いた文章です。"
    "私たちは毎朝川沿いの道を歩き、季節ごとに変わる木々の色を眺めています。"
    "春には桜が咲き、夏には緑が濃くなり、秋には紅葉が見事で、冬には枝の形がよく見えます。\n"
    "近所の図書館では地域の歴史についての展示が開かれていて、古い地図や写真が並んでいました。"
    "展示を見たあとで喫茶店に入り、温かいお茶を飲みながら、昔の町の様子について友人と話しました。\n"
    "帰り道では小さな公園に寄って、子どもたちが楽しそうに遊ぶ姿をしばらく見守っていました。"
    "夕方になると空が赤く染まり、遠くの山の輪郭がはっきりと浮かび上がってきます。\n"
    "週末には家族で市場へ出かけ、新鮮な野菜や魚を選んで、夜は皆で料理を作るのが楽しみです。"
    "料理が苦手だった弟も、最近では味噌汁を上手に作れるようになり、家族から褒められています。\n"
)
ENGLISH_LINE = "Site map: news, sports, weather, culture, science, technology, travel, food, health\n"


def test_chain_order_and_every_rule_reads_the_raw_text() -> None:
    assert [rule.name for rule in LLMJP.rules] == [
        "not_empty",
        "kana_in_first_50_chars",
        "max_ad_keywords",
        "max_adult_words",
        "max_discrimination_words",
        "max_violence_words",
        "max_chars_per_kuten",
        "min_zlib_compression_ratio",
        "max_zlib_compression_ratio",
        "not_empty_after_kana_lines",
    ]
    assert LLMJP.modifiers == () and LLMJP.modifiers_after_rules == ("kana_lines",)
    assert all("c58e94f" in rule.source for rule in LLMJP.rules)
    assert LLMJP.evaluate(BASE).kept


# ---------------------------------------------------------------- the ordering cases of issue 21


def test_english_first_line_fails_kana_in_head_on_the_raw_text() -> None:
    text = ENGLISH_LINE + BASE
    assert LLMJP.evaluate(text).failed == "kana_in_first_50_chars"
    # the kana-line text would have passed: the rule must not see it
    assert LLMJP.evaluate(keep_kana_lines(text)[0]).kept


def test_kuten_frequency_is_measured_before_the_kana_lines_are_kept() -> None:
    text = BASE + ENGLISH_LINE * 25  # English lines add characters but no 。
    raw = LLMJP.compute_signals(text)["chars_per_kuten"]
    cleaned = LLMJP.compute_signals(keep_kana_lines(text)[0])["chars_per_kuten"]
    assert raw > 250 >= cleaned
    assert LLMJP.evaluate(text).failed == "max_chars_per_kuten"


def test_a_page_without_japanese_is_rejected_by_the_kana_rule_not_by_zlib() -> None:
    german = "Die Stadt liegt am Fluss und hat eine lange Geschichte. Im Sommer kommen viele Gäste.\n" * 5
    verdict = LLMJP.evaluate(german)
    assert verdict.failed == "kana_in_first_50_chars"
    # values are those of the raw page, not of the empty text left by the extraction
    assert math.isinf(verdict.signals["chars_per_kuten"])
    assert verdict.signals["zlib_compression_ratio"] > 0
    assert verdict.signals["kana_lines_stripped_length"] == 0


def test_a_document_left_empty_by_the_extraction_is_dropped_last() -> None:
    # kana only inside a URL (deleted by the extraction); the other lines hold 。 but no kana
    rng = random.Random(0)
    kanji = [chr(c) for c in range(0x4E00, 0x4E00 + 150)]
    body = "\n".join("".join(rng.choice(kanji) for _ in range(40)) + "。" for _ in range(6))
    verdict = LLMJP.evaluate("https://example.jp/ようこそ\n" + body)
    assert verdict.failed == "not_empty_after_kana_lines", verdict.signals


def test_quality_step_rewrites_only_a_kept_document_to_its_kana_lines() -> None:
    step = QualityFilter(QualityStage(preset="llm-jp"))
    page = BASE + "Copyright 2024 Example Inc. All rights reserved.\n"
    doc = Document(text=page, id="kept", metadata={"lang": "ja"})
    assert step.process(doc) is None
    assert doc.text == keep_kana_lines(page)[0] and "Copyright" not in doc.text
    signals = doc.metadata["quality_signals"]
    assert signals["llm-jp.modified_after_rules.kana_lines"] == 2.0  # the English line + the last ""
    assert signals["llm-jp.stripped_length"] == len(page.strip())  # measured on the raw page

    dropped = Document(text=ENGLISH_LINE + BASE, id="dropped", metadata={"lang": "ja"})
    assert step.process(dropped) == "kana_in_first_50_chars"
    assert dropped.text == ENGLISH_LINE + BASE

    raw_step = QualityFilter(QualityStage(preset="llm-jp", apply_modifiers=False))
    untouched = Document(text=page, id="raw", metadata={"lang": "ja"})
    assert raw_step.process(untouched) is None and untouched.text == page


# ---------------------------------------------------------------- each rule at its threshold


def test_not_empty_strips_unicode_whitespace() -> None:
    assert LLMJP.evaluate(" \n\u3000\t").failed == "not_empty"  # str.strip(), as is_not_empty
    assert LLMJP.evaluate("").failed == "not_empty"


def test_kana_in_first_50_chars_is_hojichar_class() -> None:
    assert LLMJP.evaluate("漢" * 49 + "あ" + BASE).kept
    assert LLMJP.evaluate("漢" * 50 + "あ" + BASE).failed == "kana_in_first_50_chars"
    # [ぁ-んァ-ン]: ー, ・, ヴ, ゝ are outside the class; small kana are inside
    assert LLMJP.compute_signals("ー・ヴゝ" + "漢" * 50)["kana_in_head"] == 0.0
    assert LLMJP.compute_signals("ぁ")["kana_in_head"] == 1.0


def test_ads_count_occurrences_above_ten() -> None:
    assert LLMJP.evaluate(BASE + "送料無料。" * 10).kept
    assert LLMJP.evaluate(BASE + "送料無料。" * 11).failed == "max_ad_keywords"
    assert LLMJP.compute_signals("送料無料" * 3)["ad_keyword_count"] == 3  # occurrences, not distinct


@pytest.mark.parametrize(
    ("word", "rule"),
    [
        ("無修正", "max_adult_words"),
        ("池沼", "max_discrimination_words"),
        ("殺してやる", "max_violence_words"),
    ],
)
def test_each_word_list_rejects_above_three(word: str, rule: str) -> None:
    assert LLMJP.evaluate(BASE + (word + "。") * 3).kept
    assert LLMJP.evaluate(BASE + (word + "。") * 4).failed == rule


def test_kuten_frequency_boundary_is_one_per_250_chars() -> None:
    at_limit = "あ" * 249 + "。" + "い" * 249 + "。"  # 500 chars, 2 。: exactly 250, kept
    over = "あ" * 250 + "。" + "い" * 249 + "。"  # 501 / 2
    assert LLMJP.compute_signals(at_limit)["chars_per_kuten"] == 250
    assert LLMJP.evaluate(at_limit).failed != "max_chars_per_kuten"
    assert LLMJP.evaluate(over).failed == "max_chars_per_kuten"


def test_zlib_ratio_is_level_nine_within_bounds() -> None:
    data = BASE.encode()
    assert LLMJP.compute_signals(BASE)["zlib_compression_ratio"] == len(zlib.compress(data, 9)) / len(data)
    assert LLMJP.evaluate("あいうえお。" * 300).failed == "min_zlib_compression_ratio"
    rng = random.Random(0)
    noisy = "あ。" + "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(2000))
    noisy = "。".join(noisy[i : i + 100] for i in range(0, len(noisy), 100))
    assert LLMJP.evaluate(noisy).failed == "max_zlib_compression_ratio"


# ---------------------------------------------------------------- HojiChar word counting


def test_first_listed_word_wins_not_the_longest() -> None:
    assert ListOrderMatcher(["a", "ab", "bc"]).count("abc") == 2  # "a", then "bc"
    assert WordMatcher(["a", "ab", "bc"]).count("abc") == 1  # Swallow's longest match: "ab"
    assert ListOrderMatcher(["ab", "abab"]).count("abab") == 2
    assert ListOrderMatcher([]).count("abc") == 0


def test_katakana_words_count_only_when_isolated() -> None:
    matcher = ListOrderMatcher(["エロ", "死ね"], isolate_katakana=True)
    assert matcher.count("エロ画像") == 1
    assert matcher.count("ヘエロー") == 0  # katakana on either side: a different word
    assert matcher.count("エロー") == 0  # ー counts as katakana, as in HojiChar's [ァ-ヴー]
    assert matcher.count("死ねシネ") == 1  # a non-katakana word needs no isolation
    assert ListOrderMatcher(["エロ"]).count("ヘエロー") == 1  # the ads list is not isolated
    # a list of katakana words only (or none) builds no empty alternative
    assert ListOrderMatcher(["エロ"], isolate_katakana=True).count("あいうえお") == 0
    assert ListOrderMatcher(["死ね"], isolate_katakana=True).count("あいうえお") == 0


def _hojichar_alternation_count(words: list[str], isolate_katakana: bool, text: str) -> int:
    """The oracle: HojiChar's NgWordsFilterJa pattern built as it builds it, counted with findall."""
    katakana = [w for w in words if isolate_katakana and re.fullmatch("[ァ-ヴー]+", w)]
    branches = [re.escape(w) for w in words if w not in katakana]
    if katakana:
        group = "|".join(map(re.escape, katakana))
        branches.append(f"(?<![ァ-ヴー])({group})(?![ァ-ヴー])")
    return len(re.findall("|".join(branches), text))


@pytest.mark.slow
@pytest.mark.parametrize("isolate_katakana", [False, True])
def test_list_order_matcher_counts_as_hojichar_alternation(isolate_katakana: bool) -> None:
    rng = random.Random(21)
    alphabet = "アイエロー漢字ab"
    for _ in range(3000):
        words = list(
            dict.fromkeys("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3))) for _ in range(5))
        )
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        expected = _hojichar_alternation_count(words, isolate_katakana, text)
        assert ListOrderMatcher(words, isolate_katakana).count(text) == expected, (words, text)


def test_word_lists_given_by_path_in_llmjp_format(tmp_path: Path) -> None:
    # LLM-jp's scripts/dict files: one word per line, no comments; written here for the test
    adult = tmp_path / "ja_adult_keywords.txt"
    adult.write_text("試験語\nテスト\n", encoding="utf-8")
    preset = LLMJP.with_options({"llmjp": {"adult_wordlist_path": str(adult)}})
    assert preset.compute_signals("試験語とテストとテストケース")["adult_word_count"] == 2
    assert preset.evaluate(BASE + "試験語。" * 4).failed == "max_adult_words"
    assert LLMJP.evaluate(BASE + "試験語。" * 4).kept  # the project's list does not have it


# ---------------------------------------------------------------- kana lines


def test_kana_line_class_is_the_unicode_scripts_plus_long_vowel_mark() -> None:
    text = "・・・\nー\n゛\n㌀\nㇰ\n漢字只有\nｶﾀｶﾅ"
    kept, _ = keep_kana_lines(text)
    # ・ and ゛ are script Common (dropped); ー is listed by LLM-jp; ㌀ ㇰ ｶ are script Katakana
    assert kept.split("\n") == ["ー", "㌀", "ㇰ", "ｶﾀｶﾅ"]


def test_urls_then_long_ascii_runs_are_deleted_inside_kana_lines() -> None:
    line = "これは https://例え.jp/パス です" + " x" * 60 + "。"
    kept, changed = keep_kana_lines(line)
    assert kept == "これは  です。" and changed == 2


# ---------------------------------------------------------------- domain check, URL-less documents


def test_llmjp_url_rules() -> None:
    rules = build_url_rules(preset="llm-jp")
    assert sorted(LLMJP_TLDS) == [
        "biz", "cc", "com", "info", "jp", "me", "net", "org", "site", "tokyo", "tv", "work", "xyz",
    ]  # fmt: skip
    for tld in LLMJP_TLDS:
        assert rules.check(f"https://www.example.{tld}/a") is None
    assert rules.check("https://example.co.uk/") == "tld_not_allowed:uk"
    assert rules.check("https://ja.wikipedia.org/wiki/日本") == "host_suffix:ja.wikipedia.org"
    assert rules.check("http://ja.wikipedia.org/wiki/日本") == "host_suffix:ja.wikipedia.org"
    assert rules.check("https://en.wikipedia.org/wiki/Japan") is None


@pytest.mark.parametrize("metadata", [{}, {"url": None}, {"url": ""}, {"url": "not a url"}])
def test_a_document_without_a_url_host_is_dropped_with_a_reason(metadata: dict) -> None:
    step = UrlFilter(UrlFilterStage(preset="llm-jp"))
    assert step.process(Document(text=BASE, id="no-url", metadata=metadata)) == "no_hostname"
    # the text rules do not need a URL: the quality stage judges the text alone
    assert LLMJP.evaluate(BASE).kept


# ---------------------------------------------------------------- explain


def test_explain_shows_raw_text_values_in_chain_order() -> None:
    text = ENGLISH_LINE + BASE
    rows = explain(text, "llm-jp")
    assert [r.rule for r in rows] == [rule.name for rule in LLMJP.rules]
    by_rule = {r.rule: r for r in rows}
    assert (
        by_rule["kana_in_first_50_chars"].value == 0 and by_rule["kana_in_first_50_chars"].verdict == "REJECT"
    )
    assert by_rule["not_empty"].value == len(text.strip())
    assert by_rule["max_chars_per_kuten"].value == pytest.approx(len(text) / text.count("。"))
    assert by_rule["not_empty_after_kana_lines"].value == len(keep_kana_lines(text)[0].strip())


def test_explain_resolves_word_list_paths_against_the_pipeline(tmp_path: Path) -> None:
    (tmp_path / "adult.txt").write_text("試験語\n", encoding="utf-8")
    stage = QualityStage(
        preset="llm-jp", options={"llmjp": {"adult_wordlist_path": str(tmp_path / "adult.txt")}}
    )
    stage.options["llmjp"]["adult_wordlist_path"] = "adult.txt"  # as written in a pipeline file
    rows = explain(BASE + "試験語。" * 4, stage, base_dir=str(tmp_path))
    assert next(r for r in rows if r.rule == "max_adult_words").verdict == "REJECT"
