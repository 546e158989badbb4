"""The local executor's per-task machinery: logs per task, failures reported per task."""

from __future__ import annotations

from pathlib import Path

import pytest
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

from corpus_builder.executors.local import LocalExecutor


class SayHelloOrFail(PipelineStep):
    name = "hello"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        logger.info(f"hello from rank {rank}")
        if rank == 1:
            raise RuntimeError("injected failure")
        yield from ()


@pytest.mark.parametrize("workers", [1, 2])
def test_each_task_logs_to_its_own_file_and_a_failure_stays_off_the_terminal(
    workers: int, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "_logs"
    result = LocalExecutor([SayHelloOrFail()], tasks=3, workers=workers, logging_dir=str(logs)).run()

    assert sorted(result.ran) == [0, 1, 2]
    assert list(result.failures) == [1] and "injected failure" in result.failures[1]
    for rank in range(3):
        text = (logs / "logs" / f"task_{rank:05d}.log").read_text(encoding="utf-8")
        assert f"hello from rank {rank}" in text
        assert not [r for r in range(3) if r != rank and f"hello from rank {r}" in text]
        assert ("Traceback" in text and "injected failure" in text) == (rank == 1)
    assert sorted(p.name for p in (logs / "completions").iterdir()) == ["00000", "00002"]
    err = capfd.readouterr().err
    assert "Traceback" not in err and "task 1 (1) failed: RuntimeError: injected failure" in err

    # the failed task alone runs again; the completed ones are skipped
    rerun = LocalExecutor([SayHelloOrFail()], tasks=3, workers=workers, logging_dir=str(logs)).run()
    assert rerun.skipped == 2 and rerun.ran == [1]
