"""The project's error hierarchy: every error a user can cause or meet, with the exit code it means.

`corpus-build` maps these to exit codes in one place (`cli.py`, `_exit_on_error`): a `BadInputError`
(the pipeline file, an input, a model path, an output directory that belongs to another run) exits
2; a `RunFailedError` (a task failed, the output cannot be written) exits 1. Errors about single
records are not exceptions: they are rows of `errors/` and the run goes on.
"""

from __future__ import annotations

from typing import ClassVar

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class CorpusBuilderError(Exception):
    """Base of the errors `corpus-build` reports as one line; the message names the file and reason."""

    exit_code: ClassVar[int] = EXIT_FAILED


class BadInputError(CorpusBuilderError):
    """Something the user gave cannot be used: fix it and run again."""

    exit_code: ClassVar[int] = EXIT_BAD_INPUT


class RunFailedError(CorpusBuilderError):
    """The run could not finish; rerunning the same command retries only unfinished tasks."""

    exit_code: ClassVar[int] = EXIT_FAILED
