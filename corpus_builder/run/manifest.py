"""The run manifest: what is in the output, where it came from, and why documents are missing.

Everything in it is a function of config + inputs + code version: no timestamps, no host names,
no absolute output paths, so the same run gives a byte-identical manifest. Timings live in
`_logs/<phase>/stats.json` instead.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
import pyarrow.parquet as pq
from datatrove.io import DataFolder

from corpus_builder import __version__
from corpus_builder.contracts import outputs
from corpus_builder.sources.tasks import InputTask
from corpus_builder.writers.atomic import IN_PROGRESS_SUFFIX, atomic_open, sha256_and_size
from corpus_builder.writers.schema import SCHEMA_VERSION


def _nested() -> defaultdict:
    return defaultdict(_nested)


def _plain(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {key: _plain(value) for key, value in sorted(tree.items())}
    return tree


def summarise_counts(task_counts: list[dict[str, Any]]) -> dict[str, Any]:
    kept, excluded, by_language, errors = _nested(), _nested(), _nested(), defaultdict(int)
    for summary in task_counts:
        for key, value in summary["counts"].items():
            kind, source, *rest = key.split("|")
            chars = summary["chars"].get(key, 0)
            if kind == "kept":
                entry = kept[source][rest[0]]
                entry["documents"] = entry.get("documents", 0) + value
                entry["chars"] = entry.get("chars", 0) + chars
            elif kind == "excluded":
                stage, reason = rest
                excluded[source][stage][reason] = excluded[source][stage].get(reason, 0) + value
            elif kind == "excluded_by_language":
                lang, stage, reason = rest
                entry = by_language[source][lang][stage][reason]
                entry["documents"] = entry.get("documents", 0) + value
                entry["chars"] = entry.get("chars", 0) + chars
            else:
                errors[source] += value
    totals = {"kept": _plain(kept), "excluded": _plain(excluded), "read_errors": dict(sorted(errors.items()))}
    if by_language:
        totals["excluded_by_language"] = _plain(by_language)
    by_set = _sum_by_set(task_counts)
    if by_set:
        totals["sets"] = by_set
    return totals


def _sum_by_set(task_counts: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per-set counters a phase's summaries carry under `sets` (decontamination), summed over tasks."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for summary in task_counts:
        for name, counters in (summary.get("sets") or {}).items():
            for key, value in counters.items():
                sums[name][key] += value
    return _plain({name: dict(counters) for name, counters in sums.items()})


def _phase_of(counts_path: str) -> str:
    """`counts/00003.json` belongs to the document phase; `counts/dedup-ja-00003.json` to dedup."""
    stem = counts_path.rsplit("/", 1)[-1].removesuffix(".json")
    return stem.split("-", 1)[0] if "-" in stem else outputs.DOCUMENTS_PHASE


def _output_files(folder: DataFolder) -> list[dict[str, Any]]:
    """Every file the run produced, except logs and the manifest itself, with its checksum."""
    files = []
    for path in sorted(folder.find("", withdirs=False)):
        relative = path.removeprefix(folder.path).lstrip("/") if path.startswith(folder.path) else path
        if (
            relative.startswith(outputs.LOGS + "/")
            or relative == outputs.MANIFEST
            or relative.endswith(IN_PROGRESS_SUFFIX)
        ):
            continue
        sha, size = sha256_and_size(folder, relative)
        entry: dict[str, Any] = {"path": relative, "bytes": size, "sha256": sha}
        if relative.endswith(".parquet"):
            with folder.open(relative, "rb") as f:
                entry["rows"] = pq.ParquetFile(f).metadata.num_rows
        files.append(entry)
    return files


def counts_by_phase(folder: DataFolder) -> dict[str, list[dict[str, Any]]]:
    """Every task's summary in counts/, grouped by the phase that wrote it (file order)."""
    by_phase: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(folder.list_files(outputs.COUNTS)):
        if path.endswith(".json"):
            with folder.open(path, "rb") as f:
                by_phase[_phase_of(path)].append(orjson.loads(f.read()))
    return by_phase


def build_manifest(
    folder: DataFolder,
    config: dict[str, Any],
    config_sha256: str,
    tasks: list[InputTask],
    fingerprints: dict[str, dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """`fingerprints` (output_claim.input_fingerprints) adds each local input's size and sampled
    sha256 to its `inputs` entry; the mtime is left out, as it is not a function of the bytes."""
    fingerprints = fingerprints or {}
    by_phase = counts_by_phase(folder)
    files = _output_files(folder)
    rows = {o["path"]: o.get("rows") for o in files}
    for summaries in by_phase.values():
        for summary in summaries:
            for path, count in summary["files"].items():
                if rows.get(path) != count:
                    raise RuntimeError(f"{path}: row count differs from what its task wrote")
    return {
        "corpus_builder_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "pipeline": config["name"],
        "seed": config["seed"],
        "config_sha256": config_sha256,
        "config": config,
        "inputs": [_input_entry(t, fingerprints.get(t.label)) for t in tasks],
        "totals": summarise_counts(by_phase.pop(outputs.DOCUMENTS_PHASE, [])),
        "phase_totals": {phase: summarise_counts(s) for phase, s in sorted(by_phase.items())},
        "outputs": files,
    }


def _input_entry(task: InputTask, fingerprint: dict[str, Any] | None) -> dict[str, Any]:
    entry = {"task": task.rank, "source": task.source, "path": task.label, "snapshot": task.snapshot}
    if fingerprint is not None:
        entry |= {"bytes": fingerprint["bytes"], "sha256_ends": fingerprint["sha256_ends"]}
    return entry


def write_manifest(folder: DataFolder, manifest: dict[str, Any]) -> None:
    data = orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    with atomic_open(folder, outputs.MANIFEST) as f:
        f.write(data)
