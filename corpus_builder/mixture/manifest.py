"""`mixture/manifest.json`: what the shards hold, computed from the shards themselves.

No timestamps and no absolute paths, keys sorted: the same config, tokenized input and code give a
byte-identical manifest. Shard paths are relative to the mixture folder.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
import pyarrow.parquet as pq
from datatrove.io import DataFolder

from corpus_builder import __version__
from corpus_builder.config.mixture import MixtureConfig
from corpus_builder.contracts import outputs
from corpus_builder.writers.atomic import sha256_and_size

MANIFEST_VERSION = "1"


def build_mixture_manifest(
    config: MixtureConfig, folder: DataFolder, plan: dict[str, Any], layout: list[dict]
) -> dict[str, Any]:
    """The manifest of the shards that the shuffle phase wrote under `mixture/` as `layout` says."""
    seen: dict[str, dict[str, int]] = defaultdict(lambda: {"documents": 0, "tokens": 0})
    shards = [
        _describe_shard(folder, f"{outputs.MIXTURE_SHARDS}/{n:06d}.parquet", seen)
        for entry in layout
        for n in range(entry["first_shard"], entry["first_shard"] + entry["shards"])
    ]
    subsets = {name: _subset_entry(name, info, seen[name]) for name, info in plan["subsets"].items()}
    return {
        "manifest_version": MANIFEST_VERSION,
        "code_version": __version__,
        "config": config.model_dump(mode="json"),
        "seed": plan["seed"],
        "partitions": plan["partitions"],
        "tokenizer": _tokenizer_info(folder),
        "inputs": plan["inputs"],
        "shards": shards,
        "subsets": subsets,
        "totals": {
            "by_lang": _totals(subsets, 1),
            "by_source": _totals(subsets, 0),
            "unique_tokens": sum(s["unique_tokens"] for s in subsets.values()),
            "seen_tokens": sum(s["seen_tokens"] for s in subsets.values()),
            "seen_documents": sum(s["seen_documents"] for s in subsets.values()),
            "shards": len(shards),
        },
    }


def _describe_shard(folder: DataFolder, path: str, seen: dict[str, dict[str, int]]) -> dict[str, Any]:
    """One shard's checksum, size and tokens per subset; adds its documents and tokens to `seen`."""
    sha, size = sha256_and_size(folder, path)
    with folder.open(path, "rb") as f:
        table = pq.read_table(f, columns=["source", "lang", "token_count"])
    per_subset: dict[str, int] = defaultdict(int)
    grouped = table.group_by(["source", "lang"]).aggregate([("token_count", "sum"), ("token_count", "count")])
    for row in grouped.to_pylist():
        name = f"{row['source']}/{row['lang']}"
        per_subset[name] += row["token_count_sum"]
        seen[name]["documents"] += row["token_count_count"]
        seen[name]["tokens"] += row["token_count_sum"]
    return {
        "path": path.split("/", 1)[1],
        "sha256": sha,
        "bytes": size,
        "documents": table.num_rows,
        "tokens": int(sum(per_subset.values())),
        "tokens_per_subset": dict(sorted(per_subset.items())),
    }


def _subset_entry(name: str, info: dict[str, Any], seen: dict[str, int]) -> dict[str, Any]:
    """The plan's figures for one subset beside what the shards hold; they must agree."""
    if seen["tokens"] != info["seen_tokens"]:
        raise RuntimeError(
            f"{name}: shards hold {seen['tokens']} tokens, the plan says {info['seen_tokens']}"
        )
    return {
        "unique_documents": info["unique_documents"],
        "unique_tokens": info["unique_tokens"],
        "full_copies": info["full_copies"],
        "fraction_tokens_wanted": info["fraction_tokens_wanted"],
        "sampled_tokens": info["sampled_tokens"],
        "seen_documents": seen["documents"],
        "seen_tokens": seen["tokens"],
        "epochs": round(seen["tokens"] / info["unique_tokens"], 6) if info["unique_tokens"] else 0.0,
    }


def _totals(subsets: dict[str, dict[str, Any]], key: int) -> dict[str, dict[str, int]]:
    """Subset figures summed by source (key 0 of `source/lang`) or by language (key 1)."""
    out: dict[str, dict[str, int]] = {}
    for name, subset in subsets.items():
        group = name.rsplit("/", 1)[key]
        total = out.setdefault(
            group, {"unique_tokens": 0, "seen_tokens": 0, "unique_documents": 0, "seen_documents": 0}
        )
        for field in total:
            total[field] += subset[field]
    return out


def _tokenizer_info(folder: DataFolder) -> dict[str, Any] | None:
    if not folder.exists(outputs.TOKENIZER_INFO):
        return None
    with folder.open(outputs.TOKENIZER_INFO, "rb") as f:
        return orjson.loads(f.read())
