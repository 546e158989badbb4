"""Bad pipeline files fail before any work starts: one line naming file and key, exit code 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus_builder.cli import app
from corpus_builder.config.loader import ConfigError, load_config

GOOD = """\
name: t
sources:
  - name: cc
    kind: commoncrawl
    paths: ["in/*.warc.gz"]
stages:
  - step: decode
  - step: extract
  - step: langid
    keep: {ja: 0.5}
  - step: quality
    preset: swallow
output:
  dir: {out}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(text).replace("{out}", str(tmp_path / "out")), encoding="utf-8")
    return path


def test_good_file_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert [s.step for s in config.stages] == ["decode", "extract", "langid", "quality"]
    assert config.stages[2].keep == {"ja": 0.5}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("  - step: extract\n", "  - step: extract\n    engnie: resiliparse\n"),
            "stages[1].engnie: unknown key",
        ),
        (("name: t\n", "name: t\nworkers: 3\n"), "workers: unknown key"),
        (
            ("keep: {ja: 0.5}", "keep: {ja: 1.5}"),
            "stages[2].keep.ja: Input should be less than or equal to 1",
        ),
        (("keep: {ja: 0.5}", "keep: {ja: high}"), "stages[2].keep.ja: Input should be a valid number"),
        (("  - step: decode\n", "  - step: decodes\n"), "stages[0]: unknown step 'decodes'"),
        (("    kind: commoncrawl\n", ""), "sources[0]: missing `kind`"),
        (("name: t\n", "name: t\nseed: many\n"), "seed: Input should be a valid integer"),
        (("  - step: extract\n", ""), "WARC sources (cc) need `decode` and `extract` stages"),
        (("  - step: decode\n", "  - step: predetect\n"), "`extract` needs a `decode` stage before it"),
        (
            ("output:\n", "dedup: {source_priority: [wikipedia, wikipedai]}\noutput:\n"),
            "['wikipedai'] name neither a source of this pipeline nor a source kind",
        ),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    path = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message
    assert "\n" not in message


PRESET_EDITS = [
    (
        ("    preset: swallow\n", "    preset: swallow\n    thresholds: {max_katakana_fraction: 7}\n"),
        "max_katakana_fraction",
    ),
    (("    preset: swallow\n", "    preset: swallow\n    thresholds: {no_such_rule: 1}\n"), "no_such_rule"),
    (("    preset: swallow\n", "    preset: nope\n"), "nope"),
]


@pytest.mark.parametrize(("edit", "expected"), PRESET_EDITS)
def test_bad_presets_fail_when_steps_are_built(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    """Validation reads YAML only; the preset is loaded when the stage's step is built, which `run`
    does in the driver before any task and `validate` does too: same file, stage and reason."""
    from corpus_builder.contracts.errors import EXIT_BAD_INPUT
    from corpus_builder.run import run_pipeline
    from corpus_builder.stages.registry import StageBuildError

    path = write(tmp_path, GOOD.replace(*edit))
    load_config(path)  # the YAML itself is fine
    with pytest.raises(StageBuildError) as info:
        run_pipeline(path)
    message = str(info.value)
    assert message.startswith(f"{path}: stages[3] (quality): ") and expected in message, message
    assert info.value.exit_code == EXIT_BAD_INPUT and not (tmp_path / "out").exists()
    result = CliRunner().invoke(app, ["validate", str(path), "--skip-inputs"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert f"{path}: stages[3] (quality): " in result.output and expected in result.output


def test_stage_order_is_enforced(tmp_path: Path) -> None:
    text = GOOD.replace("  - step: decode\n  - step: extract\n", "  - step: extract\n  - step: decode\n")
    with pytest.raises(ConfigError, match="stages must follow the order"):
        load_config(write(tmp_path, text))


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("keep: {ja: 0.5}", "keep: {ja: 0.5"))
    with pytest.raises(ConfigError, match=r"p\.yaml:\d+:\d+: invalid YAML"):
        load_config(path)


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = write(tmp_path, "!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(path)


@pytest.mark.parametrize("verb", ["run", "validate"])
def test_cli_exits_2_and_writes_nothing(tmp_path: Path, verb: str) -> None:
    path = write(tmp_path, GOOD.replace("keep: {ja: 0.5}", "keep: {ja: 2}"))
    result = CliRunner().invoke(app, [verb, str(path)])
    assert result.exit_code == 2
    assert "stages[2].keep.ja" in result.output
    assert str(path) in result.output
    assert not (tmp_path / "out").exists()


def test_validate_lists_every_problem(tmp_path: Path) -> None:
    text = GOOD.replace("keep: {ja: 0.5}", "keep: {ja: 2}").replace("name: t\n", "name: t\nbogus: 1\n")
    result = CliRunner().invoke(app, ["validate", str(write(tmp_path, text))])
    assert result.exit_code == 2
    assert "bogus: unknown key" in result.output
    assert "stages[2].keep.ja" in result.output


def test_shipped_pipelines_validate(repo: Path) -> None:
    for path in sorted((repo / "pipelines").glob("*.yaml")):
        result = CliRunner().invoke(app, ["validate", "--skip-inputs", str(path)])
        assert result.exit_code == 0, (path, result.output)
        # without --skip-inputs, the only complaints are about data files the checkout does not hold
        result = CliRunner().invoke(app, ["validate", str(path)])
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert all("matched no files" in line for line in errors), (path, result.output)
        assert result.exit_code == (2 if errors else 0)
