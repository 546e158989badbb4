"""KAKEN reader on XML written here, harvester against a fake OpenSearch API on 127.0.0.1."""
# ruff: noqa: E501  (wikitext and XML fixtures are long lines)

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.kaken import KakenCapError, KakenSettings, harvest, iter_kaken

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
