"""Where the notebooks in notebooks/ find a run's output.

Jupyter starts each kernel in the notebook's folder (notebooks/), so a relative `CORPUS_OUTPUT`
would be read against notebooks/ rather than the directory the user typed the command in. The shell
exports that directory as `PWD`, which Jupyter passes on to the kernel unchanged, so relative
paths are resolved against it.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_OUTPUT = Path("out/sample")  # where `corpus-build run pipelines/sample.yaml` writes


def launch_dir() -> Path:
    """The directory the notebook server (or the python process) was started from."""
    pwd = os.environ.get("PWD")
    return Path(pwd) if pwd and Path(pwd).is_dir() else Path.cwd()


def corpus_output() -> Path:
    """$CORPUS_OUTPUT (relative: against the launch directory), else out/sample of the launch
    directory or of the checkout the notebooks live in."""
    value = os.environ.get("CORPUS_OUTPUT")
    if value:
        path = Path(value).expanduser()
        return path if path.is_absolute() else launch_dir() / path
    candidates = [base / DEFAULT_OUTPUT for base in (launch_dir(), Path.cwd(), Path.cwd().parent)]
    return next((c for c in candidates if c.is_dir()), candidates[0])
