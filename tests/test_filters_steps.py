"""DocumentStep wrappers and their config models."""

from __future__ import annotations

from pathlib import Path

import pytest
from datatrove.data import Document
from pydantic import ValidationError

import corpus_builder.samples
from corpus_builder.config.stages import (
    CleanStage,
    CodeFilterStage,
    DecodeStage,
    PiiStage,
    QualityStage,
)
from corpus_builder.contracts.document import HTML, PAYLOAD
from corpus_builder.stages.clean import LineCleaner
from corpus_builder.stages.code_filter import CodeFilter
from corpus_builder.stages.decode import HtmlDecoder
from corpus_builder.stages.pii import PiiMask
from corpus_builder.stages.quality import QualityFilter


def _doc(text: str, **metadata) -> Document:
    return Document(text=text, id="d", metadata={"lang": "ja", **metadata})


def test_preset_quality_step_with_word_list_option(tmp_path: Path) -> None:
    (tmp_path / "ng.txt").write_text("悪語\n", encoding="utf-8")
    config = QualityStage.model_validate(
        {"preset": "swallow", "options": {"ngword": {"wordlist_path": "ng.txt"}}},
        context={"base_dir": str(tmp_path)},
    )
    step = QualityFilter(config, base_dir=str(tmp_path))
    doc = _doc("悪語" * 30 + "あ" * 10)
    assert step.process(doc) == "max_ng_fraction"
    assert doc.metadata["quality_signals"]["swallow.ng_fraction"] == 60 / 70
    assert step.process(_doc("x", lang="en")) is None


def test_preset_quality_step_applies_modifiers() -> None:
    step = QualityFilter(QualityStage(preset="hojichar"))
    prose = (Path(corpus_builder.samples.__file__).parent / "texts" / "ja_prose.txt").read_text(
        encoding="utf-8"
    )
    text = "ＡＢＣはじめに。" + prose
    doc = _doc(text)
    assert step.process(doc) is None
    assert doc.text.startswith("ABC") and doc.metadata["quality_signals"]["hojichar.modified.nfkc"] == 3


def test_quality_preset_stage_validation() -> None:
    with pytest.raises(ValueError, match="no_such_rule"):
        QualityFilter(QualityStage(preset="llm-jp", thresholds={"no_such_rule": 1}))
    with pytest.raises(ValueError, match="configurable"):
        QualityFilter(QualityStage(preset="llm-jp", options={"ngword": {}}))
    with pytest.raises(ValidationError, match="nope"):
        CleanStage(modifiers=["nope"])


def test_clean_step_counts_and_drops_empty() -> None:
    step = LineCleaner(CleanStage())
    doc = _doc("今日は晴れ，明日は雨．\nhttps://example.com/\n★★★\n会社概要 | 利用規約")
    assert step.process(doc) is None
    assert doc.text == "今日は晴れ、明日は雨。"
    signals = doc.metadata["quality_signals"]
    assert (signals["clean.kutoten"], signals["clean.footer"], signals["clean.url_only_lines"]) == (2, 1, 1)
    assert step.process(_doc("https://example.com/")) == "empty_after_cleaning"


def test_pii_step() -> None:
    doc = _doc("連絡先 03-1234-5678 / a@example.jp")
    assert PiiMask(PiiStage(replacements={"phone": "[TEL]", "email": "[MAIL]"})).process(doc) is None
    assert doc.text == "連絡先 [TEL] / [MAIL]"
    assert doc.metadata["quality_signals"]["pii.phone"] == 1


def _code(text: str, **extra) -> Document:
    return Document(text=text, id="c", metadata={"lang": "code", "extra": extra})


def test_code_filter_step(tmp_path: Path) -> None:
    step = CodeFilter(CodeFilterStage())
    good = "def f(x):\n    return x + 1\n" * 5
    # Only documents of language `code` (what stack sources set) are judged.
    assert step.process(_doc(good, path="a.exe", license="MIT")) is None
    assert step.process(_code(good, path="src/a.py", license="MIT")) is None
    assert step.process(_code(good, path="a.exe", license="MIT")) == "extension_not_allowed:exe"
    gpl = _code(good, path="a.py", license="GPL-3.0-only")
    assert step.process(gpl) == "license_not_allowed:GPL-3.0-only"
    assert step.process(_code(good, path="a.py", license=["MIT", "Apache-2.0"])) is None
    assert step.process(_code(good, path="a.py")) == "no_license"
    assert step.process(_code("x" * 1200, path="a.py", license="MIT")) == "max_line_length"
    open_step = CodeFilter(CodeFilterStage(licenses_path=None))
    assert open_step.process(_code(good, path="a.py")) is None


@pytest.mark.parametrize(
    ("content_type", "identified", "use_identified", "dropped"),
    [
        ("text/html", "application/rss+xml", True, "not_html"),  # a feed served as text/html
        ("text/html", "application/rss+xml", False, None),
        ("application/octet-stream", "text/html", True, None),  # HTML served with a wrong type
        ("application/octet-stream", "text/html", False, "not_html"),
        ("text/html", None, True, None),  # no identified type: the server's type decides
        ("image/png", None, True, "not_html"),
    ],
)
def test_decode_judges_html_by_the_identified_payload_type(
    content_type: str, identified: str | None, use_identified: bool, dropped: str | None
) -> None:
    step = HtmlDecoder(DecodeStage(use_identified_type=use_identified))
    doc = Document(
        text="",
        id="d",
        metadata={
            "content_type": content_type,
            "identified_type": identified,
            "http_status": 200,
            PAYLOAD: "<html><body><p>駅前の図書館</p></body></html>".encode(),
        },
    )
    assert step.process(doc) == dropped
    assert (HTML in doc.metadata) == (dropped is None)
