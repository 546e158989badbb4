"""YAML stage name → the step class that runs it. One hop from a key in a pipeline file to code."""

from __future__ import annotations

from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.models import PipelineConfig
from corpus_builder.sources.tasks import InputTask
from corpus_builder.steps.clean import LineCleaner
from corpus_builder.steps.code_filter import CodeFilter
from corpus_builder.steps.decode import HtmlDecoder
from corpus_builder.steps.english_quality import EnglishQualityFilter
from corpus_builder.steps.extract import TextExtractor
from corpus_builder.steps.langid import LanguageRouter
from corpus_builder.steps.pii import PiiMask
from corpus_builder.steps.predetect import JapanesePredetector
from corpus_builder.steps.quality import QualityFilter
from corpus_builder.steps.read import SourceReader
from corpus_builder.steps.url_filter import UrlFilter
from corpus_builder.writers.parquet import CorpusParquetWriter

#: Every step class takes (stage config, base_dir of the pipeline file).
STEPS = {
    "url_filter": UrlFilter,
    "decode": HtmlDecoder,
    "predetect": JapanesePredetector,
    "extract": TextExtractor,
    "langid": LanguageRouter,
    "clean": LineCleaner,
    "quality": QualityFilter,
    "english_quality": EnglishQualityFilter,
    "code_filter": CodeFilter,
    "pii": PiiMask,
}

_DEFAULT_MAX_PAYLOAD_BYTES = 5_000_000


def build_pipeline(
    config: PipelineConfig, tasks: list[InputTask], output_dir: str, base_dir: str
) -> list[PipelineStep]:
    max_payload = next(
        (s.max_payload_bytes for s in config.stages if s.step == "decode"), _DEFAULT_MAX_PAYLOAD_BYTES
    )
    # The reader truncates bodies just past the decoder's limit, so an oversized page is still
    # recognised (and reported) as too large without holding all of it in memory.
    steps: list[PipelineStep] = [SourceReader(tasks, max_payload_bytes=max_payload + 1)]
    unrecorded: set[str] = set()
    for stage in config.stages:
        steps.append(STEPS[stage.step](stage, base_dir=base_dir))
        if stage.step == "predetect" and not stage.write_skipped:
            unrecorded.add("predetect")
    steps.append(CorpusParquetWriter(output_dir, config.output, frozenset(unrecorded)))
    return steps
