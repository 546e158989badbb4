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

from corpus_builder.contracts.yaml_file import load_yaml_file
from corpus_builder.quality import code as _code
from corpus_builder.quality import fineweb2 as _fineweb2
from corpus_builder.quality import hojichar as _hojichar
from corpus_builder.quality import llmjp as _llmjp
from corpus_builder.quality import ngword as _ngword
from corpus_builder.quality.filters_dir import SHIPPED_FILTERS_DIR
from corpus_builder.quality.modifiers import MODIFIERS
from corpus_builder.quality.swallow import swallow_signals

SignalFunction = Callable[[str], dict[str, float]]
SignalFactory = Callable[..., SignalFunction]

# Registry of signal functions a preset can name in its ``signals:`` key.
SIGNAL_FUNCTIONS: dict[str, SignalFunction] = {
    "swallow": swallow_signals,
}

# Registry of *configurable* signal functions: name -> factory(**options) -> signal function.
# A preset passes the options under ``options: {<name>: {...}}`` (e.g. the path of a word list);
# the factory's keyword defaults are used for options the preset does not give.  Built functions
# are cached per process (one tagger / one compiled word list per worker), see ``bind_signals``.
SIGNAL_FACTORIES: dict[str, SignalFactory] = {
    "ngword": _ngword.make_ngword_signals,
    "hojichar": _hojichar.make_hojichar_signals,
    "llmjp": _llmjp.make_llmjp_signals,
    "fineweb2": _fineweb2.make_fineweb2_signals,
    "code": _code.make_code_signals,
}

# reject_if operator -> comparison; a document is rejected when ``op(value, threshold)`` holds.
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

FILTERS_ENV_VAR = "CORPUS_BUILDER_FILTERS"

_PRESET_KEYS = frozenset(
    {"name", "extends", "signals", "description", "rules", "options", "modifiers", "modifiers_after_rules"}
)
_REQUIRED_PRESET_KEYS = frozenset({"name", "signals", "rules"})
# A preset that `extends:` another inherits its signals and rules, so only its name is required.
_REQUIRED_EXTENDING_PRESET_KEYS = frozenset({"name"})
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


OptionItems = tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]


def freeze_options(options: Mapping[str, Mapping[str, Any]] | None) -> OptionItems:
    """``{function: {key: value}}`` as sorted, hashable tuples (lists become tuples)."""
    if not options:
        return ()

    def _freeze(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(_freeze(v) for v in value)
        if isinstance(value, dict):
            return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
        return value

    return tuple(
        sorted(
            (str(name), tuple(sorted((str(k), _freeze(v)) for k, v in opts.items())))
            for name, opts in options.items()
        )
    )


@dataclass(frozen=True)
class RuleSet:
    """An ordered list of rules over the signals of one or more registered signal functions.

    ``signals`` is one function name (the original form) or a tuple of names whose outputs are
    merged in order; ``options`` configures the factories of :data:`SIGNAL_FACTORIES`;
    ``modifiers`` names text modifiers (:data:`corpus_builder.quality.modifiers.MODIFIERS`) that a
    step applies to the document before the rules (e.g. NFKC for ``hojichar``);
    ``modifiers_after_rules`` are applied to a kept document after the rules have judged the
    unmodified text (LLM-jp filters the raw text and extracts kana lines afterwards).  A rule that
    must see the result of those (e.g. "not empty after extraction") reads a signal that computes it.
    """

    name: str
    signals: str | tuple[str, ...]
    rules: tuple[Rule, ...]
    options: OptionItems = ()
    modifiers: tuple[str, ...] = ()
    modifiers_after_rules: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.signals, list):
            object.__setattr__(self, "signals", tuple(self.signals))
        if isinstance(self.options, Mapping):
            object.__setattr__(self, "options", freeze_options(self.options))
        for function in self.signal_functions:
            if function not in SIGNAL_FUNCTIONS and function not in SIGNAL_FACTORIES:
                raise ValueError(
                    f"rule set {self.name!r}: unknown signal function {function!r}"
                    f" (registered: {sorted(SIGNAL_FUNCTIONS) + sorted(SIGNAL_FACTORIES)})"
                )
        for function, _ in self.options:
            if function not in self.signal_functions:
                raise ValueError(
                    f"rule set {self.name!r}: options given for unused signal function {function!r}"
                )
        for modifier in (*self.modifiers, *self.modifiers_after_rules):
            if modifier not in MODIFIERS:
                raise ValueError(
                    f"rule set {self.name!r}: unknown modifier {modifier!r} (registered: {sorted(MODIFIERS)})"
                )
        known = _signal_names(self.signal_functions, self.options)
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule set {self.name!r}: rule {rule.name!r} is defined twice")
            seen.add(rule.name)
            if rule.signal not in known:
                raise ValueError(
                    f"rule {rule.name!r}: unknown signal {rule.signal!r} for signal function {self.signals!r}"
                )

    @property
    def signal_functions(self) -> tuple[str, ...]:
        return (self.signals,) if isinstance(self.signals, str) else tuple(self.signals)

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

    def with_options(self, overrides: Mapping[str, Mapping[str, Any]]) -> RuleSet:
        """A copy with some factory options replaced (e.g. ``{"ngword": {"wordlist_path": ...}}``)."""
        merged: dict[str, dict[str, Any]] = {name: dict(items) for name, items in self.options}
        for function, opts in overrides.items():
            if function not in self.signal_functions or function not in SIGNAL_FACTORIES:
                raise ValueError(
                    f"rule set {self.name!r}: no configurable signal function {function!r}"
                    f" (configurable here: {[f for f in self.signal_functions if f in SIGNAL_FACTORIES]})"
                )
            merged.setdefault(function, {}).update(opts)
        return replace(self, options=freeze_options(merged))

    def compute_signals(self, text: str) -> dict[str, float]:
        return bind_signals(self.signal_functions, self.options)(text)

    def evaluate(self, text: str) -> Verdict:
        # All signals are computed even when an early rule fails: the values are kept for reports
        # and re-tuning, and Swallow itself computes every statistic before deciding.
        signals = self.compute_signals(text)
        for rule in self.rules:
            if rule.rejects(signals[rule.signal]):
                return Verdict(signals=signals, failed=rule.name)
        return Verdict(signals=signals, failed=None)

    def apply_modifiers(self, text: str) -> tuple[str, dict[str, int]]:
        """The preset's modifiers applied in order; returns the text and what each changed."""
        return _apply(self.modifiers, text)

    def apply_modifiers_after_rules(self, text: str) -> tuple[str, dict[str, int]]:
        """The preset's after-rules modifiers (for a kept document), as :meth:`apply_modifiers`."""
        return _apply(self.modifiers_after_rules, text)


def _apply(modifiers: tuple[str, ...], text: str) -> tuple[str, dict[str, int]]:
    counts: dict[str, int] = {}
    for modifier in modifiers:
        text, changed = MODIFIERS[modifier](text)
        counts[modifier] = changed
    return text, counts


@cache
def _build_function(name: str, options: tuple[tuple[str, Any], ...]) -> SignalFunction:
    if name in SIGNAL_FUNCTIONS:
        if options:
            raise ValueError(f"signal function {name!r} takes no options")
        return SIGNAL_FUNCTIONS[name]
    try:
        return SIGNAL_FACTORIES[name](**dict(options))
    except TypeError as exc:
        raise ValueError(f"signal function {name!r}: bad options {dict(options)}: {exc}") from None


@cache
def bind_signals(functions: tuple[str, ...], options: OptionItems = ()) -> SignalFunction:
    """One callable computing the merged signals of ``functions`` (cached per process)."""
    by_name = dict(options)
    bound = [_build_function(name, by_name.get(name, ())) for name in functions]
    if len(bound) == 1:
        return bound[0]

    def merged(text: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for function in bound:
            out.update(function(text))
        return out

    return merged


@cache
def _signal_names(functions: str | tuple[str, ...], options: OptionItems = ()) -> frozenset[str]:
    # Signal functions never raise and always return every key, so the empty text lists them.
    if isinstance(functions, str):
        functions = (functions,)
    by_name = dict(options)
    names: set[str] = set()
    for name in functions:
        keys = set(_build_function(name, by_name.get(name, ()))(""))
        clash = names & keys
        if clash:
            raise ValueError(f"signal function {name!r} repeats signal(s) {sorted(clash)}")
        names |= keys
    return frozenset(names)


def presets_dirs() -> list[Path]:
    """Directories searched for ``<name>.yaml``, in order.

    ``$CORPUS_BUILDER_FILTERS`` names a filters directory (holding ``presets/``); then the shipped
    presets (the checkout's ``filters/presets``, or the wheel's copy: see ``filters_dir``) and
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
