"""Filter presets: Swallow NG-word rule, LLM-jp, HojiChar, FineWeb-2 (ja), the-stack, explain."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from corpus_builder.quality.explain import explain, format_table
from corpus_builder.quality.ngword import WordMatcher, make_ngword_signals
from corpus_builder.quality.presets import load_preset
from corpus_builder.quality.rules import RuleSet

SWALLOW_FULL = load_preset("swallow")
LLMJP = load_preset("llm-jp")
HOJICHAR = load_preset("hojichar")

# A Japanese text written for these tests that passes every llm-jp rule.
BASE = (
    "これは品質フィルタの試験のために書いた文章です。"
    "私たちは毎朝川沿いの道を歩き、季節ごとに変わる木々の色を眺めています。"
    "春には桜が咲き、夏には緑が濃くなり、秋には紅葉が見事で、冬には枝の形がよく見えます。"
    "近所の図書館では地域の歴史についての展示が開かれていて、古い地図や写真が並んでいました。"
    "展示を見たあとで喫茶店に入り、温かいお茶を飲みながら、昔の町の様子について友人と話しました。\n"
    "帰り道では小さな公園に寄って、子どもたちが楽しそうに遊ぶ姿をしばらく見守っていました。"
    "夕方になると空が赤く染まり、遠くの山の輪郭がはっきりと浮かび上がってきます。\n"
    "週末には家族で市場へ出かけ、新鮮な野菜や魚を選んで、夜は皆で料理を作るのが楽しみです。"
    "料理が苦手だった弟も、最近では味噌汁を上手に作れるようになり、家族から褒められています。\n"
)


def _rule(preset: RuleSet, name: str):
    return next(r for r in preset.rules if r.name == name)


def _verdict_names(preset: RuleSet, text: str) -> str | None:
    return preset.evaluate(text).failed


# ---------------------------------------------------------------- Swallow NG-word rule


def test_ngword_matching_is_greedy_longest_nonoverlapping_case_sensitive() -> None:
    matcher = WordMatcher(["ab", "abcd", "abc", "b", "XY"])
    assert matcher.find("abcde ab b abcabcd xy XY") == ["abcd", "ab", "b", "abc", "abcd", "XY"]
    assert matcher.matched_letters("abab") == 4  # non-overlapping, resumes after each match


def _ng_preset(tmp_path: Path) -> RuleSet:
    words = tmp_path / "ng.txt"
    words.write_text("# comment\n悪語\nBAD\n", encoding="utf-8")
    return SWALLOW_FULL.with_options({"ngword": {"wordlist_path": str(words)}})


def test_swallow_ng_fraction_boundary(tmp_path: Path) -> None:
    preset = _ng_preset(tmp_path)
    rule = _rule(preset, "max_ng_fraction")
    # 2 NG letters / 40 Japanese letters = 0.05 exactly -> rejected (keep iff < 0.05)
    outside = "悪語" + "あ" * 38
    inside = "悪語" + "あ" * 39  # 2 / 41 = 0.0488
    assert preset.compute_signals(outside)["ng_fraction"] == pytest.approx(0.05)
    assert preset.evaluate(outside).failed == "max_ng_fraction"
    assert preset.compute_signals(inside)["ng_fraction"] == pytest.approx(2 / 41)
    assert preset.evaluate(inside).failed != "max_ng_fraction"
    assert rule.threshold == 0.05 and rule.reject_if == ">="
    assert preset.rules[0].name == "max_ng_fraction"  # NG words before the quality rules


def test_swallow_ng_without_japanese_letters_passes(tmp_path: Path) -> None:
    signals = _ng_preset(tmp_path).compute_signals("BAD BAD BAD words only")
    assert signals["ng_letters"] == 9 and signals["ng_fraction"] == 0.0


def test_swallow_full_is_ng_rule_plus_swallow_preset() -> None:
    assert SWALLOW_FULL.rules[1:] == load_preset("swallow-quality").rules
    assert SWALLOW_FULL.signal_functions == ("ngword", "swallow")


# `swallow` as it read when swallow.yaml still listed every rule itself (before `extends:`), rule by rule:
# (name, signal, reject_if, threshold, bounds).  `explain` and notebooks/thresholds.ipynb load it.
SWALLOW_RULES_BEFORE_EXTENDS = [
    ("max_ng_fraction", "ng_fraction", ">=", 0.05, (0.0, 1000000.0)),
    ("min_num_letters", "num_letters", "<", 400.0, (4.0, 1000000.0)),
    ("max_duplicate_paragraph_fraction", "duplicate_paragraph_fraction", ">", 0.3, (0.0, 1.0)),
    ("max_duplicate_sentence_fraction", "duplicate_sentence_fraction", ">", 0.3, (0.0, 1.0)),
    (
        "max_duplicate_paragraph_fraction_in_character",
        "duplicate_paragraph_fraction_in_character",
        ">",
        0.2,
        (0.0, 1.0),
    ),
    (
        "max_duplicate_sentence_fraction_in_character",
        "duplicate_sentence_fraction_in_character",
        ">",
        0.2,
        (0.0, 1.0),
    ),
    ("max_top_2gram_character_fraction", "top_2gram_character_fraction", ">", 0.2, (0.0, 1.0)),
    ("max_top_3gram_character_fraction", "top_3gram_character_fraction", ">", 0.18, (0.0, 1.0)),
    ("max_top_4gram_character_fraction", "top_4gram_character_fraction", ">", 0.16, (0.0, 1.0)),
    ("max_duplicate_5gram_character_fraction", "duplicate_5gram_character_fraction", ">", 0.15, (0.0, 1.0)),
    ("max_duplicate_6gram_character_fraction", "duplicate_6gram_character_fraction", ">", 0.14, (0.0, 1.0)),
    ("max_duplicate_7gram_character_fraction", "duplicate_7gram_character_fraction", ">", 0.13, (0.0, 1.0)),
    ("max_duplicate_8gram_character_fraction", "duplicate_8gram_character_fraction", ">", 0.12, (0.0, 1.0)),
    ("max_duplicate_9gram_character_fraction", "duplicate_9gram_character_fraction", ">", 0.11, (0.0, 1.0)),
    ("max_duplicate_10gram_character_fraction", "duplicate_10gram_character_fraction", ">", 0.1, (0.0, 1.0)),
    ("min_hiragana_fraction", "hiragana_fraction", "<", 0.2, (0.0, 1.0)),
    ("max_katakana_fraction", "katakana_fraction", ">", 0.5, (0.0, 1.0)),
    ("min_japanese_fraction", "japanese_fraction", "<", 0.5, (0.0, 1.0)),
    ("min_num_japanese_letters", "num_japanese_letters", "<", 400.0, (0.0, 1000000.0)),
    ("min_avg_sentence_length", "avg_sentence_length", "<", 20.0, (1.0, 100000.0)),
    ("max_avg_sentence_length", "avg_sentence_length", ">", 90.0, (1.0, 100000.0)),
    ("max_sentence_length", "max_sentence_length", ">", 200.0, (1.0, 1000000.0)),
    ("max_ellipsis_fraction", "ellipsis_fraction", ">", 0.2, (0.0, 1.0)),
]


def test_swallow_resolved_through_extends_has_the_rules_it_listed_before() -> None:
    resolved = [(r.name, r.signal, r.reject_if, r.threshold, r.bounds) for r in SWALLOW_FULL.rules]
    for before, after in zip(SWALLOW_RULES_BEFORE_EXTENDS, resolved, strict=True):
        assert after == before
    assert all("swallow-llm/swallow-corpus@2d03507" in r.source for r in SWALLOW_FULL.rules)
    assert dict(SWALLOW_FULL.options)["ngword"][0][1].endswith("filters/wordlists/ng_ja.txt")


def test_default_ng_list_is_loadable_and_replaceable(tmp_path: Path) -> None:
    assert make_ngword_signals()("無修正の動画")["ng_letters"] == 3
    own = tmp_path / "own.txt"
    own.write_text("動画\n", encoding="utf-8")
    assert make_ngword_signals(own)("無修正の動画")["ng_letters"] == 2


# ---------------------------------------------------------------- LLM-jp rules at their boundaries


def test_llmjp_base_text_is_kept() -> None:
    assert LLMJP.evaluate(BASE).failed is None, LLMJP.evaluate(BASE).signals


def test_llmjp_kana_in_first_50_chars() -> None:
    assert _verdict_names(LLMJP, "漢" * 49 + "あ" + BASE) is None
    assert _verdict_names(LLMJP, "漢" * 50 + "あ" + BASE) == "kana_in_first_50_chars"


def test_llmjp_ad_keywords() -> None:
    # llm-jp-corpus filters.py is_not_ad_content(max_allowed_num=10): occurrences, not distinct words
    assert _verdict_names(LLMJP, BASE + "送料無料。" * 10) is None
    assert _verdict_names(LLMJP, BASE + "送料無料。" * 11) == "max_ad_keywords"


@pytest.mark.parametrize(
    ("word", "rule"),
    [
        ("無修正", "max_adult_words"),
        ("キチガイ", "max_discrimination_words"),
        ("殺してやる", "max_violence_words"),
    ],
)
def test_llmjp_word_counts(word: str, rule: str) -> None:
    # llm-jp-corpus filter_data.py ja_cc: max_allowed_num = 3, rejected when more than 3 occurrences
    assert _verdict_names(LLMJP, BASE + (word + "。") * 3) is None
    assert _verdict_names(LLMJP, BASE + (word + "。") * 4) == rule


def test_llmjp_kuten_per_250_chars() -> None:
    rule = _rule(LLMJP, "max_chars_per_kuten")
    inside = "あ" * 249 + "。" + "い" * 249 + "。"  # 500 chars, 2 kuten -> 250
    outside = "あ" * 250 + "。" + "い" * 249 + "。"  # 501 / 2
    assert LLMJP.compute_signals(inside)["chars_per_kuten"] == 250
    assert not rule.rejects(250) and rule.rejects(250.5)
    assert LLMJP.evaluate(outside).failed == "max_chars_per_kuten"
    assert LLMJP.evaluate(inside).failed != "max_chars_per_kuten"
    assert math.isinf(LLMJP.compute_signals("あ" * 10)["chars_per_kuten"])


def test_llmjp_zlib_ratio_bounds() -> None:
    low, high = _rule(LLMJP, "min_zlib_compression_ratio"), _rule(LLMJP, "max_zlib_compression_ratio")
    assert not low.rejects(0.30) and low.rejects(0.2999)
    assert not high.rejects(0.70) and high.rejects(0.7001)
    repetitive = "あいうえお。" * 300
    assert LLMJP.evaluate(repetitive).failed == "min_zlib_compression_ratio"
    rng = random.Random(0)
    noisy = "あ。" + "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(2000))
    noisy = "。".join(noisy[i : i + 100] for i in range(0, len(noisy), 100))
    assert LLMJP.evaluate(noisy).failed == "max_zlib_compression_ratio"


def test_llmjp_kana_lines_modifier_runs_after_the_rules() -> None:
    raw = "ホーム\nABOUT US\nこれは本文です https://example.com/x です。\n"
    assert LLMJP.apply_modifiers(raw) == (raw, {})  # nothing changes the text before the rules
    text, changed = LLMJP.apply_modifiers_after_rules(raw)
    # dropped: "ABOUT US" and the empty last line; deleted: one URL
    assert text == "ホーム\nこれは本文です  です。" and changed == {"kana_lines": 3}


# ---------------------------------------------------------------- HojiChar


def test_hojichar_rules_fire_with_their_names() -> None:
    assert HOJICHAR.evaluate(BASE).failed is None, HOJICHAR.evaluate(BASE).signals
    assert HOJICHAR.evaluate(BASE[:199]).failed == "min_doc_length"
    assert HOJICHAR.evaluate("A" * 50 + BASE).failed == "kana_in_first_50_chars"
    run = _rule(HOJICHAR, "max_single_char_run")
    assert HOJICHAR.compute_signals(BASE + "え" * 199)["max_char_run"] == 199
    assert not run.rejects(199) and run.rejects(200)
    kuten = _rule(HOJICHAR, "max_chars_per_kuten")  # count(。) < len / 100 rejects
    assert HOJICHAR.compute_signals("あ" * 198 + "。。")["chars_per_kuten"] == 100 and not kuten.rejects(100)
    assert HOJICHAR.evaluate("あい" * 101 + "。。").failed == "max_chars_per_kuten"
    assert HOJICHAR.evaluate(BASE + "送料無料 " * 15).failed == "max_ad_keywords"
    signals = HOJICHAR.compute_signals("ab\n" * 10)
    assert signals["short_line_ratio"] == 1.0  # 10 short lines + the empty last one
    assert HOJICHAR.apply_modifiers("ＡＢＣ１２３")[0] == "ABC123"


def test_hojichar_noun_ratio_needs_an_analyzer() -> None:
    assert HOJICHAR.compute_signals(BASE)["noun_ratio"] == 0.0
    pytest.importorskip("fugashi")
    pytest.importorskip("unidic_lite")
    with_analyzer = HOJICHAR.with_options({"hojichar": {"analyzer": "fugashi"}})
    assert 0.2 < with_analyzer.compute_signals(BASE)["noun_ratio"] < 0.8
    assert with_analyzer.evaluate("リンゴ・オレンジ・ミカン・バナナ セール中" * 20).failed is not None


# ---------------------------------------------------------------- FineWeb-2 Japanese


def test_fineweb2_ja_runs_with_fast_tokenizer() -> None:
    pytest.importorskip("fugashi")
    pytest.importorskip("unidic_lite")
    preset = load_preset("fineweb2-ja")
    text = BASE.replace("\n", "") + "\n" + BASE.replace("\n", "")[::-1]
    signals = preset.compute_signals(text)
    assert signals["stop_words_found"] >= 2 and 1 <= signals["avg_word_length"] <= 5
    assert preset.evaluate("短い。").failed is not None
    assert preset.evaluate("同じ行です。\n" * 20).failed == "dup_line_frac"


def test_fineweb2_script_tokenizer_needs_no_dependency() -> None:
    preset = load_preset("fineweb2-ja").with_options({"fineweb2": {"tokenizer": "script"}})
    assert preset.compute_signals(BASE)["n_non_symbol_words"] > 50


# ---------------------------------------------------------------- code


def test_the_stack_rules() -> None:
    preset = load_preset("the-stack")
    good = "def f(x):\n    return x + 1\n" * 10
    assert preset.evaluate(good).failed is None
    assert preset.evaluate("x = 1\n" + "a" * 1001 + "\n").failed == "max_line_length"
    assert preset.evaluate(("b" * 101 + "\n") * 5).failed == "max_avg_line_length"
    assert preset.evaluate("{}[]();:,.\n" * 10).failed == "min_alphanum_fraction"
    assert preset.evaluate("# Code generated by protoc. DO NOT EDIT.\n" + good).failed == "autogenerated"


# ---------------------------------------------------------------- explain


def test_explain_lists_every_rule_of_every_preset() -> None:
    rows = explain(BASE, ["swallow", "llm-jp", "hojichar"])
    assert len(rows) == len(SWALLOW_FULL.rules) + len(LLMJP.rules) + len(HOJICHAR.rules)
    assert {r.preset for r in rows} == {"swallow", "llm-jp", "hojichar"}
    assert all(r.verdict in {"pass", "REJECT", "fail"} for r in rows)
    llmjp_rows = [r for r in rows if r.preset == "llm-jp"]
    assert all(r.verdict == "pass" for r in llmjp_rows)
    swallow = [r for r in rows if r.preset == "swallow"]
    assert [r.verdict for r in swallow].count("REJECT") <= 1
    assert swallow[0].row[0] == "max_ng_fraction" and len(swallow[0].row) == 5
    assert "| swallow | max_ng_fraction |" in format_table(rows)


def test_malformed_options_and_modifiers_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="configurable"):
        LLMJP.with_options({"ngword": {"wordlist_path": "x"}})
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: t\nsignals: llmjp\nmodifiers: [nope]\nrules:\n  - name: r\n    signal: kana_in_head\n"
        "    reject_if: '<'\n    threshold: 1\n    bounds: [0, 1]\n    source: test\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="nope"):
        load_preset(str(bad))
