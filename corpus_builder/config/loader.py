"""Load and validate a pipeline YAML file, turning every failure into one readable line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from corpus_builder.config.models import STAGE_RANK, PipelineConfig


class ConfigError(Exception):
    """A pipeline file that cannot be used; the message names the file, the key path and the reason."""


def _key_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in STAGE_RANK and parts and parts[-1].endswith("]"):
            # pydantic inserts the discriminator value into the location of tagged unions; the user
            # never wrote that key, so leave it out of the path they are shown.
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


QUOTE = "'"


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
        shown = repr(error["input"])
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


def load_config(path: str | Path) -> PipelineConfig:
    """Read `path` with yaml.safe_load and validate it; relative paths inside resolve against its folder."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{where}: invalid YAML: {problem}") from None
    return parse_config(data, source=str(path), base_dir=str(path.resolve().parent))


def all_errors(path: str | Path) -> list[str]:
    """Every validation problem of a file, one line each (for `corpus-build validate`)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - load_config produces the single readable message for these
        try:
            load_config(path)
        except ConfigError as exc:
            return [str(exc)]
        return []
    if not isinstance(data, dict):
        return [f"{path}: the file must hold a mapping of keys, not {type(data).__name__}"]
    try:
        if _is_plan_file(data):
            from corpus_builder.mixture import MixturePlanFile

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
    from corpus_builder.mixture import MixturePlanFile

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        load_config(path)  # raises the one-line error
        raise
    if _is_plan_file(data):
        try:
            return PlanInputs(None, MixturePlanFile.model_validate(data).mixture, None)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(f"{path}: {_key_path(first['loc'])}: {_describe(first)}") from None
    config = load_config(path)
    return PlanInputs(config.dedup, config.mixture, config.output.dir)
