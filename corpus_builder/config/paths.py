"""Where a pipeline file's relative paths point, whatever the working directory."""

from __future__ import annotations

from pathlib import Path

#: Files that mark the root of a project (a checkout, an uploaded Ray working_dir).
PROJECT_MARKERS = ("pyproject.toml", ".git")


def project_root(pipeline_dir: str) -> str:
    """The nearest folder at or above the pipeline file's that holds a PROJECT_MARKERS entry (a
    checkout's root), else the pipeline file's own folder. Input paths are recorded relative to it and a
    relative `output.dir` lives below it: it moves with the project (another clone, a Ray job's uploaded
    working_dir), while the working directory a command happens to run from does not, so provenance,
    run identity and the output folder stay the same from anywhere."""
    folder = Path(pipeline_dir).resolve()
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return str(candidate)
    return str(folder)
