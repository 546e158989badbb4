"""`corpus-build decontaminate` on a finished run: the same decontaminated output as a run with the
block, the run's own files untouched, resumable, and clear refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from corpus_builder.cli import app
from corpus_builder.contracts.errors import EXIT_BAD_INPUT
from corpus_builder.run import run_pipeline
from corpus_builder.run.decontaminate import NothingToDecontaminate, decontaminate_finished_run

REPO = Path(__file__).resolve().parents[1]


def _pipelines(tmp_path: Path) -> tuple[Path, Path]:
    """The sample pipeline without its decontaminate block and later phases, and the same with the
    block back, every path absolute so both files can live in tmp_path."""
    sample = yaml.safe_load((REPO / "pipelines" / "sample.yaml").read_text(encoding="utf-8"))
    sample["sources"][0]["paths"] = [str(REPO / "samples" / "sample-*.warc.gz")]
    block = sample.pop("decontaminate")
    for eval_set in block["sets"]:
        eval_set["paths"] = [str((REPO / "pipelines" / p).resolve()) for p in eval_set["paths"]]
    for later in ("tokenize", "mixture"):
        sample.pop(later)
    sample["output"] = {"dir": str(tmp_path / "out")}
    plain, with_block = tmp_path / "plain.yaml", tmp_path / "with_block.yaml"
    plain.write_text(yaml.safe_dump(sample), encoding="utf-8")
    with_block.write_text(yaml.safe_dump(sample | {"decontaminate": block}), encoding="utf-8")
    return plain, with_block


def _rows(output: Path, pattern: str) -> dict[str, list[dict]]:
    """Every file's rows, without the `warc_path` column, by file name."""
    return {
        str(p.relative_to(output)): pq.read_table(p).drop_columns(["warc_path"]).to_pylist()
        for p in sorted(output.glob(pattern))
    }


def _run_totals(output: Path) -> dict:
    return json.loads((output / "manifest.json").read_text())["phase_totals"]["decontaminate"]


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_finished_run_is_decontaminated_as_a_run_with_the_block(tmp_path: Path, sample_run: Path) -> None:
    plain, with_block = _pipelines(tmp_path)
    out = tmp_path / "out"
    run_pipeline(plain)
    before = {k: v for k, v in _digests(out).items() if not k.startswith("_logs/")}

    outcome = decontaminate_finished_run(with_block)

    assert outcome.input_folder == "deduped"
    after = _digests(out)
    # the run's own files are untouched: its manifest still describes the run that made them
    assert {k: after[k] for k in before} == before
    # what the standalone phases wrote is what a run with the block writes (the session's sample
    # run), but for `warc_path`: this pipeline lies outside the project, so its paths are absolute
    for pattern in ("decontaminated/*/*.parquet", "excluded/decontaminate-*.parquet"):
        ours, theirs = _rows(out, pattern), _rows(sample_run, pattern)
        assert ours and ours == theirs, pattern
    assert _digests(out / "decontaminate") == _digests(sample_run / "decontaminate")
    assert outcome.totals["sets"] == _run_totals(sample_run)["sets"]

    # rerunning resumes (every task complete) and changes no output (logs and the lock aside)
    decontaminate_finished_run(with_block)
    outside_logs = {k: v for k, v in after.items() if not k.startswith("_logs/")}
    assert {k: v for k, v in _digests(out).items() if not k.startswith("_logs/")} == outside_logs


def test_refusals_name_the_reason(tmp_path: Path) -> None:
    plain, with_block = _pipelines(tmp_path)
    with pytest.raises(NothingToDecontaminate, match="no `decontaminate:` block"):
        decontaminate_finished_run(plain)
    with pytest.raises(NothingToDecontaminate, match="run the pipeline first"):
        decontaminate_finished_run(with_block)
    result = CliRunner().invoke(app, ["decontaminate", str(with_block)])
    assert result.exit_code == EXIT_BAD_INPUT and "run the pipeline first" in result.output
