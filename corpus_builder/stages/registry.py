"""Stage model → the step class that runs it: from a `step:` key of a pipeline file to code in one hop.

The models (and their YAML names, ranks and `needs`) are declared in `config/stages.py`; this table
is the only other place a stage is named. A stage's step is built here, in the driver, before any
task starts, so a preset that does not exist or does not fit its stage fails the run at once with
the pipeline file and the stage's position (and `corpus-build validate` reports it the same way).
"""

from __future__ import annotations

from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.pipeline import PipelineConfig
from corpus_builder.config.stages import (
    ClassifierStage,
    CleanStage,
    CodeFilterStage,
    DecodeStage,
    EnglishQualityStage,
    ExtractStage,
    LangIdStage,
    PiiStage,
    PredetectStage,
    QualityStage,
    Stage,
    StageConfig,
    UrlFilterStage,
)
from corpus_builder.contracts.errors import BadInputError
from corpus_builder.sources.tasks import InputTask
from corpus_builder.stages.base import DocumentStep
from corpus_builder.stages.classifier import QualityClassifier
from corpus_builder.stages.clean import LineCleaner
from corpus_builder.stages.code_filter import CodeFilter
from corpus_builder.stages.decode import HtmlDecoder
from corpus_builder.stages.english_quality import EnglishQualityFilter
from corpus_builder.stages.extract import TextExtractor
from corpus_builder.stages.langid import LanguageRouter
from corpus_builder.stages.pii import PiiMask
from corpus_builder.stages.predetect import JapanesePredetector
from corpus_builder.stages.quality import QualityFilter
from corpus_builder.stages.read import SourceReader
from corpus_builder.stages.url_filter import UrlFilter
from corpus_builder.writers.parquet import CorpusParquetWriter

#: Every step class takes (its stage model, base_dir of the pipeline file).
STEPS: dict[type[StageConfig], type[DocumentStep]] = {
    UrlFilterStage: UrlFilter,
    PredetectStage: JapanesePredetector,
    DecodeStage: HtmlDecoder,
    ExtractStage: TextExtractor,
    LangIdStage: LanguageRouter,
    CleanStage: LineCleaner,
    QualityStage: QualityFilter,
    EnglishQualityStage: EnglishQualityFilter,
    CodeFilterStage: CodeFilter,
    ClassifierStage: QualityClassifier,
    PiiStage: PiiMask,
}


class StageBuildError(BadInputError):
    """A stage whose step cannot be built from its settings, e.g. a preset that does not exist."""


def _where(source: str, index: int, stage: Stage) -> str:
    return f"{source}: stages[{index}] ({stage.step})"


def build_step(stage: Stage, base_dir: str | None, where: str) -> DocumentStep:
    """The step of one stage; `where` (file and stage position) starts the message of a failure."""
    try:
        return STEPS[type(stage)](stage, base_dir=base_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise StageBuildError(f"{where}: {exc}") from None


def stage_problems(config: PipelineConfig, base_dir: str | None, source: str) -> list[str]:
    """One line per stage whose step cannot be built (for `corpus-build validate`)."""
    problems = []
    for i, stage in enumerate(config.stages):
        try:
            build_step(stage, base_dir, _where(source, i, stage))
        except StageBuildError as exc:
            problems.append(str(exc))
    return problems


def build_stage_steps(config: PipelineConfig, base_dir: str | None, source: str) -> list[DocumentStep]:
    """The steps of every stage, in order; built before inputs are listed, so a bad preset fails first."""
    return [build_step(stage, base_dir, _where(source, i, stage)) for i, stage in enumerate(config.stages)]


def build_pipeline(
    config: PipelineConfig, tasks: list[InputTask], stage_steps: list[DocumentStep], output_dir: str
) -> list[PipelineStep]:
    """Reader → the stages' steps → the Parquet writer: the pipeline every document task runs."""
    decode = next((s for s in config.stages if isinstance(s, DecodeStage)), DecodeStage())
    # The reader truncates bodies just past the decoder's limit, so an oversized page is still
    # recognised (and reported) as too large without holding all of it in memory.
    reader = SourceReader(tasks, max_payload_bytes=decode.max_payload_bytes + 1)
    unrecorded = frozenset(
        "predetect" for s in config.stages if isinstance(s, PredetectStage) and not s.write_skipped
    )
    return [reader, *stage_steps, CorpusParquetWriter(output_dir, config.output, unrecorded)]
