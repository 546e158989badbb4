"""`corpus-build report`: the sample run's page is self-contained and renders in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus_builder.cli import app
from corpus_builder.report import load_run
from corpus_builder.run import RunOptions, run_pipeline

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "sample"
    run_pipeline(REPO / "pipelines" / "sample.yaml", RunOptions(output=str(out)))
    return out


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[str] = []
        self.images: list[str] = []
        self.resources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "table":
            self.tables.append(values.get("id") or "")
        if tag == "img":
            self.images.append(values.get("src") or "")
        for name in ("src", "href", "srcset", "action", "data"):
            if values.get(name):
                self.resources.append(values[name] or "")


def test_funnel_numbers_match_the_manifest(sample_output: Path) -> None:
    data = load_run(sample_output)
    totals = data.manifest["totals"]
    read_errors = sum(totals["read_errors"].values())
    excluded = sum(
        n for stages in totals["excluded"].values() for reasons in stages.values() for n in reasons.values()
    )
    kept = sum(e["documents"] for by_lang in totals["kept"].values() for e in by_lang.values())
    rows = {r.stage: r for r in data.funnel if r.lang == "all"}
    assert rows["read"].docs_in == kept + excluded + read_errors
    last = data.manifest["phase_totals"]["decontaminate"]  # the sample decontaminates after dedup
    final = sum(e["documents"] for by_lang in last["kept"].values() for e in by_lang.values())
    assert rows[data.stage_order[-1]].docs_out == final
    # each stage's output is the next stage's input
    for before, after in zip(data.stage_order, data.stage_order[1:], strict=False):
        assert rows[before].docs_out == rows[after].docs_in
    # the final tokens are the ones counted in tokenized/
    assert rows[data.stage_order[-1]].tokens_out == sum(m.unique_tokens for m in data.mixture)
    swallow = rows["quality.swallow"].rules
    assert (
        swallow["min_hiragana_fraction"][0]
        == totals["excluded"]["sample_cc"]["quality.swallow"]["min_hiragana_fraction"]
    )


@pytest.mark.slow
def test_report_is_self_contained_and_renders(sample_output: Path, tmp_path: Path) -> None:
    html_path = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(sample_output), "--html", str(html_path)])
    assert result.exit_code == 0, result.output
    html = html_path.read_text(encoding="utf-8")

    page = _Page()
    page.feed(html)
    assert "funnel" in page.tables and "mixture" in page.tables and "timings" in page.tables
    data_images = [src for src in page.images if src.startswith("data:image/png;base64,")]
    assert len(data_images) >= 3, page.images
    # nothing to fetch: every resource is inline, and no stylesheet or script pulls one in
    assert all(src.startswith("data:") for src in page.resources), page.resources
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", html, re.I)
    assert not re.search(r"url\(\s*[\"']?(?:https?:)?//|@import|<script|<link", html, re.I)
    # removed examples are escaped text: a page's markup never becomes the report's markup
    assert "<h3>quality.swallow / min_hiragana_fraction</h3>" in html

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (CI installs the Debian package in .ci/run)")
        pytest.skip("chromium not installed: `apt-get install chromium` to render the report")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--screenshot={shot}",
            "--window-size=1400,3000",
            html_path.resolve().as_uri(),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000
    _assert_not_blank(shot)


def _assert_not_blank(png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.image as mpimg
    import numpy as np

    pixels = np.asarray(mpimg.imread(str(png)))[..., :3]
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000, pixels.shape
    dark = (pixels.mean(axis=2) < 0.5).mean()
    colours = len(np.unique((pixels.reshape(-1, 3) * 255).astype(np.uint8), axis=0))
    # text and plots: a real share of dark pixels and many colours (a blank page has one)
    assert dark > 0.005, dark
    assert colours > 50, colours
