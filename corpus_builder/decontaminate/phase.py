"""The decontaminate phases of a run: index the evaluation sets once, then scan every document file.

    decontaminate.index   1 task: read every set, build the n-gram index → decontaminate/index.npz
                          and decontaminate/sets.json (per set: items, indexed, too short, entries)
    decontaminate.scan    one task per file of the input folder (deduped/, or documents/ without
                          dedup) → decontaminated/<lang>/<task>.parquet (the input's schema),
                          excluded/decontaminate-<lang>-<task>.parquet (dropped documents),
                          decontaminate/cuts/<lang>-<task>.parquet (paragraphs the `cut` action
                          removed) and counts/decontaminate-<lang>-<task>.json

Every file is written atomically and is a function of the input file, the sets and the config only
(the index archive has fixed zip dates), so a killed phase reruns to the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

import orjson
import pyarrow.parquet as pq
from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.decontaminate import DecontaminateConfig
from corpus_builder.contracts import outputs
from corpus_builder.decontaminate.index import DecontaminationIndex
from corpus_builder.decontaminate.match import Matcher
from corpus_builder.decontaminate.scan_tables import ScanResult, scan_documents
from corpus_builder.decontaminate.sets import ResolvedSet, build_set_index, ngram_settings
from corpus_builder.phases.base import Phase, RunContext, document_files
from corpus_builder.writers.atomic import atomic_open, write_parquet_atomic

INDEX_PHASE = "decontaminate.index"
SCAN_PHASE = "decontaminate.scan"
#: The stage name of every excluded row and count the phase writes.
STAGE = "decontaminate"


def build_decontaminate_phases(
    config: DecontaminateConfig, ctx: RunContext, sets: list[ResolvedSet], input_folder: str
) -> list[Phase]:
    """Both phases, in order; `sets` come from `prepare_sets` (checked in the driver)."""
    return [IndexPhase(config, ctx, sets), ScanPhase(config, ctx, sets, input_folder)]


def _write_json(ctx: RunContext, path: str, data: Any) -> None:
    with atomic_open(ctx.folder(), path) as handle:
        handle.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def load_index(ctx: RunContext) -> DecontaminationIndex:
    with ctx.folder().open(outputs.DECONTAMINATE_INDEX, "rb") as handle:
        return DecontaminationIndex.load(io.BytesIO(handle.read()))


class IndexPhase(Phase):
    name = INDEX_PHASE

    def __init__(self, config: DecontaminateConfig, ctx: RunContext, sets: list[ResolvedSet]) -> None:
        self.config, self.ctx, self.sets = config, ctx, sets

    def num_tasks(self) -> int:
        return 1

    def run_task(self, rank: int, step: PipelineStep) -> None:
        index = build_set_index(self.sets, ngram_settings(self.config))
        buffer = io.BytesIO()
        index.write(buffer)
        with atomic_open(self.ctx.folder(), outputs.DECONTAMINATE_INDEX) as handle:
            handle.write(buffer.getvalue())
        _write_json(self.ctx, outputs.DECONTAMINATE_SETS, sets_summary(self.sets, index))
        step.stat_update("items", value=sum(stats.items for stats in index.stats.values()))
        step.stat_update("entries", value=index.entries)


def sets_summary(sets: list[ResolvedSet], index: DecontaminationIndex) -> dict[str, Any]:
    """decontaminate/sets.json: per set its options and index statistics, and the index's size."""
    described = {}
    for eval_set in sets:
        stats = index.stats[eval_set.name]
        described[eval_set.name] = {
            "action": eval_set.action,
            "min_share": eval_set.min_share,
            "files": [source.path.name for source in eval_set.sources],
            "items": stats.items,
            "indexed": stats.indexed,
            "too_short": stats.too_short,
            "only_common": stats.only_common,
            "chars_items": stats.chars_items,
            "words_items": stats.words_items,
            "entries": stats.entries,
        }
    return {
        "sets": described,
        "index": {"entries": index.entries, "bytes": index.nbytes(), "fingerprint": index.fingerprint()},
        "settings": {"char_n": index.settings.char_n, "word_n": index.settings.word_n},
    }


class ScanPhase(Phase):
    name = SCAN_PHASE

    def __init__(
        self, config: DecontaminateConfig, ctx: RunContext, sets: list[ResolvedSet], input_folder: str
    ) -> None:
        self.config, self.ctx, self.input_folder = config, ctx, input_folder.strip("/")
        self.actions = {eval_set.name: eval_set.action for eval_set in sets}
        self._inputs: list[str] | None = None
        self._matcher: Matcher | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_matcher"] = None  # each worker loads the index from the output folder
        return state

    def inputs(self) -> list[str]:
        """<input folder>/<lang>/<task>.parquet, sorted (task order)."""
        if self._inputs is None:
            self._inputs = document_files(self.ctx, self.input_folder)
        return self._inputs

    def skip_reason(self) -> str | None:
        if self.inputs():
            return None
        return f"no documents in {self.input_folder}/: the run kept nothing to decontaminate"

    def num_tasks(self) -> int:
        return len(self.inputs())

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            self._matcher = Matcher(load_index(self.ctx), paragraphs=self.config.paragraphs)
        return self._matcher

    def run_task(self, rank: int, step: PipelineStep) -> None:
        path = self.inputs()[rank]
        _, lang, name = path.split("/")
        stem = name.removesuffix(".parquet")
        folder = self.ctx.folder()
        with folder.open(path, "rb") as handle:
            docs = pq.read_table(handle)
        result = scan_documents(docs, self.matcher, self.actions, STAGE, self.config.excluded_text_chars)
        files = self._write_outputs(result, lang, stem)
        summary = {"rank": rank, "input": path, **result.summary(), "files": dict(sorted(files.items()))}
        _write_json(self.ctx, f"{outputs.COUNTS}/{STAGE}-{lang}-{stem}.json", summary)
        step.stat_update("kept", value=result.kept.num_rows)
        step.stat_update("excluded", value=result.excluded.num_rows)
        step.stat_update("cut", value=result.documents_cut)

    def _write_outputs(self, result: ScanResult, lang: str, stem: str) -> dict[str, int]:
        targets = (
            (outputs.by_language(outputs.DECONTAMINATED, lang, stem), result.kept),
            (f"{outputs.EXCLUDED}/{STAGE}-{lang}-{stem}.parquet", result.excluded),
            (f"{outputs.DECONTAMINATE_CUTS}/{lang}-{stem}.parquet", result.cuts),
        )
        files = {}
        for path, table in targets:
            if table.num_rows:
                write_parquet_atomic(self.ctx.folder(), path, table)
                files[path] = table.num_rows
        return files
