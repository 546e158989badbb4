"""Connected-component rounds (large-star / small-star phases) against a reference union-find."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from corpus_builder.config.dedup import DedupConfig
from corpus_builder.dedup import components
from corpus_builder.dedup.phases.component_rounds import ComponentRound
from corpus_builder.dedup.phases.resolve import ResolvePhase
from corpus_builder.dedup.phases.scratch import read_edges, round_stats, write_edges, write_json
from corpus_builder.phases.base import PhaseStep, RunContext


def run_rounds(
    tmp: Path, edges: list[tuple[int, int]], partitions: int, seed: int
) -> tuple[dict[int, int], int]:
    """Write `edges` as the bucket phase would, run rounds until convergence; node → component min."""
    ctx = RunContext(output_dir=str(tmp), seed=0)
    config = DedupConfig(partitions=partitions, max_rounds=200)
    folder = ctx.folder()
    a = np.array([e[0] for e in edges], dtype=np.uint64)
    b = np.array([e[1] for e in edges], dtype=np.uint64)
    hi, lo = np.maximum(a, b), np.minimum(a, b)
    # split the input edges over "bucket tasks" like the real bucket phase
    chunks = np.array_split(np.arange(hi.size), partitions)
    for src, idx in enumerate(chunks):
        k, o = components.both_layout(hi[idx], lo[idx])
        write_edges(folder, 0, src, k, o, partitions)
        write_json(folder, round_stats(0, src), {"edges": int(idx.size), "changes": 1})
    rng = random.Random(seed)
    phase = ComponentRound(config, ctx, 1)
    rounds = 0
    while not isinstance(phase, ResolvePhase):
        ranks = list(range(phase.num_tasks()))
        rng.shuffle(ranks)
        for r in ranks:
            phase.run_task(r, PhaseStep(phase))
        rounds += 1
        (phase,) = phase.finish()
    result: dict[int, int] = {}
    for p in range(partitions):
        k, o = read_edges(folder, phase.final_round, p)
        for x, y in zip(k.tolist(), o.tolist(), strict=False):
            if x < y:
                assert y not in result, "a node has two centres"
                result[y] = x
                result[x] = x
    return result, rounds


def expected(edges: list[tuple[int, int]]) -> dict[int, int]:
    return components.components_reference(edges)


def graphs() -> dict[str, list[tuple[int, int]]]:
    rng = random.Random(0)
    n = 2000
    perm = list(range(10, 10 + n))
    rng.shuffle(perm)
    g = {
        # a path whose labels are in random order: label propagation needs ~n rounds on it
        "shuffled_path": [(perm[i], perm[i + 1]) for i in range(n - 1)],
        # a path with the minimum at one end, then at the middle
        "sorted_path": [(i, i + 1) for i in range(1, n)],
        "middle_min_path": [(i, i + 1) for i in range(1, n // 2)]
        + [(n, 1)]
        + [(i, i + 1) for i in range(n // 2 + 1, n)],
        # stars: the centre the smallest and the largest node
        "star_min_centre": [(1, i) for i in range(2, n)],
        "star_max_centre": [(n, i) for i in range(1, n)],
        # a binary tree and a cycle, with 64-bit keys near the top of the range
        "tree": [(i, i // 2) for i in range(2, n)],
        "cycle_big_keys": [(2**63 + (i * 7919) % n, 2**63 + ((i + 1) * 7919) % n) for i in range(n)],
        # many small random components plus duplicates and self-loops
        "random_forest": [(rng.randrange(1, n), rng.randrange(1, n)) for _ in range(n)]
        + [(5, 5), (7, 8), (8, 7)],
    }
    # a "caterpillar": a long path where every node also has leaves
    cat = [(perm[i], perm[i + 1]) for i in range(300)]
    cat += [(perm[i], 10_000 + 3 * i + j) for i in range(300) for j in range(3)]
    g["caterpillar"] = cat
    return g


@pytest.mark.slow
@pytest.mark.parametrize("name", list(graphs()))
@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_components_match_union_find(tmp_path: Path, name: str, partitions: int) -> None:
    edges = graphs()[name]
    ref = expected(edges)
    sizes = Counter(ref.values())
    want = {node: root for node, root in ref.items() if sizes[root] > 1}  # self-loop-only nodes vanish
    got, rounds = run_rounds(tmp_path, edges, partitions, seed=partitions)
    assert got == want
    assert rounds <= 60


def test_reducers_directly() -> None:
    # large-star at 5 with neighbours {2, 7, 9}: 7 and 9 move to 2
    hi, lo, ch = components.large_star(np.array([5, 5, 5], np.uint64), np.array([2, 7, 9], np.uint64))
    assert list(zip(hi.tolist(), lo.tolist(), strict=False)) == [(7, 2), (9, 2)] and ch == 1
    # small-star at 9 with smaller neighbours {3, 4}: 9 and 4 move to 3
    hi, lo, ch = components.small_star(np.array([9, 9], np.uint64), np.array([3, 4], np.uint64))
    assert list(zip(hi.tolist(), lo.tolist(), strict=False)) == [(4, 3), (9, 3)] and ch == 1
    # a converged star changes nothing
    hi, lo, ch = components.small_star(np.array([4, 9], np.uint64), np.array([3, 3], np.uint64))
    assert ch == 0
