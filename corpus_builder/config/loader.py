"""Load and validate a pipeline YAML file, turning every failure into one readable line."""

from __future__ import annotations

import os
import reprlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corpus_builder.config.mixture import MixturePlanFile
from corpus_builder.config.paths import project_root
from corpus_builder.config.pipeline import PipelineConfig
from corpus_builder.config.stages import STAGES_IN_ORDER
from corpus_builder.contracts.errors import BadInputError
from corpus_builder.contracts.yaml_file import YamlFileError, load_yaml_file

_STAGE_NAMES = frozenset(model.stage_name() for model in STAGES_IN_ORDER)


class ConfigError(BadInputError):
    """A pipeline file that cannot be used; the message names the file, the key path and the reason."""


def _key_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in _STAGE_NAMES and parts and parts[-1].endswith("]"):
            # pydantic inserts the discriminator value into the location of tagged unions; the user
            # never wrote that key, so leave it out of the path they are shown.
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


QUOTE = "'"
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 61


def _describe(error: dict[str, Any]) -> str:
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "union_tag_not_found":
        message = f"missing `{error['ctx']['discriminator'].strip(QUOTE)}`"
    elif error["type"] == "union_tag_invalid":
        ctx = error["ctx"]
        key = ctx["discriminator"].strip(QUOTE)
        message = f"unknown {key} {ctx['tag']!r}; expected one of {ctx['expected_tags']}"
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if error["type"] not in ("extra_forbidden", "missing") and "input" in error:
        # reprlib: a large value is abbreviated while it is rendered, never rendered whole first
        shown = _SHORT_REPR.repr(error["input"])
        if len(shown) <= 60:
            message += f" (got {shown})"
    return message


def parse_config(data: Any, *, source: str, base_dir: str | None) -> PipelineConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the file must hold a mapping of keys, not {type(data).__name__}")
    try:
        return PipelineConfig.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{source}: {_key_path(first['loc'])}: {_describe(first)}{more}") from None


def read_yaml(path: str | Path) -> Any:
    """The one way a pipeline or plan file is read (see contracts/yaml_file.py for what it refuses)."""
    try:
        return load_yaml_file(path)
    except YamlFileError as exc:
        raise ConfigError(str(exc)) from None


def load_config(path: str | Path) -> PipelineConfig:
    """Read `path` with `read_yaml` and validate it; relative paths inside resolve against its folder."""
    path = Path(path)
    data = read_yaml(path)
    config = parse_config(data, source=str(path), base_dir=str(path.resolve().parent))
    return _output_below_project(config, str(path.resolve().parent))


def _output_below_project(config: PipelineConfig, pipeline_dir: str) -> PipelineConfig:
    """A relative `output.dir` names a folder below the project root (config/paths.py), not below the
    working directory, so the same command from anywhere writes to, and resumes, the same output."""
    out = config.output.dir
    if "://" in out or os.path.isabs(out):
        return config
    resolved = os.path.normpath(os.path.join(project_root(pipeline_dir), out))
    return config.model_copy(update={"output": config.output.model_copy(update={"dir": resolved})})


def all_errors(path: str | Path) -> list[str]:
    """Every validation problem of a file, one line each (for `corpus-build validate`)."""
    path = Path(path)
    try:
        data = read_yaml(path)
    except ConfigError as exc:
        return [str(exc)]
    if not isinstance(data, dict):
        return [f"{path}: the file must hold a mapping of keys, not {type(data).__name__}"]
    try:
        if _is_plan_file(data):
            from corpus_builder.config.mixture import MixturePlanFile

            MixturePlanFile.model_validate(data)
        else:
            PipelineConfig.model_validate(data, context={"base_dir": str(path.resolve().parent)})
    except ValidationError as exc:
        return [f"{path}: {_key_path(e['loc'])}: {_describe(e)}" for e in exc.errors()]
    return []


def _is_plan_file(data: Any) -> bool:
    return isinstance(data, dict) and "mixture" in data and "sources" not in data


@dataclass(frozen=True)
class PlanInputs:
    dedup: Any  # DedupConfig | None
    mixture: Any  # MixtureConfig | None
    output_dir: str | None


def load_plan(path: str | Path) -> PlanInputs:
    """What `plan` needs from a pipeline file, or from a plan-only file (`mixture:` alone)."""

    path = Path(path)
    data = read_yaml(path)
    if _is_plan_file(data):
        try:
            return PlanInputs(None, MixturePlanFile.model_validate(data).mixture, None)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(f"{path}: {_key_path(first['loc'])}: {_describe(first)}") from None
    config = load_config(path)
    return PlanInputs(config.dedup, config.mixture, config.output.dir)
