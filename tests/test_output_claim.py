"""Who may write into an output directory (issue 13 run level, issue 14 item 4): one run at a time,
only over the same configuration and input bytes, from any working directory, and a full disk never
leaves it unusable."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpus_builder.contracts.outputs import RUN_IDENTITY, RUN_LOCK
from corpus_builder.run.output_claim import (
    FINGERPRINT_SAMPLE_BYTES,
    OutputClaimError,
    claim_output,
    input_fingerprint,
    output_lock,
)
from tests.pipeline_helpers import corpus_build, output_digests, write_pipeline


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def copy_inputs(sample_inputs: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for warc in sorted(sample_inputs.glob("*.warc.gz")):
        shutil.copy2(warc, folder / warc.name)
    return folder


# ------------------------------------------------------------------------------------- fingerprints


def test_fingerprint_covers_size_mtime_and_both_ends(tmp_path: Path) -> None:
    path = tmp_path / "f.warc.gz"
    data = bytearray(os.urandom(3 * FINGERPRINT_SAMPLE_BYTES))
    path.write_bytes(data)
    first = input_fingerprint(str(path))
    assert first is not None and first["bytes"] == len(data)
    assert first["mtime_ns"] == path.stat().st_mtime_ns
    stamp = (path.stat().st_atime_ns, path.stat().st_mtime_ns)
    for offset, changes in ((0, True), (len(data) - 1, True), (len(data) // 2, False)):
        changed = bytearray(data)
        changed[offset] ^= 0xFF
        path.write_bytes(changed)
        os.utime(path, ns=stamp)  # the same mtime: only the sampled hash can tell
        assert (input_fingerprint(str(path)) != first) is changes, offset
    path.write_bytes(data)
    os.utime(path, ns=(stamp[0], stamp[1] + 1))
    assert input_fingerprint(str(path)) == first | {"mtime_ns": stamp[1] + 1}
    assert input_fingerprint("https://example.org/x.warc.gz") is None


@pytest.mark.parametrize("change", ["appended", "same size and mtime, first byte", "touched"])
def test_claim_refuses_a_changed_input_naming_it(change: str, tmp_path: Path) -> None:
    path = tmp_path / "in.warc"
    path.write_bytes(b"WARC/1.0\r\n" + b"x" * 5000)
    out = str(tmp_path / "out")
    claim_output(out, "cfg", {"in.warc": input_fingerprint(str(path))})
    claim_output(out, "cfg", {"in.warc": input_fingerprint(str(path))})  # unchanged: resumes
    stat = path.stat()
    if change == "appended":
        with path.open("ab") as f:
            f.write(b"more")
    elif change == "touched":
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    else:
        path.write_bytes(b"X" + path.read_bytes()[1:])
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(OutputClaimError, match=r"^input in\.warc changed since this output was started"):
        claim_output(out, "cfg", {"in.warc": input_fingerprint(str(path))})
    with pytest.raises(OutputClaimError, match="different configuration"):
        claim_output(out, "other", {"in.warc": input_fingerprint(str(path))})


def test_an_empty_identity_left_by_an_older_version_is_reclaimed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "_logs").mkdir(parents=True)
    (out / RUN_IDENTITY).write_bytes(b"")
    claim_output(str(out), "cfg", {})
    assert json.loads((out / RUN_IDENTITY).read_text()) == {"config_sha256": "cfg", "inputs": {}}


@pytest.mark.slow
def test_changed_input_between_killed_run_and_rerun_is_refused(sample_inputs: Path, tmp_path: Path) -> None:
    inputs = copy_inputs(sample_inputs, tmp_path / "in")
    pipeline = write_pipeline(tmp_path / "p.yaml", inputs, tmp_path / "out", documents_only=True)
    first = corpus_build("run", str(pipeline))
    assert first.returncode == 0, first.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    for entry in manifest["inputs"]:
        fingerprint = input_fingerprint(str(tmp_path / entry["path"]))  # relative to the pipeline's folder
        assert fingerprint is not None
        assert (entry["bytes"], entry["sha256_ends"]) == (fingerprint["bytes"], fingerprint["sha256_ends"])
        assert "mtime_ns" not in entry  # not a function of the bytes: the manifest stays reproducible
    # as after a kill: the manifest is not written yet, one task's outputs are missing
    (tmp_path / "out" / "manifest.json").unlink()
    victim = inputs / "sample-00001.warc.gz"
    victim.write_bytes(victim.read_bytes() + b"\n")
    before = output_digests(tmp_path / "out")
    rerun = corpus_build("run", str(pipeline))
    assert_one_line_error(
        rerun, 2, "input in/sample-00001.warc.gz changed since this output was started", "size "
    )
    assert output_digests(tmp_path / "out") == before


# --------------------------------------------------------------------------------------------- lock


@pytest.mark.slow
def test_a_second_run_into_a_locked_output_exits_2_naming_the_first(
    sample_inputs: Path, tmp_path: Path
) -> None:
    pipeline = write_pipeline(tmp_path / "p.yaml", sample_inputs, tmp_path / "out", documents_only=True)
    with output_lock(str(tmp_path / "out")):
        holder = (tmp_path / "out" / RUN_LOCK).read_text()
        assert holder.startswith(f"pid {os.getpid()} on {socket.gethostname()}, started ")
        second = corpus_build("run", str(pipeline))
    assert_one_line_error(second, 2, "is in use by another run: pid", f"pid {os.getpid()} on ", sys.argv[0])
    assert not (tmp_path / "out" / "documents").exists()
    assert corpus_build("run", str(pipeline)).returncode == 0  # released at the end of the block


@pytest.mark.slow
def test_two_runs_at_once_the_second_is_refused_or_finds_all_done(
    sample_inputs: Path, tmp_path: Path
) -> None:
    pipeline = write_pipeline(tmp_path / "p.yaml", sample_inputs, tmp_path / "out", documents_only=True)
    command = [sys.executable, "-m", "corpus_builder", "run", str(pipeline)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path / "out" / RUN_LOCK
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text()) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    second = corpus_build("run", str(pipeline))
    first_out, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err
    if second.returncode == 0:  # the first had already finished: then the second found it complete
        assert "3 already complete" in second.stdout
    else:
        assert_one_line_error(second, 2, f"is in use by another run: pid {first.pid} on ", str(pipeline))


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = (
        "import sys, time\nfrom corpus_builder.run.output_claim import output_lock\n"
        f"with output_lock({str(out)!r}):\n    print('held', flush=True)\n    time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(OutputClaimError, match=f"pid {holder.pid} on "), output_lock(str(out)):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with output_lock(str(out)):
        assert (out / RUN_LOCK).read_text().startswith(f"pid {os.getpid()} ")


# ------------------------------------------------------------------------------ working directory


@pytest.mark.slow
def test_the_same_command_from_another_directory_resumes(sample_inputs: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    copy_inputs(sample_inputs, project / "samples")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (project / "pipelines").mkdir()
    pipeline = write_pipeline(
        project / "pipelines" / "p.yaml", Path("../samples"), tmp_path / "out", documents_only=True
    )
    elsewhere = tmp_path / "elsewhere" / "deeper"
    elsewhere.mkdir(parents=True)
    first = corpus_build("run", str(pipeline), cwd=project)
    assert first.returncode == 0, first.stderr
    digests = output_digests(tmp_path / "out")
    second = corpus_build("run", str(pipeline), cwd=elsewhere)
    assert second.returncode == 0, second.stderr
    assert "3 task(s) (3 already complete)" in second.stdout
    assert output_digests(tmp_path / "out") == digests
    # and a fresh output made from the other directory has the same bytes, warc_path included
    third = corpus_build("run", str(pipeline), "--output", str(tmp_path / "out2"), cwd=elsewhere)
    assert third.returncode == 0, third.stderr
    assert output_digests(tmp_path / "out2") == digests
    warc_paths = set()
    for shard in (tmp_path / "out2" / "documents").rglob("*.parquet"):
        warc_paths |= set(pq.read_table(shard, columns=["warc_path"]).column("warc_path").to_pylist())
    # relative to the project root (the folder holding pyproject.toml), not to either working directory
    assert warc_paths and warc_paths <= {f"samples/sample-0000{i}.warc.gz" for i in range(3)}
    manifest = json.loads((tmp_path / "out2" / "manifest.json").read_text())
    assert [entry["path"] for entry in manifest["inputs"]] == [
        f"samples/sample-0000{i}.warc.gz" for i in range(3)
    ]


@pytest.mark.slow
def test_a_relative_output_in_the_yaml_lies_below_the_project_root(
    sample_inputs: Path, tmp_path: Path
) -> None:
    """`output.dir: out/p` from the checkout's root and from anywhere else is one folder, so the second
    command resumes instead of starting a fresh output below its working directory; a relative --output
    still means the working directory."""
    project = tmp_path / "project"
    copy_inputs(sample_inputs, project / "samples")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (project / "pipelines").mkdir()
    pipeline = write_pipeline(
        project / "pipelines" / "p.yaml", Path("../samples"), Path("out/p"), documents_only=True
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = corpus_build("run", str(pipeline), cwd=elsewhere)
    assert first.returncode == 0, first.stderr
    assert (project / "out" / "p" / "manifest.json").is_file()
    assert not (elsewhere / "out").exists() and not (project / "pipelines" / "out").exists()
    second = corpus_build("run", "pipelines/p.yaml", cwd=project)
    assert second.returncode == 0, second.stderr
    assert "3 task(s) (3 already complete)" in second.stdout
    third = corpus_build("run", str(pipeline), "--output", "here", cwd=elsewhere)
    assert third.returncode == 0, third.stderr
    assert output_digests(elsewhere / "here") == output_digests(project / "out" / "p")


# ------------------------------------------------------------------------------------------ disk full


@pytest.fixture
def small_disk(tmp_path: Path):  # noqa: ANN201 - a generator fixture
    """A 4 MiB tmpfs: a real full disk (ENOSPC from the kernel, wherever the run writes)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "cb-test-disk", str(mount)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def _fill(disk: Path, leave: int) -> Path:
    """Write a ballast file so that `leave` bytes stay free (tmpfs counts whole 4 KiB pages)."""
    stats = os.statvfs(disk)
    ballast = disk / "ballast"
    ballast.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - leave))
    return ballast


@pytest.fixture(scope="module")
def clean_run(sample_inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The documents-only pipeline of the disk-full cases, and the digests of its run on a roomy disk."""
    folder = tmp_path_factory.mktemp("clean")
    pipeline = write_pipeline(folder / "p.yaml", sample_inputs, folder / "clean", documents_only=True)
    clean = corpus_build("run", str(pipeline))
    assert clean.returncode == 0, clean.stderr
    return pipeline, output_digests(folder / "clean")


@pytest.mark.slow
@pytest.mark.parametrize("free_kib", [0, 4, 96])
def test_disk_full_is_one_line_and_the_rerun_after_freeing_space_matches(
    free_kib: int, clean_run: tuple[Path, dict[str, str]], small_disk: Path
) -> None:
    pipeline, clean_digests = clean_run
    ballast = _fill(small_disk, free_kib * 1024)
    out = small_disk / "out"
    full = corpus_build("run", str(pipeline), "--output", str(out))
    # 0 KiB: the lock cannot be described; 4 KiB: the run identity cannot be written; 96 KiB: a task's
    # shards, logs or stats cannot
    assert_one_line_error(full, 1, "No space left on device")
    identity = out / RUN_IDENTITY
    assert not identity.exists() or json.loads(identity.read_text())["config_sha256"]
    assert not (out / "manifest.json").exists()

    ballast.unlink()  # space freed: the same command finishes, with the bytes of a run that never failed
    rerun = corpus_build("run", str(pipeline), "--output", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert not list(out.rglob("*.inprogress"))
    assert output_digests(out) == clean_digests
