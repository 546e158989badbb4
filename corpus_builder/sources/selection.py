"""Which files each source reads before any work starts: `--input` assigned to sources, and sources
whose local files are absent (an error, or skipped when the YAML marks the source `optional: true`).

`--input NAME=GLOB` names a source (or `NAME/LANG` when several sources share a name, e.g. one
`wiki` per language); a plain `--input GLOB` is for one-source pipelines. Globs given on the
command line are relative to the working directory, as a shell's would be.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from corpus_builder.config.pipeline import PipelineConfig
from corpus_builder.config.sources import SourceConfig
from corpus_builder.contracts.errors import BadInputError
from corpus_builder.sources.remote import expand_inputs

_SELECTOR = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$")


class InputSelectionError(BadInputError):
    """Inputs that cannot be used; the message names the source and the reason."""


def _selector(source: SourceConfig) -> str:
    lang = getattr(source, "lang", None)
    return f"{source.name}/{lang}" if lang else source.name


def _known(config: PipelineConfig) -> str:
    return ", ".join(dict.fromkeys(_selector(s) for s in config.sources))


def _matching(config: PipelineConfig, selector: str) -> list[int]:
    if "/" in selector:
        return [i for i, s in enumerate(config.sources) if _selector(s) == selector]
    return [i for i, s in enumerate(config.sources) if s.name == selector]


def inputs_by_source(config: PipelineConfig, inputs: Sequence[str] | None) -> dict[int, list[str]]:
    """`--input` values → {index of the source in `config.sources`: its patterns, in the order given}."""
    chosen: dict[int, list[str]] = {}
    for value in inputs or ():
        selector, sep, pattern = value.partition("=")
        named = bool(sep) and bool(_SELECTOR.match(selector))
        # `dir/file=1.warc.gz` is a path with an `=` in it unless `dir/file` is a NAME/LANG of the pipeline
        if named and "/" in selector and not _matching(config, selector):
            named = False
        if not named:
            if len(config.sources) > 1:
                raise InputSelectionError(
                    f"--input {value!r} names no source, and the pipeline has {len(config.sources)}: "
                    f"give --input NAME=GLOB with NAME one of {_known(config)}"
                )
            chosen.setdefault(0, []).append(value)
            continue
        if not pattern:
            raise InputSelectionError(f"--input {value!r}: no file or glob after '='")
        indices = _matching(config, selector)
        if not indices:
            raise InputSelectionError(
                f"--input {value!r}: no source named {selector!r} in the pipeline; its sources are "
                f"{_known(config)} (a file name with '=' in it can be written ./{value})"
            )
        if len(indices) > 1:
            raise InputSelectionError(
                f"--input {value!r}: {len(indices)} sources are named {selector!r}; "
                f"write NAME/LANG, one of {_known(config)}"
            )
        chosen.setdefault(indices[0], []).append(pattern)
    return chosen


def _local_pattern(pattern: str) -> bool:
    return "://" not in pattern or pattern.startswith("file://")


def absent_inputs(source: SourceConfig, base_dir: str, override: list[str] | None) -> str | None:
    """Why a source has no input files, or None when it has some or they are remote (a path list or
    URL is only known when it is read; reading it is the run's business, not validation's)."""
    try:
        if override:
            patterns = [p for p in override if _local_pattern(p)]
            expand_inputs(patterns, base_dir=None)
        elif source.paths:
            expand_inputs([p for p in source.paths if _local_pattern(p)], base_dir=base_dir)
        else:
            path_list = getattr(source, "path_list", None)
            if path_list and _local_pattern(path_list):
                resolved = Path(base_dir) / path_list.removeprefix("file://")
                if not resolved.is_file():
                    where = os.path.normpath(resolved)
                    return f"cannot read the path list {path_list}: no such file (resolved to {where!r})"
    except FileNotFoundError as exc:
        return str(exc).strip("'\"")
    return None


def absent_sources(
    config: PipelineConfig, base_dir: str, overrides: dict[int, list[str]]
) -> dict[int, str]:
    """{source index: reason} for every source without input files."""
    reasons = {i: absent_inputs(s, base_dir, overrides.get(i)) for i, s in enumerate(config.sources)}
    return {i: why for i, why in reasons.items() if why is not None}


def check_sources(config: PipelineConfig, base_dir: str, overrides: dict[int, list[str]]) -> list[int]:
    """Indices of the sources a run skips (optional, files absent, no --input for them); raises
    InputSelectionError naming every required source whose files are absent."""
    absent = absent_sources(config, base_dir, overrides)
    required = [i for i in absent if not config.sources[i].optional or i in overrides]
    if required:
        lines = [f"source {_selector(config.sources[i])}: {absent[i]}" for i in required]
        hint = (
            "name the files with --input NAME=GLOB, or mark a source `optional: true` to run without it"
            if len(config.sources) > 1
            else "name the files with --input"
        )
        raise InputSelectionError("\n".join([*lines, hint]))
    if len(absent) == len(config.sources):
        raise InputSelectionError(
            "no source has input files (every one is optional and absent): "
            + "; ".join(f"source {_selector(config.sources[i])}: {why}" for i, why in absent.items())
        )
    return sorted(absent)


def describe_absent(config: PipelineConfig, base_dir: str) -> tuple[list[str], list[str]]:
    """For `validate`: (errors for required sources without files, notes for optional ones)."""
    errors, notes = [], []
    for i, why in absent_sources(config, base_dir, {}).items():
        source = config.sources[i]
        line = f"sources[{i}] ({_selector(source)}): {why}"
        if source.optional:
            notes.append(f"{line} — optional: a run skips it")
        else:
            errors.append(line)
    return errors, notes
