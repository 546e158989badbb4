"""Turn the `sources:` of a pipeline into the ordered list of input files, one task each.

One task per input file keeps outputs independent of the worker count: task N always reads the same
file and writes the same shards, however many processes run the tasks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from corpus_builder.config.paths import project_root
from corpus_builder.config.pipeline import PipelineConfig
from corpus_builder.config.sources import CommonCrawlSource, SourceConfig
from corpus_builder.contracts.yaml_file import YamlFileError, load_yaml_file
from corpus_builder.sources.remote import expand_inputs, read_path_list
from corpus_builder.sources.selection import InputSelectionError, check_sources, inputs_by_source


@dataclass(frozen=True, slots=True)
class InputTask:
    rank: int
    config: SourceConfig  # the `sources:` entry this file belongs to (its kind selects the reader)
    source: str
    path: str  # what the reader opens: a URL or an absolute path
    label: str  # what provenance records: the URL, or the path relative to config.paths.project_root()
    snapshot: str | None
    limit: int | None


def provenance_label(path: str, base: str) -> str:
    """A URL as is; a local file relative to `base` (config.paths.project_root) when it lies below it,
    else its absolute path."""
    if "://" in path:
        return path
    relative = os.path.relpath(path, base)
    return path if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative


def _snapshot_entry(source: CommonCrawlSource, base_dir: str) -> dict:
    manifest_path = Path(base_dir) / source.manifest
    try:
        manifest = load_yaml_file(manifest_path) or {}
    except YamlFileError as exc:
        raise InputSelectionError(f"source {source.name}: cannot read manifest: {exc}") from None
    entry = (manifest.get("snapshots") or {}).get(source.snapshot)
    if not entry:
        raise InputSelectionError(
            f"source {source.name}: snapshot {source.snapshot} is not in {manifest_path}"
        )
    return entry


def source_paths(source: SourceConfig, base_dir: str, override: list[str] | None = None) -> list[str]:
    if override:
        paths = expand_inputs(override, base_dir=None)
    elif source.paths:
        paths = expand_inputs(source.paths, base_dir=base_dir)
    else:  # a commoncrawl source without paths: its snapshot's path list
        path_list, base_url = source.path_list, source.base_url
        if path_list is None:
            entry = _snapshot_entry(source, base_dir)
            path_list, base_url = entry["path_list"], base_url or entry.get("base_url")
        elif "://" not in path_list:
            path_list = str(Path(base_dir) / path_list)
        try:
            paths = read_path_list(path_list, base_url=base_url)
        except OSError as exc:  # RemoteInputError, 403/404 from the server, a missing local list
            raise InputSelectionError(
                f"source {source.name}: cannot read the path list {path_list}: {exc}; "
                "to run on WARC files you have, name them with --input (globs work)"
            ) from None
    if source.max_files and not override:
        # a cap on the snapshot's/YAML's list; files named with --input are all used
        paths = paths[: source.max_files]
    if not paths:
        raise InputSelectionError(f"source {source.name}: no input files")
    return paths


def build_tasks(config: PipelineConfig, base_dir: str, inputs: list[str] | None = None) -> list[InputTask]:
    """`inputs`: the `--input` values (NAME=GLOB or, for one source, GLOB); see sources/selection.py."""
    overrides = inputs_by_source(config, inputs)
    skipped = check_sources(config, base_dir, overrides)
    tasks: list[InputTask] = []
    base = project_root(base_dir)
    for index, source in enumerate(config.sources):
        if index in skipped:
            continue
        for path in source_paths(source, base_dir, overrides.get(index)):
            absolute = path if "://" in path else os.path.abspath(path)
            snapshot = getattr(source, "snapshot", None)
            label = provenance_label(absolute, base)
            tasks.append(InputTask(len(tasks), source, source.name, absolute, label, snapshot, source.limit))
    return tasks
