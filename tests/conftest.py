from __future__ import annotations

from pathlib import Path

import pytest

from corpus_builder.samples.generate import generate_sample

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated sample WARCs (read only: tests that change inputs copy them first)."""
    folder = tmp_path_factory.mktemp("sample-inputs")
    generate_sample(folder, seed=0)
    return folder


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output of `corpus-build run pipelines/sample.yaml` (read only: every stage, every folder)."""
    from corpus_builder.run import RunOptions, run_pipeline

    out = tmp_path_factory.mktemp("sample-run") / "sample"
    run_pipeline(REPO / "pipelines" / "sample.yaml", RunOptions(output=str(out)))
    return out
