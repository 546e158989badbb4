"""What every dedup phase shares: its base class, its error, the input files and the done marker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from datatrove.io import DataFolder, get_datafolder

from corpus_builder.config.dedup import DedupConfig
from corpus_builder.contracts.errors import RunFailedError
from corpus_builder.contracts.outputs import DEDUP_DONE, DOCUMENTS
from corpus_builder.dedup.phases.scratch import PLAN, read_json
from corpus_builder.phases.base import Phase, RunContext


class DedupError(RunFailedError):
    """A dedup run cannot go on (limits exceeded, incompatible index, no convergence)."""


class DedupPhase(Phase):
    def __init__(self, config: DedupConfig, ctx: RunContext, source_kinds: Mapping[str, str] | None = None):
        self.config, self.ctx = config, ctx
        self.source_kinds = dict(source_kinds or {})

    @property
    def folder(self) -> DataFolder:
        return self.ctx.folder()

    def plan(self) -> dict[str, Any]:
        return read_json(self.folder, PLAN)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def input_files(folder: DataFolder) -> list[str]:
    """`documents/<lang>/<task>.parquet`, sorted: the file index of the priority key."""
    if not folder.isdir(DOCUMENTS):
        return []
    files = [p for p in folder.list_files(DOCUMENTS, recursive=True) if p.endswith(".parquet")]
    return sorted(p for p in files if len(p.split("/")) == 3)


def index_files(config: DedupConfig) -> list[tuple[str, str]]:
    """(index root, file) of every Parquet file of the earlier runs' indexes this run dedups against."""
    out = []
    for root in config.index:
        idx = get_datafolder(root)
        files = sorted(p for p in idx.list_files(recursive=False) if p.endswith(".parquet"))
        if not files:
            raise DedupError(f"dedup index {root!r} has no .parquet files")
        out.extend((root, p) for p in files)
    return out


def task_name(path: str) -> tuple[str, str]:
    """documents/<lang>/<stem>.parquet → (lang, stem)."""
    _, lang, name = path.split("/")
    return lang, name[: -len(".parquet")]


def minhash_params(config: DedupConfig) -> dict[str, int]:
    ngram, bands, rows = config.minhash.resolved()
    return {"ngram": ngram, "bands": bands, "rows": rows, "seed": config.minhash.seed}


def done_config(config: DedupConfig) -> Any:
    """The config as the done marker records it (JSON types, sorted keys) for comparison."""
    return orjson.loads(orjson.dumps(config.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS))


def finished_with(folder: DataFolder, config: DedupConfig) -> bool:
    """Dedup with this very config has finished here (a run's output directory is tied to its
    config; the check keeps a direct caller with another config from reusing the result)."""
    if not folder.exists(DEDUP_DONE):
        return False
    return read_json(folder, DEDUP_DONE)["config"] == done_config(config)
