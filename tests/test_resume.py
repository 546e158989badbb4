"""kill -9 at several points of a run, run again: output identical to an uninterrupted run."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from corpus_builder.samples.generate import generate_cc_mix, write_eval_sets
from tests.pipeline_helpers import corpus_build, output_digests, run_and_kill, write_pipeline


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mix")
    for index in range(4):
        generate_cc_mix(folder / f"mix-{index}.warc.gz", n_records=60, ja_share=0.3, seed=index)
    write_eval_sets(folder)  # the pipeline's decontaminate block reads <inputs>/eval/
    return folder


@pytest.fixture(scope="module")
def reference(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("reference")
    result = corpus_build("run", str(write_pipeline(work / "p.yaml", inputs, work / "out", workers=1)))
    assert result.returncode == 0, result.stderr
    return output_digests(work / "out")


def _completed(output: Path, count: int) -> Callable[[], bool]:
    return lambda: len(list((output / "_logs" / "documents" / "completions").glob("*"))) >= count


def _writing(output: Path) -> Callable[[], bool]:
    return lambda: any(output.rglob("*.inprogress"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("workers", "point"),
    [(1, "writing"), (1, "after_first_task"), (2, "writing"), (2, "after_two_tasks")],
)
def test_killed_run_resumes_to_identical_output(
    inputs: Path, reference: dict[str, str], tmp_path: Path, workers: int, point: str
) -> None:
    output = tmp_path / "out"
    pipeline = write_pipeline(tmp_path / "p.yaml", inputs, output, workers=workers)
    condition = {
        "writing": _writing(output),
        "after_first_task": _completed(output, 1),
        "after_two_tasks": _completed(output, 2),
    }[point]
    assert run_and_kill(
        [sys.executable, "-m", "corpus_builder", "run", str(pipeline)], pipeline, condition
    ), "the run finished before it could be killed"
    assert not (output / "manifest.json").exists()
    result = corpus_build("run", str(pipeline))
    assert result.returncode == 0, result.stderr
    assert not list(output.rglob("*.inprogress"))
    assert output_digests(output) == reference
