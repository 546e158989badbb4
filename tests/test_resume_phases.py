"""kill -9 inside the later phases (dedup, decontamination, tokenizer training, tokenize, mixture), run again:
the output is byte-identical to an uninterrupted run.

The kill points are drawn with a fixed seed from every phase of the run: "the phase's first
completion marker appeared" or "a file of the phase is being written (`.inprogress` exists)".
To make the second kind catchable, the killed run goes through a launcher that sleeps briefly
after opening each `.inprogress` file (the data written is unchanged); the resumed run and the
reference run are plain `python -m corpus_builder run`.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.pipeline_helpers import corpus_build, output_digests, run_and_kill

REPO = Path(__file__).resolve().parents[1]

LAUNCHER = """\
import os, sys, time
from datatrove.io import DataFolder

_SLOW = os.environ["SLOW_WRITES_UNDER"]

_open = DataFolder.open

def _slow_open(self, path, mode="rb", *args, **kwargs):
    f = _open(self, path, mode, *args, **kwargs)
    full = os.path.join(self.path, str(path))
    if "w" in mode and full.endswith(".inprogress") and full.startswith(_SLOW):
        time.sleep(0.15)
    return f

DataFolder.open = _slow_open
from corpus_builder.cli import app
app(prog_name="corpus-build", args=sys.argv[1:])
"""

# phase name (its _logs/ folder) -> output folders it writes
PHASES = {
    "dedup.signatures": "dedup",
    "dedup.buckets": "dedup",
    "dedup.components.round-001": "dedup",
    "dedup.resolve": "dedup",
    "dedup.filter": "deduped",
    "decontaminate.index": "decontaminate",
    "decontaminate.scan": "decontaminated",
    "tokenizer.train": "tokenizer",
    "tokenize": "tokenized",
    "mixture.scan": "mixture",
    "mixture.partition": "mixture",
    "mixture.shuffle": "mixture",
}
_rng = random.Random(20240220)
# one point in each group of phases (so dedup, decontamination, tokenization and mixture are all hit),
# drawn with a seed
KILL_POINTS = [
    (_rng.choice(group), _rng.choice(["completed", "writing"]))
    for group in (
        ["dedup.signatures", "dedup.buckets", "dedup.components.round-001", "dedup.resolve", "dedup.filter"],
        ["decontaminate.index", "decontaminate.scan"],
        ["tokenizer.train", "tokenize"],
        ["mixture.scan", "mixture.partition", "mixture.shuffle"],
    )
]
# and one more anywhere among the later phases
KILL_POINTS.append(
    _rng.choice(sorted({(p, t) for p in PHASES for t in ("completed", "writing")} - set(KILL_POINTS)))
)


def _pipeline(path: Path, sample_inputs: Path, output: Path) -> Path:
    text = (REPO / "pipelines" / "sample.yaml").read_text(encoding="utf-8")
    text = text.replace('"../samples/sample-*.warc.gz"', f'"{sample_inputs}/sample-*.warc.gz"')
    text = text.replace('"../samples/eval/', f'"{sample_inputs}/eval/')
    text = text.replace("dir: out/sample", f"dir: {output}")
    assert str(sample_inputs) in text and str(output) in text
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference_run(sample_inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("reference")
    result = corpus_build("run", str(_pipeline(work / "p.yaml", sample_inputs, work / "out")), timeout=300)
    assert result.returncode == 0, result.stderr
    digests = output_digests(work / "out")
    # the run really has the phases we kill in
    for phase, folder in PHASES.items():
        assert (work / "out" / "_logs" / phase / "completions").is_dir(), phase
        assert any(name.startswith(folder + "/") for name in digests) or folder == "dedup", folder
    return work / "out"


@pytest.fixture(scope="module")
def reference(reference_run: Path) -> dict[str, str]:
    return output_digests(reference_run)


def _tasks_of(run: Path, phase: str) -> int:
    return len(list((run / "_logs" / phase / "completions").iterdir()))


def _condition(output: Path, phase: str, trigger: str, tasks: int) -> Callable[[], bool]:
    """`tasks`: how many tasks the phase has (from the reference run)."""
    completions = output / "_logs" / phase / "completions"
    if trigger == "completed":
        return lambda: completions.is_dir() and any(completions.iterdir())
    folder = output / PHASES[phase]
    started = output / "_logs" / phase

    def writing() -> bool:
        # a file of this phase's folder is being written while this phase runs: some of its tasks may
        # be done already (one with nothing to write finishes at once), but not all of them
        return (
            started.is_dir()
            and (not completions.is_dir() or len(list(completions.iterdir())) < tasks)
            and any(folder.rglob("*.inprogress"))
        )

    return writing


@pytest.mark.slow
@pytest.mark.parametrize(("phase", "trigger"), KILL_POINTS, ids=[f"{p}-{t}" for p, t in KILL_POINTS])
def test_killed_in_later_phase_resumes_to_identical_output(
    sample_inputs: Path,
    reference: dict[str, str],
    reference_run: Path,
    tmp_path: Path,
    phase: str,
    trigger: str,
) -> None:
    output = tmp_path / "out"
    pipeline = _pipeline(tmp_path / "p.yaml", sample_inputs, output)
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCHER, encoding="utf-8")
    slow = str(output / PHASES[phase]) + "/" if trigger == "writing" else "/nowhere/"
    assert run_and_kill(
        [sys.executable, str(launcher), "run", str(pipeline)],
        pipeline,
        _condition(output, phase, trigger, _tasks_of(reference_run, phase)),
        env=os.environ | {"SLOW_WRITES_UNDER": slow},
    ), f"the run finished before {phase} {trigger}"
    assert not (output / "manifest.json").exists()
    result = corpus_build("run", str(pipeline), timeout=300)
    assert result.returncode == 0, result.stderr
    assert not list(output.rglob("*.inprogress"))
    assert output_digests(output) == reference
