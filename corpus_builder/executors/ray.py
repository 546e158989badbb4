"""Run a pipeline's tasks as Ray tasks: one task per rank, retries, time limits, loud failures.

datatrove's RayPipelineExecutor runs each task in a process pool nested inside a Ray task, which
Ray cannot see: a SIGKILLed or OOM-killed worker then hangs the job. Here a rank is exactly one
Ray task, so Ray itself notices a dead worker and retries it (`max_retries`). On top of that the
driver enforces a wall-clock limit per task (cancel with force, which kills the worker, and
resubmit), refuses resource requests no node can satisfy, and prints progress as tasks finish.
Completion markers, stats and logs are datatrove's, written by the task to the (shared) output.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from datatrove.executor.base import DistributedEnvVars, PipelineExecutor
from datatrove.pipeline.base import PipelineStep

from corpus_builder.contracts.errors import BadInputError
from corpus_builder.executors.local import RunResult, merge_stats
from corpus_builder.executors.task import run_task

_POLL_S = 0.5


@dataclass(frozen=True)
class RaySettings:
    address: str | None = None
    cpus_per_task: float = 1.0
    memory_per_task_gb: float | None = None
    max_retries: int = 3
    task_timeout_s: float | None = None
    retry_exceptions: bool = True


class RayResourceError(BadInputError):
    pass


@contextmanager
def ray_session(settings: RaySettings, workers: int) -> Iterator[None]:
    """Connect to the cluster the user named, the job's own cluster, or a private local Ray.

    A private instance gets its own temp dir and `address="local"`, so a run never attaches to a
    cluster that happens to run on the machine without being asked to.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    quiet = {"log_to_driver": False, "configure_logging": True, "logging_level": "WARNING"}
    temp_dir: str | None = None
    if settings.address:
        ray.init(address=settings.address, **quiet)
    elif os.environ.get("RAY_ADDRESS") or os.environ.get("RAY_JOB_ID"):
        ray.init(address="auto", **quiet)  # the entrypoint of `ray job submit`
    else:
        temp_dir = tempfile.mkdtemp(prefix="corpus-build-ray-")
        ray.init(
            address="local",
            _temp_dir=temp_dir,
            num_cpus=max(1, workers),
            include_dashboard=False,
            **quiet,
        )
    try:
        yield
    finally:
        ray.shutdown()
        if temp_dir is not None:
            # The private Ray's sockets, session logs and object spill files: nothing of the run's
            # output (task logs are under <output>/_logs/), and nobody else uses this directory.
            shutil.rmtree(temp_dir, ignore_errors=True)


def _run_rank(executor: RayExecutor, rank: int) -> int:
    """Body of one Ray task: run the rank with executors/task.py, as the local executor does."""
    executor.pipeline = deepcopy(executor.pipeline)
    stats = run_task(executor, rank)
    return int(sum(step.stats["records"].total for step in stats.stats if "records" in step.stats))


class RayExecutor(PipelineExecutor):
    def __init__(
        self,
        pipeline: list[PipelineStep | Callable],
        tasks: int,
        logging_dir: str,
        settings: RaySettings,
        describe_rank: Callable[[int], str] = str,
        label: str = "",
    ) -> None:
        super().__init__(pipeline, logging_dir=logging_dir, skip_completed=True)
        self.tasks = tasks
        self.settings = settings
        self.describe_rank = describe_rank
        self.label = label or "documents"

    @property
    def world_size(self) -> int:
        return self.tasks

    def get_distributed_env(self, node_rank: int = -1) -> DistributedEnvVars:
        return DistributedEnvVars(
            datatrove_node_ips="ray",
            datatrove_cpus_per_task=str(self.settings.cpus_per_task),
            datatrove_mem_per_cpu=str(self.settings.memory_per_task_gb or -1),
            datatrove_gpus_on_node="0",
            datatrove_executor="RAY",
        )

    def _check_resources(self) -> None:
        import ray

        nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
        need_memory = (self.settings.memory_per_task_gb or 0) * 1024**3
        fits = [
            n
            for n in nodes
            if n.get("CPU", 0) >= self.settings.cpus_per_task and n.get("memory", 0) >= need_memory
        ]
        if not fits:
            largest_cpu = max((n.get("CPU", 0) for n in nodes), default=0)
            largest_memory = max((n.get("memory", 0) for n in nodes), default=0) / 1024**3
            raise RayResourceError(
                f"no Ray node can run a task needing {self.settings.cpus_per_task:g} CPU(s)"
                + (f" and {self.settings.memory_per_task_gb:g} GB" if need_memory else "")
                + f": the largest node has {largest_cpu:g} CPU(s) and {largest_memory:.1f} GB"
            )

    def _slots(self) -> int:
        import ray

        cpus = ray.cluster_resources().get("CPU", 1)
        return max(1, int(cpus // max(self.settings.cpus_per_task, 1e-6)))

    def run(self) -> RunResult:
        import ray

        result = RunResult()
        pending = self.get_incomplete_ranks()
        result.skipped = self.tasks - len(pending)
        if not pending:
            return result
        self._check_resources()
        options: dict[str, Any] = {
            "num_cpus": self.settings.cpus_per_task,
            "max_retries": self.settings.max_retries,
            "retry_exceptions": self.settings.retry_exceptions,
        }
        if self.settings.memory_per_task_gb:
            options["memory"] = int(self.settings.memory_per_task_gb * 1024**3)
        remote = ray.remote(**options)(_run_rank)
        executor_ref = ray.put(self)
        attempts = dict.fromkeys(pending, 0)
        running: dict[Any, tuple[int, float]] = {}
        queue = list(pending)
        slots = self._slots()
        started = time.monotonic()
        records = 0
        progress = _DriverProgress(self.label, self.tasks, result.skipped)

        while queue or running:
            # Submitting no more than there are slots makes submit time ≈ start time, which is what
            # the per-task time limit is measured from.
            while queue and len(running) < slots:
                rank = queue.pop(0)
                attempts[rank] += 1
                running[remote.remote(executor_ref, rank)] = (rank, time.monotonic())
            done, _ = ray.wait(list(running), num_returns=1, timeout=_POLL_S)
            for ref in done:
                rank, _ = running.pop(ref)
                try:
                    records += ray.get(ref)
                    result.ran.append(rank)
                except Exception as exc:  # noqa: BLE001 - Ray already retried; report and go on
                    result.failures[rank] = self._describe_failure(rank, exc)
                    print(
                        f"task {rank} ({self.describe_rank(rank)}) failed: {result.failures[rank]}",
                        file=sys.stderr,
                    )
                progress.update(len(result.ran), len(running), len(result.failures), records, started)
            if self.settings.task_timeout_s:
                now = time.monotonic()
                for ref, (rank, since) in list(running.items()):
                    if now - since <= self.settings.task_timeout_s:
                        continue
                    ray.cancel(ref, force=True)  # kills the worker process running it
                    del running[ref]
                    if attempts[rank] <= self.settings.max_retries:
                        queue.append(rank)
                        print(
                            f"task {rank} exceeded {self.settings.task_timeout_s:g}s; retrying",
                            file=sys.stderr,
                        )
                    else:
                        limit = f"{self.settings.task_timeout_s:g}s"
                        result.failures[rank] = (
                            f"timed out after {limit} in each of {attempts[rank]} attempts"
                        )
                        print(
                            f"task {rank} ({self.describe_rank(rank)}) failed: {result.failures[rank]}",
                            file=sys.stderr,
                        )
        progress.final(len(result.ran), len(result.failures), records, started)
        merge_stats(self.logging_dir)
        return result

    def _describe_failure(self, rank: int, exc: Exception) -> str:
        cause = getattr(exc, "cause", None) or exc
        first_line = str(cause).strip().splitlines()[-1] if str(cause).strip() else type(cause).__name__
        log = f"{self.logging_dir.path}/logs/task_{rank:05d}.log"
        return f"{type(cause).__name__}: {first_line} (after {self.settings.max_retries} retries; log: {log})"


class _DriverProgress:
    def __init__(self, label: str, total: int, done_before: int) -> None:
        self.label, self.total, self.done_before = label, total, done_before

    def _line(self, done: int, running: int, failed: int, records: int, started: float) -> str:
        elapsed = max(time.monotonic() - started, 1e-6)
        finished = self.done_before + done
        eta = ""
        if done > 0 and finished < self.total:
            eta = f" | ETA {int(elapsed / done * (self.total - finished - running / 2))}s"
        rate = f" | {records / elapsed:,.0f} records/s" if records else ""
        return (
            f"{self.label}: tasks {finished}/{self.total} done, {running} running, {failed} failed"
            f"{rate} | {int(elapsed)}s{eta}"
        )

    def update(self, done: int, running: int, failed: int, records: int, started: float) -> None:
        print(self._line(done, running, failed, records, started), file=sys.stderr, flush=True)

    def final(self, done: int, failed: int, records: int, started: float) -> None:
        print(self._line(done, 0, failed, records, started), file=sys.stderr, flush=True)
