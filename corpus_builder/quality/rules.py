"""A small rule engine in which quality rules are data.

A :class:`RuleSet` names one registered signal function (text -> {signal name: value}) and an
ordered tuple of :class:`Rule` thresholds over those signals.  Presets live as YAML in
``filters/presets/<name>.yaml`` so that thresholds, their legal ranges and their citations are
reviewable without reading code; the signal values are returned with every verdict so that they
can be stored next to the document and thresholds re-tuned later without recomputation.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from corpus_builder.quality.swallow import swallow_signals

SignalFunction = Callable[[str], dict[str, float]]

# Registry of signal functions a preset can name in its ``signals:`` key.
SIGNAL_FUNCTIONS: dict[str, SignalFunction] = {
    "swallow": swallow_signals,
}

# reject_if operator -> comparison; a document is rejected when ``op(value, threshold)`` holds.
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

FILTERS_ENV_VAR = "CORPUS_BUILDER_FILTERS"

_PRESET_KEYS = frozenset({"name", "signals", "description", "rules"})
_REQUIRED_PRESET_KEYS = frozenset({"name", "signals", "rules"})
_RULE_KEYS = frozenset({"name", "signal", "reject_if", "threshold", "bounds", "source"})


@dataclass(frozen=True)
class Rule:
    """Reject a document when ``signals[signal] <reject_if> threshold``."""

    name: str
    signal: str
    reject_if: str
    threshold: float
    bounds: tuple[float, float]  # legal range for a user override of ``threshold`` (inclusive)
    source: str  # citation for the default threshold

    def __post_init__(self) -> None:
        if self.reject_if not in _OPERATORS:
            raise ValueError(
                f"rule {self.name!r}: reject_if must be one of {sorted(_OPERATORS)}, got {self.reject_if!r}"
            )
        low, high = self.bounds
        if not low <= high:
            raise ValueError(f"rule {self.name!r}: bounds {self.bounds} are not ordered (low <= high)")
        self._check_threshold(self.threshold)

    def _check_threshold(self, threshold: float) -> None:
        low, high = self.bounds
        if not low <= threshold <= high:
            raise ValueError(
                f"rule {self.name!r}: threshold {threshold} is outside its bounds [{low}, {high}]"
            )

    def rejects(self, value: float) -> bool:
        return _OPERATORS[self.reject_if](value, self.threshold)

    def with_threshold(self, threshold: float) -> Rule:
        self._check_threshold(threshold)
        return replace(self, threshold=float(threshold))


@dataclass(frozen=True)
class Verdict:
    """All signal values of a document and the first rule that rejected it (``None``: kept)."""

    signals: dict[str, float]
    failed: str | None

    @property
    def kept(self) -> bool:
        return self.failed is None


@dataclass(frozen=True)
class RuleSet:
    """An ordered list of rules over the signals of one registered signal function."""

    name: str
    signals: str
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        if self.signals not in SIGNAL_FUNCTIONS:
            raise ValueError(
                f"rule set {self.name!r}: unknown signal function {self.signals!r}"
                f" (registered: {sorted(SIGNAL_FUNCTIONS)})"
            )
        known = _signal_names(self.signals)
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule set {self.name!r}: rule {rule.name!r} is defined twice")
            seen.add(rule.name)
            if rule.signal not in known:
                raise ValueError(
                    f"rule {rule.name!r}: unknown signal {rule.signal!r} for signal function {self.signals!r}"
                )

    def with_thresholds(self, overrides: Mapping[str, float]) -> RuleSet:
        """A copy with some thresholds replaced; ValueError names an unknown or out-of-bounds rule."""
        by_name = {rule.name: rule for rule in self.rules}
        for name in overrides:
            if name not in by_name:
                raise ValueError(f"rule set {self.name!r} has no rule {name!r} (rules: {sorted(by_name)})")
        rules = tuple(
            rule.with_threshold(overrides[rule.name]) if rule.name in overrides else rule
            for rule in self.rules
        )
        return replace(self, rules=rules)

    def evaluate(self, text: str) -> Verdict:
        # All signals are computed even when an early rule fails: the values are kept for reports
        # and re-tuning, and Swallow itself computes every statistic before deciding.
        signals = SIGNAL_FUNCTIONS[self.signals](text)
        for rule in self.rules:
            if rule.rejects(signals[rule.signal]):
                return Verdict(signals=signals, failed=rule.name)
        return Verdict(signals=signals, failed=None)


@cache
def _signal_names(function_name: str) -> frozenset[str]:
    # Signal functions never raise and always return every key, so the empty text lists them.
    return frozenset(SIGNAL_FUNCTIONS[function_name](""))


def presets_dirs() -> list[Path]:
    """Directories searched for ``<name>.yaml``, in order.

    ``$CORPUS_BUILDER_FILTERS`` names a filters directory (holding ``presets/``); otherwise the
    repository's ``filters/presets`` (the package is installed editable, so it sits two levels
    above this package) and finally ``./filters/presets``.
    """
    dirs: list[Path] = []
    env = os.environ.get(FILTERS_ENV_VAR)
    if env:
        dirs.append(Path(env) / "presets")
    dirs.append(Path(__file__).resolve().parents[2] / "filters" / "presets")
    dirs.append(Path.cwd() / "filters" / "presets")
    return dirs


def load_preset(name_or_path: str | os.PathLike[str]) -> RuleSet:
    """Load a preset by name (``filters/presets/<name>.yaml``) or from a YAML file path."""
    candidate = Path(name_or_path)
    looks_like_path = candidate.suffix in {".yaml", ".yml"} or len(candidate.parts) > 1
    if looks_like_path:
        if not candidate.is_file():
            raise FileNotFoundError(f"preset file not found: {candidate}")
        return _load_preset_file(candidate)
    searched = presets_dirs()
    for directory in searched:
        path = directory / f"{name_or_path}.yaml"
        if path.is_file():
            return _load_preset_file(path)
    raise FileNotFoundError(
        f"no preset named {str(name_or_path)!r}; looked in: " + ", ".join(str(d) for d in searched)
    )


def _load_preset_file(path: Path) -> RuleSet:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: invalid YAML: {exc}") from exc
    try:
        return _parse_preset(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def _parse_preset(data: Any) -> RuleSet:
    if not isinstance(data, dict):
        raise ValueError("a preset must be a mapping with keys name, signals, rules")
    unknown = set(data) - _PRESET_KEYS
    if unknown:
        raise ValueError(f"unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_PRESET_KEYS)}")
    missing = _REQUIRED_PRESET_KEYS - set(data)
    if missing:
        raise ValueError(f"missing top-level key(s) {sorted(missing)}")
    raw_rules = data["rules"]
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ValueError("'rules' must be a non-empty list")
    rules = tuple(_parse_rule(index, raw) for index, raw in enumerate(raw_rules))
    return RuleSet(name=str(data["name"]), signals=str(data["signals"]), rules=rules)


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
