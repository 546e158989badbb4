"""Run-level guards below the CLI: the YAML reader (alias bombs, duplicate keys) and local input
enumeration (symlink loops, devices and FIFOs). The CLI's exit codes for the same cases are in
tests/test_bad_input.py (RUN_CASES)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from corpus_builder.config.loader import ConfigError, all_errors, load_config
from corpus_builder.contracts.yaml_file import MAX_EXPANDED_NODES, YamlFileError, load_yaml_text
from corpus_builder.sources.local_inputs import InputFileError
from corpus_builder.sources.remote import expand_inputs


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ",".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast_with_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    # the value lands on a key the schema checks (the old loader hung rendering it for the message)
    bomb.write_text(billion_laughs() + "name: *l8\n")
    started = time.process_time()
    problems = all_errors(bomb)
    # CPU time, not wall time: the load must do linear work in the file size; the unbounded version
    # never returns, so any finite bound shows the difference under a loaded machine too.
    assert time.process_time() - started < 5
    assert len(problems) == 1 and "\n" not in problems[0]
    assert problems[0].startswith(f"{bomb}: aliases expand to more than {MAX_EXPANDED_NODES:,} nodes")
    with pytest.raises(ConfigError, match="alias bomb"):
        load_config(bomb)


def test_aliases_and_merge_keys_within_the_bound_still_load() -> None:
    text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\nsmall: [*b, *b]\n" + billion_laughs(4)
    data = load_yaml_text(text, "f.yaml")
    assert data["other"] == {"x": 3, "y": 2} and data["small"] == [{"x": 1, "y": 2}] * 2
    assert len(data["l3"]) == 9 and data["l3"][0][0][0] == ["lol"] * 9


def test_self_referencing_anchor_is_refused() -> None:
    with pytest.raises(YamlFileError, match=r"^f\.yaml:2: an anchor refers to itself"):
        load_yaml_text("ok: 1\na: &a [1, *a]\n", "f.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nseed: 1\nother: 2\nseed: 3\n", "f.yaml:4: duplicate key 'seed' (first at f.yaml:2)"),
        ("a:\n  b: 1\n  c: 2\n  b: 3\n", "f.yaml:4: duplicate key 'b' (first at f.yaml:2)"),
        ("- {k: 1, k: 2}\n", "f.yaml:1: duplicate key 'k' (first at f.yaml:1)"),
    ],
)
def test_duplicate_keys_name_both_lines(text: str, message: str) -> None:
    with pytest.raises(YamlFileError) as caught:
        load_yaml_text(text, "f.yaml")
    assert str(caught.value) == message


# ----------------------------------------------------------------------------------------------- inputs


def _tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.warc.gz").write_bytes(b"a")
    (root / "sub" / "b.warc.gz").write_bytes(b"b")
    return root


def test_two_symlink_loops_terminate_and_each_file_comes_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = _tree(tmp_path / "in")
    (root / "loop").symlink_to(".")
    (root / "sub" / "up").symlink_to("..")
    (root / "alias").symlink_to("sub")  # sorts before `sub`: the file is still named by its real path
    with caplog.at_level(logging.WARNING):
        got = expand_inputs([f"{root}/**/*.warc.gz", f"{root}/*/*.warc.gz", f"{root}/a.warc.gz"])
    assert got == [str(root / "a.warc.gz"), str(root / "sub" / "b.warc.gz")]
    loops = sorted(r.getMessage() for r in caplog.records if "symlink loop" in r.getMessage())
    assert loops == [
        f"warning: symlink loop at {root / 'loop'} (a link to a folder above it); not followed",
        f"warning: symlink loop at {root / 'sub' / 'up'} (a link to a folder above it); not followed",
    ]


def test_links_to_folders_outside_are_followed(tmp_path: Path) -> None:
    elsewhere = _tree(tmp_path / "elsewhere")
    root = tmp_path / "in"
    root.mkdir()
    (root / "data").symlink_to(elsewhere)
    got = expand_inputs([f"{root}/**/*.warc.gz"])
    assert got == [str(root / "data" / "a.warc.gz"), str(root / "data" / "sub" / "b.warc.gz")]


def test_the_same_file_by_two_names_is_one_input(tmp_path: Path) -> None:
    root = _tree(tmp_path / "in")
    os.link(root / "a.warc.gz", root / "hard.warc.gz")
    (root / "soft.warc.gz").symlink_to("a.warc.gz")
    assert expand_inputs([f"{root}/*.warc.gz"]) == [str(root / "a.warc.gz")]


@pytest.mark.parametrize("kind", ["character device", "FIFO", "directory", "glob FIFO"])
def test_non_regular_inputs_are_refused(kind: str, tmp_path: Path) -> None:
    if kind == "character device":
        pattern, message = "/dev/zero", "'/dev/zero' is a character device, not a regular file"
    elif kind == "directory":
        pattern, message = str(tmp_path), "is a directory, not a WARC file"
    else:
        os.mkfifo(tmp_path / "pipe.warc.gz")
        pattern = str(tmp_path / ("*.warc.gz" if kind == "glob FIFO" else "pipe.warc.gz"))
        message = f"'{tmp_path / 'pipe.warc.gz'}' is a FIFO (named pipe), not a regular file"
    with pytest.raises(InputFileError) as caught:
        expand_inputs([pattern])
    assert message in str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)  # so the CLI exits 2 as for other input errors


def test_presets_are_read_by_the_same_bounded_loader(tmp_path: Path) -> None:
    from corpus_builder.quality.presets import load_preset

    duplicate = tmp_path / "dup.yaml"
    duplicate.write_text("name: x\nsignals: []\nrules: []\nname: y\n")
    with pytest.raises(ValueError, match=r"dup\.yaml:4: duplicate key 'name' \(first at .*dup\.yaml:1\)"):
        load_preset(duplicate)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    with pytest.raises(ValueError, match="alias bomb"):
        load_preset(bomb)


@pytest.mark.slow
def test_a_run_over_a_folder_with_two_symlink_loops_has_one_task_per_file(
    sample_inputs: Path, tmp_path: Path
) -> None:
    from tests.pipeline_helpers import corpus_build, write_pipeline

    folder = tmp_path / "in"
    folder.mkdir()
    for warc in sorted(sample_inputs.glob("*.warc.gz")):
        (folder / warc.name).write_bytes(warc.read_bytes())
    (folder / "loop").symlink_to(".")
    (folder / "loop2").symlink_to(".")
    pipeline = write_pipeline(tmp_path / "p.yaml", folder, tmp_path / "out", documents_only=True)
    result = corpus_build("run", str(pipeline), "--input", f"{folder}/**/*.warc.gz", timeout=300)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "done: 3 task(s)" in result.stdout
    for link in ("loop", "loop2"):
        assert f"warning: symlink loop at {folder / link} (a link to a folder above it)" in result.stderr
