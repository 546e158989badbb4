"""Wikipedia readers on small dumps written here (never a real dump)."""
# ruff: noqa: E501  (wikitext and XML fixtures are long lines)

from __future__ import annotations

import bz2
import lzma
from pathlib import Path

import pytest

from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.wikipedia.dump import iter_wikipedia
from corpus_builder.sources.wikipedia.parquet import iter_wikipedia_parquet
from corpus_builder.sources.wikipedia.wikitext import wikitext_to_text

ARTICLE = """{{Otheruses|東京の川|その他|サンプル川 (曖昧さ回避)}}
{{基礎情報 河川
| 名称 = サンプル川
| 画像 = [[ファイル:Sample.jpg|250px]]
| 延長 = {{convert|12|km}}
}}
'''サンプル川'''（さんぷるがわ、{{lang-en|Sample River}}）は、[[東京都]]を流れる[[一級河川|川]]である<ref>{{Cite web|url=http://example.org|title=川}}</ref>。
流域には{{仮リンク|見本橋|en|Mihon Bridge}}がある<ref name="a"/>。（{{要出典|date=2020年1月}}）

[[File:River.png|thumb|右|[[川]]の写真]]

== 歴史 ==
江戸時代に''改修''された<!-- 要確認 -->。
{| class="wikitable"
|-
! 年 !! 出来事
|-
| 1600 || 改修
|}
* 最初の項目は[[堤防]]について
* {{small|小さな注記}}の項目

== 脚注 ==
<references />
== 関連項目 ==
* [[東京都の河川]]

{{DEFAULTSORT:さんぷるかわ}}
[[Category:東京都の河川]]
[[en:Sample River]]
"""


def _page(pid: int, title: str, text: str, ns: int = 0, redirect: str | None = None) -> str:
    red = f'    <redirect title="{redirect}" />\n' if redirect else ""
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"  <page>\n    <title>{title}</title>\n    <ns>{ns}</ns>\n    <id>{pid}</id>\n{red}"
        f"    <revision>\n      <id>{pid * 10}</id>\n      <timestamp>2024-01-0{pid % 9 + 1}T00:00:00Z</timestamp>\n"
        f'      <text bytes="{len(text)}" xml:space="preserve">{esc}</text>\n    </revision>\n  </page>\n'
    )


HEADER = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="ja">
  <siteinfo>
    <sitename>Wikipedia</sitename>
    <dbname>jawiki</dbname>
    <base>https://ja.wikipedia.org/wiki/%E3%83%A1%E3%82%A4%E3%83%B3%E3%83%9A%E3%83%BC%E3%82%B8</base>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="6" case="first-letter">ファイル</namespace>
      <namespace key="14" case="first-letter">Category</namespace>
    </namespaces>
  </siteinfo>
"""


def _dump() -> str:
    return (
        HEADER
        + _page(1, "サンプル川", ARTICLE)
        + _page(2, "サンプル河", "#転送 [[サンプル川]]", redirect="サンプル川")
        + _page(3, "サンプル", "'''サンプル'''は次を指す。\n* [[サンプル川]]\n{{Aimai}}")
        + _page(4, "Wikipedia:方針", "方針の文書です。", ns=4)
        + _page(5, "人名", "人名の一覧。\n{{人名の曖昧さ回避}}")
        + _page(6, "見本", "'''見本'''とは例である。\n== 外部リンク ==\n* [http://example.org 公式]")
        + "</mediawiki>\n"
    )


def _read(path: Path, **kw) -> tuple[list[SourceDocument], list[SourceError]]:
    docs, errs = [], []
    for item in iter_wikipedia(str(path), **kw):
        (errs if isinstance(item, SourceError) else docs).append(item)
    return docs, errs


@pytest.mark.parametrize("compress", ["plain", "bz2", "xz"])
def test_dump_articles_only(tmp_path: Path, compress: str) -> None:
    data = _dump().encode("utf-8")
    path = tmp_path / f"jawiki-pages-articles.xml{'' if compress == 'plain' else '.' + compress}"
    path.write_bytes({"plain": data, "bz2": bz2.compress(data), "xz": lzma.compress(data)}[compress])
    stats: dict[str, int] = {}
    docs, errs = _read(path, stats=stats)
    assert errs == []
    assert [d.extra["title"] for d in docs] == ["サンプル川", "見本"]
    assert stats["redirects"] == 1 and stats["disambiguation"] == 2 and stats["other_namespace"] == 1
    d = docs[0]
    assert d.id == "jawiki:1" and d.record_id == "1" and d.offset == 0
    assert d.lang_hint == "ja" and d.date == "2024-01-02T00:00:00Z"
    assert d.url == "https://ja.wikipedia.org/wiki/%E3%82%B5%E3%83%B3%E3%83%97%E3%83%AB%E5%B7%9D"
    assert d.extra["revision_id"] == "10" and d.source_path == str(path)
    assert docs[1].text == "見本とは例である。"


def test_wikitext_conversion() -> None:
    text = wikitext_to_text(ARTICLE)
    assert text.startswith("サンプル川（さんぷるがわ、Sample River）は、東京都を流れる川である。")
    assert "見本橋がある。" in text  # 仮リンク keeps its Japanese text
    assert "（）" not in text and "()" not in text  # bracket emptied by {{要出典}} is removed
    assert "改修された。" in text and "要確認" not in text
    assert "最初の項目は堤防について" in text and "小さな注記の項目" in text
    assert "歴史" in text  # headings kept as lines
    for residue in ("{{", "}}", "[[", "]]", "<ref", "|-", "'''", "''", "http", "Sample.jpg", "写真", "12 km"):
        assert residue not in text, residue
    for cut in ("脚注", "関連項目", "東京都の河川", "Sample River]]", "DEFAULTSORT", "出来事", "1600"):
        assert cut not in text.replace("Sample River）", ""), cut


@pytest.mark.parametrize(
    ("heading", "lang"),
    [
        ("References", "en"),
        ("See also", "en"),
        ("External links", "en"),
        ("参考文献", "zh"),
        ("参见", "zh"),
        ("外部链接", "zh"),
        ("각주", "ko"),
        ("같이 보기", "ko"),
        ("외부 링크", "ko"),
        ("참고 문헌", "ko"),
        ("出典", "ja"),
        ("注釈", "ja"),
    ],
)
def test_stop_sections_all_languages(heading: str, lang: str) -> None:
    text = wikitext_to_text(f"Body text here.\n=== {heading} ===\nTail text.\n")
    assert text == "Body text here.", (lang, text)


def test_truncated_dump_yields_complete_pages_and_one_error(tmp_path: Path) -> None:
    full = _dump()
    cut = full.index("<page>", full.index("<title>見本</title>") - 40)
    data = full[: cut + 60]  # cut inside the last page
    path = tmp_path / "trunc.xml.xz"
    path.write_bytes(lzma.compress(data.encode()))
    docs, errs = _read(path)
    assert [d.extra["title"] for d in docs] == ["サンプル川"]
    assert len(errs) == 1 and "ends early" in errs[0].reason and errs[0].offset == 5


def test_truncated_compressed_stream(tmp_path: Path) -> None:
    data = bz2.compress(_dump().encode())
    path = tmp_path / "cut.xml.bz2"
    path.write_bytes(data[: len(data) - 40])
    docs, errs = _read(path)
    assert len(errs) == 1 and "ends early" in errs[0].reason
    assert all(isinstance(d, SourceDocument) for d in docs)


def test_hf_parquet_layout(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = tmp_path / "20231101.ja"
    d.mkdir()
    table = pa.table(
        {
            "id": ["12", "13", "14"],
            "url": ["https://ja.wikipedia.org/wiki/A", "https://ja.wikipedia.org/wiki/B", None],
            "title": ["A", "B", "C"],
            "text": ["Aの本文。", "", None],
        }
    )
    pq.write_table(table, d / "train-00000-of-00001.parquet")
    items = list(iter_wikipedia_parquet(str(d / "train-00000-of-00001.parquet")))
    assert isinstance(items[0], SourceDocument) and items[0].id == "jawiki:12" and items[0].lang_hint == "ja"
    assert items[0].extra["title"] == "A" and items[0].offset == 0
    assert len(items) == 2 and isinstance(items[1], SourceError) and items[1].offset == 2


def test_reading_templates_with_underscores_keep_the_headword() -> None:
    text = wikitext_to_text("{{読み仮名_ruby不使用|'''地理学'''|ちりがく}}は、地球表面を研究する学問。")
    assert text.startswith("地理学")
