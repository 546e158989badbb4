"""The import graph of `corpus_builder/`, room by room, held against the floors the README draws.

A room is a top-level module or folder of the package; an edge A → B means some file of A imports
some module of B (at module level or inside a function: both are real dependencies). The floors
below are the layout's design, top (verbs) to bottom (contracts): a room may import rooms on its own
floor or below, never above. `python -m tests.import_graph` prints the figures; `tests/test_layout.py`
holds the code to them.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "corpus_builder"

#: Top to bottom. Data flows down: verbs call a run, a run drives stages and phases, they read
#: sources and write Parquet, everything is configured by config/, built on the libraries, and
#: agrees on the contracts.
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    ("verbs", ("__main__", "cli", "report", "notebook_env")),
    ("run", ("run", "executors")),
    ("stages and phases", ("stages", "dedup", "tokenize", "mixture", "decontaminate", "phases")),
    ("sources and writers", ("acquire", "sources", "writers")),
    ("config", ("config",)),
    ("libraries", ("quality", "text", "classify", "samples")),
    ("contracts", ("contracts",)),
]

#: Edges allowed to run from a lower floor up to a higher one, each with its reason (README, Layout).
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Graph:
    edges: dict[tuple[str, str], set[str]]  # (room, room) → the files that import across
    module_edges: dict[str, set[str]]  # module → modules of the package it imports
    rooms: set[str]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, module: str, modules: set[str]) -> set[str]:
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from corpus_builder.sources import dolma` imports the module sources.dolma; names that
            # are not modules come from `prefix` itself
            submodules = {f"{prefix}.{alias.name}" for alias in node.names} & modules
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(prefix)
    return {name for name in found if name in modules}


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "corpus_builder"


def build_graph() -> Graph:
    files = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
    modules = {_module_name(p) for p in files}
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    module_edges: dict[str, set[str]] = defaultdict(set)
    for path in files:
        module = _module_name(path)
        for name in _imported(path, module, modules):
            if name != module:
                module_edges[module].add(name)
            source, target = room_of(module), room_of(name)
            if source != target and target != "corpus_builder":
                edges[(source, target)].add(str(path.relative_to(PACKAGE.parent)))
    rooms = {room_of(m) for m in modules} - {"corpus_builder"}
    return Graph(dict(edges), dict(module_edges), rooms)


def floor_of() -> dict[str, int]:
    return {room: i for i, (_, rooms) in enumerate(FLOORS) for room in rooms}


def upward_edges(graph: Graph) -> list[tuple[str, str]]:
    floor = floor_of()
    return sorted((a, b) for a, b in graph.edges if a in floor and b in floor and floor[b] < floor[a])


def cycles(nodes: set[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def room_cycles(graph: Graph) -> list[list[str]]:
    by_room: dict[str, set[str]] = defaultdict(set)
    for a, b in graph.edges:
        by_room[a].add(b)
    return cycles(graph.rooms, by_room)


def module_cycles(graph: Graph) -> list[list[str]]:
    return cycles(set(graph.module_edges), graph.module_edges)


def main() -> int:
    graph = build_graph()
    floor = floor_of()
    print(f"rooms: {len(graph.rooms)}  edges: {len(graph.edges)}")
    for i, (label, rooms) in enumerate(FLOORS):
        present = [r for r in rooms if r in graph.rooms]
        print(f"floor {len(FLOORS) - i} ({label}): {', '.join(present)}")
    unplaced = sorted(graph.rooms - set(floor))
    print(f"rooms on no floor: {', '.join(unplaced) or 'none'}")
    up = upward_edges(graph)
    print(f"edges running up a floor: {len(up)}")
    for a, b in up:
        print(f"  {a} -> {b}: {', '.join(sorted(graph.edges[(a, b)]))}")
    print(f"cycles between rooms: {len(room_cycles(graph))}  between modules: {len(module_cycles(graph))}")
    for component in room_cycles(graph) + module_cycles(graph):
        print("  " + " <-> ".join(component))
    return 0


if __name__ == "__main__":
    sys.exit(main())
