"""Read a YAML file the way every pipeline-level file is read: safe tags only, duplicate keys refused
with both lines named, and aliases bounded so that an alias bomb fails at once instead of expanding.

Why a node budget and not "no aliases": anchors are a legitimate way to share a block of settings.
What makes "billion laughs" dangerous is not the parse (the composed graph is small: each alias is one
shared node) but everything that walks the loaded value afterwards as a tree (validation, `repr()`,
hashing), which visits every alias expansion. So the composed graph is measured as that tree would be,
memoised per node so the measurement itself stays linear, and refused above `MAX_EXPANDED_NODES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from corpus_builder.contracts.errors import BadInputError

#: Nodes the loaded value may have once every alias is expanded. The largest file shipped with the
#: project (a quality preset) has under 400 nodes; 1,000,000 leaves room for large generated
#: configs while a 9-level billion-laughs (10^9 nodes) is refused after measuring ~100 nodes.
MAX_EXPANDED_NODES = 1_000_000


class YamlFileError(BadInputError, ValueError):
    """The file is not usable YAML; the message is one line, starting with `path[:line[:column]]`."""


# libyaml's parser when PyYAML has it (faster than the Python one: `python -m bench.implementation_choices`);
# the checks below are in
# the Python constructor and node walk, which both loaders share.
_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """Safe loader that refuses a key written twice in one mapping (PyYAML keeps the last silently)."""

    source = "<string>"

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` then overriding a key of base is the point of merge keys
            key = self.construct_object(key_node, deep=True)
            try:
                seen = first_line.get(key)
            except TypeError:  # an unhashable key: SafeConstructor reports it below
                continue
            line = key_node.start_mark.line + 1
            if seen is not None:
                first = f"{self.source}:{seen}"
                raise YamlFileError(f"{self.source}:{line}: duplicate key {_short(key)} (first at {first})")
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def expanded_size(root: Node, limit: int = MAX_EXPANDED_NODES) -> int:
    """How many nodes the value of `root` has as a tree (aliases expanded), stopping past `limit`.

    Raises YamlFileError for an alias that contains itself (the tree would be infinite)."""
    sizes: dict[int, int] = {}
    # Iterative post-order walk: a deep (but small) file must not hit Python's recursion limit.
    stack: list[tuple[Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            total = 1 + sum(sizes[id(child)] for child in children)
            sizes[key] = min(total, limit + 1)
            continue
        if key in sizes:
            continue
        if key in on_path:
            mark = node.start_mark
            raise YamlFileError(f"line {mark.line + 1}: an anchor refers to itself (infinite value)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    assert isinstance(node, ScalarNode)
    return []


def load_yaml_text(text: str, source: str) -> Any:
    """Parse `text` (named `source` in errors) with the bounded, duplicate-refusing safe loader."""
    loader = _Loader(text)
    loader.source = source
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            size = expanded_size(node)
        except YamlFileError as exc:
            raise YamlFileError(f"{source}:{str(exc).removeprefix('line ')}") from None
        if size > MAX_EXPANDED_NODES:
            raise YamlFileError(
                f"{source}: aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?); "
                "write the values out or use fewer nested anchors"
            )
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlFileError(f"{source}{where}: invalid YAML: {problem}") from None
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file; every failure (missing, unreadable, invalid) is a YamlFileError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlFileError(f"{path}: cannot read: {exc}") from None
    return load_yaml_text(text, str(path))
