"""The notebooks in notebooks/ run headless, top to bottom, on the sample pipeline's output."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from corpus_builder.run import RunOptions, run_pipeline

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def sample_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("notebooks") / "sample"
    run_pipeline(REPO / "pipelines" / "sample.yaml", RunOptions(output=str(out)))
    return out


def test_the_three_notebooks_are_there() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"funnel", "thresholds", "dedup_clusters"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, sample_output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel inherits this process's environment: that is how the notebook finds the output.
    monkeypatch.setenv("CORPUS_OUTPUT", str(sample_output))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # the python3 kernelspec runs `python` from PATH: make that this venv's interpreter
    monkeypatch.setenv(
        "PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    )
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book,
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [
        o
        for c in book.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors
    assert os.environ["CORPUS_OUTPUT"] == str(sample_output)
