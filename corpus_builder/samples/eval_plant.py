"""Evaluation items for the sample, and their planting into a few sample pages.

The items are written for this project in the style of public sets (a Japanese multiple-choice
question, Japanese and English reading passages, an English multiple-choice question); none is
copied from any set. `plant` copies some of them into chosen sample pages in the ways web copies
differ from the original (exact copy; full-width digits, re-spaced and re-punctuated; inside a longer
paragraph; split over two paragraphs with other case and spacing) and plants a short fragment of two
more as partial overlaps that must NOT count as found. `EVAL_FILES` are the set files a pipeline
points at (`samples/eval/*.jsonl`); `planted_cases` is the ground truth a test checks a run against.

Pages are chosen by rule, not by random draw, so the pages that are not chosen stay byte-identical:
the n-th "good" page of a language that is UTF-8 and of which no page is a copy.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

EVAL_DIR = "eval"

#: set name → (file name, records); every record has an `id`, the set's fields and nothing else
_SETS: dict[str, tuple[str, list[dict[str, object]]]] = {
    "sample-ja-quiz": (
        "ja-quiz.jsonl",
        [
            {
                "id": "jq-001",
                "question": "市立図書館で本を借りるとき、窓口で必ず見せるように求められるものとして"
                "最も適切なものはどれですか。",
                "choices": ["利用者カード", "雨傘", "腕時計", "お弁当箱"],
            },
            {
                "id": "jq-002",
                "question": "春の遠足で山に登るとき、急な天気の変化に備えて"
                "持っていくとよいものはどれですか。",
                "choices": ["薄手の雨具", "花火", "金魚鉢", "電気ポット"],
            },
            {"id": "jq-003", "question": "日本一高い山は？", "choices": ["富士山"]},
        ],
    ),
    "sample-ja-reading": (
        "ja-reading.jsonl",
        [
            {
                "id": "jr-001",
                "passage": "川沿いの小さな町では、毎年10月の第2日曜日に灯籠流しが行われる。町の子どもたちは"
                "夏休みの間に和紙で灯籠を作り、願いごとを一つずつ書き込む。夕方になると大人たちが"
                "灯籠に火を入れ、子どもたちがそれを静かに川へ送り出す。",
                "question": "灯籠に願いごとを書き込むのは誰ですか。",
            },
            {
                "id": "jr-002",
                "passage": "駅前の商店街にある古い時計店は、創業から80年以上同じ場所で営業を続けている。"
                "三代目の店主は修理の腕で知られ、遠くの町から壊れた懐中時計を持ち込む客も少なくない。"
                "店の奥の作業机には、分解された部品が小さな皿ごとに並べられている。",
                "question": "遠くの町から客が訪れる理由は何ですか。",
            },
        ],
    ),
    "sample-en-quiz": (
        "en-quiz.jsonl",
        [
            {
                "id": "eq-001",
                "question": "A gardener wants to know which of the following will most likely help tomato "
                "seedlings grow strong stems before they are moved outdoors in the spring?",
                "choices": [
                    "a gentle breeze from a small fan",
                    "a bowl of salt water",
                    "a completely dark cupboard",
                    "a layer of aluminium foil",
                ],
            },
            {
                "id": "eq-002",
                "question": "Which of the following is the best reason for a hiker to tell a friend "
                "about the planned route before setting out alone on a long mountain trail?",
                "choices": [
                    "someone will know where to look if the hiker is late",
                    "the trail will be less crowded",
                    "the weather will stay dry",
                    "the backpack will feel lighter",
                ],
            },
        ],
    ),
    "sample-en-reading": (
        "en-reading.jsonl",
        [
            {
                "id": "er-001",
                "passage": "Every autumn the village of Hollowmere holds a lantern walk along the old canal "
                "towpath. Children spend the summer folding paper lanterns in the community hall, and each "
                "lantern carries a single wish written in pencil on its inner wall. When the church bell "
                "rings at dusk, the oldest resident lights the first candle and the procession moves "
                "slowly toward the lock keeper's cottage, where the lanterns are hung from a rope across "
                "the water.",
                "question": "Who lights the first candle of the lantern walk?",
            },
            {
                "id": "er-002",
                "passage": "The repair cafe in the basement of the public library opens on the first "
                "Saturday of each month. Volunteers with soldering irons and sewing machines fix toasters, "
                "lamps, torn jackets and wobbly chairs for free, and visitors are asked to stay and watch so "
                "that they can mend the next broken thing on their own. Over two years the cafe has kept "
                "more than a thousand items out of the landfill.",
                "question": "What are visitors to the repair cafe asked to do?",
            },
        ],
    ),
}

#: The file of each set under samples/eval/.
EVAL_FILES = {name: file_name for name, (file_name, _) in _SETS.items()}


def _record(set_name: str, item_id: str) -> dict[str, object]:
    return next(r for r in _SETS[set_name][1] if r["id"] == item_id)


def eval_file_bytes(set_name: str) -> bytes:
    """The JSONL file of a set: one record per line, keys sorted, so regeneration is byte-identical."""
    lines = [json.dumps(record, ensure_ascii=False, sort_keys=True) for record in _SETS[set_name][1]]
    return ("\n".join(lines) + "\n").encode("utf-8")


# ------------------------------------------------------------------------------------------ variants
# Each returns the paragraphs to put into the page (the first may be appended to an existing one).

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _ja_quiz_exact() -> list[str]:
    record = _record("sample-ja-quiz", "jq-001")
    return [str(record["question"]), "、".join(record["choices"]) + "。"]  # type: ignore[arg-type]


def _ja_reading_reshaped() -> list[str]:
    """Full-width digits, a space after every sentence, 、 as ，: inside a longer paragraph."""
    passage = str(_record("sample-ja-reading", "jr-001")["passage"])
    return [passage.translate(_FULL_WIDTH).replace("。", "。 ").replace("、", "，").strip()]


def _ja_reading_fragment() -> list[str]:
    """About a third of jr-002's passage: below the share that counts as found."""
    return [str(_record("sample-ja-reading", "jr-002")["passage"]).split("。")[0] + "。"]


def _en_quiz_exact() -> list[str]:
    record = _record("sample-en-quiz", "eq-001")
    return [str(record["question"]), "; ".join(record["choices"]).capitalize() + "."]  # type: ignore[arg-type]


def _en_reading_split() -> list[str]:
    """Split over two paragraphs, upper-cased first words, doubled spaces."""
    passage = str(_record("sample-en-reading", "er-001")["passage"])
    sentences = passage.split(". ")
    first = ".  ".join(sentences[:2]) + "."
    second = ". ".join(sentences[2:]).upper()
    return [first, second]


def _en_reading_fragment() -> list[str]:
    return [str(_record("sample-en-reading", "er-002")["passage"]).split(". ")[0] + "."]


@dataclass(frozen=True)
class PlantedCase:
    """One planting: into which page (by language and rank among eligible pages), how, and what a
    decontaminating run must do with the page."""

    lang: str
    rank: int  # among the language's eligible pages, in sample order
    case: str
    set_name: str
    item_id: str
    expected: str  # "drop", "cut" or "keep" (a partial overlap below the threshold)
    paragraphs: Callable[[], list[str]]
    inside: bool = False  # appended to an existing paragraph instead of new paragraphs after it


CASES = (
    PlantedCase("ja", 0, "exact copy", "sample-ja-quiz", "jq-001", "drop", _ja_quiz_exact),
    PlantedCase(
        "ja", 1, "width, spacing, punctuation; inside a paragraph", "sample-ja-reading", "jr-001", "drop",
        _ja_reading_reshaped, inside=True,
    ),
    PlantedCase(
        "ja", 2, "partial overlap (one sentence)", "sample-ja-reading", "jr-002", "keep",
        _ja_reading_fragment, inside=True,
    ),
    PlantedCase("en", 0, "exact copy", "sample-en-quiz", "eq-001", "drop", _en_quiz_exact),
    PlantedCase(
        "en", 1, "split over two paragraphs, case and spacing", "sample-en-reading", "er-001", "cut",
        _en_reading_split,
    ),
    PlantedCase(
        "en", 2, "partial overlap (one sentence)", "sample-en-reading", "er-002", "keep",
        _en_reading_fragment, inside=True,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class PlantedPage:
    url: str
    case: PlantedCase


def eligible(pages: list[Any]) -> dict[str, list[int]]:
    """Per language, the positions of pages that may receive a planting."""
    copied = {page.duplicate_of for page in pages if page.duplicate_of}
    found: dict[str, list[int]] = {"ja": [], "en": []}
    for position, page in enumerate(pages):
        if page.lang in found and page.kind == "good" and page.charset == "utf-8" and page.url not in copied:
            found[page.lang].append(position)
    return found


def plant(pages: list[Any]) -> tuple[list[Any], list[PlantedPage]]:
    """`pages` (SamplePage, flat, in sample order) with the CASES planted, and where each went."""
    pages = list(pages)
    where = eligible(pages)
    planted = []
    for case in CASES:
        position = where[case.lang][case.rank]
        pages[position] = _planted_page(pages[position], case)
        planted.append(PlantedPage(pages[position].url, case))
    return pages, planted


def _planted_page(page: Any, case: PlantedCase) -> Any:  # a SamplePage (generate.py imports this module)
    """The page with the case's paragraphs after (or appended to) its second article paragraph."""
    paragraphs = page.article_text.split("\n")
    anchor = paragraphs[1]
    added = case.paragraphs()
    joiner = "" if case.lang == "ja" else " "
    new = [anchor + joiner + added[0], *added[1:]] if case.inside else [anchor, *added]
    document = page.html.decode(page.charset)
    old_html = f"<p>{html.escape(anchor, quote=False)}</p>"
    if document.count(old_html) != 1:
        raise ValueError(f"{page.url}: cannot find the paragraph to plant into")
    new_html = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in new)
    text = "\n".join([*paragraphs[:1], *new, *paragraphs[2:]])
    return replace(page, html=document.replace(old_html, new_html).encode(page.charset), article_text=text)
