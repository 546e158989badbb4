"""The notebooks in notebooks/ run headless, top to bottom, on the sample pipeline's output."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from corpus_builder.notebook_env import corpus_output

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def sample_output(sample_run: Path) -> Path:
    return sample_run


def test_the_three_notebooks_are_there() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"funnel", "thresholds", "dedup_clusters"}


def test_relative_corpus_output_is_read_from_the_launch_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `CORPUS_OUTPUT=out/sample jupyter lab notebooks/` typed in tmp_path; the kernel runs in notebooks/
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setenv("CORPUS_OUTPUT", "out/sample")
    assert corpus_output() == tmp_path / "out" / "sample"
    monkeypatch.setenv("CORPUS_OUTPUT", str(tmp_path / "elsewhere"))
    assert corpus_output() == tmp_path / "elsewhere"
    monkeypatch.delenv("CORPUS_OUTPUT")
    (tmp_path / "out" / "sample").mkdir(parents=True)
    monkeypatch.setenv("PWD", str(tmp_path / "notebooks"))  # started inside notebooks/: the checkout's
    assert corpus_output() == tmp_path / "out" / "sample"


def _run(path: Path, monkeypatch: pytest.MonkeyPatch, corpus_output_value: str, launch_dir: Path) -> None:
    # The kernel inherits this process's environment: that is how the notebook finds the output.
    monkeypatch.setenv("CORPUS_OUTPUT", corpus_output_value)
    monkeypatch.setenv("PWD", str(launch_dir))
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


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, sample_output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(path, monkeypatch, str(sample_output), Path.cwd())


@pytest.mark.slow
def test_readme_command_with_a_relative_output(sample_output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """README: `CORPUS_OUTPUT=out/sample jupyter lab notebooks/`, typed in the output's parent's parent;
    the kernel runs in notebooks/, where that relative path does not exist."""
    relative = Path(sample_output.parent.name) / sample_output.name
    assert not (REPO / "notebooks" / relative).exists()
    _run(REPO / "notebooks" / "funnel.ipynb", monkeypatch, str(relative), sample_output.parent.parent)
