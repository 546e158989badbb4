"""The mixture phases: tokenized documents → shuffled, upsampled shards + manifest.

Three phases, each one task per file (or partition), all writing atomically:

1. `mixture.scan` (one task per tokenized file): documents and tokens per subset; for subsets that
   need a fractional sample, a histogram of token mass over 4,096 buckets of a seeded selection
   hash and a (subset, hash, tokens) side file sorted by hash. `finish()` computes the plan: per
   subset the full copies and, for the fraction, a hash threshold `select_below` chosen so the
   sampled documents' tokens are the closest possible to the wanted tokens (within half the crossing
   document). Only the one bucket that holds the threshold is read back, so the driver never holds
   more than ~1/4096 of a subset's document list. Writes `mixture/plan.json`.
2. `mixture.partition` (one task per tokenized file): each document becomes `copies` rows; copy j
   goes to a partition drawn from a seeded hash of (seed, subset, id, j) among the partitions at
   least two away from the partitions of its earlier copies, so two copies of a document are never
   in one partition, never in one shard and never adjacent in the shard order. Each row gets a
   64-bit sort key from the same hash family. Writes `_partitions/<p>/<task>.parquet`.
3. `mixture.shuffle` (one task per partition): sorts its partition by (key, source, lang, id, copy)
   and cuts it into ⌈tokens/shard_tokens⌉ shards at equal token intervals; shard numbers are global
   (partitions in order). Writes `shards/<n>.parquet`. `finish()` writes `manifest.json`.

Memory: phase 2 holds one tokenized file, phase 3 one partition (`partition_tokens`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash
from datatrove.pipeline.base import PipelineStep

from corpus_builder.config.mixture import MixtureConfig
from corpus_builder.contracts import outputs
from corpus_builder.mixture.manifest import build_mixture_manifest
from corpus_builder.mixture.plan import SubsetPlan, needs_sampling, plan_subset
from corpus_builder.phases.base import Phase, RunContext
from corpus_builder.writers.atomic import atomic_open, write_parquet_atomic

BUCKET_BITS = 12
_SALT_SELECT = 0x5E1EC7
_SALT_PARTITION = 0x9A27 << 20
_SALT_SORT = 0x50F7 << 40
_ALL = 1 << 64
_JSON = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


# ------------------------------------------------------------------------------------------ hashing
def doc_hashes(subsets: list[str], ids: list[str], seed: int) -> np.ndarray:
    """xxh3-64 of `<subset>\\0<id>` with the mixture seed: the root of every per-document decision."""
    return np.fromiter(
        (
            xxhash.xxh3_64_intdigest(f"{s}\0{i}".encode(), seed=seed)
            for s, i in zip(subsets, ids, strict=True)
        ),
        dtype=np.uint64,
        count=len(ids),
    )


def mix(h: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 finaliser of h ^ salt: an independent 64-bit hash per salt."""
    with np.errstate(over="ignore"):
        z = (h ^ np.uint64(salt & (_ALL - 1))) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def assign_partitions(h: np.ndarray, copies: np.ndarray, partitions: int) -> tuple[np.ndarray, ...]:
    """(row, copy, partition, sort key) for every copy of every row. Copies of one row land in
    partitions at least two apart (needs partitions ≥ 3 × copies − 2)."""
    rows, copy_index, parts, keys = [], [], [], []
    P = np.uint64(partitions)
    block = 4096
    for start in range(0, len(h), block):
        hb, cb = h[start : start + block], copies[start : start + block]
        blocked = None
        for j in range(int(cb.max(initial=0))):
            active = np.nonzero(cb > j)[0]
            r = mix(hb[active], _SALT_PARTITION + j)
            if j == 0:
                p = (r % P).astype(np.int64)
            else:
                free = ~blocked[active]
                cumulative = np.cumsum(free, axis=1)
                pick = (r % cumulative[:, -1].astype(np.uint64)).astype(np.int64)
                p = np.argmax(cumulative > pick[:, None], axis=1)
            if cb.max(initial=0) > 1:
                if blocked is None:
                    blocked = np.zeros((len(hb), partitions), dtype=bool)
                for d in (-1, 0, 1):
                    q = p + d
                    ok = (q >= 0) & (q < partitions)
                    blocked[active[ok], q[ok]] = True
            rows.append(active + start)
            copy_index.append(np.full(len(active), j, dtype=np.int32))
            parts.append(p)
            keys.append(mix(hb[active], _SALT_SORT + j))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.int32), empty, empty.astype(np.uint64)
    return np.concatenate(rows), np.concatenate(copy_index), np.concatenate(parts), np.concatenate(keys)


def min_partitions(max_copies: int) -> int:
    return 1 if max_copies <= 1 else 3 * max_copies - 2


# ---------------------------------------------------------------------------------------- the phases
class _MixturePhase(Phase):
    def __init__(self, config: MixtureConfig, ctx: RunContext) -> None:
        self.config, self.ctx = config, ctx
        self.seed = config.seed if config.seed is not None else ctx.seed
        self._inputs: list[str] | None = None

    def path(self, *parts: str) -> str:
        return "/".join([outputs.MIXTURE, *parts])

    def inputs(self) -> list[str]:
        if self._inputs is None:
            folder = self.ctx.folder()
            found = (
                folder.list_files(outputs.TOKENIZED, glob_pattern="*/*.parquet")
                if folder.exists(outputs.TOKENIZED)
                else []
            )
            self._inputs = sorted(p for p in found if p.count("/") == 2)
        return self._inputs

    def write_json(self, path: str, payload: Any) -> None:
        folder = self.ctx.folder()
        folder.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with atomic_open(folder, path) as f:
            f.write(orjson.dumps(payload, option=_JSON))

    def read_json(self, path: str) -> Any:
        with self.ctx.folder().open(path, "rb") as f:
            return orjson.loads(f.read())


class MixtureScanPhase(_MixturePhase):
    name = "mixture.scan"

    def num_tasks(self) -> int:
        return len(self.inputs())

    def run_task(self, rank: int, step: PipelineStep) -> None:
        folder = self.ctx.folder()
        with folder.open(self.inputs()[rank], "rb") as f:
            table = pq.read_table(f, columns=["id", "source", "lang", "token_count"])
        subsets = [
            f"{s}/{lang}"
            for s, lang in zip(table["source"].to_pylist(), table["lang"].to_pylist(), strict=True)
        ]
        tokens = table["token_count"].to_numpy().astype(np.int64)
        summary: dict[str, dict[str, Any]] = {}
        side: list[pa.Table] = []
        names = np.array(subsets, dtype=object)
        for name in sorted(set(subsets)):
            mask = names == name
            entry: dict[str, Any] = {"documents": int(mask.sum()), "tokens": int(tokens[mask].sum())}
            if needs_sampling(self.config.subset(name)):
                ids = table["id"].filter(pa.array(mask)).to_pylist()
                sel = mix(doc_hashes([name] * len(ids), ids, self.seed), _SALT_SELECT)
                order = np.argsort(sel, kind="stable")
                sel, tok = sel[order], tokens[mask][order]
                buckets = (sel >> np.uint64(64 - BUCKET_BITS)).astype(np.int64)
                hist = np.bincount(buckets, weights=tok, minlength=1 << BUCKET_BITS).astype(np.int64)
                entry["histogram"] = {str(b): int(hist[b]) for b in np.nonzero(hist)[0]}
                side.append(
                    pa.table(
                        {"subset": pa.array([name] * len(sel)), "sel": pa.array(sel), "tokens": pa.array(tok)}
                    )
                )
            summary[name] = entry
            step.stat_update("documents", value=entry["documents"])
            step.stat_update("tokens", value=entry["tokens"])
        if side:
            folder.makedirs(self.path("_scan"), exist_ok=True)
            with atomic_open(folder, self.path("_scan", f"{rank:06d}.parquet")) as f:
                # sorted by (subset, sel) in row groups of 64k: the threshold search reads one bucket
                pq.write_table(pa.concat_tables(side), f, row_group_size=65536, compression="zstd")
        self.write_json(self.path("_scan", f"{rank:06d}.json"), summary)

    def _threshold(self, name: str, histogram: dict[int, int], wanted: int) -> tuple[int, int]:
        """(select_below, sampled tokens): the hash threshold whose sample is closest to `wanted`."""
        if wanted <= 0:
            return 0, 0
        before = 0
        for bucket in sorted(histogram):
            if before + histogram[bucket] >= wanted:
                break
            before += histogram[bucket]
        lo, hi = bucket << (64 - BUCKET_BITS), (bucket + 1) << (64 - BUCKET_BITS)
        folder = self.ctx.folder()
        filters = (pc.field("subset") == name) & (pc.field("sel") >= pa.scalar(lo, pa.uint64()))
        if hi < _ALL:
            filters = filters & (pc.field("sel") < pa.scalar(hi, pa.uint64()))
        pieces = []
        for rank in range(self.num_tasks()):
            path = self.path("_scan", f"{rank:06d}.parquet")
            if folder.exists(path):
                with folder.open(path, "rb") as f:
                    pieces.append(pq.read_table(f, filters=filters))
        part = pa.concat_tables(pieces).sort_by([("sel", "ascending"), ("tokens", "ascending")])
        sel_all = [int(x) for x in part["sel"].to_pylist()]
        tok = part["tokens"].to_pylist()
        cumulative = before
        for i, t in enumerate(tok):
            if cumulative + t >= wanted:
                take = i + 1 if (cumulative + t - wanted) <= (wanted - cumulative) else i
                taken = cumulative + (t if take == i + 1 else 0)
                below = sel_all[take] if take < len(sel_all) else hi
                return below, taken
            cumulative += t
        return hi, cumulative

    def finish(self) -> list[Phase]:
        counts: dict[str, dict[str, Any]] = {}
        for rank in range(self.num_tasks()):
            for name, entry in self.read_json(self.path("_scan", f"{rank:06d}.json")).items():
                total = counts.setdefault(name, {"documents": 0, "tokens": 0, "histogram": {}})
                total["documents"] += entry["documents"]
                total["tokens"] += entry["tokens"]
                for bucket, value in entry.get("histogram", {}).items():
                    total["histogram"][int(bucket)] = total["histogram"].get(int(bucket), 0) + value
        names = [n for n in self.config.subsets if n in counts] + sorted(
            set(counts) - set(self.config.subsets)
        )
        subsets: dict[str, Any] = {}
        for name in names:
            entry = counts[name]
            plan = plan_subset(
                name, self.config.subset(name), entry["tokens"], unique_documents=entry["documents"]
            )
            below, sampled = self._threshold(name, entry["histogram"], plan.fraction_tokens)
            subsets[name] = {
                "unique_documents": entry["documents"],
                "unique_tokens": entry["tokens"],
                "full_copies": plan.full_copies,
                "fraction_tokens_wanted": plan.fraction_tokens,
                "select_below": str(below),  # decimal: may be 2**64 (all), beyond JSON's uint64
                "sampled_tokens": sampled,
                "seen_tokens": plan.full_copies * entry["tokens"] + sampled,
            }
        max_copies = max(
            (s["full_copies"] + (int(s["select_below"]) > 0) for s in subsets.values()), default=1
        )
        seen = sum(s["seen_tokens"] for s in subsets.values())
        needed = min_partitions(max_copies)
        if self.config.partitions is not None:
            if self.config.partitions < needed:
                raise ValueError(
                    f"mixture.partitions={self.config.partitions} is too few for {max_copies} copies of a "
                    f"document; need at least {needed}"
                )
            partitions = self.config.partitions
        else:
            partitions = max(needed, math.ceil(seen / self.config.partition_tokens), 1)
        plan = {"seed": self.seed, "partitions": partitions, "inputs": self.inputs(), "subsets": subsets}
        self.write_json(self.path("plan.json"), plan)
        return [MixturePartitionPhase(self.config, self.ctx, plan)]


class MixturePartitionPhase(_MixturePhase):
    name = "mixture.partition"

    def __init__(self, config: MixtureConfig, ctx: RunContext, plan: dict[str, Any]) -> None:
        super().__init__(config, ctx)
        self.plan = plan
        self._inputs = plan["inputs"]

    def num_tasks(self) -> int:
        return len(self.inputs())

    def columns(self) -> list[str]:
        return ["id", "source", "lang", "token_count", "input_ids"] + (
            ["text"] if self.config.include_text else []
        )

    def run_task(self, rank: int, step: PipelineStep) -> None:
        folder = self.ctx.folder()
        with folder.open(self.inputs()[rank], "rb") as f:
            table = pq.read_table(f, columns=self.columns())
        subsets = [
            f"{s}/{lang}"
            for s, lang in zip(table["source"].to_pylist(), table["lang"].to_pylist(), strict=True)
        ]
        ids = table["id"].to_pylist()
        h = doc_hashes(subsets, ids, self.seed)
        sel = mix(h, _SALT_SELECT)
        copies = np.zeros(len(ids), dtype=np.int64)
        names = np.array(subsets, dtype=object)
        for name in set(subsets):
            info = self.plan["subsets"][name]
            mask = names == name
            below = int(info["select_below"])
            extra = np.ones(mask.sum(), bool) if below >= _ALL else sel[mask] < np.uint64(below)
            copies[mask] = info["full_copies"] + extra.astype(np.int64)
        partitions = self.plan["partitions"]
        rows, copy, part, key = assign_partitions(h, copies, partitions)
        tokens = table["token_count"].to_numpy()
        counts: dict[str, dict[str, int]] = {}
        for p in np.unique(part).tolist():
            mask = part == p
            piece = table.take(pa.array(rows[mask]))
            piece = piece.append_column("copy", pa.array(copy[mask], pa.int32()))
            piece = piece.append_column("sort_key", pa.array(key[mask], pa.uint64()))
            folder.makedirs(self.path("_partitions", f"{p:05d}"), exist_ok=True)
            write_parquet_atomic(
                folder,
                self.path("_partitions", f"{p:05d}", f"{rank:06d}.parquet"),
                piece,
                compression_level=1,
            )
            counts[str(p)] = {"documents": int(mask.sum()), "tokens": int(tokens[rows[mask]].sum())}
        step.stat_update("rows", value=len(rows))
        self.write_json(self.path("_counts", f"partition-{rank:06d}.json"), counts)

    def finish(self) -> list[Phase]:
        partitions = self.plan["partitions"]
        tokens = [0] * partitions
        for rank in range(self.num_tasks()):
            for p, entry in self.read_json(self.path("_counts", f"partition-{rank:06d}.json")).items():
                tokens[int(p)] += entry["tokens"]
        layout, first = [], 0
        for p in range(partitions):
            shards = math.ceil(tokens[p] / self.config.shard_tokens)
            layout.append({"tokens": tokens[p], "first_shard": first, "shards": shards})
            first += shards
        return [MixtureShufflePhase(self.config, self.ctx, self.plan, layout)]


class MixtureShufflePhase(_MixturePhase):
    name = "mixture.shuffle"

    def __init__(
        self, config: MixtureConfig, ctx: RunContext, plan: dict[str, Any], layout: list[dict]
    ) -> None:
        super().__init__(config, ctx)
        self.plan, self.layout = plan, layout
        self._inputs = plan["inputs"]

    def num_tasks(self) -> int:
        return self.plan["partitions"]

    def run_task(self, rank: int, step: PipelineStep) -> None:
        layout = self.layout[rank]
        if layout["shards"] == 0:
            return
        folder = self.ctx.folder()
        pieces = []
        for path in sorted(
            folder.list_files(self.path("_partitions", f"{rank:05d}"), glob_pattern="*.parquet")
        ):
            with folder.open(path, "rb") as f:
                pieces.append(pq.read_table(f))
        table = pa.concat_tables(pieces)
        order = pc.sort_indices(
            table,
            sort_keys=[(k, "ascending") for k in ("sort_key", "source", "lang", "id", "copy")],
        )
        table = table.take(order)
        tokens = table["token_count"].to_numpy().astype(np.int64)
        starts = np.concatenate([[0], np.cumsum(tokens)[:-1]])
        if int(tokens.sum()) != layout["tokens"]:
            raise RuntimeError(
                f"partition {rank}: {tokens.sum()} tokens, the partition phase counted {layout['tokens']}"
            )
        local = (starts * layout["shards"]) // max(layout["tokens"], 1)
        columns = ["id", "source", "lang", "copy", "token_count", "input_ids"]
        columns += ["text"] if self.config.include_text else []
        table = table.select(columns)
        folder.makedirs(self.path("shards"), exist_ok=True)
        bounds = np.searchsorted(local, np.arange(layout["shards"] + 1))
        for i in range(layout["shards"]):
            shard = table.slice(bounds[i], bounds[i + 1] - bounds[i])
            write_parquet_atomic(
                folder, self.path("shards", f"{layout['first_shard'] + i:06d}.parquet"), shard
            )
        step.stat_update("shards", value=layout["shards"])
        step.stat_update("tokens", value=int(tokens.sum()))

    def finish(self) -> list[Phase]:
        manifest = build_mixture_manifest(self.config, self.ctx.folder(), self.plan, self.layout)
        self.write_json(self.path("manifest.json"), manifest)
        folder = self.ctx.folder()
        if not self.config.keep_intermediate and folder.exists(self.path("_partitions")):
            folder.rm(self.path("_partitions"), recursive=True)
        return []


def build_mixture_phases(config: Any, ctx: RunContext) -> list[Phase]:
    """The mixture phases for a run whose tokenized documents are in `<output>/tokenized/`.
    `config` is a MixtureConfig or a PipelineConfig carrying one as `.mixture`."""
    mixture = config if isinstance(config, MixtureConfig) else getattr(config, "mixture", None)
    if not isinstance(mixture, MixtureConfig):
        raise ValueError("the pipeline has no `mixture:` section")
    return [MixtureScanPhase(mixture, ctx)]


__all__ = ["SubsetPlan", "build_mixture_phases"]
