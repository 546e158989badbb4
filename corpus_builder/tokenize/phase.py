"""The tokenize phase: documents/<lang>/<task>.parquet → tokenized/<lang>/<task>.parquet.

One task per input file. The output keeps every input column and appends `token_count` (int64) and
`input_ids` (list<uint16> when the vocabulary fits in 16 bits, else list<uint32>); columns of those
names already present are replaced. Each output appears atomically (temporary name, then rename) and
depends only on the input file and the tokenizer, so a rerun rewrites identical bytes.

When the config trains its own model, a one-task `tokenizer.train` phase runs first and writes
`tokenizer/tokenizer.model` into the run's output directory. `finish()` of the tokenize phase writes
`tokenized/tokenizer.json` (the tokenizer's identity), which the mixture reads.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.tokenize import TokenizeConfig
from corpus_builder.contracts import outputs
from corpus_builder.phases.base import Phase, RunContext, document_files
from corpus_builder.tokenize.tokenizer import Tokenizer, train_tokenizer
from corpus_builder.writers.atomic import atomic_open


def _tokenize_config(config: Any) -> TokenizeConfig:
    """Accept the TokenizeConfig itself or a PipelineConfig carrying it as `.tokenize`."""
    if isinstance(config, TokenizeConfig):
        return config
    tokenize = getattr(config, "tokenize", None)
    if not isinstance(tokenize, TokenizeConfig):
        raise ValueError("the pipeline has no `tokenize:` section")
    return tokenize


def model_location(config: TokenizeConfig, ctx: RunContext) -> str:
    return (
        config.model
        if config.model is not None
        else f"{ctx.output_dir.rstrip('/')}/{outputs.TRAINED_TOKENIZER}"
    )


def _nothing_kept(documents_folder: str) -> str:
    return f"no documents in {documents_folder.strip('/')}/: the run kept nothing to tokenize"


class TrainTokenizerPhase(Phase):
    name = "tokenizer.train"

    def __init__(self, config: TokenizeConfig, ctx: RunContext, documents_folder: str) -> None:
        self.config, self.ctx, self.documents_folder = config, ctx, documents_folder

    def num_tasks(self) -> int:
        return 1

    def skip_reason(self) -> str | None:
        if document_files(self.ctx, self.documents_folder):
            return None
        return _nothing_kept(self.documents_folder)

    def run_task(self, rank: int, step: PipelineStep) -> None:
        info = train_tokenizer(
            self.config,
            f"{self.ctx.output_dir.rstrip('/')}/{self.documents_folder}",
            model_location(self.config, self.ctx),
            seed=self.ctx.seed,
        )
        step.stat_update("vocab_size", value=info.vocab_size)


class TokenizePhase(Phase):
    name = "tokenize"

    def __init__(self, config: TokenizeConfig, ctx: RunContext, documents_folder: str) -> None:
        self.config, self.ctx, self.documents_folder = config, ctx, documents_folder.strip("/")
        self._inputs: list[str] | None = None
        self._tokenizer: Tokenizer | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tokenizer"] = None  # rebuilt (with its threads) in the worker
        return state

    @property
    def tokenizer(self) -> Tokenizer:
        if self._tokenizer is None:
            self._tokenizer = Tokenizer.load(model_location(self.config, self.ctx), self.config)
        return self._tokenizer

    def inputs(self) -> list[str]:
        """documents/<lang>/<task>.parquet, relative to the output dir, sorted (task order)."""
        if self._inputs is None:
            self._inputs = document_files(self.ctx, self.documents_folder)
        return self._inputs

    def skip_reason(self) -> str | None:
        return None if self.inputs() else _nothing_kept(self.documents_folder)

    def output_path(self, input_path: str) -> str:
        _, lang, name = input_path.split("/")
        return outputs.by_language(outputs.TOKENIZED, lang, name.removesuffix(".parquet"))

    def num_tasks(self) -> int:
        return len(self.inputs())

    def run_task(self, rank: int, step: PipelineStep) -> None:
        source = self.inputs()[rank]
        tokenize_file(self.ctx.folder(), source, self.output_path(source), self.tokenizer, self.config, step)

    def finish(self) -> list[Phase]:
        folder = self.ctx.folder()
        folder.makedirs(outputs.TOKENIZED, exist_ok=True)
        with atomic_open(folder, outputs.TOKENIZER_INFO) as f:
            f.write(
                orjson.dumps(self.tokenizer.info.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
            )
        return []


def tokenized_schema(schema: pa.Schema, tokenizer: Tokenizer) -> pa.Schema:
    fields = [f for f in schema if f.name not in ("token_count", "input_ids")]
    metadata = dict(schema.metadata or {})
    metadata[b"corpus_builder.table"] = b"tokenized"
    metadata[b"corpus_builder.tokenizer_sha256"] = tokenizer.info.sha256.encode()
    return pa.schema(
        [
            *fields,
            pa.field("token_count", pa.int64(), nullable=False),
            pa.field("input_ids", pa.list_(tokenizer.value_type), nullable=False),
        ],
        metadata=metadata,
    )


def tokenize_file(
    folder: Any,
    source: str,
    target: str,
    tokenizer: Tokenizer,
    config: TokenizeConfig,
    step: PipelineStep | None = None,
) -> tuple[int, int]:
    """Tokenize one Parquet file into another, batch by batch; returns (documents, tokens)."""
    documents = tokens = 0
    with folder.open(source, "rb") as raw:
        reader = pq.ParquetFile(raw)
        schema = tokenized_schema(reader.schema_arrow, tokenizer)
        keep = [f.name for f in schema if f.name not in ("token_count", "input_ids")]
        folder.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        with atomic_open(folder, target) as out, ThreadPoolExecutor(1) as background:
            writer = pq.ParquetWriter(
                out, schema, compression=config.compression, compression_level=config.compression_level
            )
            try:
                # Parquet encoding and compression (C++, GIL released) of batch k overlap the
                # encoding of batch k+1; at most one batch waits to be written.
                pending: Future | None = None
                for batch in reader.iter_batches(batch_size=config.batch_docs):
                    counts, ids = tokenizer.encode_arrow(batch.column("text").to_pylist())
                    columns = [batch.column(name) for name in keep] + [counts, ids]
                    record = pa.record_batch(columns, schema=schema)
                    if pending is not None:
                        pending.result()
                    pending = background.submit(writer.write_batch, record)
                    documents += batch.num_rows
                    tokens += int(counts.to_numpy().sum())
                if pending is not None:
                    pending.result()
                if documents == 0:
                    writer.write_table(schema.empty_table())
            finally:
                writer.close()
    if step is not None:
        step.stat_update("documents", value=documents)
        step.stat_update("tokens", value=tokens)
    return documents, tokens


def build_tokenize_phases(config: Any, ctx: RunContext, documents_folder: str) -> list[Phase]:
    """The phases that tokenize `<output>/<documents_folder>/<lang>/*.parquet`: a training phase
    first when the config trains its own model, then the tokenize phase."""
    tokenize = _tokenize_config(config)
    phases: list[Phase] = []
    if tokenize.model is None:
        phases.append(TrainTokenizerPhase(tokenize, ctx, documents_folder))
    phases.append(TokenizePhase(tokenize, ctx, documents_folder))
    return phases
