"""Decontamination benchmark: the Japanese character n, precision/recall on planted items, scan speed.

    python -m bench.decontamination [--shared /work/shared/data] [--sections ngram,planted,speed]
                                    [--docs 3000] [--padding-items 20000]

ngram    The false-positive measurement behind DEFAULT_CHAR_N. Japanese Wikipedia articles
         (jawiki-truncated-100k.xml.xz, markup stripped as in bench/minhash.py) split in two halves by
         article; items = sentences of 20-120 characters from the first half whose normalised text does
         not occur in the second half, plus the Japanese items written for this bench; documents = the
         second half's articles. Per n: the share of item n-grams found anywhere in the documents, the
         share of items with at least one n-gram in some document (GPT-3's "any overlap" rule), the
         share of items found by the library's rule (min_share 0.5 in one document), and the recall of
         the written items with one character replaced every 40 characters (light edits).
planted  Items written for the project (Japanese and English: multiple choice, short questions with
         answers, NLI pairs, word problems, reading passages) planted into generated documents, one
         case per variant (exact copy, full/half width, whitespace and punctuation, split across lines,
         inside a longer paragraph) and two negative cases (a 30% partial copy, common phrases only).
         Precision and recall per case; a match counts only if it names the planted item.
speed    docs/s of Matcher.scan on jawiki pieces and English prose documents with an index of the
         written items plus `--padding-items` generated items (a realistic index size), against a plain
         pass over the same documents (NFKC + splitting into lines). One process, best of 3.

Reads --shared read-only; writes nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from corpus_builder.decontaminate import EvalItem, IndexBuilder, Matcher, NgramSettings
from corpus_builder.decontaminate.index import BYTES_PER_ENTRY, DEFAULT_CHAR_N
from corpus_builder.decontaminate.normalize import normalize_chars

# ------------------------------------------------------------------------------------------ items
# Written for this project in the style of the public sets (JCommonsenseQA, NIILC, JNLI, JSQuAD,
# MAWPS; MMLU, GSM8K, HellaSwag, BoolQ); none is copied from any set.

JA_ITEMS = [
    EvalItem(
        "ja-mc-1",
        "次のうち、冬に花を咲かせる植物として最も適切なものはどれですか。\nひまわり\n朝顔\n椿\n紫陽花\n蓮",
    ),
    EvalItem(
        "ja-mc-2",
        "料理の前に手を洗う主な理由として正しいものを一つ選びなさい。\n"
        "見た目をよくするため\n手についた菌を落とすため\n水道代を増やすため\n指先を温めるため",
    ),
    EvalItem(
        "ja-mc-3",
        "次の四字熟語のうち、「迷わずにすぐ決めること」を意味するものはどれか。\n一石二鳥\n単刀直入\n優柔不断\n即断即決",
    ),
    EvalItem("ja-qa-1", "江戸時代の東海道に置かれた宿場の数はいくつか。\n五十三"),
    EvalItem("ja-qa-2", "日本で最も面積の広い湖の名前を答えなさい。\n琵琶湖"),
    EvalItem("ja-qa-3", "俳句で季節を表すために詠み込む言葉を何と呼ぶか。\n季語"),
    EvalItem("ja-qa-4", "郵便番号が現在の七桁になったのは西暦何年か。\n1998年"),
    EvalItem("ja-qa-5", "ＪＲ山手線で2020年に開業した駅の名前は何か。\n高輪ゲートウェイ駅"),
    EvalItem(
        "ja-nli-1",
        "駅前の商店街では毎週土曜日の朝に小さな市場が開かれている。\n駅前の商店街では土曜日に市場がある。\n含意",
    ),
    EvalItem(
        "ja-nli-2",
        "図書館の自習室は改装工事のため来月末まで利用できない。\n図書館の自習室は今週も普段どおり使える。\n矛盾",
    ),
    EvalItem(
        "ja-math-1",
        "りんごが一箱に十二個ずつ入っています。三箱買って、そのうち七個を近所に配ると、残りは何個ですか。\n二十九個",
    ),
    EvalItem(
        "ja-read-1",
        "山あいの小さな村には、百年以上前に作られた水車小屋が今も残っている。かつては村じゅうの米や"
        "そばの実をひくために使われていたが、電気の製粉機が広まると次第に使われなくなった。"
        "十年ほど前、地元の中学生が古い写真を手がかりに水車の仕組みを調べ、大人たちと一緒に羽根板を"
        "作り直した。いまでは秋の祭りの日にだけ水車が回され、ひいたそば粉で打ったそばが訪れた人にふるまわれる。\n"
        "水車小屋を直すきっかけを作ったのは誰か。\n地元の中学生",
    ),
    EvalItem(
        "ja-read-2",
        "ある町の図書館では、小学生が一冊読むごとに小さな葉の形のカードに題名を書き、壁の木の絵に"
        "貼っていく取り組みを続けている。始めた年には葉が数十枚しか集まらなかったが、三年目には木が"
        "葉で覆われるほどになり、春休みには保護者が自分の読んだ本の葉を貼る日も設けられた。\n"
        "三年目の木の様子として正しいものはどれか。\n葉で覆われた",
    ),
]

EN_ITEMS = [
    EvalItem(
        "en-mc-1",
        "Which of the following gases makes up the largest share of the air we breathe at sea level?\n"
        "oxygen\nnitrogen\nargon\ncarbon dioxide",
    ),
    EvalItem(
        "en-mc-2",
        "A student heats a beaker of water and notices small bubbles forming on the bottom long before it "
        "boils. What do these early bubbles most likely contain?\ndissolved air\nsteam\nhydrogen\nchlorine",
    ),
    EvalItem(
        "en-math-1",
        "A baker packs 24 muffins into boxes of 6. She sells three boxes in the morning and one box in the "
        "afternoon. How many muffins are left at the end of the day?\n0",
    ),
    EvalItem(
        "en-math-2",
        "Tom reads 15 pages of his book every weekday and 30 pages on each day of the weekend. How many "
        "pages does he read in two full weeks?\n270",
    ),
    EvalItem(
        "en-qa-1",
        "In which year did people first walk on the surface of the Moon, and what was the name of that "
        "mission?\n1969, Apollo 11",
    ),
    EvalItem("en-qa-short", "What is the boiling point of pure water at sea level?"),
    EvalItem(
        "en-cont-1",
        "A man stands on a ladder next to a house with a bucket of paint. He dips a wide brush into the "
        "bucket and carefully paints the wooden trim above the window, then climbs down to move the ladder.",
    ),
    EvalItem(
        "en-read-1",
        "The town of Millbrook built its first public library in an old grain store beside the river. For "
        "years the building flooded every spring, and volunteers carried the books upstairs whenever the "
        "water rose. In the end the council raised the floor by almost a metre, and the library has stayed "
        "dry ever since.\nWhy did volunteers carry the books upstairs?\nbecause the building flooded",
    ),
    EvalItem(
        "en-bool-1",
        "Night herons feed mostly at dusk and at night, resting in trees during the day, which is why they "
        "are seldom seen by casual walkers.\nDo night herons usually feed during the middle of the day?\nno",
    ),
]

COMMON_PHRASES_JA = [
    "2024年4月1日（月）更新",
    "本日はどうぞよろしくお願いします。",
    "今後ともよろしくお願いいたします。",
    "お問い合わせはこちらのフォームからお願いいたします。",
    "次のうち、正しいものを一つ選びなさい。",
    "このページの先頭へ戻る",
    "日本で最も面積の広い県は北海道です。",
    "令和6年3月31日をもちまして営業を終了いたしました。",
]
COMMON_PHRASES_EN = [
    "Posted on March 3, 2021 by admin",
    "Copyright © 2024 All rights reserved.",
    "Thank you for reading, and see you next time!",
    "Which of the following is correct?",
    "Click here to subscribe to our newsletter.",
    "The boiling point of a liquid depends on the pressure around it.",
]


# ------------------------------------------------------------------------------------------ variants


def _halfwidth_katakana() -> dict[str, str]:
    """Full-width katakana → half-width (NFKC maps them back), voiced ones as base + ﾞ/ﾟ."""
    table = {}
    for code in range(0xFF61, 0xFFA0):
        half = chr(code)
        full = unicodedata.normalize("NFKC", half)
        if len(full) == 1:
            table[full] = half
    table["\u3099"], table["\u309a"] = "\uff9e", "\uff9f"
    return table


_HALF = _halfwidth_katakana()


def width_variant(text: str) -> str:
    """ASCII letters and digits to full width, katakana to half width."""
    out = []
    for char in unicodedata.normalize("NFD", text):
        if char.isascii() and char.isalnum():
            out.append(chr(ord(char) + 0xFEE0))
        else:
            out.append(_HALF.get(char, char))
    return unicodedata.normalize("NFC", "".join(out)).replace("\n", "　")


def spacing_variant(text: str) -> str:
    """Other punctuation and spacing: Japanese gets spaces between phrases, English loses commas."""
    swaps = {"、": "， ", "。": "．", "「": "『", "」": "』", ",": " ;", "?": " ?!", ".": " . "}
    out = "".join(swaps.get(char, char) for char in text)
    return out.replace("\n", " / ").replace("の", "の ").replace(" ", "  ")


def split_variant(text: str) -> str:
    """Re-wrapped: a line break every 11 characters (Japanese) or 5 words (English)."""
    if normalize_chars(text) and not text.isascii():
        flat = text.replace("\n", "")
        return "\n".join(flat[i : i + 11] for i in range(0, len(flat), 11))
    words = text.split()
    return "\n".join(" ".join(words[i : i + 5]) for i in range(0, len(words), 5))


def partial_variant(text: str) -> str:
    """The first 30% of the item: below any sensible threshold."""
    if not text.isascii():
        return text[: int(len(text) * 0.3)]
    words = text.split()
    return " ".join(words[: int(len(words) * 0.3)])


@dataclass(frozen=True)
class Case:
    name: str
    positive: bool
    make: Callable[[EvalItem, random.Random, list[str]], str]


def _document(planted: str, rng: random.Random, filler: list[str], inline: bool = False) -> str:
    lines = rng.sample(filler, 6)
    at = rng.randrange(1, 5)
    if inline:
        lines[at] = f"{lines[at]} {planted.replace(chr(10), ' ')} {lines[at + 1]}"
    else:
        lines.insert(at, planted)
    return "\n".join(lines)


CASES = [
    Case("exact copy", True, lambda item, rng, filler: _document(item.text, rng, filler)),
    Case("full/half width", True, lambda item, rng, filler: _document(width_variant(item.text), rng, filler)),
    Case(
        "whitespace + punctuation",
        True,
        lambda item, rng, filler: _document(spacing_variant(item.text), rng, filler),
    ),
    Case(
        "split across lines", True, lambda item, rng, filler: _document(split_variant(item.text), rng, filler)
    ),
    Case(
        "inside a longer paragraph", True, lambda item, rng, filler: _document(item.text, rng, filler, True)
    ),
    Case(
        "30% partial copy (negative)",
        False,
        lambda item, rng, filler: _document(partial_variant(item.text), rng, filler),
    ),
]


def filler_sentences(language: str) -> list[str]:
    from corpus_builder.samples.generate import _load_sections

    name = "ja_prose.txt" if language == "ja" else "en_prose.txt"
    return [line for lines in _load_sections(name).values() for line in lines]


def planted_documents(seed: int = 0, copies: int = 3) -> list[tuple[str, str | None, str]]:
    """(case name, planted item id or None, document) for every case x item x copy, plus common-phrase
    documents (case "common phrases (negative)")."""
    rng = random.Random(seed)
    documents = []
    for language, items, phrases in (
        ("ja", JA_ITEMS, COMMON_PHRASES_JA),
        ("en", EN_ITEMS, COMMON_PHRASES_EN),
    ):
        filler = filler_sentences(language)
        for case in CASES:
            for item in items:
                for _ in range(copies):
                    documents.append(
                        (case.name, item.item_id if case.positive else None, case.make(item, rng, filler))
                    )
        for _ in range(len(items) * copies):
            lines = rng.sample(filler, 4) + rng.sample(phrases, 3)
            rng.shuffle(lines)
            documents.append(("common phrases (negative)", None, "\n".join(lines)))
    return documents


def written_index(settings: NgramSettings | None = None, padding: list[EvalItem] | None = None) -> Matcher:
    builder = IndexBuilder(settings)
    builder.add_set("written-ja", JA_ITEMS)
    builder.add_set("written-en", EN_ITEMS)
    if padding:
        builder.add_set("padding", padding)
    return Matcher(builder.build())


# ------------------------------------------------------------------------------------------ sections


def section_planted() -> list[str]:
    matcher = written_index()
    stats: dict[str, list[int]] = {}  # case → [documents, planted found, wrong matches, documents missed]
    for case, planted, document in planted_documents():
        row = stats.setdefault(case, [0, 0, 0, 0])
        row[0] += 1
        found = {match.item_id for match in matcher.scan(document)}
        if planted in found:
            row[1] += 1
        elif planted is not None:
            row[3] += 1
        row[2] += len(found - {planted})
    lines = ["| case | documents | recall | precision | wrong matches |", "|---|---:|---:|---:|---:|"]
    for case, (documents, hits, wrong, _missed) in stats.items():
        positives = documents if not case.endswith("(negative)") else 0
        recall = f"{hits / positives:.1%}" if positives else "n/a"
        precision = f"{hits / (hits + wrong):.1%}" if hits + wrong else "n/a"
        lines.append(f"| {case} | {documents} | {recall} | {precision} | {wrong} |")
    return lines


def jawiki_pages(shared: Path) -> list[str]:
    from bench.minhash import _parse_pages

    pages: list[str] = []
    with contextlib.suppress(ET.ParseError):  # the dump is truncated mid-page
        _parse_pages(shared, pages, 10**9, 200, 10**9)
    return pages


def _sentences(page: str) -> list[str]:
    return [s + "。" for line in page.splitlines() for s in line.split("。") if 20 <= len(s) <= 120]


def _edited(text: str, rng: random.Random, every: int = 40) -> str:
    chars = list(text)
    for position in range(rng.randrange(every), len(chars), every):
        chars[position] = "〇"
    return "".join(chars)


def section_ngram(shared: Path, ns: list[int]) -> list[str]:
    pages = jawiki_pages(shared)
    items_half, docs_half = pages[0::2], pages[1::2]
    haystack = "\x00".join(normalize_chars(page) for page in docs_half)
    sentences = list(dict.fromkeys(s for page in items_half for s in _sentences(page)))
    wiki_items = [
        EvalItem(f"wiki-{k}", s) for k, s in enumerate(sentences) if normalize_chars(s) not in haystack
    ]
    rng = random.Random(1)
    edited_docs = [_edited(item.text, rng) for item in JA_ITEMS]
    lines = [
        f"{len(wiki_items)} sentence items (of {len(sentences)}; the rest occur verbatim in the documents) "
        f"from "
        f"{len(items_half)} articles + {len(JA_ITEMS)} written items; {len(docs_half)} documents "
        f"({sum(map(len, docs_half)):,} characters)",
        "",
        "| n | item n-grams found anywhere | items with any n-gram in a document | items found (share ≥ 0.5) "
        "| written items, 1 char in 40 edited, found |",
        "|---:|---:|---:|---:|---:|",
    ]
    from corpus_builder.decontaminate.ngrams import char_unit_values, distinct_hashes

    doc_grams = {}
    for n in ns:
        doc_grams[n] = set()
        for page in docs_half:
            doc_grams[n].update(distinct_hashes(char_unit_values(normalize_chars(page)), n).tolist())
        items = wiki_items + JA_ITEMS
        total = found_grams = any_items = 0
        for item in items:
            grams = distinct_hashes(char_unit_values(normalize_chars(item.text)), n).tolist()
            hit = sum(g in doc_grams[n] for g in grams)
            total += len(grams)
            found_grams += hit
            any_items += hit > 0
        settings = NgramSettings(char_n=n, min_char_units=min(n, 10))
        builder = IndexBuilder(settings)
        builder.add_set("items", items)
        matcher = Matcher(builder.build())
        found_items = {m.item_id for page in docs_half for m in matcher.scan(page)}
        edited_found = sum(
            any(m.item_id == item.item_id for m in matcher.scan(doc))
            for item, doc in zip(JA_ITEMS, edited_docs, strict=True)
        )
        mark = " (default)" if n == DEFAULT_CHAR_N else ""
        lines.append(
            f"| {n}{mark} | {found_grams / total:.2%} | {any_items / len(items):.2%} | "
            f"{len(found_items)} / {len(items)} | {edited_found} / {len(JA_ITEMS)} |"
        )
    return lines


def _padding_items(count: int, seed: int = 3) -> list[EvalItem]:
    """Generated items of random kana and kanji (~100 characters): index bulk that matches nothing."""
    rng = random.Random(seed)
    alphabet = [chr(c) for c in range(0x3041, 0x3097)] + [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    return [EvalItem(f"pad-{k}", "".join(rng.choices(alphabet, k=100))) for k in range(count)]


def _best_of(repeats: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def speed(shared: Path, documents: int, padding: int) -> dict:
    """Scan and plain-pass rates on the same documents (best of 3 each), and the index's size."""
    from bench.minhash import wiki_articles

    ja_docs = wiki_articles(shared, documents // 2)
    rng = random.Random(5)
    en_filler = filler_sentences("en")
    en_docs = ["\n".join(rng.sample(en_filler, 12)) for _ in range(documents - len(ja_docs))]
    docs = ja_docs + en_docs
    started = time.perf_counter()
    matcher = written_index(padding=_padding_items(padding))
    build_s = time.perf_counter() - started

    def plain() -> None:
        for text in docs:
            for line in unicodedata.normalize("NFKC", text).split("\n"):
                len(line)

    def scan() -> None:
        for text in docs:
            matcher.scan(text)

    plain_s, scan_s = _best_of(3, plain), _best_of(3, scan)
    return {
        "ja_docs": len(ja_docs),
        "en_docs": len(en_docs),
        "docs": len(docs),
        "chars": sum(map(len, docs)),
        "mb": _mb(docs),
        "index": matcher.index,
        "build_s": build_s,
        "plain_s": plain_s,
        "scan_s": scan_s,
    }


def section_speed(shared: Path, documents: int, padding: int) -> list[str]:
    r = speed(shared, documents, padding)
    index = r["index"]
    return [
        f"{r['ja_docs']} jawiki pieces + {r['en_docs']} English prose documents, {r['chars']:,} characters; "
        f"index: {index.entries:,} entries ({len(index.item_ids):,} items), {index.nbytes() / 1e6:.1f} MB "
        f"of arrays ({index.nbytes() / index.entries:.1f} B per entry with the bitmap; keys + items "
        f"{BYTES_PER_ENTRY} B), built in {r['build_s']:.1f}s",
        "",
        "| pass | docs/s | MB/s of text (UTF-8) |",
        "|---|---:|---:|",
        f"| plain: NFKC + lines | {r['docs'] / r['plain_s']:,.0f} | {r['mb'] / r['plain_s']:,.1f} |",
        f"| Matcher.scan | {r['docs'] / r['scan_s']:,.0f} | {r['mb'] / r['scan_s']:,.1f} |",
        f"| ratio (scan / plain time) | {r['scan_s'] / r['plain_s']:.1f}x | |",
    ]


def rows(shared: Path, documents: int = 3000, padding: int = 20000) -> list[tuple[str, str, str, str, str]]:
    """(measure, ours, other, ratio, goal) rows, the shape of `python -m bench`'s table."""
    r = speed(shared, documents, padding)
    scan_rate, plain_rate = r["docs"] / r["scan_s"], r["docs"] / r["plain_s"]
    matcher = written_index()
    positives = found = wrong = 0
    for _, planted, document in planted_documents():
        ids = {match.item_id for match in matcher.scan(document)}
        positives += planted is not None
        found += planted in ids
        wrong += len(ids - {planted})
    return [
        (
            f"decontamination docs/s per core: scan vs plain NFKC pass ({r['index'].entries:,}-entry index)",
            f"{scan_rate:,.0f}",
            f"{plain_rate:,.0f}",
            f"{plain_rate / scan_rate:.1f}x slower",
            "",
        ),
        (
            "decontamination planted items: recall; wrong matches",
            f"{found / positives:.1%}",
            str(wrong),
            "",
            "100%; 0",
        ),
    ]


def _mb(docs: list[str]) -> float:
    return sum(len(text.encode()) for text in docs) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.decontamination", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--sections", default="ngram,planted,speed")
    parser.add_argument("--ns", default="5,8,10,12,13,15,20", help="character n values for the ngram section")
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--padding-items", type=int, default=20000)
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    started = time.perf_counter()
    print(f"## decontamination benchmark ({time.strftime('%Y-%m-%d')})\n")
    if "ngram" in sections:
        print("### Japanese character n: false positives on jawiki\n")
        print("\n".join(section_ngram(args.shared, [int(n) for n in args.ns.split(",")])) + "\n")
    if "planted" in sections:
        print(
            "### Planted items: precision and recall per case (defaults: chars n=13, words n=13, share 0.5)\n"
        )
        print("\n".join(section_planted()) + "\n")
    if "speed" in sections:
        print("### Scan speed, one core\n")
        print("\n".join(section_speed(args.shared, args.docs, args.padding_items)) + "\n")
    print(f"(total {time.perf_counter() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
