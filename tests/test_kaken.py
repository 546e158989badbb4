"""KAKEN reader on XML written here, harvester against a fake OpenSearch API on 127.0.0.1."""
# ruff: noqa: E501  (wikitext and XML fixtures are long lines)

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from corpus_builder.acquire.kaken import KakenCapError, KakenSettings, harvest
from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.kaken import iter_kaken

AWARD = """<grantAward awardNumber="{num}" projectType="project" recordSet="kakenhi">
  <summary xml:lang="ja">
    <title>課題{num}の研究</title>
    <category niiCode="24">基盤研究(C)</category>
    <periodOfAward><startFiscalYear>{year}</startFiscalYear><endFiscalYear>{year}</endFiscalYear></periodOfAward>
    <paragraphList type="researchObjective"><paragraph>本研究の目的は{num}を調べることである。</paragraph></paragraphList>
    <paragraphList type="outline"><paragraph>第一段落。</paragraph><paragraph>第二 段落。</paragraph></paragraphList>
  </summary>
  <summary xml:lang="en">
    <title>Study {num}</title>
    <paragraphList type="outline"><paragraph>English outline.</paragraph></paragraphList>
  </summary>
</grantAward>"""


def _response(awards: list[tuple[str, int]], total: int, start: int) -> str:
    body = "\n".join(AWARD.format(num=n, year=y) for n, y in awards)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<grantAwards xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>{body}</grantAwards>"
    )


def test_reader(tmp_path: Path) -> None:
    xml = _response([("23K00001", 2023)], 2, 1).replace(
        "</grantAwards>",
        '<grantAward awardNumber="23K00002"><summary xml:lang="en"><title>Only English</title>'
        '<paragraphList type="outline"><paragraph>Text.</paragraph></paragraphList></summary></grantAward>'
        "<grantAward><summary/></grantAward></grantAwards>",
    )
    path = tmp_path / "st-000001.xml"
    path.write_text(xml, encoding="utf-8")
    items = list(iter_kaken(str(path)))
    doc = items[0]
    assert isinstance(doc, SourceDocument)
    assert doc.id == "kaken:23K00001" and doc.record_id == "23K00001"
    assert doc.url == "https://kaken.nii.ac.jp/grant/KAKENHI-PROJECT-23K00001/"
    assert (
        doc.text
        == "課題23K00001の研究\n\n本研究の目的は23K00001を調べることである。\n\n第一段落。\n第二 段落。"
    )
    assert (
        doc.extra["paragraph_types"] == "researchObjective,outline"
        and doc.extra["start_fiscal_year"] == "2023"
    )
    assert doc.extra["category"] == "基盤研究(C)" and doc.lang_hint == "ja"
    assert len(items) == 2 and isinstance(
        items[1], SourceError
    )  # English-only award skipped, no number → error
    only = list(iter_kaken(str(path), types=["outline"]))[0]
    assert "目的" not in only.text
    en = [d for d in iter_kaken(str(path), lang="en") if isinstance(d, SourceDocument)]
    assert [d.record_id for d in en] == ["23K00001", "23K00002"]
    bad = tmp_path / "bad.xml"
    bad.write_text("<grantAwards><oops", encoding="utf-8")
    assert isinstance(next(iter_kaken(str(bad))), SourceError)


# counts per fiscal year; 2002 is over the test cap (20) and must be split by category A/B
COUNTS = {2000: 3, 2001: 7, 2002: {"A": 13, "B": 12}, 2003: 2}


def _awards_for(y1: int, y2: int, cat: str | None) -> list[tuple[str, int]]:
    out = []
    for y in range(y1, y2 + 1):
        c = COUNTS.get(y, 0)
        parts = c if isinstance(c, dict) else {"": c}
        for k, n in parts.items():
            if cat is not None and k not in ("", cat):
                continue
            out += [(f"{y}{k}{i:03d}", y) for i in range(n)]
    return out


class FakeKaken:
    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                q = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                outer.requests.append(q)
                if q.get("appid") != "TESTID" or q.get("format") != "xml":
                    self.send_response(400)
                    self.end_headers()
                    return
                awards = _awards_for(int(q["s1"]), int(q["s2"]), q.get("c"))
                st, rw = int(q.get("st", "1")), int(q["rw"])
                body = _response(awards[st - 1 : st - 1 + rw], len(awards), st).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeKaken:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/opensearch/"


def _settings(url: str, **kw) -> KakenSettings:
    return KakenSettings(
        appid="TESTID",
        base_url=url,
        year_from=2000,
        year_to=2003,
        page_size=5,
        max_results=20,
        delay_s=0,
        retries=0,
        **kw,
    )


def test_harvest_year_split_paging_and_resume(tmp_path: Path) -> None:
    with FakeKaken() as api:
        s = _settings(api.url, split_param="c", split_values=["A", "B"])
        summary = harvest(tmp_path, s)
        assert summary.queries == ["fy2000-2001", "fy2002-2002_c-A", "fy2002-2002_c-B", "fy2003-2003"]
        assert summary.total_results == 37
        assert all(int(r["rw"]) <= 500 for r in api.requests)
        got = [d.record_id for f in sorted(tmp_path.rglob("*.xml")) for d in iter_kaken(str(f))]
        assert sorted(got) == sorted(n for n, _ in _awards_for(2000, 2003, None))
        assert len(got) == len(set(got))
        # resume: one page lost; only it (and the over-cap probes, which are never saved) is fetched again
        (tmp_path / "fy2002-2002_c-A" / "st-000006.xml").unlink()
        before = len(api.requests)
        again = harvest(tmp_path, s)
        new = api.requests[before:]
        assert [r["st"] for r in new if r["st"] != "1"] == ["6"]
        assert again.pages_fetched == len(new) and again.total_results == 37


def test_harvest_cap_error(tmp_path: Path) -> None:
    with FakeKaken() as api, pytest.raises(KakenCapError, match="fy2002-2002 has 25 results"):
        harvest(tmp_path, _settings(api.url))


# ---------------------------------------------------------------------------------------------------------
# Records written to NII's published grantAward XML definition (KAKEN公開XML定義; element names and
# cardinalities as transcribed in hirakinii/kaken-api-client-typescript,
# docs/reference/research-project-response-xml-definition.yaml): @id and @recordSet required,
# @awardNumber optional; parentAward/title is the parent project's; summary (1..2, @xml:lang) holds the
# merged paragraphLists; grantAward/paragraphList repeats them per report (@parentId); grantList,
# reportList and productList carry titles of their own.

PROSE = [
    line
    for line in (Path(__file__).resolve().parents[1] / "corpus_builder/samples/texts/ja_prose.txt")
    .read_text(encoding="utf-8")
    .splitlines()
    if line and not line.startswith("#")
]


def _definition_award(number: str, title: str, sentences: list[str], *, with_award_number: bool) -> str:
    purpose = "".join(sentences[: len(sentences) // 2])
    outline = "".join(sentences[len(sentences) // 2 :])
    number_attr = f' awardNumber="{number}"' if with_award_number else ""
    paragraphs = (
        f'<paragraphList sequence="1" parentId="r1" type="purpose"><paragraph sequence="1">{purpose}</paragraph></paragraphList>'
        f'<paragraphList sequence="2" parentId="r2" type="outline_of_research_achievement">'
        f'<paragraph sequence="1">{outline}</paragraph></paragraphList>'
    )
    return f"""<grantAward id="KAKENHI-PROJECT-{number}" recordSet="kakenhi" projectType="planned"{number_attr}>
  <identifier type="nationalAwardNumber"><normalizedValue>{number}</normalizedValue></identifier>
  <created>2021-04-01T00:00:00Z</created>
  <parentAward id="KAKENHI-PLANNED-{number[:-1]}X">
    <title xml:lang="ja">親の領域研究の題目</title>
    <title xml:lang="en">Title of the parent area</title>
  </parentAward>
  <summary xml:lang="ja">
    <title>{title}</title>
    <category niiCode="24">新学術領域研究(研究領域提案型)</category>
    <periodOfAward searchStartFiscalYear="2021" searchEndFiscalYear="2023">
      <startFiscalYear>2021</startFiscalYear><endFiscalYear>2023</endFiscalYear>
    </periodOfAward>
    {paragraphs}
  </summary>
  <summary xml:lang="en"><title>English title of {number}</title>
    <paragraphList sequence="1" parentId="r1" type="purpose"><paragraph sequence="1">An English purpose.</paragraph></paragraphList>
  </summary>
  <grantList><grant id="g1" xml:lang="ja" fiscalYear="2021" sequence="1"><title>年度ごとの課題名</title></grant></grantList>
  <reportList><report id="r1" type="jiseki_hokoku" xml:lang="ja" sequence="1"><title>報告書の題目</title></report></reportList>
  <productList><product sequence="1"><title>発表論文の題目</title></product></productList>
  {paragraphs.replace('type="purpose"', 'type="purpose" xml:lang="ja"')}
</grantAward>"""


def _definition_response(awards: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<grantAwards><totalResults>2</totalResults>'
        "<startIndex>1</startIndex><itemsPerPage>20</itemsPerPage>" + "\n".join(awards) + "</grantAwards>"
    )


def test_reader_follows_the_published_definition(tmp_path: Path) -> None:
    sentences = PROSE[:8]
    path = tmp_path / "st-000001.xml"
    path.write_text(
        _definition_response(
            [
                _definition_award("21H05001", "地域の暮らしと言葉の研究", sentences, with_award_number=True),
                _definition_award("21H05002", "鉄道と町の記録", PROSE[8:16], with_award_number=False),
            ]
        ),
        encoding="utf-8",
    )
    docs = list(iter_kaken(str(path)))
    assert all(isinstance(d, SourceDocument) for d in docs) and len(docs) == 2
    first, second = docs
    assert first.text.split("\n\n")[0] == "地域の暮らしと言葉の研究"  # the summary's title, not the parent's
    assert "親の領域研究" not in first.text and "発表論文" not in first.text and "年度ごと" not in first.text
    for sentence in sentences:
        assert first.text.count(sentence) == 1  # once, though the top-level paragraphLists repeat them
    assert first.extra["parent_award_title"] == "親の領域研究の題目"
    assert first.extra["paragraph_types"] == "purpose,outline_of_research_achievement"
    assert first.extra["start_fiscal_year"] == "2021" and first.extra["award_id"] == "KAKENHI-PROJECT-21H05001"
    # no @awardNumber: the number comes from identifier[@type=nationalAwardNumber]
    assert second.id == "kaken:21H05002" and second.record_id == "21H05002"
    assert second.url == "https://kaken.nii.ac.jp/grant/KAKENHI-PROJECT-21H05002/"
    en = list(iter_kaken(str(path), lang="en"))
    assert [d.text for d in en] == ["English title of 21H05001\n\nAn English purpose.", "English title of 21H05002\n\nAn English purpose."]


def test_only_id_identifies_a_project(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_text(
        '<grantAwards><grantAward id="KAKENHI-AREA-1234" recordSet="kakenhi" projectType="area">'
        '<summary><title>領域</title><paragraphList type="abstract"><paragraph>本文です。</paragraph>'
        "</paragraphList></summary></grantAward></grantAwards>",
        encoding="utf-8",
    )
    (doc,) = iter_kaken(str(path))
    assert isinstance(doc, SourceDocument)
    assert doc.id == "kaken:KAKENHI-AREA-1234" and doc.url == "https://kaken.nii.ac.jp/grant/KAKENHI-AREA-1234/"
    assert doc.text == "領域\n\n本文です。"  # a summary without xml:lang is Japanese


def test_definition_records_pass_the_swallow_rules(tmp_path: Path) -> None:
    from corpus_builder.run import RunOptions, run_pipeline

    data = tmp_path / "kaken" / "fy2021-2023"
    data.mkdir(parents=True)
    (data / "st-000001.xml").write_text(
        _definition_response(
            [
                _definition_award("21H05001", "地域の暮らしと言葉の研究", PROSE[:20], with_award_number=True),
                _definition_award("21H05002", "鉄道と町の記録", PROSE[20:40], with_award_number=False),
            ]
        ),
        encoding="utf-8",
    )
    pipeline = tmp_path / "kaken.yaml"
    pipeline.write_text(
        (Path(__file__).resolve().parents[1] / "pipelines" / "kaken.yaml")
        .read_text(encoding="utf-8")
        .replace("../data/kaken/**/st-*.xml", f"{tmp_path}/kaken/**/st-*.xml"),
        encoding="utf-8",
    )
    outcome = run_pipeline(pipeline, RunOptions(output=str(tmp_path / "out")))
    kept = outcome.manifest["totals"]["kept"]
    assert kept == {"kaken": {"ja": kept["kaken"]["ja"]}} and kept["kaken"]["ja"]["documents"] == 2, outcome.manifest["totals"]
