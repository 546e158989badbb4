"""Seams of a whole run: the tokenizer's training input, a run that keeps nothing, dedup's scratch files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus_builder.cli import app
from corpus_builder.dedup import DedupError
from corpus_builder.run import RunOptions, run_pipeline

REPO = Path(__file__).resolve().parents[1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sample_pipeline(tmp_path: Path, sample_inputs: Path, **replace: str) -> Path:
    text = (REPO / "pipelines" / "sample.yaml").read_text(encoding="utf-8")
    text = text.replace("../samples/sample-*.warc.gz", f"{sample_inputs}/sample-*.warc.gz")
    text = text.replace("../samples/eval/", f"{sample_inputs}/eval/")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_train_tokenizer_command_gives_the_runs_model(sample_run: Path, tmp_path: Path) -> None:
    """The run trains on decontaminated/ (its pipeline dedups, then decontaminates);
    `train-tokenizer` must read the same folder."""
    model = tmp_path / "again.model"
    pipeline = str(REPO / "pipelines" / "sample.yaml")
    result = CliRunner().invoke(
        app, ["train-tokenizer", pipeline, "--output", str(sample_run), "--model", str(model)]
    )
    assert result.exit_code == 0, result.output
    assert _sha256(model) == _sha256(sample_run / "tokenizer" / "tokenizer.model")


@pytest.mark.slow
def test_a_run_that_keeps_nothing_ends_cleanly(tmp_path: Path, sample_inputs: Path) -> None:
    # Swahili: no page of the sample is kept by language ID
    pipeline = _sample_pipeline(tmp_path, sample_inputs, **{"keep: {ja: 0.65, en: 0.65}": "keep: {sw: 0.65}"})
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(pipeline), "--output", str(out)])
    assert result.exit_code == 0, result.output
    # decontamination is the first phase with nothing to read; every later one is skipped with it
    assert "not run: decontaminate.scan, tokenizer.train, tokenize, mixture" in result.output
    assert "the run kept nothing to decontaminate" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["skipped_phases"]["phases"][:3] == ["decontaminate.scan", "tokenizer.train", "tokenize"]
    assert not (out / "tokenized").exists() and not (out / "mixture" / "shards").exists()
    assert list((out / "excluded").glob("*.parquet"))  # every page still accounted for
    # rerunning says the same, without failing
    again = CliRunner().invoke(app, ["run", str(pipeline), "--output", str(out)])
    assert again.exit_code == 0 and "not run: decontaminate.scan, tokenizer.train" in again.output


def test_version() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"corpus-build {version('corpus-builder')}\n"


def test_dedup_scratch_files_go_when_dedup_completes(sample_run: Path) -> None:
    assert (sample_run / "dedup" / "done.json").is_file()
    assert not (sample_run / "dedup" / "work").exists()
    manifest = json.loads((sample_run / "manifest.json").read_text())
    assert not [o for o in manifest["outputs"] if o["path"].startswith("dedup/work/")]
    assert list((sample_run / "dedup" / "index").glob("*.parquet"))  # what a later snapshot needs stays


@pytest.mark.slow
def test_dedup_scratch_files_stay_on_failure_and_a_finished_run_resumes(
    tmp_path: Path, sample_inputs: Path
) -> None:
    from tests.pipeline_helpers import output_digests

    # two component rounds cannot converge on the sample (it needs four): dedup fails after round 2
    failing = _sample_pipeline(tmp_path, sample_inputs, **{"partitions: 4": "partitions: 4\n  max_rounds: 2"})
    with pytest.raises(DedupError, match="max_rounds"):
        run_pipeline(failing, RunOptions(output=str(tmp_path / "failed")))
    assert (tmp_path / "failed" / "dedup" / "work" / "plan.json").is_file()
    assert not (tmp_path / "failed" / "dedup" / "done.json").exists()

    pipeline = _sample_pipeline(tmp_path, sample_inputs)
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["run", str(pipeline), "--output", str(out)]).exit_code == 0
    first = output_digests(out)
    again = CliRunner().invoke(app, ["run", str(pipeline), "--output", str(out)])
    assert again.exit_code == 0, again.output
    assert "(3 already complete)" in again.output
    assert output_digests(out) == first and not (out / "dedup" / "work").exists()


@pytest.mark.slow
def test_dedup_that_does_not_converge_is_one_line_not_a_traceback(
    tmp_path: Path, sample_inputs: Path
) -> None:
    from tests.pipeline_helpers import corpus_build

    failing = _sample_pipeline(tmp_path, sample_inputs, **{"partitions: 4": "partitions: 4\n  max_rounds: 2"})
    result = corpus_build("run", str(failing), "--output", str(tmp_path / "out"), timeout=300)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "max_rounds=2" in errors[0], result.stderr


def test_the_output_schema_version_is_part_of_the_run_identity(
    tmp_path: Path, sample_inputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An output written with other columns is refused, not resumed into a folder of mixed schemas."""
    from corpus_builder.config.loader import load_config
    from corpus_builder.run.pipeline import identity
    from corpus_builder.sources.tasks import build_tasks
    from corpus_builder.writers import schema

    pipeline = _sample_pipeline(tmp_path, sample_inputs)
    config = load_config(pipeline)
    tasks = build_tasks(config, str(tmp_path))
    _, now = identity(config, tasks, str(tmp_path))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + "-next")
    _, later = identity(config, tasks, str(tmp_path))
    assert now != later
