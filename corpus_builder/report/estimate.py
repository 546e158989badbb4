"""`corpus-build plan FILE --estimate`: run the pipeline on a small sample, scale up, say how sure.

The sample run is a real run (`run_pipeline` with `RunOptions(limit=N, output=<temp dir>)`) on the
first N records of each of the first K input files. From it:

- records in the full input: sampled files' bytes per record (from the byte offsets of the records
  read, or the whole file when it ended before N) × the sizes of all input files;
- time per stage: each task's runtime from its log, split into datatrove's timed steps and the
  rest (reading, writing), scaled linearly with records; fixed start-up costs are kept apart;
- keep rates with 95% Wilson intervals (binomial: each record kept or not), so expected documents
  out come with an interval; tokens from `tokenized/` when the pipeline tokenizes;
- MinHash signature storage (bands × 8 bytes × documents), output size, peak RSS of the processes.
"""

from __future__ import annotations

import math
import os
import re
import resource
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import fsspec
import orjson
import pyarrow.parquet as pq

from corpus_builder.config.loader import load_config
from corpus_builder.contracts.outputs import (
    COUNTS,
    DOCUMENTS,
    DOCUMENTS_PHASE,
    ERRORS,
    EXCLUDED,
    LOGS,
    TOKENIZED,
    phase_logs,
    phase_stats,
)
from corpus_builder.report.data import RunData, load_run, phase_order

Z95 = 1.959964
#: Rough tokens per character for a typical LLM tokenizer, only used when the pipeline has no
#: `tokenize:` section to measure with (stated as an assumption in the output).
ASSUMED_TOKENS_PER_CHAR = {"ja": 0.8, "zh": 0.8, "ko": 0.6, "en": 0.25}
ASSUMED_TOKENS_PER_CHAR_OTHER = 0.3
CONSTANT_PHASES = ("tokenizer.train",)  # bounded by its own sample size, not by the corpus

_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)")


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (0..1)."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class FileSample:
    path: str
    size: int | None
    records: int  # records read from it (errors included)
    max_offset: int | None  # byte offset of the last record read
    exhausted: bool  # the file ended before the limit: its record count is exact

    def bytes_and_records(self) -> tuple[int, int] | None:
        """(bytes, records) that measure this file's bytes per record, or None if unknown."""
        if self.exhausted and self.size:
            return (self.size, self.records)
        if self.max_offset and self.records > 1:
            # the last record starts at max_offset: the bytes before it held records - 1 records
            return (self.max_offset, self.records - 1)
        return None


@dataclass
class StageCost:
    phase: str
    stage: str
    sample_seconds: float
    items: int
    full_seconds: float

    @property
    def per_second(self) -> float | None:
        return self.items / self.sample_seconds if self.sample_seconds > 0 and self.items else None


@dataclass
class Estimate:
    pipeline: str
    input_files: int
    input_bytes: int | None
    sizes_known: int
    sample_limit: int
    sample_files: list[FileSample]
    sample_records: int
    sample_wall_s: float
    sample_cpu_s: float
    fixed_s: float
    peak_rss_bytes: int
    workers: int
    bytes_per_record: float | None
    total_records: float
    stages: list[StageCost]
    keep: list[tuple[str, int, int]]  # (stage, docs in, docs out) in the sample
    final_docs: int
    final_by_lang: dict[str, int]
    tokens_per_doc: dict[str, float]
    tokens_measured: bool
    minhash_bands: int | None
    output_bytes: dict[str, int]
    notes: list[str] = field(default_factory=list)
    keep_before_dedup: float = 0.0  # documents entering dedup per record read

    @property
    def scale(self) -> float:
        return self.total_records / self.sample_records if self.sample_records else 0.0

    @property
    def keep_rate(self) -> tuple[float, float, float]:
        lo, hi = wilson(self.final_docs, self.sample_records)
        return (self.final_docs / self.sample_records if self.sample_records else 0.0, lo, hi)

    @property
    def documents_out(self) -> tuple[float, float, float]:
        p, lo, hi = self.keep_rate
        return (p * self.total_records, lo * self.total_records, hi * self.total_records)

    @property
    def tokens_out(self) -> float:
        return sum(
            self.final_by_lang[lang] * self.scale * self.tokens_per_doc.get(lang, 0.0)
            for lang in self.final_by_lang
        )

    @property
    def cpu_hours(self) -> float:
        return sum(s.full_seconds for s in self.stages) / 3600

    def wall_seconds(self, workers: int | None = None) -> float:
        """Fixed start-up + the document phase over min(workers, files) processes (one task per file,
        so a file is never split) + every later phase over `workers` processes."""
        workers = workers or self.workers
        documents = sum(s.full_seconds for s in self.stages if s.phase == DOCUMENTS_PHASE)
        per_file = documents / self.input_files if self.input_files else documents
        parallel = max(1, min(workers, self.input_files))
        documents_wall = max(documents / parallel, per_file)
        later = sum(s.full_seconds for s in self.stages if s.phase != DOCUMENTS_PHASE)
        return self.fixed_s + documents_wall + later / max(1, workers)

    def render(self) -> str:
        return "\n".join(
            [
                f"Estimate for {self.pipeline}",
                *self._input_lines(),
                "",
                *self._stage_lines(),
                "",
                *self._keep_lines(),
                "",
                *self._output_lines(),
                "",
                "uncertainty:",
                *(f"  - {note}" for note in self.notes),
            ]
        )

    def _input_lines(self) -> list[str]:
        size = f"{_bytes(self.input_bytes)}" if self.input_bytes is not None else "size unknown"
        known = (
            f" (sizes known for {self.sizes_known}/{self.input_files})"
            if self.sizes_known < self.input_files
            else ""
        )
        bpr = (
            f"{self.bytes_per_record:,.0f} bytes/record" if self.bytes_per_record else "bytes/record unknown"
        )
        return [
            f"input: {self.input_files:,} file(s), {size}" + known,
            f"sample: first {self.sample_limit:,} records of {len(self.sample_files)} file(s) → "
            f"{self.sample_records:,} records read; {self.sample_wall_s:.1f} s wall, "
            f"{self.sample_cpu_s:.1f} s CPU, "
            f"peak RSS {_bytes(self.peak_rss_bytes)} per process",
            f"records in the full input: ≈ {self.total_records:,.0f} ({bpr}; scale ×{self.scale:,.1f})",
        ]

    def _stage_lines(self) -> list[str]:
        lines = ["| phase | stage | sample s | items/s | full CPU-h |", "|---|---|---:|---:|---:|"]
        for s in self.stages:
            rate = f"{s.per_second:,.1f}" if s.per_second else "–"
            lines.append(
                f"| {s.phase} | {s.stage} | {s.sample_seconds:.2f} | {rate} | {s.full_seconds / 3600:.4f} |"
            )
        lines.append(f"| **total** | | | | **{self.cpu_hours:.4f}** |")
        lines.append(
            f"wall time at {self.workers} worker(s): ≈ {_duration(self.wall_seconds())} "
            f"(fixed start-up {self.fixed_s:.1f} s; the document phase runs one task per input file)"
        )
        return lines

    def _keep_lines(self) -> list[str]:
        lines = ["keep rates in the sample (95% Wilson interval):"]
        for stage, n_in, n_out in self.keep:
            lo, hi = wilson(n_out, n_in)
            rate = n_out / n_in if n_in else 0.0
            lines.append(
                f"  {stage:<24} {n_out:>7,}/{n_in:<7,} {100 * rate:6.2f}%  [{100 * lo:.2f}, {100 * hi:.2f}]"
            )
        p, lo, hi = self.keep_rate
        lines.append(
            f"  {'overall':<24} {self.final_docs:>7,}/{self.sample_records:<7,} {100 * p:6.2f}%  "
            f"[{100 * lo:.2f}, {100 * hi:.2f}]"
        )
        return lines

    def _output_lines(self) -> list[str]:
        docs, docs_lo, docs_hi = self.documents_out
        lines = [f"documents out: ≈ {docs:,.0f}  [{docs_lo:,.0f}, {docs_hi:,.0f}]"]
        lines += [f"  {lang}: ≈ {n * self.scale:,.0f}" for lang, n in sorted(self.final_by_lang.items())]
        how = (
            f"measured per document in the sample's {TOKENIZED}/"
            if self.tokens_measured
            else (
                "ASSUMED tokens/char (no `tokenize:` section to measure with): "
                + ", ".join(f"{k} {v}" for k, v in ASSUMED_TOKENS_PER_CHAR.items())
                + f", other {ASSUMED_TOKENS_PER_CHAR_OTHER}"
            )
        )
        lines.append(f"tokens out: ≈ {self.tokens_out:,.0f} ({how})")
        if self.minhash_bands:
            kept_before_dedup = self.keep_before_dedup * self.total_records
            sig = self.minhash_bands * 8 * kept_before_dedup
            lines.append(
                f"dedup signatures: {self.minhash_bands} bands × 8 B × {kept_before_dedup:,.0f} docs = "
                f"{_bytes(sig)}"
                " (the index adds 24 B/doc for exact and URL hashes)"
            )
        lines.append(
            f"peak memory: {_bytes(self.peak_rss_bytes)} RSS per process (measured at sample scale) × "
            f"{self.workers} worker(s) ≈ {_bytes(self.peak_rss_bytes * self.workers)}"
        )
        total_out = sum(self.output_bytes.values())
        parts = ", ".join(
            f"{k} {_bytes(v)}" for k, v in sorted(self.output_bytes.items(), key=lambda kv: -kv[1])
        )
        lines.append(f"output size: ≈ {_bytes(total_out)} ({parts})")
        return lines


def _bytes(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} PB"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _file_size(path: str) -> int | None:
    try:
        if "://" not in path:
            return os.path.getsize(path)
        fs, _, paths = fsspec.get_fs_token_paths(path)
        return int(fs.info(paths[0])["size"])
    except (OSError, KeyError, ValueError):
        return None


def _task_windows(log_dir: Path) -> list[tuple[float, float]]:
    """(start, end) epoch seconds of each task from its log's first and 'Processing done' lines."""
    windows = []
    # datatrove names each task's log `logs/task_NNNNN.log` inside the phase's logging folder
    for log in sorted((log_dir / "logs").glob("task_*.log")):
        start = end = None
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = _LOG_TIME.match(line)
            if not match:
                continue
            stamp = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            start = stamp if start is None else start
            if "Processing done" in line:
                end = stamp
        if start is not None and end is not None:
            windows.append((start, end))
    return windows


def _document_step_times(path: Path) -> list[tuple[str, tuple[float, int, float]]]:
    """(step, (seconds, items, slowest item's seconds)) of the document phase's timed steps."""
    if not path.is_file():
        return []
    steps = []
    for step in orjson.loads(path.read_bytes()):
        time_stats = step.get("time_stats") or {}
        if not time_stats or not time_stats.get("n"):
            continue
        kind, _, name = step.get("name", "").partition(": ")
        if name in ("", "None"):
            name = kind.split()[-1].lower() if kind.split() else "step"
        seconds = float(time_stats.get("total", 0.0))
        steps.append((name, (seconds, int(time_stats["n"]), float(time_stats.get("max", 0.0)))))
    return steps


def _compressed_bytes(meta: pq.FileMetaData) -> int:
    return sum(
        meta.row_group(i).column(j).total_compressed_size
        for i in range(meta.num_row_groups)
        for j in range(meta.num_columns)
    )


def _full_output_bytes(out: Path, scale: float, file_scale: float) -> dict[str, int]:
    """Output bytes of the full run per top-level entry: Parquet data pages grow with the records,
    Parquet footers and every other file (manifest, counts, plans, the tokenizer) with the files."""
    sizes: dict[str, float] = {}
    for path in out.rglob("*"):
        relative = path.relative_to(out)
        if not path.is_file() or relative.parts[0] == LOGS:
            continue
        size = path.stat().st_size
        data = 0
        if path.suffix == ".parquet":
            meta = pq.ParquetFile(path).metadata
            data = min(size, _compressed_bytes(meta))
        sizes[relative.parts[0]] = (
            sizes.get(relative.parts[0], 0.0) + data * scale + (size - data) * file_scale
        )
    return {k: round(v) for k, v in sizes.items()}


def _rss_bytes() -> int:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024  # KiB on Linux


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_sample(
    pipeline: str | Path, sample: int, files: int, inputs: list[str] | None, output: str, workers: int | None
) -> tuple[float, float, int]:
    """Run the pipeline on the first `sample` records of the first `files` input files of each
    source into `output`; (wall seconds, CPU seconds, peak RSS bytes)."""
    from corpus_builder.run import RunOptions, run_pipeline
    from corpus_builder.sources.tasks import build_tasks

    config = load_config(pipeline)
    base_dir = str(Path(pipeline).resolve().parent)
    t0, c0 = time.perf_counter(), _cpu_seconds()
    options = RunOptions(inputs=inputs, output=output, workers=workers, limit=sample, executor="local")
    if len(config.sources) == 1:
        # One source: its first `files` inputs by name, the same files a full run starts with.
        tasks = build_tasks(config, base_dir, inputs)
        options = replace(options, inputs=[t.path for t in tasks[:files]])
    else:
        options = replace(options, max_files=max(1, files // len(config.sources)))
    run_pipeline(pipeline, options)
    return time.perf_counter() - t0, _cpu_seconds() - c0, _rss_bytes()


def estimate(
    pipeline: str | Path,
    sample: int = 200,
    files: int = 4,
    inputs: list[str] | None = None,
    workers: int | None = None,
    keep_dir: str | None = None,
) -> Estimate:
    from corpus_builder.run import RunOptions, load_run_config
    from corpus_builder.sources.tasks import build_tasks

    config, base_dir = load_run_config(pipeline, RunOptions(workers=workers))
    tasks = build_tasks(config, base_dir, inputs)
    with tempfile.TemporaryDirectory(prefix="corpus-estimate-") as tmp:
        out = keep_dir or str(Path(tmp) / "sample")
        wall, cpu, rss = run_sample(pipeline, sample, files, inputs, out, workers)
        data = load_run(out)
        return _estimate_from(pipeline, config, tasks, data, Path(out), sample, wall, cpu, rss)


def _estimate_from(
    pipeline: str | Path,
    config,  # noqa: ANN001 - PipelineConfig
    tasks: list,
    data: RunData,
    out: Path,
    limit: int,
    wall: float,
    cpu: float,
    rss: int,
) -> Estimate:
    files = _sampled_files(data.manifest, out, tasks, limit)
    sample_records = sum(f.records for f in files)
    notes: list[str] = []
    bytes_per_record, total_records, known = _full_records(files, tasks, limit, notes)
    scale = total_records / sample_records if sample_records else 0.0
    stages, fixed = _stage_costs(out, data, config, len(tasks), sample_records, scale, wall)
    outcome = _Outcome.of(data)
    bands = None
    if config.dedup is not None and config.dedup.near:
        _ngram, bands, _rows = config.dedup.minhash.resolved()
    output_bytes = _full_output_bytes(out, scale, len(tasks) / len(files) if files else 1.0)
    notes += _sample_notes(files, len(tasks), outcome.final_docs, sample_records, limit, bool(bands), data)
    est = Estimate(
        pipeline=str(pipeline),
        input_files=len(tasks),
        input_bytes=sum(known) if known else None,
        sizes_known=len(known),
        sample_limit=limit,
        sample_files=files,
        sample_records=sample_records,
        sample_wall_s=wall,
        sample_cpu_s=cpu,
        fixed_s=fixed,
        peak_rss_bytes=rss,
        workers=config.executor.workers,
        bytes_per_record=bytes_per_record,
        total_records=total_records,
        stages=stages,
        keep=outcome.keep,
        final_docs=outcome.final_docs,
        final_by_lang=outcome.final_by_lang,
        tokens_per_doc=outcome.tokens_per_doc,
        tokens_measured=data.tokens_measured,
        minhash_bands=bands,
        output_bytes=output_bytes,
        notes=notes,
    )
    est.keep_before_dedup = outcome.before_dedup / sample_records if sample_records else 0.0
    return est


def _sampled_files(manifest: dict, out: Path, tasks: list, limit: int) -> list[FileSample]:
    """The sampled files: records read and how far into each file (the largest record offset)."""
    files: list[FileSample] = []
    for entry in manifest["inputs"]:
        rank = int(entry["task"])
        counts = orjson.loads((out / COUNTS / f"{rank:05d}.json").read_bytes())["counts"]
        records = sum(
            n for key, n in counts.items() if key.split("|", 1)[0] in ("kept", "excluded", "errors")
        )
        max_offset = None
        for folder in (f"{DOCUMENTS}/*", EXCLUDED, ERRORS):
            for path in out.glob(f"{folder}/{rank:05d}.parquet"):
                if "offset" in pq.read_schema(path).names:
                    offsets = [
                        o
                        for o in pq.read_table(path, columns=["offset"]).column(0).to_pylist()
                        if o is not None
                    ]
                    if offsets:
                        max_offset = max(max_offset or 0, max(offsets))
        path = next(
            (t.path for t in tasks if t.label == entry["path"] or t.path == entry["path"]), entry["path"]
        )
        files.append(FileSample(path, _file_size(path), records, max_offset, records < limit))
    return files


def _full_records(
    files: list[FileSample], tasks: list, limit: int, notes: list[str]
) -> tuple[float | None, float, list[int]]:
    """(bytes per record, records in the full input, the input sizes that are known); what could
    not be measured is said in `notes`."""
    measured = [m for f in files if (m := f.bytes_and_records())]
    bytes_per_record = sum(b for b, _ in measured) / sum(r for _, r in measured) if measured else None
    sampled = {f.path: f for f in files}
    sizes = {t.path: (sampled[t.path].size if t.path in sampled else _file_size(t.path)) for t in tasks}
    known = [s for s in sizes.values() if s is not None]
    mean_size = sum(known) / len(known) if known else None
    total_records = 0.0
    for task in tasks:
        f = sampled.get(task.path)
        if f is not None and f.exhausted:
            total_records += f.records
        elif sizes[task.path] is not None and bytes_per_record:
            total_records += sizes[task.path] / bytes_per_record
        elif mean_size and bytes_per_record:
            total_records += mean_size / bytes_per_record
        else:
            total_records += f.records if f else limit  # nothing better known: at least the sample
    if not bytes_per_record:
        notes.append(
            "no byte offsets in the sample (not a WARC source?): full record counts are a lower bound"
        )
    if len(known) < len(tasks):
        notes.append(
            f"sizes unknown for {len(tasks) - len(known)} file(s): assumed the mean size of the others"
        )
    return bytes_per_record, total_records, known


def _stage_costs(
    out: Path,
    data: RunData,
    config,  # noqa: ANN001 - PipelineConfig
    n_tasks: int,
    sample_records: int,
    scale: float,
    wall: float,
) -> tuple[list[StageCost], float]:
    """Time per stage, from the task logs and datatrove's step timings, and the fixed start-up
    (the sample's wall time that no phase accounts for)."""
    windows = {phase: _task_windows(out / phase_logs(phase)) for phase in phase_order(out)}
    phase_seconds = {phase: sum(e - s for s, e in w) for phase, w in windows.items()}
    phase_wall = {
        phase: (max(e for _, e in w) - min(s for s, _ in w)) if w else 0.0 for phase, w in windows.items()
    }
    stages: list[StageCost] = []
    timed_documents = 0.0
    warm_processes = max(1, min(config.executor.workers, n_tasks))
    for step, time_stats in _document_step_times(out / phase_stats(DOCUMENTS_PHASE)):
        seconds, items, slowest = time_stats
        timed_documents += seconds
        # The slowest item is mostly first-call warm-up (lazy imports, caches): paid once per worker
        # process, not per record; the rest scales with the records.
        per_item = (seconds - slowest) / (items - 1) if items > 1 else seconds
        full = slowest * warm_processes + per_item * items * scale if items > 1 else seconds * scale
        stages.append(StageCost(DOCUMENTS_PHASE, step, seconds, items, full))
    documents_rest = max(0.0, phase_seconds.get(DOCUMENTS_PHASE, 0.0) - timed_documents)
    stages.append(
        StageCost(DOCUMENTS_PHASE, "read/write/other", documents_rest, sample_records, documents_rest * scale)
    )
    for phase, seconds in phase_seconds.items():
        if phase == DOCUMENTS_PHASE:
            continue
        factor = 1.0 if phase in CONSTANT_PHASES else scale
        items = next((i for p, _, _, i in data.timings if p == phase), 0)
        stages.append(StageCost(phase, phase, seconds, items, seconds * factor))
    return stages, max(0.0, wall - sum(phase_wall.values()))


@dataclass
class _Outcome:
    """What came out of the sample: keep rates per stage, documents and tokens per language."""

    keep: list[tuple[str, int, int]]
    final_by_lang: dict[str, int]
    final_docs: int
    before_dedup: int  # documents that entered dedup
    tokens_per_doc: dict[str, float]

    @classmethod
    def of(cls, data: RunData) -> _Outcome:
        rows = {r.stage: r for r in data.funnel if r.lang == "all"}
        keep = [
            (stage, rows[stage].docs_in, rows[stage].docs_out) for stage in data.stage_order if stage in rows
        ]
        final_stage = data.stage_order[-1]
        final_by_lang = {
            r.lang: r.docs_out
            for r in data.funnel
            if r.lang != "all" and r.stage == final_stage and r.docs_out
        }
        final_docs = sum(final_by_lang.values())
        before_dedup = next(
            (rows[s].docs_in for s in data.stage_order if s.startswith("dedup.") and s in rows), final_docs
        )
        tokens_per_doc: dict[str, float] = {}
        for r in data.funnel:
            if r.lang != "all" and r.stage == final_stage and r.docs_out:
                if data.tokens_measured and r.tokens_out is not None:
                    tokens_per_doc[r.lang] = r.tokens_out / r.docs_out
                else:
                    ratio = ASSUMED_TOKENS_PER_CHAR.get(r.lang, ASSUMED_TOKENS_PER_CHAR_OTHER)
                    tokens_per_doc[r.lang] = r.chars_out * ratio / r.docs_out
        return cls(keep, final_by_lang, final_docs, before_dedup, tokens_per_doc)


def _sample_notes(
    files: list[FileSample],
    n_tasks: int,
    final_docs: int,
    sample_records: int,
    limit: int,
    near_dedup: bool,
    data: RunData,
) -> list[str]:
    """How far the sample can be trusted, said in words for the output's `uncertainty:` list."""
    p, lo, hi = final_docs / sample_records if sample_records else 0.0, *wilson(final_docs, sample_records)
    notes = [
        f"sample of {sample_records:,} records from {len(files)} of {n_tasks} file(s): the overall "
        "keep rate "
        f"{100 * p:.2f}% has a 95% interval of [{100 * lo:.2f}, {100 * hi:.2f}]% (binomial, Wilson); "
        "the first records of the first files stand for all of them"
    ]
    if near_dedup:
        notes.append(
            "near-duplicates grow with the corpus: a sample finds few of the clusters a full run finds, so "
            "documents out after dedup are an upper bound"
        )
    notes.append(
        "times scale linearly with records (start-up measured apart); peak RSS is per process at sample "
        "scale, "
        "later phases' memory grows with partition size"
    )
    if not data.tokens_measured:
        notes.append("tokens use an assumed tokens/char ratio; add `tokenize:` to measure them")
    if any(f.exhausted for f in files):
        notes.append(
            f"{sum(f.exhausted for f in files)} sampled file(s) ended before {limit:,} records: "
            "their record counts are exact"
        )
    return notes
