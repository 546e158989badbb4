"""Paragraph-level language ID with the real lid.176 model: shares, short lines, trimming, drops."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from corpus_builder.config.stages import LangIdStage
from corpus_builder.contracts.document import DROP_REASON
from corpus_builder.stages.langid import LanguageRouter
from corpus_builder.text.langid import LanguageIdentifier
from corpus_builder.text.paragraph_langid import language_shares, line_languages, main_language

JA_PARAGRAPHS = [
    "京都市の北部にある鞍馬山は、古くから修験道の霊場として知られ、多くの参拝者が訪れてきた。",
    "山道は急な坂が続くため、歩きやすい靴と十分な水を用意してから登り始めることを勧める。",
    "頂上付近の本殿からは市街地を一望でき、秋には紅葉が山全体を赤く染める景色が楽しめる。",
    "麓の駅から本殿まではケーブルカーも運行しているが、木の根道と呼ばれる参道を歩いて登る人も多い。",
    "下山後は貴船神社まで足を延ばし、川沿いの料理旅館で昼食をとるのが定番の道順となっている。",
]
NAVIGATION = ["Home", "About us", "Blog", "Contact", "Privacy policy"]
CODE_BLOCK = [
    "import numpy as np",
    "def moving_average(values, window):",
    "    kernel = np.ones(window) / window",
    "    return np.convolve(values, kernel, mode='valid')",
]
EN_PARAGRAPHS = [
    "The old harbour district was rebuilt after the fire of 1902, and most of its warehouses now hold "
    "small shops, galleries and a market that opens every Saturday morning.",
    "Visitors who arrive by train can walk to the waterfront in about fifteen minutes by following "
    "the main street past the town hall and the public library.",
    "In summer the ferry to the islands leaves every hour, and tickets can be bought at the kiosk "
    "next to the pier or from the conductor on board.",
]
JA_IN_EN = "港の歴史については市立博物館の展示が詳しく、日本語の解説パンフレットも無料で配布されている。"


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier()


def _japanese_page() -> str:
    return "\n".join([*NAVIGATION, *JA_PARAGRAPHS[:2], *CODE_BLOCK, *JA_PARAGRAPHS[2:]])


def _english_page() -> str:
    return "\n".join([EN_PARAGRAPHS[0], JA_IN_EN, EN_PARAGRAPHS[1], EN_PARAGRAPHS[2]])


def _run(config: LangIdStage, text: str) -> Document:
    step = LanguageRouter(config)
    return next(iter(step.run([Document(text=text, id="d")])))


def test_each_line_gets_its_own_language_and_short_runs_are_judged_together(identifier) -> None:
    lines = line_languages(_japanese_page(), identifier, min_chars=20)
    langs = [line.lang for line in lines]
    assert langs[: len(NAVIGATION)] == ["en"] * len(NAVIGATION)  # "Home" alone would not be English
    first_ja = len(NAVIGATION)
    assert langs[first_ja : first_ja + 2] == ["ja", "ja"]
    code = langs[first_ja + 2 : first_ja + 2 + len(CODE_BLOCK)]
    assert code == ["en"] * len(CODE_BLOCK)
    assert langs[-3:] == ["ja"] * 3
    assert [line.chars for line in lines] == [len(t.strip()) for t in _japanese_page().split("\n")]


def test_a_short_line_alone_borrows_the_language_before_it_or_after_it(identifier) -> None:
    text = "\n".join(["Menu", JA_PARAGRAPHS[0], "OK", JA_PARAGRAPHS[1]])
    lines = line_languages(text, identifier, min_chars=20)
    assert [line.lang for line in lines] == ["ja", "ja", "ja", "ja"]
    assert lines[0].score == lines[1].score  # borrowed from the first judged line after it
    assert lines[2].score == lines[1].score  # borrowed from the line before it


def test_a_text_of_short_lines_only_is_judged_as_a_whole(identifier) -> None:
    text = "東京\n大阪"
    assert {line.lang for line in line_languages(text, identifier, min_chars=20)} == {"ja"}
    assert line_languages("", identifier, min_chars=20)[0].lang == "und"
    assert main_language(line_languages("  \n ", identifier, min_chars=20)) == ("und", 0.0)


def test_shares_count_characters(identifier) -> None:
    lines = line_languages(_english_page(), identifier, min_chars=20)
    shares = language_shares(lines)
    assert set(shares) == {"en", "ja"}
    assert shares["ja"] == pytest.approx(len(JA_IN_EN) / sum(len(p) for p in [*EN_PARAGRAPHS, JA_IN_EN]))
    assert sum(shares.values()) == pytest.approx(1.0)
    assert main_language(lines)[0] == "en"


def test_document_mode_is_unchanged_and_adds_no_signal() -> None:
    doc = _run(LangIdStage(), _japanese_page())
    assert doc.metadata["lang"] == "ja" and "quality_signals" not in doc.metadata
    assert doc.text == _japanese_page()


def test_paragraph_mode_stores_shares_and_keeps_the_text_by_default() -> None:
    doc = _run(LangIdStage(granularity="paragraph"), _japanese_page())
    signals = doc.metadata["quality_signals"]
    assert doc.metadata["lang"] == "ja" and DROP_REASON not in doc.metadata
    assert signals["langid.share.ja"] > 0.5 and signals["langid.share.en"] > 0.2
    assert doc.text == _japanese_page()


def test_japanese_page_loses_its_navigation_and_code() -> None:
    config = LangIdStage(granularity="paragraph", keep_paragraphs="document_language")
    step = LanguageRouter(config)
    doc = next(iter(step.run([Document(text=_japanese_page(), id="d")])))
    assert doc.text.split("\n") == JA_PARAGRAPHS
    removed = sum(len(t.strip()) for t in [*NAVIGATION, *CODE_BLOCK])  # indentation is not text
    assert step.stats["removed_paragraphs"].total == len(NAVIGATION) + len(CODE_BLOCK)
    assert step.stats["removed_chars"].total == removed
    assert doc.metadata["quality_signals"]["langid.kept_share"] == pytest.approx(
        sum(map(len, JA_PARAGRAPHS)) / (sum(map(len, JA_PARAGRAPHS)) + removed)
    )


def test_kept_languages_keeps_every_language_of_keep() -> None:
    both = {"ja": 0.5, "en": 0.5}
    config = LangIdStage(granularity="paragraph", keep_paragraphs="kept_languages", keep=both)
    doc = _run(config, _english_page())
    assert doc.metadata["lang"] == "en" and JA_IN_EN in doc.text.split("\n")
    only_ja = LangIdStage(granularity="paragraph", keep_paragraphs="kept_languages", keep={"ja": 0.5})
    assert _run(only_ja, _english_page()).metadata[DROP_REASON] == "language_not_kept"


def test_english_page_drops_its_japanese_paragraph_and_a_mostly_foreign_page_is_dropped() -> None:
    config = LangIdStage(granularity="paragraph", keep_paragraphs="document_language")
    doc = _run(config, _english_page())
    assert doc.metadata["lang"] == "en" and doc.text.split("\n") == EN_PARAGRAPHS
    strict = LangIdStage(granularity="paragraph", keep_paragraphs="document_language", min_kept_share=0.95)
    dropped = _run(strict, _english_page())
    assert dropped.metadata[DROP_REASON] == "little_text_in_language"
    too_short = LangIdStage(
        granularity="paragraph", keep_paragraphs="document_language", min_kept_chars=10_000
    )
    assert _run(too_short, _english_page()).metadata[DROP_REASON] == "little_text_in_language"


def test_keep_paragraphs_needs_paragraph_granularity() -> None:
    with pytest.raises(ValueError, match="granularity: paragraph"):
        LangIdStage(keep_paragraphs="document_language")
