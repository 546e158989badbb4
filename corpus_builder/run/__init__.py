"""Running a pipeline: config → tasks → steps → executor → phases → manifest.

`run_pipeline` is the public way to run a pipeline from Python (the CLI, the estimator and the tests
use it); every error it raises is a `contracts.errors.CorpusBuilderError` carrying its exit code.
"""

from corpus_builder.run.pipeline import (
    RunOptions,
    RunOutcome,
    load_run_config,
    run_pipeline,
    tokenizer_input_folder,
)

__all__ = ["RunOptions", "RunOutcome", "load_run_config", "run_pipeline", "tokenizer_input_folder"]
