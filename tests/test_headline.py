"""The headline pipelines as shipped: `ja_cc.yaml` runs the whole chain into mixture shards with every
Japanese document twice; `llm-jp-v3.yaml` follows the v3 mixture and names absent sources."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from corpus_builder.cli import app
from tests.pipeline_helpers import corpus_build


@pytest.mark.slow
def test_ja_cc_ends_in_shards_with_every_japanese_document_twice(
    repo: Path, sample_inputs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["run", str(repo / "pipelines/ja_cc.yaml"), "--input", f"{sample_inputs}/*.warc.gz"]
    args += ["--output", str(out), "--workers", "2"]
    (tmp_path / "a").mkdir()
    first = corpus_build(*args, cwd=tmp_path / "a")
    assert first.returncode == 0, first.stderr
    deduped = pq.read_table(out / "deduped")
    assert set(deduped.column("lang").to_pylist()) == {"ja"} and deduped.num_rows > 5
    assert (out / "tokenizer/tokenizer.model").is_file()
    shards = sorted((out / "mixture/shards").glob("*.parquet"))
    seen = Counter(i for shard in shards for i in pq.read_table(shard).column("id").to_pylist())
    assert seen == dict.fromkeys(deduped.column("id").to_pylist(), 2)
    # the same command from another directory (inputs and output outside both) finds the run complete
    (tmp_path / "b").mkdir()
    again = corpus_build(*args, cwd=tmp_path / "b")
    assert again.returncode == 0, again.stderr
    assert "3 task(s) (3 already complete)" in again.stdout


def test_ja_cc_plans_dedup_and_mixture(repo: Path, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)  # no out/ja_cc here: the plan cannot measure tokens yet
    result = CliRunner().invoke(app, ["plan", str(repo / "pipelines/ja_cc.yaml")])
    assert result.exit_code == 0, result.output
    assert "20 bands × 10 rows" in result.output
    assert "| cc/ja | 2 | 2 × its unique tokens |" in result.output


def test_llm_jp_v3_mixture_is_the_published_one(repo: Path) -> None:
    pipeline = yaml.safe_load((repo / "pipelines/llm-jp-v3.yaml").read_text(encoding="utf-8"))
    plan = yaml.safe_load((repo / "pipelines/llm-jp-v3-mixture.yaml").read_text(encoding="utf-8"))
    assert pipeline["mixture"]["subsets"] == plan["mixture"]["subsets"]
    sources = {s["name"] for s in pipeline["sources"]}
    assert {subset.split("/")[0] for subset in pipeline["mixture"]["subsets"]} == sources
    plan_args = ["plan", str(repo / "pipelines/llm-jp-v3.yaml"), "--output", str(repo / "none")]
    result = CliRunner().invoke(app, plan_args)
    assert "total: 2,072,488,058,295 seen tokens" in result.output, result.output


def test_llm_jp_v3_names_each_absent_source(repo: Path, tmp_path: Path) -> None:
    """In a layout holding every local source's files but two, validate names exactly those two."""
    (tmp_path / "pipelines").mkdir()
    pipeline = tmp_path / "pipelines/llm-jp-v3.yaml"
    shutil.copy(repo / "pipelines/llm-jp-v3.yaml", pipeline)
    config = yaml.safe_load(pipeline.read_text(encoding="utf-8"))
    absent = {"warp-pdf-e02", "dolma-books"}
    for source in config["sources"]:
        for pattern in source.get("paths", []):
            if source["name"] not in absent:
                name = pattern.replace("**/", "").replace("[0-9]*", "1").replace("*", "x")
                (tmp_path / "pipelines" / name).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / "pipelines" / name).write_bytes(b"")
    result = CliRunner().invoke(app, ["validate", str(pipeline)])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert "(warp-pdf-e02): input pattern matched no files: '../data/warp/pdf-e02-*.warc.gz'" in errors[0]
    assert "(dolma-books/en): input pattern matched no files" in errors[1]
    # marked optional, they are noted and skipped instead
    text = pipeline.read_text(encoding="utf-8")
    for name in absent:
        text = text.replace(f"{{name: {name},", f"{{name: {name}, optional: true,")
    pipeline.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(pipeline)])
    assert result.exit_code == 0, result.output
    assert result.output.count("optional: a run skips it") == 2


RUN_TWO_SOURCES = """\
name: two
sources:
  - {{name: a-crawl, kind: commoncrawl, paths: ["{warc}"]}}
  - {{name: z-encyclopedia, kind: wikipedia, format: parquet, lang: ja, paths: ["{wiki}"]}}
stages:
  - step: decode
  - step: extract
  - step: langid
    keep: {{ja: 0.5}}
dedup: {{partitions: 2}}
output: {{dir: {out}}}
"""


def test_wikipedia_copy_beats_the_crawled_copy_in_a_run(tmp_path: Path) -> None:
    """Source names and YAML order favour the crawl (first task, names outside any list); the default
    priority goes by kind, so the Wikipedia copy is kept."""
    import io

    import pyarrow as pa
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from tests.test_dedup_helpers import JA

    paragraphs = ["".join(JA[i : i + 3]) for i in range(0, 24, 3)]
    html = (
        '<html lang="ja"><head><meta charset="utf-8"><title>記事のミラー</title></head><body><article>'
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article></body></html>"
    ).encode()
    warc = tmp_path / "mirror.warc.gz"
    with warc.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        content_type = [("Content-Type", "text/html; charset=utf-8")]
        headers = StatusAndHeaders("200 OK", content_type, protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                "https://mirror.example/wiki/1", "response", payload=io.BytesIO(html), http_headers=headers
            )
        )
    wiki = tmp_path / "wiki.parquet"
    text = "\n".join(paragraphs)
    row = {"id": "1", "url": "https://ja.wikipedia.org/wiki/1", "title": "記事", "text": text}
    pq.write_table(pa.Table.from_pylist([row]), wiki)
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(RUN_TWO_SOURCES.format(warc=warc, wiki=wiki, out=tmp_path / "out"), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(pipeline)])
    assert result.exit_code == 0, result.output
    documents = pq.read_table(tmp_path / "out/documents")
    assert sorted(documents.column("source").to_pylist()) == ["a-crawl", "z-encyclopedia"]
    kept = pq.read_table(tmp_path / "out/deduped")
    assert kept.column("source").to_pylist() == ["z-encyclopedia"]
    dropped = [
        row
        for path in (tmp_path / "out/excluded").glob("dedup-*.parquet")
        for row in pq.read_table(path).to_pylist()
    ]
    assert [(r["source"], r["duplicate_of"]) for r in dropped] == [("a-crawl", "jawiki:1")]
