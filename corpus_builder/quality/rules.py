"""A small rule engine in which quality rules are data.

A :class:`RuleSet` names one registered signal function (text -> {signal name: value}) and an
ordered tuple of :class:`Rule` thresholds over those signals.  Presets live as YAML in
``filters/presets/<name>.yaml`` so that thresholds, their legal ranges and their citations are
reviewable without reading code (`quality/presets.py` finds and reads them); the signal values are
returned with every verdict so that they can be stored next to the document and thresholds re-tuned
later without recomputation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from corpus_builder.quality import code as _code
from corpus_builder.quality import fineweb2 as _fineweb2
from corpus_builder.quality import hojichar as _hojichar
from corpus_builder.quality import llmjp as _llmjp
from corpus_builder.quality import ngword as _ngword
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
