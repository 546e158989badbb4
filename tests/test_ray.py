"""The Ray executor against real Ray: a private local instance and a head started by the test.

Ray maps 127.0.0.1 to the machine's interface address unless loopback is the only network there
is, so these tests need a loopback-only network namespace; `.ci/run` runs the whole suite in one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.loader import load_config
from corpus_builder.executors.ray import RayExecutor, RayResourceError, RaySettings, ray_session
from corpus_builder.run import RunOptions, run_pipeline
from corpus_builder.sources.tasks import build_tasks
from corpus_builder.stages.registry import build_pipeline, build_stage_steps
from tests.pipeline_helpers import corpus_build, output_digests, write_pipeline


def _only_loopback() -> bool:
    return {name for _, name in socket.if_nameindex()} == {"lo"}


if not _only_loopback():
    reason = "Ray tests need a loopback-only network namespace (see .ci/run)"
    if os.environ.get("CI"):
        raise RuntimeError(reason + "; CI must run the suite inside one")
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="module")
def local_reference(sample_inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("local")
    run_pipeline(write_pipeline(work / "p.yaml", sample_inputs, work / "out"), RunOptions())
    return output_digests(work / "out")


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    import ray

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with ray_session(RaySettings(), workers=2):
        yield


def test_private_local_ray_gives_the_local_output(
    sample_inputs: Path, local_reference: dict[str, str], tmp_path: Path, ray_local: None
) -> None:
    run_pipeline(
        write_pipeline(tmp_path / "p.yaml", sample_inputs, tmp_path / "out"), RunOptions(executor="ray")
    )
    assert output_digests(tmp_path / "out") == local_reference


# --- fault injection: steps that misbehave inside Ray workers --------------------------------------


class KillWorkerOnce(PipelineStep):
    """SIGKILLs its own worker process in the middle of rank 1, the first time only."""

    name = "kill-once"

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for index, doc in enumerate(data):
            if rank == 1 and index == 5 and not os.path.exists(self.marker):
                Path(self.marker).touch()
                os.kill(os.getpid(), signal.SIGKILL)
            yield doc


class AlwaysFail(PipelineStep):
    name = "always-fail"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if rank == 2:
            raise RuntimeError("injected failure")
        yield from data


class Hang(PipelineStep):
    name = "hang"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if rank == 0:
            time.sleep(600)
        yield from data


def _sample_pipeline(sample_inputs: Path, output: Path, extra: PipelineStep) -> tuple[list, int]:
    yaml_path = write_pipeline(output.parent / "p.yaml", sample_inputs, output)
    config = load_config(yaml_path)
    tasks = build_tasks(config, str(yaml_path.parent))
    stage_steps = build_stage_steps(config, str(yaml_path.parent), str(yaml_path))
    steps = build_pipeline(config, tasks, stage_steps, str(output))
    return [*steps[:-1], extra, steps[-1]], len(tasks)


@pytest.mark.slow
def test_killed_worker_is_retried_and_output_is_unchanged(
    sample_inputs: Path, local_reference: dict[str, str], tmp_path: Path, ray_local: None
) -> None:
    output = tmp_path / "out"
    steps, tasks = _sample_pipeline(sample_inputs, output, KillWorkerOnce(str(tmp_path / "killed")))
    result = RayExecutor(steps, tasks, str(output / "_logs" / "documents"), RaySettings(max_retries=2)).run()
    assert (tmp_path / "killed").exists(), "the worker was never killed"
    assert not result.failures

    # Only the document phase ran here: compare the files it writes.
    def document_phase(digests: dict[str, str]) -> dict[str, str]:
        prefixes = ("documents/", "errors/", "excluded/0", "counts/0")
        return {k: v for k, v in digests.items() if k.startswith(prefixes)}

    assert document_phase(output_digests(output)) == document_phase(local_reference)
    assert document_phase(local_reference)


@pytest.mark.slow
def test_task_that_always_fails_names_its_rank(sample_inputs: Path, tmp_path: Path, ray_local: None) -> None:
    output = tmp_path / "out"
    steps, tasks = _sample_pipeline(sample_inputs, output, AlwaysFail())
    started = time.monotonic()
    result = RayExecutor(steps, tasks, str(output / "_logs" / "d"), RaySettings(max_retries=1)).run()
    assert list(result.failures) == [2]
    assert "injected failure" in result.failures[2] and "task_00002.log" in result.failures[2]
    assert sorted(result.ran) == [0, 1]
    assert time.monotonic() - started < 120


def test_impossible_resources_fail_at_once(sample_inputs: Path, tmp_path: Path, ray_local: None) -> None:
    output = tmp_path / "out"
    steps, tasks = _sample_pipeline(sample_inputs, output, AlwaysFail())
    with pytest.raises(RayResourceError, match="64 CPU"):
        RayExecutor(steps, tasks, str(output / "_logs" / "d"), RaySettings(cpus_per_task=64)).run()


@pytest.mark.slow
def test_task_over_its_time_limit_is_killed_and_retried(
    sample_inputs: Path, tmp_path: Path, ray_local: None
) -> None:
    output = tmp_path / "out"
    steps, tasks = _sample_pipeline(sample_inputs, output, Hang())
    started = time.monotonic()
    settings = RaySettings(max_retries=1, task_timeout_s=2)
    result = RayExecutor(steps, tasks, str(output / "_logs" / "d"), settings).run()
    assert list(result.failures) == [0]
    assert "timed out after 2s in each of 2 attempts" in result.failures[0]
    assert time.monotonic() - started < 60


# --- `ray job submit` against a head this test starts -----------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    temp_dir = tmp_path_factory.mktemp("ray-head")
    dashboard = _free_port()
    ray_cli = str(Path(sys.executable).with_name("ray"))
    env = os.environ | {"RAY_AUTH_MODE": "token"}
    # Fixed free ports: the private local Ray of the other tests may hold Ray's default agent port.
    # Its own session (and so process group): stopping the head is killing that group, which holds
    # only processes this test started. `ray stop` would kill every Ray process on the machine.
    head = subprocess.Popen(
        [ray_cli, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(_free_port()),
         "--dashboard-host", "127.0.0.1", "--dashboard-port", str(dashboard), "--num-cpus", "2",
         "--dashboard-agent-listen-port", str(_free_port()), "--metrics-export-port", str(_free_port()),
         "--temp-dir", str(temp_dir), "--disable-usage-stats"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", dashboard), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or head.poll() is not None:
                    raise RuntimeError("the Ray head did not come up") from None
                time.sleep(0.5)
        yield f"http://127.0.0.1:{dashboard}"
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(timeout=5)
        time.sleep(1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)  # whatever of the group outlived SIGTERM


def _ray_job_submit(
    ray_head: str, submit_args: list[str], corpus_build_args: list[str], cwd: Path
) -> subprocess.CompletedProcess:
    """`ray job submit --address HEAD SUBMIT_ARGS python -m corpus_builder ARGS`, retried while the
    head's job agent has not registered yet (the dashboard answers before it does; submission says so)."""
    ray_cli = str(Path(sys.executable).with_name("ray"))
    env = os.environ | {"RAY_AUTH_MODE": "token"}
    env.pop("RAY_ADDRESS", None)
    command = [ray_cli, "job", "submit", "--address", ray_head, *submit_args,
               sys.executable, "-m", "corpus_builder", *corpus_build_args]  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        submitted = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=cwd)
        if "No available agent" not in submitted.stderr or time.monotonic() > deadline:
            return submitted
        time.sleep(2)


@pytest.mark.slow
def test_ray_job_submit_matches_local(
    sample_inputs: Path, local_reference: dict[str, str], tmp_path: Path, ray_head: str
) -> None:
    pipeline = write_pipeline(tmp_path / "p.yaml", sample_inputs, tmp_path / "out")
    submitted = _ray_job_submit(
        ray_head, ["--"], ["run", str(pipeline), "--executor", "ray"], cwd=tmp_path
    )
    assert submitted.returncode == 0, submitted.stdout[-3000:] + submitted.stderr[-3000:]
    assert "succeeded" in submitted.stdout + submitted.stderr
    assert output_digests(tmp_path / "out") == local_reference


@pytest.mark.slow
def test_ray_job_submit_from_an_uploaded_working_dir_matches_a_local_run_elsewhere(
    sample_inputs: Path, tmp_path: Path, ray_head: str
) -> None:
    """Issue 14 item 4: the job's driver runs in Ray's copy of --working-dir, a local run anywhere
    else; inputs are recorded relative to the project root (pyproject.toml), so the bytes agree."""
    project = tmp_path / "project"
    (project / "samples").mkdir(parents=True)
    for warc in sorted(sample_inputs.glob("*.warc.gz")):
        (project / "samples" / warc.name).write_bytes(warc.read_bytes())
    (project / "pyproject.toml").write_text("[project]\nname = 'corpus'\n")
    (project / "pipelines").mkdir()
    pipeline = project / "pipelines" / "p.yaml"
    write_pipeline(pipeline, Path("../samples"), tmp_path / "unused", documents_only=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    local = corpus_build(
        "run", str(pipeline), "--output", str(tmp_path / "local"), timeout=300, cwd=elsewhere
    )
    assert local.returncode == 0, local.stderr
    submitted = _ray_job_submit(
        ray_head,
        ["--working-dir", str(project), "--"],
        ["run", "pipelines/p.yaml", "--executor", "ray", "--output", str(tmp_path / "job")],
        cwd=elsewhere,
    )
    assert submitted.returncode == 0, submitted.stdout[-3000:] + submitted.stderr[-3000:]
    manifest = (tmp_path / "job" / "manifest.json").read_text()
    assert '"path": "samples/sample-00000.warc.gz"' in manifest
    assert output_digests(tmp_path / "job") == output_digests(tmp_path / "local")
