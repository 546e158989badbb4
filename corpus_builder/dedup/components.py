"""Connected components by alternating large-star / small-star rounds (Kiveris et al., "Connected
Components in MapReduce and Beyond", SoCC 2014), one reducer per hash partition of nodes.

Nodes are uint64 priority keys, so the minimum node of a component is the document to keep.
Edges are stored as rows (k, o): "node k has neighbour o", k being the node whose partition holds
the row. Large-star needs every undirected edge under both endpoints ("both" layout); small-star
needs it only under its larger endpoint ("hi" layout).

* large-star at u: m = min(Γ(u) ∪ {u}); every neighbour v > u gets the edge (v, m).
* small-star at u: m = min of u's smaller neighbours N; every v in N ∪ {u}, v != m, gets (v, m).

Both preserve connectivity and shrink the graph towards one star per component whose centre is
the component's minimum. A round reports how many reducers changed their edges; an edge set that
neither operation changes is exactly a forest of depth-1 stars centred on each component's minimum
(a node with a larger neighbour is the minimum of its neighbourhood, and no node has two smaller
neighbours). Every function here is a pure numpy function of one partition's rows.
"""

from __future__ import annotations

import numpy as np


def unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (a, b) rows, sorted by (a, b)."""
    if a.size == 0:
        return a, b
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    keep = np.ones(a.size, dtype=bool)
    keep[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[keep], b[keep]


def key_groups(k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows sorted by k: the distinct keys, each group's start row, each row's group index."""
    starts = np.flatnonzero(np.concatenate([[True], k[1:] != k[:-1]]))
    group_of_row = np.repeat(np.arange(starts.size), np.diff(np.append(starts, k.size)))
    return k[starts], starts, group_of_row


def large_star(k: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows in "both" layout → output edges (hi, lo) with hi > lo, and the number of changed reducers."""
    mask = k != o
    k, o = unique_pairs(k[mask], o[mask])
    if k.size == 0:
        return k, o, 0
    keys, starts, g = key_groups(k)
    m = np.minimum(np.minimum.reduceat(o, starts), keys)
    larger = o > k
    changed_groups = np.zeros(keys.size, dtype=bool)
    np.logical_or.at(changed_groups, g[larger], True)
    changes = int(np.count_nonzero(changed_groups & (m < keys)))
    hi, lo = o[larger], m[g[larger]]
    hi, lo = unique_pairs(hi, lo)
    return hi, lo, changes


def small_star(k: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows in "hi" layout (k > o) → output edges (hi, lo) with hi > lo, and the changed reducers."""
    mask = o < k
    k, o = unique_pairs(k[mask], o[mask])
    if k.size == 0:
        return k, o, 0
    keys, starts, g = key_groups(k)
    m = np.minimum.reduceat(o, starts)  # rows sorted by (k, o): the first o of each group
    sizes = np.diff(np.append(starts, k.size))
    changes = int(np.count_nonzero(sizes > 1))
    others = o != m[g]
    hi = np.concatenate([keys, o[others]])
    lo = np.concatenate([m, m[g[others]]])
    hi, lo = unique_pairs(hi, lo)
    return hi, lo, changes


def both_layout(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([hi, lo]), np.concatenate([lo, hi])


def components_reference(edges: list[tuple[int, int]]) -> dict[int, int]:
    """Union-find: node → minimum node of its component (for tests)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            if ra < rb:
                parent[rb] = ra
            else:
                parent[ra] = rb
    return {x: find(x) for x in list(parent)}
