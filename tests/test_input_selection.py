"""`--input NAME=GLOB` per source, and sources whose files are absent: an error at `validate` and at
run, or skipped when the YAML marks them `optional: true`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus_builder.cli import app
from corpus_builder.config.loader import load_config
from corpus_builder.sources.selection import InputSelectionError
from corpus_builder.sources.tasks import build_tasks

PIPELINE = """\
name: multi
sources:
  - {name: cc, kind: commoncrawl, paths: ["cc/*.warc.gz"]}
  - {name: wiki, kind: wikipedia, paths: ["wiki/ja-*.xml"], lang: ja}
  - {name: wiki, kind: wikipedia, paths: ["wiki/en-*.xml"], lang: en}
  - {name: kaken, kind: kaken, paths: ["kaken/*.xml"]%s}
stages:
  - step: decode
  - step: extract
  - step: langid
output: {dir: out}
"""


def make(tmp_path: Path, *files: str, kaken_optional: bool = False) -> Path:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    path = tmp_path / "p.yaml"
    path.write_text(PIPELINE % (", optional: true" if kaken_optional else ""), encoding="utf-8")
    return path


ALL = ("cc/a.warc.gz", "wiki/ja-1.xml", "wiki/en-1.xml", "kaken/k.xml")


def sources_of(tasks: list) -> list[tuple[str, str]]:
    return [(t.source, Path(t.path).name) for t in tasks]


def test_named_inputs_replace_only_their_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = make(tmp_path, *ALL, "elsewhere/b.warc.gz", "elsewhere/c.warc.gz", "elsewhere/en-9.xml")
    monkeypatch.chdir(tmp_path / "elsewhere")  # command-line globs are relative to the working dir
    config = load_config(pipeline)
    tasks = build_tasks(config, str(tmp_path), ["cc=*.warc.gz", "wiki/en=en-9.xml"])
    assert sources_of(tasks) == [
        ("cc", "b.warc.gz"),
        ("cc", "c.warc.gz"),
        ("wiki", "ja-1.xml"),
        ("wiki", "en-9.xml"),
        ("kaken", "k.xml"),
    ]
    assert tasks[3].config.lang == "en"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (["nope=x.warc.gz"], "no source named 'nope'"),
        (["wiki=x.xml"], "2 sources are named 'wiki'; write NAME/LANG"),
        (["cc/a.warc.gz"], "names no source, and the pipeline has 4"),
        (["cc="], "no file or glob after '='"),
        (["wiki/zh=x.xml"], "names no source"),  # not a NAME/LANG of this pipeline: a plain path
    ],
)
def test_bad_input_selectors(tmp_path: Path, inputs: list[str], message: str) -> None:
    config = load_config(make(tmp_path, *ALL))
    with pytest.raises(InputSelectionError, match=message):
        build_tasks(config, str(tmp_path), inputs)


def test_plain_input_still_works_for_one_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = tmp_path / "one.yaml"
    pipeline.write_text(
        PIPELINE.split("  - {name: wiki")[0] + "stages:" + PIPELINE.split("stages:")[1], encoding="utf-8"
    )
    (tmp_path / "w").mkdir()
    for name in ("x.warc.gz", "y=1.warc.gz"):
        (tmp_path / "w" / name).write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    config = load_config(pipeline)
    assert sources_of(build_tasks(config, str(tmp_path), ["w/x.warc.gz", "w/y=1.warc.gz"])) == [
        ("cc", "x.warc.gz"),
        ("cc", "y=1.warc.gz"),
    ]
    assert sources_of(build_tasks(config, str(tmp_path), ["cc=w/x.warc.gz"])) == [("cc", "x.warc.gz")]
    with pytest.raises(InputSelectionError, match="no source named 'y'"):
        build_tasks(config, str(tmp_path), ["y=1.warc.gz"])


def test_absent_sources_are_all_named_at_run(tmp_path: Path) -> None:
    config = load_config(make(tmp_path, "cc/a.warc.gz", "wiki/ja-1.xml"))
    with pytest.raises(InputSelectionError) as info:
        build_tasks(config, str(tmp_path))
    lines = str(info.value).splitlines()
    assert lines[0].startswith("source wiki/en: input pattern matched no files: 'wiki/en-*.xml'")
    assert lines[1].startswith("source kaken/ja: input pattern matched no files: 'kaken/*.xml'")
    assert "optional: true" in lines[2]


def test_optional_source_is_skipped_and_said(tmp_path: Path) -> None:
    pipeline = make(tmp_path, "cc/a.warc.gz", "wiki/ja-1.xml", "wiki/en-1.xml", kaken_optional=True)
    config = load_config(pipeline)
    assert [t.source for t in build_tasks(config, str(tmp_path))] == ["cc", "wiki", "wiki"]
    # files named with --input for an optional source must exist: the user asked for them
    with pytest.raises(InputSelectionError, match="source kaken/ja: input pattern matched no files"):
        build_tasks(config, str(tmp_path), [f"kaken={tmp_path}/none/*.xml"])
    result = CliRunner().invoke(app, ["validate", str(pipeline)])
    assert result.exit_code == 0, result.output
    assert "sources[3] (kaken/ja): input pattern matched no files" in result.output
    assert "optional: a run skips it" in result.output


def test_validate_names_every_absent_required_source(tmp_path: Path) -> None:
    pipeline = make(tmp_path, "wiki/ja-1.xml")
    result = CliRunner().invoke(app, ["validate", str(pipeline)])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    named = [e.split(": ")[2] for e in errors]
    assert named == ["sources[0] (cc)", "sources[2] (wiki/en)", "sources[3] (kaken/ja)"]
    assert all(str(pipeline) in e and "matched no files" in e for e in errors)
    assert CliRunner().invoke(app, ["validate", "--skip-inputs", str(pipeline)]).exit_code == 0


def test_every_source_optional_and_absent_is_an_error(tmp_path: Path) -> None:
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        textwrap.dedent(
            """\
            name: t
            sources: [{name: kaken, kind: kaken, paths: ["none/*.xml"], optional: true}]
            stages: [{step: langid}]
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputSelectionError, match="no source has input files"):
        build_tasks(load_config(pipeline), str(tmp_path))


def test_run_says_which_optional_source_it_skipped(sample_inputs: Path, tmp_path: Path) -> None:
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        textwrap.dedent(
            f"""\
            name: t
            sources:
              - {{name: cc, kind: commoncrawl, paths: ["{sample_inputs}/sample-00000.warc.gz"]}}
              - {{name: kaken, kind: kaken, paths: ["kaken/*.xml"], optional: true}}
            stages: [{{step: decode}}, {{step: extract}}, {{step: langid}}]
            output: {{dir: {tmp_path / "out"}}}
            """
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["run", str(pipeline), "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "note: optional source sources[1] (kaken) skipped: its input files are absent" in result.output
    assert "done: 1 task(s)" in result.output
