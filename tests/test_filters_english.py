"""English datatrove filters (Gopher, C4, FineWeb) run offline and name the filter that dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("spacy")  # datatrove 0.10 splits English words with spacy.blank("en") (no download)

import corpus_builder.samples  # noqa: E402
from corpus_builder.quality.english import EnglishFilters  # noqa: E402

# English prose written for this project (the bundled sample's page text).
GOOD = (Path(corpus_builder.samples.__file__).parent / "texts" / "en_prose.txt").read_text(encoding="utf-8")


def test_good_english_text_is_kept() -> None:
    assert EnglishFilters().check(GOOD) is None


@pytest.mark.parametrize(
    ("text", "prefix"),
    [
        ("short text", "gopher_repetition:"),
        (("the same line again and again here.\n") * 40, "gopher_repetition:dup_line_frac"),
        (" ".join(f"w{i}" for i in range(30)), "gopher_quality:"),
    ],
)
def test_rejections_name_the_filter(text: str, prefix: str) -> None:
    reason = EnglishFilters().check(text)
    assert reason is not None and reason.startswith(prefix), reason


def test_c4_alone_and_parameters() -> None:
    c4 = EnglishFilters(["c4"])
    assert (c4.check("lorem ipsum dolor sit amet " * 50) or "").startswith("c4:")
    assert c4.check(GOOD) is None
    with pytest.raises(ValueError):
        EnglishFilters(["c4"], params={"fineweb": {}})
    strict = EnglishFilters(["fineweb"], params={"fineweb": {"line_punct_thr": 1.01}})
    assert strict.check(GOOD) == "fineweb:line_punct_ratio"
