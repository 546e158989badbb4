"""`corpus-build run`: config → tasks → steps → executor → manifest."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
import orjson
from datatrove.io import get_datafolder

from corpus_builder.config.loader import load_config
from corpus_builder.config.paths import project_root
from corpus_builder.config.pipeline import ExecutorConfig, PipelineConfig
from corpus_builder.contracts import outputs
from corpus_builder.contracts.errors import RunFailedError
from corpus_builder.decontaminate.phase import build_decontaminate_phases
from corpus_builder.decontaminate.sets import ResolvedSet, prepare_sets
from corpus_builder.dedup import build_dedup_phases
from corpus_builder.executors.local import LocalExecutor, RunResult
from corpus_builder.executors.ray import RayExecutor, RaySettings, ray_session
from corpus_builder.mixture import build_mixture_phases
from corpus_builder.phases.base import Phase, PhaseStep, RunContext
from corpus_builder.run.manifest import build_manifest, write_manifest
from corpus_builder.run.output_claim import claim_output, input_fingerprints, output_lock
from corpus_builder.sources.tasks import InputTask, build_tasks, provenance_label
from corpus_builder.stages.registry import build_pipeline, build_stage_steps
from corpus_builder.tokenize import build_tokenize_phases
from corpus_builder.writers import schema
from corpus_builder.writers.atomic import sha256_and_size


class RunError(RunFailedError):
    """The run cannot start or did not finish; the message says why."""


@dataclass(frozen=True)
class RunOptions:
    inputs: list[str] | None = None
    output: str | None = None
    workers: int | None = None
    limit: int | None = None
    executor: str | None = None
    address: str | None = None
    #: Read at most this many files of each source (the estimator's sample).
    max_files: int | None = None


@dataclass(frozen=True)
class RunOutcome:
    output_dir: str
    tasks: int
    result: RunResult
    manifest: dict[str, Any]
    skipped_sources: tuple[str, ...] = ()  # optional sources whose files were absent
    #: why the phases in `not_run_phases` did not run (e.g. nothing was kept), else None
    not_run_reason: str | None = None
    not_run_phases: tuple[str, ...] = ()


def apply_options(config: PipelineConfig, options: RunOptions) -> PipelineConfig:
    update: dict[str, Any] = {}
    if options.output:
        # --output is typed at a prompt, so a relative one means the working directory
        out = options.output if "://" in options.output else os.path.abspath(options.output)
        update["output"] = config.output.model_copy(update={"dir": out})
    executor_update = {
        key: value
        for key, value in (
            ("workers", options.workers),
            ("kind", options.executor),
            ("address", options.address),
        )
        if value
    }
    if executor_update:
        update["executor"] = ExecutorConfig.model_validate(config.executor.model_dump() | executor_update)
    sources = config.sources
    if options.limit:
        sources = [s.model_copy(update={"limit": options.limit}) for s in sources]
    if options.max_files:
        sources = [
            s.model_copy(update={"max_files": min(s.max_files or options.max_files, options.max_files)})
            for s in sources
        ]
    if sources is not config.sources:
        update["sources"] = sources
    return config.model_copy(update=update)


def identity(config: PipelineConfig, tasks: list[InputTask], base_dir: str) -> tuple[dict[str, Any], str]:
    """The part of the config that decides the output, and its hash (workers and paths excluded)."""
    described = config.model_dump(mode="json", exclude={"output": {"dir"}, "executor": True})
    if config.tokenize is not None and config.tokenize.model:
        # The model's bytes decide the tokens, not where the file lies.
        described["tokenize"]["model"] = provenance_label(config.tokenize.model, project_root(base_dir))
        described["tokenize"]["model_sha256"] = file_sha256(config.tokenize.model)
    if config.decontaminate is not None:
        _describe_eval_files(described["decontaminate"], base_dir)
    payload = orjson.dumps(
        {
            "config": described,
            "inputs": [[t.source, t.label, t.snapshot, t.limit] for t in tasks],
            # an output written with other columns must not be resumed into one folder of mixed schemas
            "schema_version": schema.SCHEMA_VERSION,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return described, hashlib.sha256(payload).hexdigest()


def _describe_eval_files(described: dict[str, Any], base_dir: str) -> None:
    """Evaluation files by their place in the project and their bytes: editing a set changes what is
    dropped, so it must change the run's identity (a resumed run never mixes two versions)."""
    root = project_root(base_dir)
    for eval_set in described["sets"]:
        paths = [os.path.normpath(os.path.join(base_dir, path)) for path in eval_set["paths"]]
        eval_set["paths"] = [provenance_label(path, root) for path in paths]
        eval_set["sha256"] = [file_sha256(path) for path in paths]


def file_sha256(url: str) -> str:
    return sha256_and_size(*fsspec.core.url_to_fs(url))[0]


def _local_size(tasks: list[InputTask]) -> int | None:
    try:
        return sum(os.path.getsize(t.path) for t in tasks)
    except OSError:
        return None


def check_phase(result: RunResult, phase: str, output_dir: str, describe: Callable[[int], str]) -> None:
    if result.failures:
        failed = "; ".join(
            f"task {rank} ({describe(rank)}): {error}" for rank, error in sorted(result.failures.items())
        )
        raise RunError(
            f"phase {phase}: {len(result.failures)} task(s) failed: {failed}; logs in "
            f"{output_dir}/{outputs.phase_logs(phase)}/logs/. Rerun the same command to retry only the "
            "unfinished tasks."
        )


def decontaminate_input_folder(config: PipelineConfig) -> str:
    """The folder decontamination scans: deduped/ when the run dedups, else documents/."""
    return outputs.DEDUPED if config.dedup is not None else outputs.DOCUMENTS


def tokenizer_input_folder(config: PipelineConfig) -> str:
    """The folder tokenization (and tokenizer training) reads: the last document-level output."""
    if config.decontaminate is not None:
        return outputs.DECONTAMINATED
    return decontaminate_input_folder(config)


def later_phases(
    config: PipelineConfig, ctx: RunContext, eval_sets: list[ResolvedSet] | None = None
) -> list[Phase]:
    """The shard-level phases after the document phase, in the order they must run (dedup →
    decontaminate → tokenize → mixture). `eval_sets`: `prepare_sets` of the decontaminate block."""
    phases: list[Phase] = []
    if config.dedup is not None:
        # Only the first dedup phase: each one's finish() names the next (rounds until convergence).
        kinds = {s.name: s.kind for s in config.sources}  # source_priority may name kinds
        phases += build_dedup_phases(config.dedup, ctx, kinds)
    if config.decontaminate is not None:
        if eval_sets is None:
            raise ValueError("a decontaminate block needs its sets prepared (prepare_sets) first")
        input_folder = decontaminate_input_folder(config)
        phases += build_decontaminate_phases(config.decontaminate, ctx, eval_sets, input_folder)
    if config.tokenize is not None:
        phases += build_tokenize_phases(config.tokenize, ctx, tokenizer_input_folder(config))
    if config.mixture is not None:
        phases += build_mixture_phases(config.mixture, ctx)
    return phases


def resolve_paths(config: PipelineConfig, base_dir: str) -> PipelineConfig:
    """Paths inside the YAML are relative to the YAML file, wherever the command runs from."""
    tokenize = config.tokenize
    if tokenize is not None and tokenize.model and "://" not in tokenize.model:
        model = os.path.normpath(os.path.join(base_dir, tokenize.model))
        config = config.model_copy(update={"tokenize": tokenize.model_copy(update={"model": model})})
    return config


def make_executor(
    config: ExecutorConfig,
    pipeline: list,
    tasks: int,
    logging_dir: str,
    describe_rank: Callable[[int], str] = str,
    label: str = "",
    total_bytes: int | None = None,
) -> LocalExecutor | RayExecutor:
    if config.kind == "ray":
        return RayExecutor(pipeline, tasks, logging_dir, ray_settings(config), describe_rank, label)
    return LocalExecutor(pipeline, tasks, config.workers, logging_dir, describe_rank, total_bytes, label)


def ray_settings(config: ExecutorConfig) -> RaySettings:
    return RaySettings(
        address=config.address,
        cpus_per_task=config.cpus_per_task,
        memory_per_task_gb=config.memory_per_task_gb,
        max_retries=config.max_retries,
        task_timeout_s=config.task_timeout_s,
    )


def absolute_output_dir(config: PipelineConfig) -> str:
    """The output directory as every phase opens it. Absolute before fsspec sees it: fsspec caches
    folder objects by the string they were made from, so a relative path would keep pointing at the
    first working directory it was resolved in."""
    return config.output.dir if "://" in config.output.dir else os.path.abspath(config.output.dir)


def run_phases(
    config: ExecutorConfig, phases: list[Phase], output_dir: str
) -> tuple[str | None, tuple[str, ...]]:
    """Run shard-level phases in order, each one's `finish()` follow-ups next; stops where a phase
    cannot run. Returns why it stopped (None: every phase ran) and the phases that did not run."""
    logs = f"{output_dir.rstrip('/')}/{outputs.LOGS}"
    phases = list(phases)
    while phases:
        phase = phases.pop(0)
        reason = phase.skip_reason()
        if reason:
            # Later phases consume this one's output: none of them can run either.
            return reason, (phase.name, *(p.name for p in phases))
        result = make_executor(
            config, [PhaseStep(phase)], phase.num_tasks(), f"{logs}/{phase.name}", label=phase.name
        ).run()
        check_phase(result, phase.name, output_dir, str)
        phases[0:0] = phase.finish()
    return None, ()


def load_run_config(config_path: str | Path, options: RunOptions) -> tuple[PipelineConfig, str]:
    """The pipeline as a run with `options` sees it, and the folder its relative paths start from."""
    base_dir = str(Path(config_path).resolve().parent)
    return resolve_paths(apply_options(load_config(config_path), options), base_dir), base_dir


def run_pipeline(config_path: str | Path, options: RunOptions | None = None) -> RunOutcome:
    """Run the pipeline file `config_path` as `corpus-build run` does; rerunning resumes."""
    options = options or RunOptions()
    config, base_dir = load_run_config(config_path, options)
    if config.executor.kind == "ray":
        with ray_session(ray_settings(config.executor), config.executor.workers):
            return _run(config, base_dir, options, str(config_path))
    return _run(config, base_dir, options, str(config_path))


def _run(config: PipelineConfig, base_dir: str, options: RunOptions, source: str) -> RunOutcome:
    stage_steps = build_stage_steps(config, base_dir, source)
    # every evaluation file is read here, so a bad one stops the run before any task starts
    eval_sets = prepare_sets(config.decontaminate, base_dir) if config.decontaminate is not None else None
    tasks = build_tasks(config, base_dir, options.inputs)
    described, config_sha256 = identity(config, tasks, base_dir)
    output_dir = absolute_output_dir(config)
    ctx = RunContext(output_dir=output_dir, seed=config.seed)
    steps = build_pipeline(config, tasks, stage_steps, output_dir)
    phases = later_phases(config, ctx, eval_sets)
    inputs = input_fingerprints(tasks)
    try:
        with output_lock(output_dir):
            claim_output(output_dir, config_sha256, inputs)
            return _run_phases(config, tasks, steps, phases, output_dir, described, config_sha256, inputs)
    except OSError as exc:  # a full disk, a read-only or vanished output: one line, a rerun resumes
        raise RunError(f"cannot write to output directory {output_dir}: {exc}") from None


def _run_phases(
    config: PipelineConfig,
    tasks: list[InputTask],
    steps: list,
    phases: list[Phase],
    output_dir: str,
    described: dict[str, Any],
    config_sha256: str,
    inputs: dict[str, Any],
) -> RunOutcome:
    logs = f"{output_dir.rstrip('/')}/{outputs.LOGS}"
    result = make_executor(
        config.executor,
        steps,
        len(tasks),
        f"{logs}/{outputs.DOCUMENTS_PHASE}",
        describe_rank=lambda rank: tasks[rank].label,
        total_bytes=_local_size(tasks),
    ).run()
    check_phase(result, outputs.DOCUMENTS_PHASE, output_dir, lambda rank: tasks[rank].label)
    not_run_reason, not_run_phases = run_phases(config.executor, phases, output_dir)
    folder = get_datafolder(output_dir)
    manifest = build_manifest(folder, described, config_sha256, tasks, inputs)
    if not_run_reason:
        manifest["skipped_phases"] = {"phases": list(not_run_phases), "reason": not_run_reason}
    write_manifest(folder, manifest)
    used = {id(t.config) for t in tasks}
    skipped = tuple(f"sources[{i}] ({s.name})" for i, s in enumerate(config.sources) if id(s) not in used)
    return RunOutcome(
        config.output.dir,
        len(tasks),
        result,
        manifest,
        skipped_sources=skipped,
        not_run_reason=not_run_reason,
        not_run_phases=not_run_phases,
    )
