"""Tests of the Swallow corpus v1 quality signals, the rule engine and the ``swallow`` preset.

Every Japanese text here was written for this test suite.  Boundary tests build a family of
documents ``build(k)`` whose tested signal moves monotonically with ``k``, find the first ``k``
the rule rejects, and check that ``build(k - 1)`` is kept by the whole preset while ``build(k)``
is rejected by exactly that rule; where the threshold can be hit exactly, the kept document sits
on it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_builder.quality import swallow as swallow_module
from corpus_builder.quality.presets import load_preset
from corpus_builder.quality.rules import SIGNAL_FUNCTIONS, RuleSet
from corpus_builder.quality.swallow import SIGNAL_NAMES, swallow_signals
from corpus_builder.text.ja import count_char_classes, count_kana, split_paragraphs, split_sentences

PRESET = load_preset("swallow-quality")

# Fifty everyday sentences (27-34 characters), only hiragana/katakana/kanji/、。 so that every
# character is a "Japanese letter"; chosen to share few 5-grams.
SENTENCES = [
    "朝早く家を出ると、川沿いの道にはまだ薄い霧が残っていた。",
    "祖母は毎年春になると庭の梅の実を集めて、甘い酒を仕込む。",
    "駅前の小さな書店は、店主が選んだ古い詩集を窓辺に並べている。",
    "雨上がりの坂道を自転車で下りながら、遠くの山並みを眺めた。",
    "新しい図書館には静かな閲覧室があり、学生たちが熱心に勉強していた。",
    "昼休みに同僚と近くの定食屋へ行き、焼き魚と味噌汁を注文した。",
    "港町の市場では、漁師が朝どれの貝や海藻を威勢よく売っている。",
    "子どもたちは校庭の隅で、落ち葉を集めて小さな山を作って遊んだ。",
    "冬の夜空は空気が澄んでいて、オリオン座がはっきりと見える。",
    "彼女は週末になると郊外の畑へ通い、野菜作りを楽しんでいるそうだ。",
    "古い町並みを歩くと、木造の格子戸や石畳が昔の面影を伝えてくれる。",
    "台風が近づいているため、明日の授業は休みになるかもしれない。",
    "父は定年退職してから、趣味の釣りに出かける日が増えたらしい。",
    "この地域では昔から茶の栽培が盛んで、斜面に緑の畝が連なっている。",
    "夕方の商店街には揚げ物の香りが漂い、買い物客で賑わっていた。",
    "研究室の窓から見える桜並木は、今週末に満開を迎える見込みだ。",
    "弟は受験勉強の合間に、好きな漫画を少しずつ読み進めている。",
    "山小屋に着いたころには日が暮れ、温かい汁物が何よりのごちそうだった。",
    "地元の農家が育てた米は粒が大きく、炊きあがると甘みが広がる。",
    "博物館の特別展では、江戸時代の地図や旅の道具が展示されていた。",
    "夏祭りの夜、浴衣を着た人々が提灯の明かりの下を行き交っていた。",
    "友人から届いた手紙には、遠い北国の静かな暮らしが綴られていた。",
    "公園の池では、鴨の親子がゆっくりと水面を横切っていくのが見えた。",
    "医師は、睡眠不足が続くと集中力や判断力が落ちると注意を促した。",
    "週に一度、近所の体育館で卓球をするのがささやかな楽しみである。",
    "窓を開けると、隣家の風鈴が涼しげな音を響かせているのが聞こえた。",
    "長い会議のあと、私たちは屋上に出て深呼吸をしながら空を仰いだ。",
    "彼は料理が得意で、冷蔵庫の残り物から手早く一品をこしらえる。",
    "秋になると、峠の紅葉を目当てに多くの観光客がこの村を訪れる。",
    "小学校の先生は、算数の問題を身近な買い物の例で説明してくれた。",
    "深夜の台所で湯を沸かし、ほうじ茶を淹れてひと息ついた。",
    "川の上流には澄んだ淵があり、夏には子どもたちが泳ぎに集まる。",
    "叔父の営む蕎麦屋は、手打ちの麺と濃いめのつゆで評判を呼んでいる。",
    "雪国の冬は厳しいが、囲炉裏を囲んで語り合う時間は格別だという。",
    "妹は美術大学を目指して、毎晩遅くまでデッサンの練習を重ねている。",
    "新聞の投書欄には、通学路の安全を心配する保護者の声が載っていた。",
    "古本市で見つけた植物図鑑には、前の持ち主の書き込みが残っていた。",
    "海辺の宿では、波の音を聞きながら眠りにつくことができた。",
    "祭囃子の練習が始まると、町内の空気が少しずつ華やいでいく。",
    "隣町まで続く遊歩道は、季節ごとに違う花が咲くので散歩に向いている。",
    "経済学の講義では、物価の変動が家計に与える影響について学んだ。",
    "姉は職場の近くに引っ越し、通勤時間が半分以下に短くなったと喜んだ。",
    "田植えが終わった水田に夕日が映り、あたり一面が金色に染まった。",
    "地震に備えて、非常食や飲み水を押し入れにまとめて保管している。",
    "幼いころ遊んだ神社の境内は、今も大きな楠に守られて静かだった。",
    "職人は鉋を丁寧に研ぎ、檜の板を薄く均一に削り上げていった。",
    "天気予報によれば、週の後半は晴れて気温も上がるということだ。",
    "旅先の食堂で出された郷土料理は、素朴ながら忘れがたい味だった。",
    "夜行バスで早朝の都市に着き、開店前の喫茶店の前で時間をつぶした。",
    "人工知能の研究が進み、翻訳や要約の精度は年々向上している。",
]
STREAM = "".join(SENTENCES)

# A realistic local-news article (~600 characters) that every rule keeps.
ARTICLE = """市立図書館、来月から夜間開館を試験的に実施へ

市は、中央図書館の開館時間を来月から三か月間、試験的に午後九時まで延長すると発表した。\
仕事や学校の帰りに立ち寄りたいという利用者の声が多く寄せられていたことを受けた措置で、\
平日の夕方以降の利用状況を調べたうえで本格的な導入を検討する。
延長期間中は、二階の閲覧室と児童書コーナーを除く一般書架、それに新聞や雑誌の閲覧スペースが利用できる。\
貸し出しと返却の手続きは自動貸出機で受け付け、職員が常駐する案内窓口も一か所に限って開けておくという。
図書館によると、昨年度の来館者数は約四十二万人で、そのうち平日の午後五時以降に訪れた人は一割に満たなかった。\
担当者は、閉館が早すぎて来たくても来られない人が潜在的にいるはずだと話し、\
夜の時間帯に新しい利用者層を掘り起こしたい考えだ。
一方で、夜間の人員配置や光熱費の増加を懸念する意見もある。市議会の委員会では、\
延長による効果を来館者数だけでなく、貸し出し冊数や利用者アンケートの結果も含めて多角的に検証するよう求める声が上がった。
利用者からは、静かな環境で夜に勉強できる場所が増えるのはありがたいという声や、\
子ども連れでも使いやすいように週末の催しを充実させてほしいという要望も聞かれた。
市は試行期間の終了後に結果をまとめ、秋ごろまでに今後の方針を公表する予定だ。"""

# English lines (written for this suite) used to dilute the Japanese fraction.
ENGLISH = [
    "The harbour was quiet when we arrived, and the only sound came from gulls over the fish market.",
    "Most shops along the waterfront open late in winter, so we walked up the hill to the lighthouse.",
    "From the top you can see three islands, a ferry route, and on clear days the distant mountains.",
    "A retired teacher who volunteers at the museum explained how the town rebuilt its pier in 1998.",
    "We ended the afternoon in a small cafe that roasts its own beans and sells painted postcards.",
    "Before leaving, we bought smoked mackerel, a jar of plum jam, and a map of the hiking trails.",
    "Our guide recommended visiting again in May, when azaleas cover the slopes behind the harbour.",
]


# --------------------------------------------------------------------------------------------
# Reference implementation: a literal transcription of the rules in the notes (slow, obvious).
# --------------------------------------------------------------------------------------------


def reference_signals(text: str) -> dict[str, float]:
    sentences_by_line = [re.findall(r"[^。．！？!?]+[。．！？!?]?", line) for line in text.split("\n")]
    paragraphs = ["".join(s) for s in sentences_by_line]
    sentences = [s for line in sentences_by_line for s in line]

    def duplicates(items: list[str]) -> tuple[float, float]:
        if not items:
            return 0.0, 0.0
        counts = Counter(items)
        total = sum(len(i) for i in items)
        by_count = sum(c - 1 for c in counts.values()) / len(items)
        by_chars = sum(len(k) * (c - 1) for k, c in counts.items()) / total if total else 0.0
        return by_count, by_chars

    out = {"num_letters": float(len(text))}
    out["duplicate_paragraph_fraction"], out["duplicate_paragraph_fraction_in_character"] = duplicates(
        paragraphs
    )
    out["duplicate_sentence_fraction"], out["duplicate_sentence_fraction_in_character"] = duplicates(
        sentences
    )
    for n in range(2, 11):
        grams = Counter(text[i : i + n] for i in range(len(text) - n + 1))
        if n <= 4:
            value = max(grams.values()) / sum(grams.values()) if grams else 0.0
            out[f"top_{n}gram_character_fraction"] = value
        else:
            value = sum(1 for c in grams.values() if c > 1) / len(grams) if grams else 0.0
            out[f"duplicate_{n}gram_character_fraction"] = value
    hira = sum(1 for ch in text if "\u3041" <= ch <= "\u3096")
    kata = sum(1 for ch in text if "\u30a1" <= ch <= "\u30fa")
    kanji = len(re.findall(r"[々〇〻\u3400-\u9FFF\uF900-\uFAFF]", text))
    japanese = hira + kata + kanji + sum(ch in "。．！？、，" for ch in text)
    out["hiragana_fraction"] = hira / japanese if japanese else 0.0
    out["katakana_fraction"] = kata / japanese if japanese else 0.0
    out["japanese_fraction"] = japanese / len(text) if text else 0.0
    out["num_japanese_letters"] = float(japanese)
    if sentences:
        out["avg_sentence_length"] = sum(len(s) for s in sentences) / len(sentences)
        out["max_sentence_length"] = float(max(len(s) for s in sentences))
        out["ellipsis_fraction"] = sum(s.strip().endswith(("・", "…")) for s in sentences) / len(sentences)
    else:
        out["avg_sentence_length"] = out["max_sentence_length"] = out["ellipsis_fraction"] = 0.0
    return out


# --------------------------------------------------------------------------------------------
# Document builders
# --------------------------------------------------------------------------------------------


def unique_lines(total: int, start: int = 0) -> list[str]:
    """Whole sentences from the pool, one per line, whose lengths sum to exactly ``total``."""
    lines: list[str] = []
    size = 0
    for sentence in SENTENCES[start:]:
        if size + len(sentence) > total:
            rest = total - size
            if rest == 1:  # one character short: widen the last line instead of a 1-char line
                lines[-1] = lines[-1][:-1] + "、。"
            elif rest > 1:
                lines.append(sentence[: rest - 1] + "。")
            return lines
        lines.append(sentence)
        size += len(sentence)
    raise AssertionError("sentence pool too small")


def fixed_length_sentences(length: int, count: int) -> list[str]:
    """``count`` one-sentence lines of exactly ``length`` characters (pool text, 。 -> 、)."""
    stream = STREAM.replace("。", "、")
    return [stream[i * (length - 1) : (i + 1) * (length - 1)] + "。" for i in range(count)]


def insert_every(text: str, marker: str, count: int) -> str:
    """``text`` with ``marker`` inserted at ``count`` evenly spaced positions."""
    step = len(text) / (count + 1)
    cuts = [round(step * (i + 1)) for i in range(count)]
    pieces, previous = [], 0
    for cut in cuts:
        pieces += [text[previous:cut], marker]
        previous = cut
    pieces.append(text[previous:])
    return "".join(pieces)


def straddle(rule_name: str, build: Callable[[int], str], ks: Iterable[int]) -> tuple[str, str]:
    """(last document kept by the rule, first document it rejects) along ``build(k)``."""
    rule = next(r for r in PRESET.rules if r.name == rule_name)
    previous: str | None = None
    for k in ks:
        text = build(k)
        if rule.rejects(swallow_signals(text)[rule.signal]):
            assert previous is not None, f"{rule_name}: the first document is already rejected"
            return previous, text
        previous = text
    raise AssertionError(f"{rule_name}: never rejected")


def assert_boundary(rule_name: str, inside: str, outside: str) -> None:
    kept = PRESET.evaluate(inside)
    rejected = PRESET.evaluate(outside)
    assert kept.failed is None, (rule_name, kept.failed, kept.signals)
    assert rejected.failed == rule_name, (rule_name, rejected.failed, rejected.signals)


def signal_of(rule_name: str, text: str) -> float:
    rule = next(r for r in PRESET.rules if r.name == rule_name)
    return swallow_signals(text)[rule.signal]


# --------------------------------------------------------------------------------------------
# One boundary test per rule, in preset order
# --------------------------------------------------------------------------------------------


def test_preset_order_and_shape() -> None:
    names = [r.name for r in PRESET.rules]
    assert names == [
        "min_num_letters",
        "max_duplicate_paragraph_fraction",
        "max_duplicate_sentence_fraction",
        "max_duplicate_paragraph_fraction_in_character",
        "max_duplicate_sentence_fraction_in_character",
        "max_top_2gram_character_fraction",
        "max_top_3gram_character_fraction",
        "max_top_4gram_character_fraction",
        *(f"max_duplicate_{n}gram_character_fraction" for n in range(5, 11)),
        "min_hiragana_fraction",
        "max_katakana_fraction",
        "min_japanese_fraction",
        "min_num_japanese_letters",
        "min_avg_sentence_length",
        "max_avg_sentence_length",
        "max_sentence_length",
        "max_ellipsis_fraction",
    ]
    thresholds = [r.threshold for r in PRESET.rules]
    assert thresholds == [400, 0.3, 0.3, 0.2, 0.2, 0.2, 0.18, 0.16, 0.15, 0.14, 0.13, 0.12, 0.11, 0.10,
                          0.2, 0.5, 0.5, 400, 20, 90, 200, 0.2]  # fmt: skip
    assert all(r.source.startswith("Swallow corpus v1") for r in PRESET.rules)


def test_min_num_letters() -> None:
    # One line of pure Japanese letters, so num_japanese_letters == num_letters.
    inside, outside = straddle("min_num_letters", lambda k: STREAM[:k], range(420, 380, -1))
    assert len(inside) == 400 and len(outside) == 399
    assert_boundary("min_num_letters", inside, outside)


def test_max_duplicate_paragraph_fraction() -> None:
    # 13 distinct lines and b blank lines: the blank lines are b copies of the paragraph ''.
    def build(blanks: int) -> str:
        lines = SENTENCES[14:27]
        return "\n".join(line + "\n" * (i < blanks) for i, line in enumerate(lines))

    inside, outside = straddle("max_duplicate_paragraph_fraction", build, range(0, 13))
    assert signal_of("max_duplicate_paragraph_fraction", inside) == 0.3  # 6 duplicates of 20 paragraphs
    assert_boundary("max_duplicate_paragraph_fraction", inside, outside)


def test_max_duplicate_sentence_fraction() -> None:
    # A short sentence appended to k of 13 distinct lines: paragraphs stay distinct.
    def build(k: int) -> str:
        return "\n".join(s + "それは本当だ。" * (i < k) for i, s in enumerate(SENTENCES[:13]))

    inside, outside = straddle("max_duplicate_sentence_fraction", build, range(0, 13))
    assert signal_of("max_duplicate_sentence_fraction", inside) == 0.3  # 6 duplicates of 20 sentences
    assert_boundary("max_duplicate_sentence_fraction", inside, outside)


REPEATED = "この件については後日あらためて担当者から連絡します。"  # 26 characters


def test_max_duplicate_paragraph_fraction_in_character() -> None:
    # REPEATED as its own line 5 times among distinct lines totalling `total` characters.
    def build(total: int) -> str:
        lines = unique_lines(total)
        return "\n".join(line + ("\n" + REPEATED) * (i < 5) for i, line in enumerate(lines))

    inside, outside = straddle("max_duplicate_paragraph_fraction_in_character", build, range(450, 300, -1))
    # 4 * 26 duplicated characters out of 520: exactly 0.2.
    assert signal_of("max_duplicate_paragraph_fraction_in_character", inside) == 0.2
    assert_boundary("max_duplicate_paragraph_fraction_in_character", inside, outside)


def test_max_duplicate_sentence_fraction_in_character() -> None:
    # REPEATED appended to 5 distinct lines: sentences repeat, paragraphs do not.
    def build(total: int) -> str:
        lines = unique_lines(total)
        return "\n".join(line + REPEATED * (i < 5) for i, line in enumerate(lines))

    inside, outside = straddle("max_duplicate_sentence_fraction_in_character", build, range(450, 300, -1))
    assert signal_of("max_duplicate_paragraph_fraction_in_character", inside) == 0.0
    assert signal_of("max_duplicate_sentence_fraction_in_character", inside) == 0.2
    assert_boundary("max_duplicate_sentence_fraction_in_character", inside, outside)


@pytest.mark.parametrize(
    ("rule_name", "marker"),
    [
        ("max_top_2gram_character_fraction", "鶴亀"),
        ("max_top_3gram_character_fraction", "鶴亀龍"),
        ("max_top_4gram_character_fraction", "ゑゐゎゔ"),  # kana, or hiragana would run out
    ],
)
def test_max_top_ngram_character_fraction(rule_name: str, marker: str) -> None:
    # A kanji marker (absent from the pool) sprinkled ever more densely through the text.
    base = "\n".join(SENTENCES[:20])
    inside, outside = straddle(rule_name, lambda count: insert_every(base, marker, count), range(0, 400))
    assert_boundary(rule_name, inside, outside)


@pytest.mark.parametrize("n", [5, 6, 7, 8, 9, 10])
def test_max_duplicate_ngram_character_fraction(n: int) -> None:
    # Each block cycles through 5 characters of its own for n + 9 characters, so it contributes
    # exactly 5 repeated m-gram types for every m <= n, then one fewer per step above n.  The
    # thresholds fall by 0.01 per step, so rule n is the first of the six that a growing number of
    # blocks trips (the margin over rule n - 1 is thin: period 5 was chosen because 4 and 6 let
    # a neighbouring rule fire first for some n).  Blocks are prefixed to the pool's sentences to
    # keep sentence lengths realistic.
    def block(j: int) -> str:
        cycle = "".join(chr(0x4E00 + 5 * j + t) for t in range(5))
        return (cycle * 5)[: n + 9]

    def build(count: int) -> str:
        parts = []
        for i, sentence in enumerate(SENTENCES[:16]):
            parts.append("".join(block(j) for j in range(i, count, 16)) + sentence)
        return "\n".join(parts)

    rule_name = f"max_duplicate_{n}gram_character_fraction"
    inside, outside = straddle(rule_name, build, range(0, 400))
    assert_boundary(rule_name, inside, outside)


def to_katakana(text: str, count: int) -> str:
    """``text`` with its first ``count`` hiragana turned into the corresponding katakana."""
    out = []
    for ch in text:
        if count and "\u3041" <= ch <= "\u3096":
            ch = chr(ord(ch) + 0x60)
            count -= 1
        out.append(ch)
    return "".join(out)


def test_min_hiragana_fraction() -> None:
    base = "\n".join(SENTENCES[:20])
    inside, outside = straddle("min_hiragana_fraction", lambda k: to_katakana(base, k), range(0, 700, 1))
    assert_boundary("min_hiragana_fraction", inside, outside)


def test_max_katakana_fraction() -> None:
    # The pool is about half hiragana; to pass 50 % katakana with 20 % hiragana left, kanji are
    # first spelled with katakana (deterministic, meaning-free), then hiragana are converted.
    def kanji_to_katakana(text: str) -> str:
        return re.sub(r"[\u4e00-\u9fff]", lambda m: chr(0x30A1 + ord(m.group()) % 84), text)

    base = kanji_to_katakana("\n".join(SENTENCES[:20]))
    inside, outside = straddle("max_katakana_fraction", lambda k: to_katakana(base, k), range(0, 700))
    assert_boundary("max_katakana_fraction", inside, outside)


def test_min_japanese_fraction() -> None:
    def build(english_chars: int) -> str:
        return "\n".join(SENTENCES[:15]) + "\n" + "\n".join(ENGLISH)[:english_chars]

    inside, outside = straddle("min_japanese_fraction", build, range(0, 700))
    assert_boundary("min_japanese_fraction", inside, outside)


def test_min_num_japanese_letters() -> None:
    # Newlines are letters but not Japanese letters, so num_letters stays above 400.
    inside, outside = straddle(
        "min_num_japanese_letters", lambda k: "\n".join(unique_lines(k)), range(430, 380, -1)
    )
    assert signal_of("min_num_japanese_letters", inside) == 400
    assert_boundary("min_num_japanese_letters", inside, outside)


def test_min_avg_sentence_length() -> None:
    def build(length: int) -> str:
        return "\n".join(fixed_length_sentences(length, 440 // length + 1))

    inside, outside = straddle("min_avg_sentence_length", build, range(30, 10, -1))
    assert signal_of("min_avg_sentence_length", inside) == 20
    assert_boundary("min_avg_sentence_length", inside, outside)


def test_max_avg_sentence_length() -> None:
    def build(length: int) -> str:
        return "\n".join(fixed_length_sentences(length, 6))

    inside, outside = straddle("max_avg_sentence_length", build, range(80, 100))
    assert signal_of("max_avg_sentence_length", inside) == 90
    assert_boundary("max_avg_sentence_length", inside, outside)


def test_max_sentence_length() -> None:
    def build(length: int) -> str:
        long_sentence = STREAM.replace("。", "、")[: length - 1] + "。"
        return "\n".join([long_sentence, *SENTENCES[20:30]])

    inside, outside = straddle("max_sentence_length", build, range(190, 210))
    assert signal_of("max_sentence_length", inside) == 200
    assert_boundary("max_sentence_length", inside, outside)


def test_max_ellipsis_fraction() -> None:
    # k of 15 one-sentence lines trail off with "…" (or "・") instead of "。".
    def build(k: int) -> str:
        return "\n".join(s[:-1] + "…・"[i % 2] if i < k else s for i, s in enumerate(SENTENCES[:15]))

    inside, outside = straddle("max_ellipsis_fraction", build, range(0, 15))
    assert signal_of("max_ellipsis_fraction", inside) == 0.2
    assert_boundary("max_ellipsis_fraction", inside, outside)


def test_realistic_article_passes_every_rule() -> None:
    assert 550 <= len(ARTICLE) <= 700
    verdict = PRESET.evaluate(ARTICLE)
    assert verdict.failed is None, verdict.signals


# --------------------------------------------------------------------------------------------
# Definitions
# --------------------------------------------------------------------------------------------


def test_katakana_excludes_long_vowel_mark_middle_dot_and_half_width() -> None:
    assert count_char_classes("コーヒー").katakana == 2  # コ, ヒ; ー is not katakana
    assert count_char_classes("・ヽヾｱｲｳ").katakana == 0
    assert count_char_classes("ァヺ").katakana == 2  # U+30A1 and U+30FA are the range ends
    assert count_char_classes("ぁゖゔ").hiragana == 3  # U+3041..U+3096
    assert count_char_classes("ゝゞ゛").hiragana == 0
    assert count_kana("ひらがなカタカナー漢字") == 8


def test_kanji_kuten_toten_classes() -> None:
    counts = count_char_classes("々〇〻㐀鿿豈\U00020000。．！？、，!?.,")
    assert (counts.kanji, counts.kuten, counts.toten) == (6, 4, 2)  # Ext-B (U+20000) is not kanji
    assert counts.japanese == 12


def test_ascii_period_is_not_a_sentence_terminator() -> None:
    assert split_sentences("今日は3.5度だ.寒い。明日!晴れ?") == ["今日は3.5度だ.寒い。", "明日!", "晴れ?"]
    assert split_sentences("一行目。\n二行目") == ["一行目。", "二行目"]  # never crosses a line
    assert split_sentences("。。はい。。\n \n！") == ["はい。", " "]  # whitespace-only line: a sentence


def test_paragraphs_are_lines_of_joined_sentences() -> None:
    assert split_paragraphs("。はい。。いいえ！\n\n次") == ["はい。いいえ！", "", "次"]


def test_blank_lines_are_duplicate_empty_paragraphs() -> None:
    text = "\n\n".join(SENTENCES[:4])  # 4 paragraphs separated by 3 blank lines
    signals = swallow_signals(text)
    assert signals["duplicate_paragraph_fraction"] == 2 / 7  # '' x3: two duplicates among 7 lines
    assert signals["duplicate_paragraph_fraction_in_character"] == 0.0


def test_duplicate_5gram_fraction_counts_distinct_types() -> None:
    # "あいうえお" three times and "かきくけこ" twice: the repeated 5-gram types are counted once
    # each, regardless of how often they occur.
    text = "あいうえお一あいうえお二あいうえお三かきくけこ四かきくけこ"
    grams = Counter(text[i : i + 5] for i in range(len(text) - 4))
    assert swallow_signals(text)["duplicate_5gram_character_fraction"] == 2 / len(grams)


def test_ellipsis_is_judged_after_stripping_whitespace() -> None:
    assert swallow_signals("それから…　\n終わり。")["ellipsis_fraction"] == 0.5
    assert swallow_signals("それから…。")["ellipsis_fraction"] == 0.0


# --------------------------------------------------------------------------------------------
# Degenerate inputs and equivalence with the reference
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule_name"),
    [
        ("", "min_num_letters"),
        ("あ", "min_num_letters"),
        ("   ", "min_num_letters"),
        ("\n\n\n\n", "min_num_letters"),
        ("\n" * 500, "max_duplicate_paragraph_fraction"),
        (" " * 500, "max_top_2gram_character_fraction"),
        ("。" * 500, "max_top_2gram_character_fraction"),
    ],
)
def test_degenerate_inputs_do_not_raise_and_are_rejected(text: str, rule_name: str) -> None:
    verdict = PRESET.evaluate(text)
    assert set(verdict.signals) == set(SIGNAL_NAMES)
    assert verdict.failed == rule_name


def test_texts_without_sentences_are_rejected_by_min_avg_sentence_length_when_alone() -> None:
    # Loosen every other rule as far as its bounds allow: the no-sentence text still fails.
    loose = {r.name: (r.bounds[1] if r.reject_if in (">", ">=") else r.bounds[0]) for r in PRESET.rules}
    loose.pop("min_avg_sentence_length")
    text = "！？。\n" * 200
    verdict = PRESET.with_thresholds(loose).evaluate(text)
    assert verdict.signals["avg_sentence_length"] == 0.0
    assert verdict.failed == "min_avg_sentence_length"
    short = PRESET.with_thresholds(loose | {"min_avg_sentence_length": 1}).evaluate("あい")
    assert short.failed == "min_num_letters"  # bounds keep min_num_letters >= 4


def test_signals_match_reference_on_pool_texts() -> None:
    for text in (ARTICLE, "\n".join(SENTENCES), "\n\n".join(SENTENCES[:5]) * 3, STREAM[:50]):
        assert swallow_signals(text) == reference_signals(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="あいアイ日本。．！？!?. \n、…・ー", max_size=40))
def test_signals_match_reference_on_random_texts(text: str) -> None:
    assert swallow_signals(text) == reference_signals(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\nあ。", max_size=60))
def test_python_and_numpy_ngram_paths_agree(text: str) -> None:
    python = swallow_module._ngram_statistics_python(text)
    assert python == swallow_module._ngram_statistics(text)


# --------------------------------------------------------------------------------------------
# Rule engine
# --------------------------------------------------------------------------------------------


def test_registry_and_verdict() -> None:
    assert SIGNAL_FUNCTIONS["swallow"] is swallow_signals
    verdict = PRESET.evaluate(ARTICLE)
    assert verdict.kept and set(verdict.signals) == set(SIGNAL_NAMES)


def test_with_thresholds_overrides_and_errors() -> None:
    stricter = PRESET.with_thresholds({"min_num_letters": 1000})
    assert stricter.evaluate(ARTICLE).failed == "min_num_letters"
    assert PRESET.evaluate(ARTICLE).failed is None  # the original is unchanged (frozen)
    with pytest.raises(ValueError, match="no_such_rule"):
        PRESET.with_thresholds({"no_such_rule": 1})
    with pytest.raises(ValueError, match="max_katakana_fraction"):
        PRESET.with_thresholds({"max_katakana_fraction": 1.5})
    with pytest.raises(ValueError, match="min_num_letters"):
        PRESET.with_thresholds({"min_num_letters": 3})


GOOD_RULE = """\
  - name: min_num_letters
    signal: num_letters
    reject_if: "<"
    threshold: 400
    bounds: [4, 100000]
    source: test
"""


def write_preset(tmp_path: Path, rules: str, head: str = "name: t\nsignals: swallow\n") -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(head + "rules:\n" + rules, encoding="utf-8")
    return path


def test_load_preset_by_path_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_preset(tmp_path, GOOD_RULE)
    assert load_preset(str(path)).rules[0].threshold == 400
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "mine.yaml").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("CORPUS_BUILDER_FILTERS", str(tmp_path))
    assert load_preset("mine").name == "t"
    assert load_preset("swallow-quality").name == "swallow-quality"  # falls back to the repository presets
    with pytest.raises(FileNotFoundError):
        load_preset("no_such_preset")


@pytest.mark.parametrize(
    ("rules", "head", "message"),
    [
        (GOOD_RULE.replace("source: test", "source: test\n    colour: red"), None, "colour"),
        (GOOD_RULE.replace("    source: test\n", ""), None, "source"),
        (GOOD_RULE.replace('"<"', '"=="'), None, "min_num_letters"),
        (GOOD_RULE.replace("threshold: 400", "threshold: 2"), None, "min_num_letters"),
        (GOOD_RULE.replace("threshold: 400", "threshold: yes"), None, "threshold"),
        (GOOD_RULE.replace("signal: num_letters", "signal: num_words"), None, "num_words"),
        (GOOD_RULE + GOOD_RULE, None, "twice"),
        (GOOD_RULE, "name: t\nsignals: nope\n", "nope"),
        (GOOD_RULE, "name: t\nsignals: swallow\nextra: 1\n", "extra"),
        ("  []", None, "non-empty"),
    ],
)
def test_malformed_preset_raises_value_error_naming_file_and_rule(
    tmp_path: Path, rules: str, head: str | None, message: str
) -> None:
    path = write_preset(tmp_path, rules, head or "name: t\nsignals: swallow\n")
    with pytest.raises(ValueError, match=message) as excinfo:
        load_preset(str(path))
    assert str(path) in str(excinfo.value)


def test_ruleset_is_data() -> None:
    rebuilt = RuleSet(name="copy", signals="swallow", rules=PRESET.rules[:1])
    assert rebuilt.evaluate("短い").failed == "min_num_letters"


# ---------------------------------------------------------------- presets that extend another

NG_RULE = """\
  - name: max_ng_fraction
    signal: ng_fraction
    reject_if: ">="
    threshold: 0.05
    bounds: [0, 1]
    source: test
"""


def test_extending_preset_puts_its_rules_and_signals_before_the_base(tmp_path: Path) -> None:
    words = tmp_path / "ng.txt"
    words.write_text("悪語\n", encoding="utf-8")
    write_preset(tmp_path, GOOD_RULE, head="name: base\nsignals: swallow\nmodifiers: [nfkc]\n")
    (tmp_path / "t.yaml").rename(tmp_path / "base.yaml")
    head = "name: child\nextends: base\nsignals: [ngword]\noptions: {ngword: {wordlist_path: ng.txt}}\n"
    child = load_preset(str(write_preset(tmp_path, NG_RULE, head=head)))
    assert [r.name for r in child.rules] == ["max_ng_fraction", "min_num_letters"]
    assert child.signal_functions == ("ngword", "swallow")
    assert child.options == (("ngword", (("wordlist_path", str(words.resolve())),)),)
    assert child.modifiers == ("nfkc",)  # inherited when the extending preset names none
    assert child.evaluate("悪語" + "あ" * 10).failed == "max_ng_fraction"
    assert child.evaluate("あ" * 50).failed == "min_num_letters"


def test_extending_preset_may_add_no_rules(tmp_path: Path) -> None:
    path = tmp_path / "renamed.yaml"
    path.write_text("name: renamed\nextends: swallow-quality\n", encoding="utf-8")
    assert load_preset(str(path)).rules == PRESET.rules
    assert load_preset(str(path)).name == "renamed"


def test_extends_an_unknown_preset_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write_preset(tmp_path, GOOD_RULE, head="name: t\nextends: no_such_base\n")
    with pytest.raises(ValueError, match="no preset named 'no_such_base'") as excinfo:
        load_preset(str(path))
    assert str(path) in str(excinfo.value)


def test_extends_cycle_is_an_error_naming_the_chain(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nextends: b\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\n", encoding="utf-8")
    with pytest.raises(ValueError, match="cycle") as excinfo:
        load_preset(str(tmp_path / "a.yaml"))
    assert f"{tmp_path / 'a.yaml'} -> {tmp_path / 'b.yaml'} -> {tmp_path / 'a.yaml'}" in str(excinfo.value)


def test_extending_preset_cannot_redefine_a_base_rule(tmp_path: Path) -> None:
    path = write_preset(tmp_path, GOOD_RULE, head="name: t\nextends: swallow-quality\n")
    with pytest.raises(ValueError, match="'min_num_letters' is defined twice"):
        load_preset(str(path))
