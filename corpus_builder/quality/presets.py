"""Quality presets: rule sets kept as YAML in `filters/presets/<name>.yaml` (or any path), found,
read, checked and turned into :class:`~corpus_builder.quality.rules.RuleSet` objects.

This is the one registry of presets: a name is looked up in `$CORPUS_BUILDER_FILTERS/presets`, then
in the shipped presets, then in `./filters/presets`; a preset may `extends:` another and change its
name, rules and options. Every key of a preset file is checked; an unknown one is an error naming
the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corpus_builder.contracts.shipped_data import SHIPPED_FILTERS_DIR
from corpus_builder.contracts.yaml_file import load_yaml_file
from corpus_builder.quality.rules import (
    Rule,
    RuleSet,
    freeze_options,
)

FILTERS_ENV_VAR = "CORPUS_BUILDER_FILTERS"

_PRESET_KEYS = frozenset(
    {"name", "extends", "signals", "description", "rules", "options", "modifiers", "modifiers_after_rules"}
)
_REQUIRED_PRESET_KEYS = frozenset({"name", "signals", "rules"})
# A preset that `extends:` another inherits its signals and rules, so only its name is required.
_REQUIRED_EXTENDING_PRESET_KEYS = frozenset({"name"})
_RULE_KEYS = frozenset({"name", "signal", "reject_if", "threshold", "bounds", "source"})


def presets_dirs() -> list[Path]:
    """Directories searched for ``<name>.yaml``, in order.

    ``$CORPUS_BUILDER_FILTERS`` names a filters directory (holding ``presets/``); then the shipped
    presets (the checkout's ``filters/presets``, or the wheel's copy: see ``contracts/shipped_data``) and
    finally ``./filters/presets``.
    """
    dirs: list[Path] = []
    env = os.environ.get(FILTERS_ENV_VAR)
    if env:
        dirs.append(Path(env) / "presets")
    dirs.append(SHIPPED_FILTERS_DIR / "presets")
    dirs.append(Path.cwd() / "filters" / "presets")
    return dirs


def resolve_preset(preset: str, base_dir: str | None) -> str:
    """A preset given as a path is relative to the pipeline file; a bare name is looked up in filters/."""
    if base_dir and (preset.endswith((".yaml", ".yml")) or "/" in preset):
        return str(Path(base_dir) / preset)
    return preset


def load_preset(name_or_path: str | os.PathLike[str]) -> RuleSet:
    """Load a preset by name (``filters/presets/<name>.yaml``) or from a YAML file path."""
    return _load_preset_file(_preset_path(name_or_path))


def _preset_path(name_or_path: str | os.PathLike[str], beside: Path | None = None) -> Path:
    """The file of a preset given by path or by name; a name is looked up in ``beside`` first (the
    folder of a preset that extends it), then in :func:`presets_dirs`."""
    candidate = Path(name_or_path)
    looks_like_path = candidate.suffix in {".yaml", ".yml"} or len(candidate.parts) > 1
    if looks_like_path:
        if beside is not None and not candidate.is_absolute():
            candidate = beside / candidate
        if not candidate.is_file():
            raise FileNotFoundError(f"preset file not found: {candidate}")
        return candidate
    searched = ([beside] if beside is not None else []) + presets_dirs()
    for directory in searched:
        path = directory / f"{name_or_path}.yaml"
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no preset named {str(name_or_path)!r}; looked in: " + ", ".join(str(d) for d in searched)
    )


def _load_preset_file(path: Path, extended_by: tuple[Path, ...] = ()) -> RuleSet:
    """``extended_by`` lists the files whose ``extends:`` chain led here, to name a cycle."""
    data = load_yaml_file(path)  # the pipelines' reader: bounded aliases, no duplicate keys
    try:
        base = _load_base_preset(data, path, extended_by)
        return _parse_preset(data, base_dir=path.parent, base=base)
    except (ValueError, FileNotFoundError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


def _load_base_preset(data: Any, path: Path, extended_by: tuple[Path, ...]) -> RuleSet | None:
    if not isinstance(data, dict) or "extends" not in data:
        return None
    name = data["extends"]
    if not isinstance(name, str) or not name:
        raise ValueError("'extends' must be the name or path of another preset")
    base_path = _preset_path(name, beside=path.parent)
    chain = (*extended_by, path)
    if base_path.resolve() in {p.resolve() for p in chain}:
        raise ValueError("'extends' forms a cycle: " + " -> ".join(str(p) for p in (*chain, base_path)))
    return _load_preset_file(base_path, chain)


def _parse_preset(data: Any, base_dir: Path | None = None, base: RuleSet | None = None) -> RuleSet:
    """A preset's mapping as a RuleSet.  With ``base`` (the preset it ``extends:``), its own rules come
    first, then the base's rules in their order; its signal functions come first, then the base's
    not already named; its options are merged over the base's per function; its modifier lists,
    when given, replace the base's."""
    if not isinstance(data, dict):
        raise ValueError("a preset must be a mapping with keys name, signals, rules")
    unknown = set(data) - _PRESET_KEYS
    if unknown:
        raise ValueError(f"unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_PRESET_KEYS)}")
    missing = (_REQUIRED_PRESET_KEYS if base is None else _REQUIRED_EXTENDING_PRESET_KEYS) - set(data)
    if missing:
        raise ValueError(f"missing top-level key(s) {sorted(missing)}")
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list) or (base is None and not raw_rules):
        raise ValueError("'rules' must be a non-empty list")
    rules = tuple(_parse_rule(index, raw) for index, raw in enumerate(raw_rules))
    signals = data.get("signals", ())
    if isinstance(signals, list):
        if not signals or not all(isinstance(s, str) and s for s in signals):
            raise ValueError("'signals' must be a function name or a non-empty list of names")
        signals = tuple(signals)
    elif signals != ():
        signals = str(signals)
    options = data.get("options") or {}
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise ValueError("'options' must map a signal function name to a mapping of options")
    options = {name: resolve_option_paths(opts, base_dir) for name, opts in options.items()}
    modifier_lists: dict[str, tuple[str, ...]] = {}
    for key in ("modifiers", "modifiers_after_rules"):
        names = data.get(key) or []
        if not isinstance(names, list) or not all(isinstance(m, str) for m in names):
            raise ValueError(f"{key!r} must be a list of modifier names")
        modifier_lists[key] = tuple(names)
    if base is not None:
        own = (signals,) if isinstance(signals, str) else signals
        functions = (*own, *(f for f in base.signal_functions if f not in own))
        signals = functions[0] if len(functions) == 1 else functions
        rules = (*rules, *base.rules)
        merged = {name: dict(items) for name, items in base.options}
        for name, opts in options.items():
            merged[name] = {**merged.get(name, {}), **opts}
        options = merged
        for key, inherited in (
            ("modifiers", base.modifiers),
            ("modifiers_after_rules", base.modifiers_after_rules),
        ):
            if key not in data:
                modifier_lists[key] = inherited
    return RuleSet(
        name=str(data["name"]),
        signals=signals,
        rules=rules,
        options=freeze_options(options),
        **modifier_lists,
    )


def resolve_option_paths(options: Mapping[str, Any], base_dir: Path | str | None) -> dict[str, Any]:
    """Option keys ending in ``_path`` that are relative are taken relative to ``base_dir``."""
    out = dict(options)
    if base_dir is None:
        return out
    for key, value in options.items():
        if key.endswith("_path") and isinstance(value, str) and value and not Path(value).is_absolute():
            out[key] = str((Path(base_dir) / value).resolve())
    return out


def _parse_rule(index: int, raw: Any) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError(f"rule #{index + 1} must be a mapping")
    label = f"rule #{index + 1} ({raw.get('name', '?')!r})"
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ValueError(f"{label}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}")
    missing = _RULE_KEYS - set(raw)
    if missing:
        raise ValueError(f"{label}: missing field(s) {sorted(missing)}")
    for key in ("name", "signal", "reject_if", "source"):
        if not isinstance(raw[key], str) or not raw[key]:
            raise ValueError(f"{label}: {key!r} must be a non-empty string")
    threshold = _number(raw["threshold"], f"{label}: threshold")
    bounds = raw["bounds"]
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise ValueError(f"{label}: bounds must be a two-element list [low, high]")
    low = _number(bounds[0], f"{label}: bounds[0]")
    high = _number(bounds[1], f"{label}: bounds[1]")
    return Rule(
        name=raw["name"],
        signal=raw["signal"],
        reject_if=raw["reject_if"],
        threshold=threshold,
        bounds=(low, high),
        source=raw["source"],
    )


def _number(value: Any, what: str) -> float:
    # bool is an int subclass; "threshold: yes" is a typo, not 1.0.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, got {value!r}")
    return float(value)
