"""`corpus-build run` end to end on generated WARCs: outputs, accounting, determinism, inspect."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from corpus_builder.cli import app
from corpus_builder.writers.schema import as_dict
from tests.pipeline_helpers import output_digests, write_pipeline


@pytest.fixture(scope="module")
def single_worker_run(sample_inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("run1")
    pipeline = write_pipeline(work / "p.yaml", sample_inputs, work / "out", workers=1)
    result = CliRunner().invoke(app, ["run", str(pipeline)])
    assert result.exit_code == 0, result.output
    assert "kept: en" in result.output and "ja" in result.output
    return work / "out"


def _response_count(folder: Path) -> int:
    count = 0
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as f:
            try:
                for record in ArchiveIterator(f):
                    count += record.rec_type == "response"
            except Exception:  # noqa: BLE001 - warcio stops at the deliberately corrupt record
                pass
    return count


def _rows(output: Path, pattern: str) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(output.glob(pattern)):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def test_languages_are_split_and_provenance_kept(single_worker_run: Path) -> None:
    ja = _rows(single_worker_run, "documents/ja/*.parquet")
    en = _rows(single_worker_run, "documents/en/*.parquet")
    assert ja and en
    assert {row["lang"] for row in ja} == {"ja"}
    for row in ja + en:
        assert row["url"].startswith("http")
        assert row["warc_path"].endswith(".warc.gz")
        assert row["record_id"].startswith("<urn:uuid:") or row["record_id"].startswith("urn:uuid:")
        assert row["offset"] >= 0 and row["snapshot"] == "CC-MAIN-2024-10"
        assert row["id"] in row["record_id"]
        assert row["text"].strip()
    assert all("swallow.hiragana_fraction" in as_dict(row["quality_signals"]) for row in ja)
    # Pages in legacy encodings and with wrong declarations come out readable.
    assert {row["charset"] for row in ja} >= {"cp932", "utf-8"}
    assert not any("\ufffd" in row["text"] for row in ja)


def test_every_record_is_accounted_for(single_worker_run: Path, sample_inputs: Path) -> None:
    kept = _rows(single_worker_run, "documents/*/*.parquet")
    excluded = _rows(single_worker_run, "excluded/0*.parquet")
    errors = _rows(single_worker_run, "errors/*.parquet")
    assert errors, "the sample's corrupt record must be reported"
    for error in errors:
        assert error["warc_path"].endswith(".warc.gz") and error["offset"] is not None and error["reason"]
    ids = [row["id"] for row in kept + excluded]
    assert len(ids) == len(set(ids))
    # warcio stops at the corrupt record, so it sees at most what we read around it.
    assert len(kept) + len(excluded) >= _response_count(sample_inputs)
    for row in excluded:
        assert row["stage"] in {"decode", "extract", "langid", "quality.swallow"} and row["reason"]
    assert any(row["stage"] == "quality.swallow" for row in excluded)


def test_dedup_splits_kept_documents_into_kept_and_duplicates(single_worker_run: Path) -> None:
    kept = {row["id"] for row in _rows(single_worker_run, "documents/*/*.parquet")}
    deduped = _rows(single_worker_run, "deduped/*/*.parquet")
    duplicates = _rows(single_worker_run, "excluded/dedup-*.parquet")
    assert duplicates, "the sample holds copied pages"
    assert {r["id"] for r in deduped} | {r["id"] for r in duplicates} == kept
    assert not {r["id"] for r in deduped} & {r["id"] for r in duplicates}
    survivors = {r["id"]: r for r in deduped}
    for row in duplicates:
        assert row["reason"] in {"exact_dup", "url_dup", "near_dup"}
        assert survivors[row["duplicate_of"]]["dup_cluster_size"] >= 2


def test_manifest_matches_files(single_worker_run: Path) -> None:
    manifest = json.loads((single_worker_run / "manifest.json").read_text())
    listed = {entry["path"] for entry in manifest["outputs"]}
    on_disk = {
        p.relative_to(single_worker_run).as_posix()
        for p in single_worker_run.rglob("*")
        if p.is_file() and "_logs" not in p.parts and p != single_worker_run / "manifest.json"
    }
    assert listed == on_disk
    for entry in manifest["outputs"]:
        path = single_worker_run / entry["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        if path.suffix == ".parquet":
            assert pq.ParquetFile(path).metadata.num_rows == entry["rows"]
    kept = manifest["totals"]["kept"]["cc"]
    assert kept["ja"]["documents"] == len(_rows(single_worker_run, "documents/ja/*.parquet"))
    assert len(manifest["inputs"]) == 3
    assert "dir" not in manifest["config"]["output"]


@pytest.mark.slow
def test_worker_count_does_not_change_output(
    single_worker_run: Path, sample_inputs: Path, tmp_path: Path
) -> None:
    pipeline = write_pipeline(tmp_path / "p.yaml", sample_inputs, tmp_path / "out", workers=2)
    result = CliRunner().invoke(app, ["run", str(pipeline)])
    assert result.exit_code == 0, result.output
    assert output_digests(tmp_path / "out") == output_digests(single_worker_run)


def test_rerun_of_a_finished_run_changes_nothing(single_worker_run: Path, sample_inputs: Path) -> None:
    before = output_digests(single_worker_run)
    pipeline = write_pipeline(single_worker_run.parent / "p.yaml", sample_inputs, single_worker_run)
    result = CliRunner().invoke(app, ["run", str(pipeline)])
    assert result.exit_code == 0 and "3 already complete" in result.output
    assert output_digests(single_worker_run) == before


def test_other_config_refuses_the_same_output(
    single_worker_run: Path, sample_inputs: Path, tmp_path: Path
) -> None:
    pipeline = write_pipeline(tmp_path / "p.yaml", sample_inputs, single_worker_run)
    pipeline.write_text(pipeline.read_text().replace("ja: 0.65, en: 0.65", "ja: 0.7, en: 0.65"))
    result = CliRunner().invoke(app, ["run", str(pipeline)])
    assert result.exit_code == 2 and "different configuration" in result.output


def test_input_override_and_limit(sample_inputs: Path, tmp_path: Path) -> None:
    pipeline = write_pipeline(
        tmp_path / "p.yaml", tmp_path / "nowhere", tmp_path / "out", documents_only=True
    )
    args = ["run", str(pipeline), "--input", str(sample_inputs / "sample-00000.warc.gz"), "--limit", "5"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [i["path"] for i in manifest["inputs"]] == [str(sample_inputs / "sample-00000.warc.gz")]
    kept = sum(v["documents"] for langs in manifest["totals"]["kept"].values() for v in langs.values())
    excluded = sum(
        n for stages in manifest["totals"]["excluded"].values() for r in stages.values() for n in r.values()
    )
    assert kept + excluded == 5


def test_missing_inputs_exit_2(tmp_path: Path) -> None:
    pipeline = write_pipeline(tmp_path / "p.yaml", tmp_path / "nowhere", tmp_path / "out")
    result = CliRunner().invoke(app, ["run", str(pipeline)])
    assert result.exit_code == 2
    assert "nowhere" in result.output


def test_inspect_shows_schema_counts_and_rows(single_worker_run: Path) -> None:
    result = CliRunner().invoke(app, ["inspect", str(single_worker_run)])
    assert result.exit_code == 0, result.output
    assert "== documents:" in result.output and "== excluded:" in result.output
    assert "lang_score:float" in result.output
    assert "text: " in result.output


@pytest.mark.slow
def test_output_does_not_depend_on_where_the_checkout_lives(
    sample_inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digests = []
    for place in ("a", "b/deeper"):
        checkout = tmp_path / place
        (checkout / "samples").mkdir(parents=True)
        (checkout / "samples" / "eval").mkdir()
        for warc in [*sample_inputs.glob("*.warc.gz"), *sample_inputs.glob("eval/*.jsonl")]:
            (checkout / "samples" / warc.relative_to(sample_inputs)).write_bytes(warc.read_bytes())
        monkeypatch.chdir(checkout)
        pipeline = write_pipeline(checkout / "p.yaml", Path("samples"), Path("out"))
        result = CliRunner().invoke(app, ["run", "p.yaml"])
        assert result.exit_code == 0, result.output
        assert pipeline.exists()
        digests.append(output_digests(checkout / "out"))
    assert digests[0] == digests[1]
    warc_paths = {row["warc_path"] for row in _rows(tmp_path / "a" / "out", "documents/*/*.parquet")}
    assert warc_paths <= {f"samples/sample-0000{i}.warc.gz" for i in range(3)}


def test_manifest_funnel_by_language_matches_excluded_rows(single_worker_run: Path) -> None:
    manifest = json.loads((single_worker_run / "manifest.json").read_text())
    by_language = manifest["totals"]["excluded_by_language"]["cc"]
    expected: dict[tuple[str, str, str], int] = {}
    for row in _rows(single_worker_run, "excluded/0*.parquet"):
        key = (row["lang"] or "und", row["stage"], row["reason"])
        expected[key] = expected.get(key, 0) + 1
    found = {
        (lang, stage, reason): entry["documents"]
        for lang, stages in by_language.items()
        for stage, reasons in stages.items()
        for reason, entry in reasons.items()
    }
    assert found == expected
    assert ("ja", "quality.swallow") in {(lang, stage) for lang, stage, _ in found}
