"""corpus_builder.decontaminate: reading items, normalisation, the index, matching, the catalogue.

Items and documents are written for the project (here and in bench/decontamination.py)."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.decontamination import CASES, EN_ITEMS, JA_ITEMS, planted_documents, written_index
from corpus_builder.decontaminate import (
    MAX_BYTES_PER_ENTRY,
    EvalItem,
    EvalItemsError,
    IndexBuilder,
    ItemSource,
    Matcher,
    NgramSettings,
    matched_spans,
    read_items,
    remove_spans,
)
from corpus_builder.decontaminate.catalogue import load_catalogue
from corpus_builder.decontaminate.index import DecontaminationIndex
from corpus_builder.decontaminate.ngrams import char_unit_values, window_hashes
from corpus_builder.decontaminate.normalize import is_cjk_text, normalize_chars, normalize_words

REPO = Path(__file__).resolve().parents[1]

PASSAGE_JA = (
    "港町の古い灯台は、明治の終わりに建てられてから一度も火を絶やしたことがないと言われている。"
    "戦後しばらくは灯台守の家族が交代で油を足し、嵐の夜には子どもたちも見張りを手伝った。"
    "いまは自動で点灯するが、町の人々は毎年春に灯台のまわりを掃除する日を決めて、"
    "その日だけは中の階段を上って海を眺めることができる。"
)
QUESTION_EN = (
    "Which layer of the atmosphere contains most of the ozone that absorbs ultraviolet light from the sun?"
)


def matcher_for(*items: EvalItem, settings: NgramSettings | None = None, **options: object) -> Matcher:
    builder = IndexBuilder(settings)
    builder.add_set("test-set", items)
    return Matcher(builder.build(), **options)


def found(matcher: Matcher, text: str) -> set[str]:
    return {match.item_id for match in matcher.scan(text)}


# ------------------------------------------------------------------------------------------ normalisation


def test_char_normalisation_ignores_width_case_space_punctuation_and_line_breaks() -> None:
    variants = [
        "ＪＲ山手線の駅は３０。",
        "JR山手線の駅は30",
        "jr 山手線の\n駅は 30 ！",
        "「JR」・山手線の駅は、30…",
    ]
    assert {normalize_chars(v) for v in variants} == {"jr山手線の駅は30"}
    assert normalize_chars("ｶﾞｲﾄﾞ") == "ガイド"


def test_words_join_across_lines_and_ignore_punctuation() -> None:
    assert normalize_words("Hello,\nWORLD -- it's\tＯＫ!") == ["hello", "world", "it", "s", "ok"]


def test_script_decides_the_unit_kind() -> None:
    assert is_cjk_text("DNAの二重らせん構造は1953年に発表された")
    assert not is_cjk_text("The Tokyo (東京) office opened in 1953 with ten employees")


def test_window_hashes_are_the_hashes_of_the_substrings() -> None:
    text = "あいうえおかきくけこさしすせそ"
    units = char_unit_values(text)
    windows = window_hashes(units, {3, 13})
    for start in range(len(text) - 3 + 1):
        alone = window_hashes(char_unit_values(text[start : start + 3]), {3})[3]
        assert alone.tolist() == [windows[3][start]]
    assert windows[13].size == len(text) - 12
    assert len(set(windows[3].tolist())) == len(text) - 2  # distinct windows, distinct hashes
    assert window_hashes(units, {20})[20].size == 0


# ------------------------------------------------------------------------------------------ reading items


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_items_join_fields_lists_and_nested_paths(tmp_path: Path) -> None:
    records = [
        {"id": "a", "question": {"stem": "空の色は何色か", "choices": [{"text": "青"}, {"text": "赤"}]}},
        {"id": "b", "question": {"stem": "海の水はなぜ塩辛いのか", "choices": []}, "unused": 1},
    ]
    path = write(
        tmp_path / "items.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n"
    )
    source = ItemSource(path, fields=("question.stem", "question.choices.text"), id_field="id")
    assert list(read_items(source)) == [
        EvalItem("a", "空の色は何色か\n青\n赤"),
        EvalItem("b", "海の水はなぜ塩辛いのか"),
    ]


def test_json_parquet_csv_tsv_and_text_formats(tmp_path: Path) -> None:
    json_path = write(
        tmp_path / "eval.json", json.dumps({"samples": [{"input": "質問：一", "output": "答"}]})
    )
    assert list(read_items(ItemSource(json_path, fields=("input", "output"), records_key="samples"))) == [
        EvalItem("0", "質問：一\n答")
    ]
    parquet_path = tmp_path / "items.parquet"
    pq.write_table(pa.table({"q": ["first question", "second"], "choices": [["x", "y"], []]}), parquet_path)
    assert [i.text for i in read_items(ItemSource(parquet_path, fields=("q", "choices")))] == [
        "first question\nx\ny",
        "second",
    ]
    csv_path = write(tmp_path / "mmlu.csv", 'What is 2+2?,3,4,5,6,B\n"A, quoted",a,b,c,d,A\n')
    items = list(
        read_items(ItemSource(csv_path, fields=("q", "A"), columns=("q", "A", "B", "C", "D", "ans")))
    )
    assert items == [EvalItem("0", "What is 2+2?\n3"), EvalItem("1", "A, quoted\na")]
    tsv_path = write(tmp_path / "set.tsv", "key\tsentence\nk1\tone sentence\n")
    assert list(read_items(ItemSource(tsv_path, fields=("sentence",), id_field="key"))) == [
        EvalItem("k1", "one sentence")
    ]
    text_path = write(tmp_path / "items.txt", "first line\n\nsecond\nblock\n\n\nthird\n")
    lines = ItemSource(text_path)
    blocks = ItemSource(text_path, text_unit="block")
    assert [i.text for i in read_items(lines)] == ["first line", "second", "block", "third"]
    assert [i.text for i in read_items(blocks)] == ["first line", "second\nblock", "third"]


@pytest.mark.parametrize(
    ("name", "content", "options", "message"),
    [
        ("bad.jsonl", '{"q": "ok"}\n{"q": broken\n', {"fields": ("q",)}, "line 2: not JSON"),
        (
            "missing.jsonl",
            '{"q": "ok"}\n{"x": "no q"}\n',
            {"fields": ("q",)},
            "line 2: no field 'q' (has: x)",
        ),
        ("empty.jsonl", '{"q": "  "}\n', {"fields": ("q",)}, "line 1: the item is empty"),
        ("list.jsonl", "[1, 2]\n", {"fields": ("q",)}, "line 1: a record must be an object"),
        (
            "dup.jsonl",
            '{"i": 1, "q": "a"}\n{"i": 1, "q": "b"}\n',
            {"fields": ("q",), "id_field": "i"},
            "'1' occurs twice",
        ),
        ("obj.jsonl", '{"q": {"a": 1}}\n', {"fields": ("q",)}, "field 'q' holds dict"),
        (
            "cols.csv",
            "q,a\nfine,1\ntoo,many,cells\n",
            {"fields": ("q",)},
            "line 3: 3 columns, the header has 2",
        ),
        ("quote.csv", 'q\n"unclosed\n', {"fields": ("q",)}, "line"),
        ("items.xml", "<x/>", {"fields": ("q",)}, "cannot tell the format"),
        ("nolist.json", '{"data": {}}', {"fields": ("q",)}, "not a JSON list (set records_key"),
        ("nokey.json", '{"data": []}', {"fields": ("q",), "records_key": "samples"}, "no key 'samples'"),
        ("nofields.jsonl", '{"q": "a"}\n', {}, "no fields configured"),
    ],
)
def test_bad_files_name_the_file_row_and_reason(
    tmp_path: Path, name: str, content: str, options: dict, message: str
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(EvalItemsError) as error:
        list(read_items(ItemSource(path, **options)))
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_undecodable_and_unreadable_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"q": "ok"}\n{"q": "caf\xe9"}\n')
    with pytest.raises(EvalItemsError, match=r"latin\.jsonl: line 2: not utf-8"):
        list(read_items(ItemSource(latin, fields=("q",))))
    fake = write(tmp_path / "fake.parquet", "not parquet")
    with pytest.raises(EvalItemsError, match="not a readable Parquet file"):
        list(read_items(ItemSource(fake, fields=("q",))))
    pq.write_table(pa.table({"x": ["a"]}), tmp_path / "cols.parquet")
    with pytest.raises(EvalItemsError, match=r"no column q \(has: x\)"):
        list(read_items(ItemSource(tmp_path / "cols.parquet", fields=("q",))))
    with pytest.raises(EvalItemsError, match="no such file"):
        list(read_items(ItemSource(tmp_path / "absent.jsonl", fields=("q",))))


# ------------------------------------------------------------------------------------------ planted cases


def test_every_planted_case_finds_exactly_the_planted_item() -> None:
    matcher = written_index()
    cases = {case.name for case in CASES} | {"common phrases (negative)"}
    seen = set()
    for case, planted, document in planted_documents(seed=11, copies=1):
        seen.add(case)
        expected = {planted} if planted else set()
        assert found(matcher, document) == expected, (case, planted, document)
    assert seen == cases


def test_passage_inside_a_long_paragraph_and_split_over_lines_in_japanese() -> None:
    matcher = matcher_for(EvalItem("lighthouse", PASSAGE_JA))
    wrapped = "\n".join(PASSAGE_JA[i : i + 17] for i in range(0, len(PASSAGE_JA), 17))
    assert found(matcher, "前の段落。\n" + wrapped + "\n後の段落。") == {"lighthouse"}
    long_line = "今日は天気がよかったので散歩に出かけた。" + PASSAGE_JA + "帰りにパン屋に寄った。"
    assert found(matcher, long_line) == {"lighthouse"}


def test_share_threshold_on_a_long_passage() -> None:
    sentences = [s + "。" for s in PASSAGE_JA.split("。") if s]  # 45, 42 and 64 characters
    one, two = sentences[0], "".join(sentences[:2])

    def shares(min_share: float, text: str) -> list[float]:
        builder = IndexBuilder()
        builder.add_set("s", [EvalItem("lighthouse", PASSAGE_JA)], min_share=min_share)
        return [match.share for match in Matcher(builder.build()).scan(text)]

    assert shares(0.5, one + "\n関係のない文章がここに続く。") == []  # 23% of the n-grams
    [half] = shares(0.5, two)
    assert 0.5 <= half < 0.6
    assert shares(0.6, two) == []
    assert shares(0.9, PASSAGE_JA) == [1.0]
    [match] = matcher_for(EvalItem("lighthouse", PASSAGE_JA)).scan(PASSAGE_JA)
    assert match.matched == match.grams == len(normalize_chars(PASSAGE_JA)) - 13 + 1


def test_english_question_across_lines_and_with_other_punctuation() -> None:
    matcher = matcher_for(EvalItem("ozone", QUESTION_EN))
    rewrapped = "Quiz time!\nwhich LAYER of the atmosphere contains\nmost of the ozone -- that absorbs\n"
    rewrapped += "ultraviolet light from the Sun ??\nAnswer below."
    assert found(matcher, rewrapped) == {"ozone"}
    assert found(matcher, "Which layer of the atmosphere contains most of the clouds?") == set()


def test_short_items_must_appear_whole_and_tiny_ones_are_not_indexed() -> None:
    short = EvalItem("short", "What is the boiling point of pure water at sea level?")  # 11 words < 13
    tiny = EvalItem("tiny", "富士山")
    builder = IndexBuilder()
    stats = builder.add_set("s", [short, tiny])
    matcher = Matcher(builder.build())
    assert (stats.indexed, stats.too_short) == (1, 1)
    assert found(matcher, "Quiz: what is the boiling point of pure water at sea level? 100 degrees.") == {
        "short"
    }
    assert found(matcher, "The boiling point of pure water at sea level is 100 degrees.") == set()
    assert found(matcher, "富士山に登った。") == set()
    [match] = matcher.scan("what is the boiling point of pure water at sea level")
    assert (match.grams, match.matched) == (1, 1)


def test_items_with_few_ngrams_need_all_of_them() -> None:
    # 15 characters at n=13: three 13-grams, fewer than whole_item_grams=3? no: exactly 3, so share rules;
    # at whole_item_grams=4 all three are required.
    item = EvalItem("q", "日本三名園の一つで金沢市にある庭園")
    settings = NgramSettings(whole_item_grams=6)
    matcher = matcher_for(item, settings=settings)
    grams = matcher.index.item_grams[0]
    assert grams < 6 and matcher.index.item_required[0] == grams
    assert found(matcher, "日本三名園の一つで金沢市にある庭園") == {"q"}
    assert found(matcher, "日本三名園の一つで金沢市にある") == set()


def test_no_false_positive_on_common_phrases() -> None:
    matcher = written_index()
    documents = [
        "2024年4月1日（月）更新\n本日はどうぞよろしくお願いします。\n今後ともよろしくお願いいたします。",
        "次のうち、正しいものを一つ選びなさい。\n答え：\n選択肢の中から一つ選んでください。",
        "日本で最も面積の広い湖は琵琶湖で、滋賀県の面積のおよそ六分の一を占めている。",
        "江戸時代の東海道には多くの宿場があり、旅人はそこで休んだ。",
        "Posted on March 3, 2021 by admin. Copyright © 2024 All rights reserved.",
        "Which of the following is correct? Choose one answer. Thank you for reading!",
        "At sea level, pure water boils at 100 degrees Celsius; at altitude it boils at a lower temperature.",
    ]
    for document in documents:
        assert matcher.scan(document) == [], document


# ------------------------------------------------------------------------------------------ spans and cutting


def test_spans_name_the_lines_that_hold_the_item_and_cutting_removes_only_them() -> None:
    matcher = matcher_for(EvalItem("ozone", QUESTION_EN), EvalItem("lighthouse", PASSAGE_JA))
    half = len(QUESTION_EN) // 2
    lines = [
        "Intro line.",
        QUESTION_EN[:half],
        QUESTION_EN[half:],
        "Unrelated closing line.",
        PASSAGE_JA,
        "終わり",
    ]
    text = "\n".join(lines)
    matches = {m.item_id: m for m in matcher.scan(text)}
    assert [text[a:b] for a, b in matches["ozone"].spans] == lines[1:3]
    assert [text[a:b] for a, b in matches["lighthouse"].spans] == [PASSAGE_JA]
    assert (
        remove_spans(text, matched_spans(matches.values())) == "Intro line.\nUnrelated closing line.\n終わり"
    )


def test_blank_line_paragraphs_cut_whole_blocks() -> None:
    index = matcher_for(EvalItem("ozone", QUESTION_EN)).index
    matcher = Matcher(index, paragraphs="blank_line")
    words = QUESTION_EN.split()
    block = " ".join(words[:8]) + "\n" + " ".join(words[8:])
    text = f"Keep this.\n\nA first line of the block\n{block}\n\nAnd keep this too."
    [match] = matcher.scan(text)
    assert [text[a:b] for a, b in match.spans] == ["A first line of the block\n" + block]
    assert remove_spans(text, match.spans) == "Keep this.\n\n\nAnd keep this too."
    with pytest.raises(ValueError, match="paragraphs"):
        Matcher(index, paragraphs="sentence")  # type: ignore[arg-type]


def test_mixed_language_documents_and_empty_input() -> None:
    matcher = written_index()
    text = JA_ITEMS[0].text + "\n" + EN_ITEMS[0].text
    assert found(matcher, text) == {JA_ITEMS[0].item_id, EN_ITEMS[0].item_id}
    assert matcher.scan("") == []
    assert Matcher(IndexBuilder().build()).scan(text) == []


# ------------------------------------------------------------------------------------------ the index


def test_index_is_deterministic_and_survives_save_and_load(tmp_path: Path) -> None:
    first, second = written_index().index, written_index().index
    assert first.fingerprint() == second.fingerprint()
    changed = IndexBuilder()
    changed.add_set(
        "written-ja", JA_ITEMS[:-1] + [EvalItem(JA_ITEMS[-1].item_id, JA_ITEMS[-1].text + "追記")]
    )
    changed.add_set("written-en", EN_ITEMS)
    assert changed.build().fingerprint() != first.fingerprint()
    first.save(tmp_path / "index.npz")
    loaded = DecontaminationIndex.load(tmp_path / "index.npz")
    assert loaded.fingerprint() == first.fingerprint()
    assert loaded.stats == first.stats
    for _, _, document in planted_documents(seed=3, copies=1)[:40]:
        assert Matcher(loaded).scan(document) == Matcher(first).scan(document)


def test_template_ngrams_shared_by_many_items_are_dropped() -> None:
    template = "次の文章を読んで、問いに答えなさい。"
    items = [EvalItem(str(k), template + f"問題番号{k}番の本文はここにあります{k * 7919}") for k in range(60)]
    builder = IndexBuilder(NgramSettings(max_items_per_gram=50))
    builder.add_set("templated", items)
    matcher = Matcher(builder.build())
    assert matcher.scan("よく出る指示文：" + template) == []
    assert found(matcher, items[5].text) == {"5"}


def test_two_sets_and_duplicate_set_names() -> None:
    builder = IndexBuilder()
    builder.add_set("ja", JA_ITEMS)
    builder.add_set("en", EN_ITEMS, units="words", min_share=0.8)
    with pytest.raises(ValueError, match="added twice"):
        builder.add_set("ja", [])
    with pytest.raises(ValueError, match="min_share"):
        builder.add_set("other", [], min_share=0)
    matcher = Matcher(builder.build())
    [match] = matcher.scan(EN_ITEMS[2].text)
    assert (match.set_name, match.item_id) == ("en", EN_ITEMS[2].item_id)


@pytest.mark.slow
def test_three_million_ngrams_fit_the_stated_budget() -> None:
    rng = random.Random(0)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 5000)]
    items = [EvalItem(str(k), "".join(rng.choices(alphabet, k=500))) for k in range(6200)]
    tracemalloc.start()
    builder = IndexBuilder()
    builder.add_set("bulk", items)
    index = builder.build()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert index.entries >= 3_000_000
    assert index.nbytes() <= MAX_BYTES_PER_ENTRY * index.entries
    assert peak <= 32 * index.entries  # building: keys, items, the sort order and the sorted copy
    assert np.all(np.diff(index.schemes["chars"].keys.astype(np.float64)) >= 0)


# ------------------------------------------------------------------------------------------ catalogue


def test_catalogue_parses_and_every_entry_names_fields_and_origin(tmp_path: Path) -> None:
    catalogue = load_catalogue(REPO / "manifests" / "eval_sets.yaml")
    assert {"jcommonsenseqa", "jmmlu", "jemhopqa", "niilc", "mmlu", "gsm8k", "hellaswag", "arc"} <= set(
        catalogue
    )
    for entry in catalogue.values():
        assert entry.fields and entry.obtain.startswith("http") and entry.licence, entry.name
        assert set(entry.unsure) <= {
            "licence",
            "format",
            "fields",
            "id_field",
            "columns",
            "records_key",
            "obtain",
        }
    # the read options of two entries against files in the shape their publishers use
    mmlu = write(tmp_path / "astronomy_test.csv", "What is the Sun?,A star,A planet,A moon,A comet,A\n")
    assert [i.text for i in read_items(catalogue["mmlu"].source(mmlu))] == [
        "What is the Sun?\nA star\nA planet\nA moon\nA comet"
    ]
    arc_record = {"id": "q1", "question": {"stem": "Why?", "choices": [{"text": "a", "label": "A"}]}}
    arc = write(tmp_path / "arc.jsonl", json.dumps(arc_record) + "\n")
    assert list(read_items(catalogue["arc"].source(arc))) == [EvalItem("q1", "Why?\na")]
    assert catalogue["jcommonsenseqa"].units == "chars" and catalogue["mmlu"].units == "words"
